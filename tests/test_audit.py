"""The auditors' cross-checks of `casegen check`: photo times against the timeline, the same
file or photo in two cases, the callback, and the seal (issue "Evidence that proves itself").

Every photo here is made by the test, with a known EXIF time and known near-copies; example 03
(construction 2025-05-12 – 2025-05-14, energised 2025-05-14, applied 2025-04-28) is the case.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import subprocess
import sys

import pytest
import yaml
from conftest import EXAMPLES, ROOT, write_case

from casegen.cli import main

sys.path.insert(0, str(ROOT / "bench"))
from synthetic import copies, save_photo, site_photo

EXAMPLE_03 = yaml.safe_load((EXAMPLES / "03-有外线有掘路-顺达汽修" / "case.yaml").read_text(encoding="utf-8"))
SIZE = (640, 480)
MARKS = [{"label": "计量表箱", "at": [0.7, 0.4]}]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    """Each test its own photo cache, so that a cached hash never answers for another test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def exif_time(day: str, clock: str = "10:00:00") -> str:
    return day.replace("-", ":") + " " + clock


def make_case(folder, number: int, photos: list[tuple[str, object, str | None]], **changes):
    """Example 03 in `folder` with papers of its own and the given (stage, image or path, EXIF
    time) photos; `changes` set dotted keys (e.g. callback=None)."""
    from PIL import Image

    data = copy.deepcopy(EXAMPLE_03)
    data["customer"]["name"] = f"重庆第{number}号汽车维修有限公司"
    data["customer"]["account_no"] = f"{5100000000 + number}"
    data["customer"]["address"] = f"重庆市-沙坪坝区-井口镇-井口工业园A区{number}号"
    evidence = folder / "evidence"
    evidence.mkdir(parents=True, exist_ok=True)
    for key, relative in [*data["evidence"]["system_orders"].items(),
                          *data["evidence"]["construction"].items(),
                          *((str(i), p) for i, p in enumerate(data["evidence"]["permits"]))]:
        if relative.endswith(".pdf"):  # each case its own bytes: no accidental duplicates
            (folder / relative).write_bytes(f"%PDF-1.4\n% case {number} {key}\n%%EOF\n".encode())
        else:
            Image.new("RGB", (320, 200), (number % 256, 120, 200)).save(folder / relative)
    data["evidence"]["photos"] = []
    for index, (stage, image, taken) in enumerate(photos):
        name = f"evidence/photo{index}.jpg"
        if hasattr(image, "save"):
            save_photo(image, folder / name, original=taken)
        else:
            (folder / name).write_bytes(image.read_bytes())
        data["evidence"]["photos"].append({"file": name, "stage": stage, "marks": MARKS})
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node[part]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return write_case(folder, data)


def two_photos(seed: int, before: str = "2025-05-10", after: str = "2025-05-14"):
    return [("施工前", site_photo(seed, size=SIZE), exif_time(before)),
            ("施工后", site_photo(seed + 5000, size=SIZE), exif_time(after, "17:00:00"))]


def check(*paths, extra=()) -> int:
    """The exit code of `casegen check --json` (its output is left for capsys)."""
    code = main(["check", *map(str, paths), "--json", *extra])
    return code


def findings_of(capsys, *paths, extra=()) -> tuple[int, list[dict]]:
    code = check(*paths, extra=extra)
    report = json.loads(capsys.readouterr().out)
    return code, [f for case in report["cases"] for f in case["findings"]]


def rules(findings) -> list[str]:
    return sorted(f["rule"] for f in findings)


# --- photo times ------------------------------------------------------------------------------

def test_a_complete_case_with_fitting_times_passes(tmp_path, capsys):
    make_case(tmp_path / "a", 1, two_photos(1))
    code, findings = findings_of(capsys, tmp_path)
    assert (code, findings) == (0, [])


