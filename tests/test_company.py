"""The company's half: submit → receive → store, reproducible packages, every refusal, revisions,
changes, reindex, concurrent and killed receives."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import copy_examples

from casegen.cli import main
from casegen.company import store as st
from casegen.company.package import Limits
from casegen.service.intake import receive as service_receive

UNIT = "九龙坡供电分公司"
PERIOD = ["--from", "2024-09-01", "--to", "2025-04-30"]
MADE = ["--made", "2025-05-01T09:00:00+08:00"]
PYTHON = str(Path(sys.executable))


@pytest.fixture
def cases(tmp_path) -> Path:
    folder = tmp_path / "cases"
    copy_examples(folder)
    return folder


def submit(cases: Path, out: Path, *extra: str) -> Path:
    assert main(["submit", str(cases), "--unit", UNIT, *PERIOD, *MADE, "-o", str(out), *extra]) in (0, 1)
    return out


def receive(capsys, store: Path, *packages: Path, extra=()) -> tuple[int, list[dict]]:
    capsys.readouterr()
    code = main(["receive", *map(str, packages), "--store", str(store), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def dump(store: Path) -> dict:
    connection = sqlite3.connect(store / st.DATABASE)
    try:
        return st.dump(connection)
    finally:
        connection.close()


def test_round_trip_facts_equal_validate(cases, tmp_path, capsys):
    package = submit(cases, tmp_path / "p.zip")
    code, [result] = receive(capsys, tmp_path / "store", package)
    assert code == 0 and result["status"] == "已收存" and result["revision"] == 1
    main(["validate", str(cases), "--json"])
    validated = {Path(c["file"]).parent.name: c for c in json.loads(capsys.readouterr().out)["cases"]}
    stored = {Path(c["folder"]).name: c for c in dump(tmp_path / "store")["cases"]}
    assert stored.keys() == validated.keys()
    for name, case in stored.items():
        assert (case["kind"], case["working_days"], case["limit_days"]) == (
            validated[name]["kind"], validated[name]["working_days"], validated[name]["limit_days"])


def test_same_folder_gives_identical_bytes(cases, tmp_path):
    first = submit(cases, tmp_path / "a.zip")
    second = submit(cases, tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in archive.infolist())
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["made"] == "2025-05-01T09:00:00+08:00" and manifest["unit"] == UNIT
        assert {m["path"] for m in manifest["members"]} == set(names) - {"manifest.json"}
        assert "生成于 2025-05-01 09:00" in archive.read("统计.html").decode()


def test_dry_run_writes_nothing(cases, tmp_path, capsys):
    main(["submit", str(cases), "--unit", UNIT, *PERIOD, "--dry-run", "-o", str(tmp_path / "x.zip")])
    assert "试运行" in capsys.readouterr().out and not (tmp_path / "x.zip").exists()


# --- hostile packages, each built here with zipfile ---------------------------------------------

def build(target: Path, members: dict, *, manifest=None, info_of=None, unit=UNIT) -> Path:
    """A package: `members` name → bytes, listed in a manifest (unless `manifest` replaces it)."""
    if manifest is None:
        manifest = {"format": 1, "unit": unit, "period": {"from": "2025-01-01", "to": "2025-01-14"},
                    "made": "2025-01-15T00:00:00+08:00", "casegen": "0.1.0",
                    "members": [{"path": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                                for n, b in sorted(members.items())], "cases": []}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            info = info_of(name) if info_of else None
            archive.writestr(info or name, body)
        archive.writestr("manifest.json", manifest if isinstance(manifest, (str, bytes)) else json.dumps(manifest))
    return target


def refused(capsys, tmp_path, package: Path, expected: str, extra=()) -> None:
    store = tmp_path / "store"
    code, [result] = receive(capsys, store, package, extra=extra)
    assert code == 1 and result["status"] == "拒收", result
    assert expected in result["reason"], result["reason"]
    assert not list((store / st.PACKAGES).rglob("*.zip")) and not dump(store)["revisions"]
    assert not [p for p in store.iterdir() if p.name.startswith(".")]


GOOD = {"统计.html": b"<html></html>"}


def link_info(name):
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def fifo_info(name):
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFIFO | 0o644) << 16
    return info


def test_refusals(tmp_path, capsys):
    p = tmp_path
    manifest_of = json.loads(zipfile.ZipFile(build(p / "ok.zip", GOOD)).read("manifest.json"))
    extra = build(p / "extra.zip", GOOD, manifest={**manifest_of})
    with zipfile.ZipFile(extra, "a") as archive:
        archive.writestr("cases/x/evil.txt", b"x")
    cases = [
        (extra, "未列入清单"),
        (build(p / "missing.zip", GOOD, manifest={**manifest_of, "members": [
            *manifest_of["members"], {"path": "附件2.xlsx", "size": 1, "sha256": "0" * 64}]}), "不在包中"),
        (build(p / "hash.zip", {"统计.html": b"<html>changed</html>"}, manifest={**manifest_of, "members": [
            {"path": "统计.html", "size": 20, "sha256": "0" * 64}]}), "SHA-256"),
        (build(p / "size.zip", GOOD, manifest={**manifest_of, "members": [
            {**manifest_of["members"][0], "size": 5}]}), "大小"),
        (build(p / "absolute.zip", {"/etc/passwd": b"x"}), "绝对路径"),
        (build(p / "dotdot.zip", {"cases/../../x": b"x"}), ".."),
        (build(p / "link.zip", {"cases/a/link": b"/etc/passwd"}, info_of=link_info), "符号链接"),
        (build(p / "fifo.zip", {"cases/a/fifo": b""}, info_of=fifo_info), "非普通文件"),
        (build(p / "notjson.zip", GOOD, manifest="{not json"), "不是 UTF-8 JSON"),
        (build(p / "types.zip", GOOD, manifest={**manifest_of, "members": "all"}), "类型不对"),
        (build(p / "nokey.zip", GOOD, manifest={k: v for k, v in manifest_of.items() if k != "unit"}), "缺少 unit"),
        (build(p / "nomanifest.zip", GOOD, manifest={}), "缺少"),
    ]
    dup = p / "duplicate.zip"
    with zipfile.ZipFile(dup, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("统计.html", b"a")
        archive.writestr("统计.html", b"a")
        archive.writestr("manifest.json", json.dumps(manifest_of))
    cases.append((dup, "重复"))
    bomb = p / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cases/a/zeros.bin", b"\0" * (20 << 20))
        archive.writestr("manifest.json", json.dumps({**manifest_of, "members": []}))
    cases.append((bomb, "zip 炸弹"))
    (p / "junk.zip").write_bytes(b"not a zip at all")
    cases.append((p / "junk.zip", "zip"))
    for package, reason in cases:
        refused(capsys, tmp_path, package, reason)
    (p / "units.yaml").write_text("- 渝北供电分公司\n", encoding="utf-8")
    refused(capsys, tmp_path, p / "ok.zip", "不在供电单位名单", extra=("--units", str(p / "units.yaml")))


def test_one_bad_package_does_not_stop_the_others(cases, tmp_path, capsys):
    good = submit(cases, tmp_path / "good.zip")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04broken")
    code, results = receive(capsys, tmp_path / "store", tmp_path / "bad.zip", good)
    assert code == 1 and [r["status"] for r in results] == ["拒收", "已收存"]


# --- revisions and changes ----------------------------------------------------------------------

def test_resubmission_is_revision_2_with_flagged_changes(cases, tmp_path, capsys):
    store = tmp_path / "store"
    receive(capsys, store, submit(cases, tmp_path / "a.zip"))
    case = cases / "03-有外线有掘路-顺达汽修" / "case.yaml"
    text = case.read_text(encoding="utf-8")
    case.write_text(text.replace("energized: 2025-05-14", "energized: 2025-05-15"), encoding="utf-8")
    assert "energized: 2025-05-15" in case.read_text(encoding="utf-8")
    (cases / "03-有外线有掘路-顺达汽修" / "evidence" / "施工前.jpg").write_bytes(b"replaced")
    code, [result] = receive(capsys, store, submit(cases, tmp_path / "b.zip"))
    assert code == 0 and result["revision"] == 2 and result["previous"].startswith("packages/")
    flagged = {(c["change"], c["field"]) for c in result["changes"] if c["flagged"]}
    assert ("修改", "energized") in flagged and ("实证材料替换", "evidence/施工前.jpg") in flagged
    assert len(dump(store)["revisions"]) == 2
    again, [same] = receive(capsys, store, tmp_path / "b.zip")
    assert again == 0 and same["status"] == "此前已收存"
    before = dump(store)
    (store / st.DATABASE).unlink()
    assert main(["receive", "--store", str(store), "--reindex"]) == 0
    assert dump(store) == before
    (store / st.DATABASE).unlink()
    shutil.rmtree(store / st.FACTS)  # from the packages alone: every case read again
    assert main(["receive", "--store", str(store), "--reindex", "--full"]) == 0
    assert dump(store) == before and len(list((store / st.FACTS).glob("*.json"))) == 2
    assert main(["store", str(store), "--unit", UNIT]) == 0


# --- concurrency and kills ----------------------------------------------------------------------

def run_receive(store: Path, package: Path, env=None) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, "-m", "casegen", "receive", str(package), "--store", str(store)],
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_receives_at_once(cases, tmp_path):
    store = tmp_path / "store"
    first = submit(cases, tmp_path / "a.zip")
    second = submit(cases, tmp_path / "b.zip", "--made", "2025-05-02T09:00:00+08:00")  # same unit and period
    other = submit(cases, tmp_path / "c.zip", "--unit", "渝北供电分公司")
    running = [run_receive(store, first), run_receive(store, second), run_receive(store, other)]
    assert [p.wait(60) for p in running] == [0, 0, 0], [p.stderr.read().decode() for p in running]
    tables = dump(store)
    assert len(tables["revisions"]) == 3 and len(tables["cases"]) == 9
    assert sorted(r["number"] for r in tables["revisions"] if r["unit"] == UNIT) == [1, 2]
    assert len(list((store / st.PACKAGES).rglob("*.zip"))) == 3
    assert sqlite3.connect(store / st.DATABASE).execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("point", ["copied", "linked"])
def test_killed_receive_leaves_the_store_consistent(cases, tmp_path, capsys, point):
    store = tmp_path / "store"
    package = submit(cases, tmp_path / "a.zip")
    killed = run_receive(store, package, {"CASEGEN_RECEIVE_KILL_AT": point})
    assert killed.wait(60) == -9
    files = list((store / st.PACKAGES).rglob("*.zip")) if (store / st.PACKAGES).exists() else []
    rows = dump(store)["revisions"]
    # killed before the link: nothing kept but a stray copy; after it, a package not yet recorded
    assert (len(files), len(rows)) == ((0, 0) if point == "copied" else (1, 0))
    assert bool([p for p in store.iterdir() if p.name.startswith(".casegen-")]) == (point == "copied")
    code, [result] = receive(capsys, store, package)
    assert code == 0 and result["status"] == ("已收存" if point == "copied" else "此前已收存")
    tables = dump(store)
    assert len(tables["revisions"]) == 1 and len(list((store / st.PACKAGES).rglob("*.zip"))) == 1
    assert not [p for p in store.iterdir() if p.name.startswith(".casegen-")]


def test_size_limits_checked_before_reading(tmp_path):
    package = build(tmp_path / "p.zip", {"统计.html": b"<html>" + b"x" * 100 + b"</html>", "附件2.xlsx": b"x"})
    for limits, reason in ((Limits(members=2), "文件个数"), (Limits(member_bytes=50), "单个文件上限"),
                           (Limits(total_bytes=60), "超过上限"), (Limits(zip_bytes=100), "过大")):
        [result] = service_receive([package], tmp_path / "store", limits=limits)
        assert result.status == "拒收" and reason in result.reason, result.reason


def test_unreadable_case_is_submitted_and_listed(cases, tmp_path, capsys):
    (cases / "坏案例").mkdir()
    (cases / "坏案例" / "case.yaml").write_text("customer: [unclosed\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["submit", str(cases), "--unit", UNIT, *PERIOD, *MADE, "-o", str(tmp_path / "p.zip")]) == 1
    assert "✗ cases/坏案例" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "p.zip") as archive:
        assert "cases/坏案例/case.yaml" in archive.namelist()
    code, [result] = receive(capsys, tmp_path / "store", tmp_path / "p.zip")
    assert code == 0 and result["cases"] == 4
    broken = [c for c in dump(tmp_path / "store")["cases"] if c["folder"] == "cases/坏案例"]
    assert broken and broken[0]["kind"] is None and broken[0]["数据错误"] >= 1


def test_a_rebuild_reads_a_package_again_when_its_record_is_stale_or_damaged(cases, tmp_path, capsys):
    store = tmp_path / "store"
    receive(capsys, store, submit(cases, tmp_path / "a.zip"))
    before = dump(store)
    [record] = (store / st.FACTS).glob("*.json")
    kept = json.loads(record.read_text(encoding="utf-8"))
    kept["incoming"]["cases"][0]["working_days"] = 99  # what a stale reading would say
    kept["key"] = kept["key"].replace("casegen ", "casegen 0.0.0-old ")
    record.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    (store / st.DATABASE).unlink()
    assert main(["receive", "--store", str(store), "--reindex"]) == 0
    assert dump(store) == before
    record.write_text("{damaged", encoding="utf-8")
    (store / st.DATABASE).unlink()
    assert main(["receive", "--store", str(store), "--reindex"]) == 0
    assert dump(store) == before


# --- found by an attack on these commands ----------------------------------------------------------

def test_a_period_written_otherwise_than_yyyy_mm_dd_is_refused(tmp_path, capsys):
    manifest = json.loads(zipfile.ZipFile(build(tmp_path / "ok.zip", GOOD)).read("manifest.json"))
    manifest["period"] = {"from": "20250101", "to": "20250114"}  # date.fromisoformat takes it
    refused(capsys, tmp_path, build(tmp_path / "p.zip", GOOD, manifest=manifest), "应写作 YYYY-MM-DD")


def test_a_path_too_deep_is_refused_and_the_next_package_still_kept(cases, tmp_path, capsys):
    deep = build(tmp_path / "deep.zip", {"cases/" + "/".join(["d"] * 2000) + "/x.txt": b"x", **GOOD})
    code, results = receive(capsys, tmp_path / "store", deep, submit(cases, tmp_path / "good.zip"))
    assert code == 1 and [r["status"] for r in results] == ["拒收", "已收存"]
    assert "路径过深或过长" in results[0]["reason"]


def test_received_times_must_be_plausible_and_in_order(cases, tmp_path, capsys):
    store = tmp_path / "store"
    first = submit(cases, tmp_path / "a.zip")  # made 2025-05-01 09:00
    code, [result] = receive(capsys, store, first, extra=("--received", "1900-01-01"))
    assert code == 1 and "不在 2019-11-01 至今天之间" in result["reason"]
    code, [result] = receive(capsys, store, first, extra=("--received", "2025-04-01"))
    assert code == 1 and "早于包的生成时间" in result["reason"]
    assert receive(capsys, store, first, extra=("--received", "2025-05-20"))[0] == 0
    second = submit(cases, tmp_path / "b.zip", "--made", "2025-05-02T09:00:00+08:00")
    code, [result] = receive(capsys, store, second, extra=("--received", "2025-05-10"))
    assert code == 1 and "早于该单位本期已收存的上一版" in result["reason"]  # r2 never before r1


def test_a_damaged_index_is_said_in_chinese_and_a_rebuild_replaces_it(cases, tmp_path, capsys):
    store = tmp_path / "store"
    receive(capsys, store, submit(cases, tmp_path / "a.zip"))
    before = dump(store)
    (store / st.DATABASE).write_bytes(os.urandom(10_000))
    for command in (["store", str(store)],
                    ["bulletin", str(store), *PERIOD, "-o", str(tmp_path / "t.docx")],
                    ["callbacks", "sample", str(store), *PERIOD, "-n", "1", "-o", str(tmp_path / "c.xlsx")]):
        assert main(command) == 2
        assert "索引 store.sqlite 已损坏" in capsys.readouterr().err
    assert main(["receive", "--store", str(store), "--reindex"]) == 0
    assert dump(store) == before and list(store.glob("store.sqlite.damaged-*"))


def test_an_empty_resubmission_flags_every_case_it_withdraws(cases, tmp_path, capsys):
    store = tmp_path / "store"
    receive(capsys, store, submit(cases, tmp_path / "a.zip"))
    empty = tmp_path / "empty"
    empty.mkdir()
    code, [result] = receive(capsys, store, submit(empty, tmp_path / "b.zip", "--made", "2025-05-02T09:00:00+08:00"))
    withdrawn = [c for c in result["changes"] if c["change"] == "撤回案例"]
    assert code == 0 and len(withdrawn) == 3 and all(c["flagged"] for c in withdrawn)


def test_a_units_workbook_that_is_not_a_roster_is_refused_in_chinese(cases, tmp_path, capsys):
    book = tmp_path / "units.xlsx"
    book.write_bytes(b"not a workbook")
    assert main(["receive", str(submit(cases, tmp_path / "a.zip")), "--store", str(tmp_path / "s"),
                 "--units", str(book)]) == 2
    assert "无法读取供电单位名单" in capsys.readouterr().err


def test_a_units_own_callback_that_says_false_is_a_disagreement(cases, tmp_path, capsys):
    case = next(cases.glob("01-*/case.yaml"))
    text = case.read_text(encoding="utf-8")
    start = text.index("  cost: {confirmed: true")
    case.write_text(text[:start] + "  cost: {confirmed: false, words: 我们出了两千块。}\n"
                    + text[text.index("\n", start) + 1:], encoding="utf-8")
    store = tmp_path / "store"
    receive(capsys, store, submit(cases, tmp_path / "a.zip"))
    [callback] = [json.loads(c["callback"]) for c in dump(store)["cases"]
                  if c["folder"].startswith("cases/01")]
    assert callback["points"]["成本"] == {"confirmed": False, "words": "我们出了两千块。"}


def test_the_guide_casegen_new_puts_in_evidence_stays_out_of_the_package(cases, tmp_path, capsys):
    """Issue 32.9: 放在这里的材料.txt is casegen's words, not the case's evidence."""
    from casegen.case.scaffold import EVIDENCE_GUIDE_NAME, evidence_guide

    guide = cases / "01-无外线-山城味道餐饮" / "evidence" / EVIDENCE_GUIDE_NAME
    guide.write_text(evidence_guide(), encoding="utf-8")
    with zipfile.ZipFile(submit(cases, tmp_path / "p.zip")) as package:
        names = package.namelist()
    assert any(n.endswith("01-无外线-山城味道餐饮/evidence/申请书.pdf") for n in names)
    assert not [n for n in names if n.endswith(EVIDENCE_GUIDE_NAME)]


def test_check_render_and_submit_count_evidence_problems_one_way(cases, tmp_path, capsys):
    """Issue 32.8: one thing counted, said the same way: 实证材料问题 N 项 (a reminder, such as a
    photo without a shooting time, is not one of them and is said as a 提醒)."""
    from PIL import Image

    case_02 = cases / "02-有外线无掘路-九龙便民超市" / "case.yaml"
    photo = case_02.parent / "evidence" / "施工后.jpg"
    Image.open(photo).convert("RGB").save(photo, "JPEG")  # its shooting time gone
    capsys.readouterr()
    assert main(["check", str(case_02)]) == 1
    checked = capsys.readouterr().out
    assert "（重庆九龙便民超市有限公司）实证材料问题 2 项（另有提醒 1 条，不计入）：" in checked
    assert "实证材料（提醒） [photo-undated]" in checked
    assert main(["render", str(case_02), "-o", str(tmp_path / "out")]) == 0
    rendered = capsys.readouterr().out
    assert "! 文档中标红：实证材料问题 2 项：缺少 工程建设内容·编制说明；缺少 现场图片·施工前图片" in rendered
    submit(cases, tmp_path / "p.zip")
    submitted = capsys.readouterr().out
    line = next(ln for ln in submitted.splitlines() if "九龙便民超市" in ln)
    assert line.endswith("实证材料问题 2 项") and "实证材料 3" not in line