def test_a_before_photo_shot_after_completion_is_reported_with_both_dates(tmp_path, capsys):
    make_case(tmp_path / "a", 1, two_photos(1, before="2025-05-14"))
    code, findings = findings_of(capsys, tmp_path)
    assert code == 1
    [finding] = findings
    assert finding["rule"] == "photo-time" and finding["class"] == "实证材料"
    assert "施工前照片 evidence/photo0.jpg 拍摄于 2025-05-14 10:00" in finding["message"]
    assert "晚于施工开始日 2025-05-12" in finding["message"]
    assert finding["key"] == "evidence.photos[1]" and finding["line"]


@pytest.mark.parametrize(("stage", "day", "fires"), [
    ("施工前", "2025-05-13", False),  # the day after the works began: within a day's slack
    ("施工前", "2025-05-14", True),
    ("施工后", "2025-05-13", False),  # the day before they ended: within the slack
    ("施工后", "2025-05-12", True),
    ("施工后", "2025-05-22", False),  # a week and a day after energising (2025-05-14): within the slack
    ("施工后", "2025-05-23", True),
    ("施工前", "2025-04-20", False),  # a week and a day before acceptance (2025-04-28): within the slack
    ("施工前", "2025-04-19", True),
    ("施工前", "2024-12-29", True),  # four months before the application: the audit's miss
])
def test_photo_time_boundaries(tmp_path, capsys, stage, day, fires):
    photos = two_photos(2)
    index = 0 if stage == "施工前" else 1
    photos[index] = (stage, photos[index][1], exif_time(day))
    make_case(tmp_path / "a", 1, photos)
    _, findings = findings_of(capsys, tmp_path)
    assert rules(findings) == (["photo-time"] if fires else [])
    if fires:
        assert day in findings[0]["message"]


def test_date_time_is_read_when_the_original_time_is_missing(tmp_path, capsys):
    folder = tmp_path / "a"
    make_case(folder, 1, two_photos(3))
    save_photo(site_photo(3, size=SIZE), folder / "evidence/photo0.jpg", taken=exif_time("2025-05-20"))
    _, findings = findings_of(capsys, tmp_path)
    assert rules(findings) == ["photo-time"] and "2025-05-20" in findings[0]["message"]


def test_a_photo_without_a_time_is_a_warning_not_an_error(tmp_path, capsys):
    photos = two_photos(4)
    photos[1] = ("施工后", photos[1][1], None)
    make_case(tmp_path / "a", 1, photos)
    code, findings = findings_of(capsys, tmp_path)
    assert code == 0  # many apps strip EXIF: said, not held against the case
    [finding] = findings
    assert (finding["rule"], finding["severity"]) == ("photo-undated", "warning")
    assert "evidence/photo1.jpg 没有可读的拍摄时间" in finding["message"]


# --- the same file or picture in two places ---------------------------------------------------

@pytest.mark.parametrize("variant", ["缩放 50%", "重新压缩 q70", "裁剪 2%"])
def test_a_copy_of_one_cases_photo_in_another_case_is_reported_on_both(tmp_path, capsys, variant):
    original = site_photo(10, size=(1280, 960))
    make_case(tmp_path / "a", 1, [("施工前", original, exif_time("2025-05-10")),
                                  ("施工后", site_photo(11, size=SIZE), exif_time("2025-05-14"))])
    second = make_case(tmp_path / "b", 2, two_photos(20))
    target = second.parent / "evidence/photo0.jpg"
    copied = original if variant == "重新压缩 q70" else copies(original)[variant]
    save_photo(copied, target, original=exif_time("2025-05-10"), quality=70 if variant == "重新压缩 q70" else 88)
    code, findings = findings_of(capsys, tmp_path)
    assert code == 1
    assert rules(findings) == ["duplicate-evidence", "duplicate-evidence"]
    first, other = sorted(findings, key=lambda f: f["file"])
    assert first["file"].endswith("a/case.yaml") and other["file"].endswith("b/case.yaml")
    assert "photo0.jpg" in first["message"] and "b/evidence/photo0.jpg" in first["message"]
    assert "a/evidence/photo0.jpg" in other["message"] and "是同一张照片" in other["message"]


def test_byte_identical_files_of_any_type_are_paired(tmp_path, capsys):
    first = make_case(tmp_path / "a", 1, two_photos(30))
    second = make_case(tmp_path / "b", 2, two_photos(40))
    paper = "evidence/供电方案工单.pdf"
    (second.parent / paper).write_bytes((first.parent / paper).read_bytes())
    _, findings = findings_of(capsys, tmp_path)
    assert rules(findings) == ["duplicate-evidence", "duplicate-evidence"]
    assert all("完全相同（SHA-256 一致）" in f["message"] and "供电方案工单.pdf" in f["message"]
               for f in findings)


def test_two_customers_screenshots_of_one_app_page_are_not_a_pair(tmp_path, capsys):
    """Screenshots differ in a few words: only byte-identical ones are paired."""
    from PIL import Image, ImageDraw

    for number, folder in ((1, tmp_path / "a"), (2, tmp_path / "b")):
        path = make_case(folder, number, two_photos(50 + number))
        screen = Image.new("RGB", (720, 480), "white")
        ImageDraw.Draw(screen).text((30, 90), f"account 51000000{number}", fill="black")
        screen.save(path.parent / "evidence/SG186受理截图.png")
    _, findings = findings_of(capsys, tmp_path)
    assert findings == []


def test_the_same_picture_as_before_and_after_is_reported_but_the_same_spot_later_is_not(tmp_path, capsys):
    spot = site_photo(60, size=(1280, 960))
    make_case(tmp_path / "same", 1, [("施工前", spot, exif_time("2025-05-10")),
                                     ("施工后", copies(spot)["缩放 50%"], exif_time("2025-05-14"))])
    make_case(tmp_path / "later", 2, [("施工前", site_photo(61, size=SIZE), exif_time("2025-05-10")),
                                      ("施工后", site_photo(61, size=SIZE, after=True), exif_time("2025-05-14"))])
    _, findings = findings_of(capsys, tmp_path)
    [finding] = findings
    assert finding["rule"] == "before-after" and finding["file"].endswith("same/case.yaml")
    assert "施工前照片 evidence/photo0.jpg 与施工后照片 evidence/photo1.jpg" in finding["message"]


def test_no_false_pair_among_200_distinct_photos(tmp_path, capsys):
    for number in range(50):  # 50 cases × 4 photos, every one a different scene
        photos = [("施工前", site_photo(1000 + 4 * number + k, size=(320, 240)), exif_time("2025-05-10"))
                  for k in range(2)]
        photos += [("施工后", site_photo(1002 + 4 * number + k, size=(320, 240)), exif_time("2025-05-14"))
                   for k in range(2)]
        make_case(tmp_path / f"c{number:02d}", number, photos)
    code, findings = findings_of(capsys, tmp_path)
    assert (code, findings) == (0, [])


# --- the callback -----------------------------------------------------------------------------

def test_a_case_without_a_callback_lacks_nothing(tmp_path, capsys):
    """Callbacks are the 客服中心's sample (四（二）2); the 附件3 evidence list has none."""
    make_case(tmp_path / "a", 1, two_photos(70), callback=None)
    code, findings = findings_of(capsys, tmp_path)
    assert (code, findings) == (0, [])


def test_a_callback_contradicting_the_cost_names_the_point_and_both_sides(tmp_path, capsys):
    make_case(tmp_path / "a", 1, two_photos(71),
              **{"callback.cost": {"confirmed": False, "words": "挖路的钱是我们自己出的，两万多。"}})
    code, findings = findings_of(capsys, tmp_path)
    assert code == 1
    [finding] = findings
    assert finding["rule"] == "callback-contradicts" and finding["key"] == "callback.cost"
    assert "客户不认可“成本”" in finding["message"] and "两万多" in finding["message"]
    assert "客户红线外出资 0 元" in finding["message"] and "供电企业" in finding["message"]


def test_a_callback_before_energising_is_reported_a_point_not_asked_is_not(tmp_path, capsys):
    make_case(tmp_path / "a", 1, two_photos(72), **{"callback.date": "2025-05-13", "callback.time": None})
    _, findings = findings_of(capsys, tmp_path)
    assert rules(findings) == ["callback-date"]
    assert "2025-05-13 早于装表接电日 2025-05-14" in findings[0]["message"]


def test_new_case_files_carry_the_callback_section(tmp_path):
    assert main(["new", str(tmp_path / "x" / "case.yaml")]) == 0
    data = yaml.safe_load((tmp_path / "x" / "case.yaml").read_text(encoding="utf-8"))
    assert set(data["callback"]) == {"date", "channel", "by", "steps", "time", "cost"}


# --- the seal ---------------------------------------------------------------------------------

def sealed_case(tmp_path, capsys):
    path = make_case(tmp_path / "a", 1, two_photos(80))
    assert main(["check", str(tmp_path), "--seal"]) == 0
    assert "封存：已写入" in capsys.readouterr().out
    return path


def test_the_seal_lists_every_file_with_its_sha256(tmp_path, capsys):
    path = sealed_case(tmp_path, capsys)
    seal = json.loads((path.parent / "casegen.seal.json").read_text(encoding="utf-8"))
    on_disk = sorted(p.relative_to(path.parent).as_posix() for p in path.parent.rglob("*")
                     if p.is_file() and p.name != "casegen.seal.json")
    assert sorted(seal["files"]) == on_disk and "case.yaml" in on_disk
    for relative, digest in seal["files"].items():
        assert hashlib.sha256((path.parent / relative).read_bytes()).hexdigest() == digest
    assert seal["sealed_at"] and seal["case_file"] == "case.yaml"
    code, findings = findings_of(capsys, tmp_path)
    assert (code, findings) == (0, [])


def test_the_readme_way_of_checking_a_seal_with_sha256sum_works(tmp_path, capsys):
    path = sealed_case(tmp_path, capsys)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line.strip() for line in readme.splitlines() if "| sha256sum -c" in line)
    ok = subprocess.run(command, shell=True, cwd=path.parent, capture_output=True, text=True)
    assert ok.returncode == 0 and "evidence/photo0.jpg: OK" in ok.stdout
    with open(path.parent / "evidence/photo1.jpg", "r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00")
    changed = subprocess.run(command, shell=True, cwd=path.parent, capture_output=True, text=True)
    assert changed.returncode != 0 and "evidence/photo1.jpg: FAILED" in changed.stdout


def test_a_byte_changed_in_a_sealed_file_is_reported_by_name(tmp_path, capsys):
    path = sealed_case(tmp_path, capsys)
    paper = path.parent / "evidence/供电方案工单.pdf"
    data = bytearray(paper.read_bytes())
    data[-3] ^= 1
    paper.write_bytes(bytes(data))
    code, findings = findings_of(capsys, tmp_path)
    assert code == 1
    [finding] = findings
    assert finding["rule"] == "seal" and "封存后被改动：evidence/供电方案工单.pdf" in finding["message"]


def test_files_added_removed_and_the_case_file_edited_after_sealing(tmp_path, capsys):
    path = sealed_case(tmp_path, capsys)
    (path.parent / "evidence/补充说明.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (path.parent / "evidence/城市道路挖掘许可.pdf").unlink()
    path.write_text(path.read_text(encoding="utf-8") + "# 改过\n", encoding="utf-8")
    (path.parent / "evidence/Thumbs.db").write_text("made by the desktop")  # not evidence
    (path.parent / "evidence/.hidden.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")  # hidden, but evidence can hide
    _, findings = findings_of(capsys, tmp_path)
    messages = [f["message"] for f in findings if f["rule"] == "seal"]
    assert any("案例文件封存后被修改：case.yaml" in m for m in messages)
    assert any("封存后新增：evidence/补充说明.pdf" in m for m in messages)
    assert any("封存后新增：evidence/.hidden.pdf" in m for m in messages)
    assert any("封存后被删除：evidence/城市道路挖掘许可.pdf" in m for m in messages)
    assert len(messages) == 4


def test_sealing_is_refused_for_a_case_with_gaps_unless_forced(tmp_path, capsys):
    path = make_case(tmp_path / "a", 1, two_photos(90)[1:])  # no 施工前 photo
    assert main(["check", str(tmp_path), "--seal"]) == 1
    out = capsys.readouterr().out
    assert "未封存" in out and "--force" in out
    assert not (path.parent / "casegen.seal.json").exists()
    assert main(["check", str(tmp_path), "--seal", "--force"]) == 1  # still a gap: still exit 1
    assert (path.parent / "casegen.seal.json").exists()


def test_a_resealed_unchanged_case_keeps_its_first_time(tmp_path, capsys):
    path = sealed_case(tmp_path, capsys)
    first = (path.parent / "casegen.seal.json").read_bytes()
    assert main(["check", str(tmp_path), "--seal"]) == 0
    assert (path.parent / "casegen.seal.json").read_bytes() == first


def test_a_damaged_seal_is_a_finding(tmp_path, capsys):
    path = sealed_case(tmp_path, capsys)
    (path.parent / "casegen.seal.json").write_text("{not json", encoding="utf-8")
    code, findings = findings_of(capsys, tmp_path)
    assert code == 1 and rules(findings) == ["seal"] and "无法核对" in findings[0]["message"]


def test_a_folder_holding_two_case_files_is_not_sealed(tmp_path, capsys):
    path = make_case(tmp_path / "a", 1, two_photos(95))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["customer"]["account_no"] = "5199999999"
    write_case(path.parent, data, name="second.yaml")
    main(["check", str(tmp_path), "--seal"])
    assert "一个案例一个文件夹才能封存" in capsys.readouterr().out
    assert not (path.parent / "casegen.seal.json").exists()


# --- reports and the cache --------------------------------------------------------------------

def test_csv_has_a_row_for_each_cross_check_finding(tmp_path, capsys):
    make_case(tmp_path / "a", 1, two_photos(100, before="2025-05-14"), **{"callback.date": "2025-05-13"})
    assert main(["check", str(tmp_path), "--csv"]) == 1
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out.removeprefix("\ufeff"))))
    header = rows[0]
    assert header[-2:] == ["规则", "依据"]
    found = {row[header.index("规则")]: row for row in rows[1:] if row[2] == "核查"}
    assert set(found) == {"photo-time", "callback-date"}
    assert "2025-05-12" in found["photo-time"][header.index("问题")]
    assert [row[5] for row in rows[1:] if row[2] == "封存"] == ["未封存"]


def test_photo_facts_are_cached_by_size_and_time(tmp_path, capsys, monkeypatch):
    import casegen.checks.files

    path = make_case(tmp_path / "a", 1, two_photos(110))
    assert check(tmp_path) == 0
    capsys.readouterr()

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(casegen.checks.files, "_photo_facts", no_decoding)
    assert check(tmp_path) == 0  # every photo answered from the cache
    capsys.readouterr()
    save_photo(site_photo(111, size=SIZE), path.parent / "evidence/photo1.jpg", original=exif_time("2025-05-14"))
    with pytest.raises(AssertionError, match="decoded again"):
        check(tmp_path)  # a changed file is read again


def test_the_cache_forgets_photos_that_are_gone(tmp_path, capsys):
    import shutil

    gone = make_case(tmp_path / "gone" / "a", 1, two_photos(120))
    kept = make_case(tmp_path / "kept" / "b", 2, two_photos(121))
    check(tmp_path / "gone")
    check(tmp_path / "kept")
    cache = tmp_path / "cache" / "casegen" / "photos-v2.json"
    assert any(str(gone.parent) in path for path in json.loads(cache.read_text(encoding="utf-8")))
    shutil.rmtree(tmp_path / "gone")
    (kept.parent / "evidence/photo0.jpg").touch()  # changed: the cache is written again
    check(tmp_path / "kept")
    capsys.readouterr()
    stored = json.loads(cache.read_text(encoding="utf-8"))
    assert stored and all(str(kept.parent) in path for path in stored)


def test_photos_decoded_in_worker_processes_match_the_serial_facts(tmp_path):
    from casegen.checks.files import PhotoCache, examine
    from casegen.service.cases import gather, open_calendar
    from casegen.service.evidence import WARM_MIN, warm_photos

    for number in range(WARM_MIN // 2):
        make_case(tmp_path / f"c{number:02d}", number, two_photos(200 + number))
    run = gather([tmp_path], open_calendar([tmp_path]))
    parallel = PhotoCache(None)
    warm_photos(parallel, run.typed, workers=2)
    images = sorted([*tmp_path.glob("c*/evidence/*.jpg"), *tmp_path.glob("c*/evidence/*.png")])
    assert len(parallel.entries) == len(images) >= WARM_MIN  # photos and screenshots
    for photo in images:
        serial = examine(photo.parent, photo.name, PhotoCache(None))[1]
        assert parallel.lookup(photo.resolve(), photo.stat()) == serial


def test_a_file_in_many_cases_names_five_and_counts_the_rest(tmp_path, capsys):
    paths = [make_case(tmp_path / f"c{n}", n, two_photos(300 + 2 * n)) for n in range(8)]
    paper = "evidence/供电方案工单.pdf"
    for path in paths[1:]:
        (path.parent / paper).write_bytes((paths[0].parent / paper).read_bytes())
    _, findings = findings_of(capsys, tmp_path)
    assert rules(findings) == ["duplicate-evidence"] * 8
    assert all(f["message"].count("与另一案例") == 5 and "另有 2 处相同" in f["message"] for f in findings)


def test_links_pipes_and_nested_cases_never_hang_or_leak_into_a_seal(tmp_path, capsys):
    import os

    path = make_case(tmp_path / "a", 1, two_photos(400))
    os.symlink("/dev/zero", path.parent / "evidence/zero")  # followed, it would never end
    os.mkfifo(path.parent / "evidence/pipe")  # opened, it would block
    nested = make_case(path.parent / "sub", 2, two_photos(402))  # a case of its own inside
    assert main(["check", str(path), str(nested), "--seal"]) == 0
    capsys.readouterr()
    seal = json.loads((path.parent / "casegen.seal.json").read_text(encoding="utf-8"))
    assert {"evidence/zero", "evidence/pipe"} <= set(seal["files"])
    assert not any(name.startswith("sub/") for name in seal["files"])
    os.remove(path.parent / "evidence/zero")
    os.symlink("/dev/null", path.parent / "evidence/zero")  # a link pointed elsewhere is a change
    (nested.parent / "evidence/photo0.jpg").write_bytes(b"changed")
    _, findings = findings_of(capsys, path)
    assert [f["message"].split("：")[1].split("（")[0] for f in findings if f["rule"] == "seal"] == ["evidence/zero"]


def test_a_callback_dated_in_the_future_is_reported(tmp_path, capsys):
    make_case(tmp_path / "a", 1, two_photos(410), **{"callback.date": "2099-01-01"})
    _, findings = findings_of(capsys, tmp_path)
    assert rules(findings) == ["callback-date"] and "晚于今天" in findings[0]["message"]


def test_a_damaged_exif_block_is_a_broken_photo_not_a_crash(tmp_path, capsys):
    from PIL import Image

    path = make_case(tmp_path / "a", 1, two_photos(420))
    Image.new("RGB", (64, 48), "grey").save(path.parent / "evidence/photo0.png", exif=b"II*\x00")
    text = path.read_text(encoding="utf-8").replace("evidence/photo0.jpg", "evidence/photo0.png")
    path.write_text(text, encoding="utf-8")
    code, findings = findings_of(capsys, tmp_path)
    assert code == 1 and "EXIF 信息已损坏" in " ".join(f["message"] for f in findings)
