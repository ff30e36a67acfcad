"""Hostile input: the corpus in tests/cases/hostile (made by scripts/make_hostile_corpus.py) and
the attacks no file can carry: symbolic-link loops, broken pictures, a full disk, a killed parent,
a template that would run code. No traceback, no hang, nothing half-written, no code run."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import CORPUS, ROOT, load_valid, write_case
from PIL import Image

from casegen.cli import main

HOSTILE = CORPUS / "hostile"
EXPECT = dict(line.split("\t") for line in (HOSTILE / "EXPECT.txt").read_text(encoding="utf-8")
              .splitlines())
NO_LINE = {"oversized.yaml"}  # refused before reading: there is no line to name
LINE = re.compile(r"第 \d+ 行")


def test_the_corpus_is_large_and_listed():
    on_disk = {p.name for p in HOSTILE.glob("*.yaml")}
    assert on_disk == set(EXPECT) and len(on_disk) >= 80


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_validate_answers_every_hostile_file_in_chinese_with_its_line(name, capsys):
    started = time.perf_counter()
    code = main(["validate", str(HOSTILE / name)])
    elapsed = time.perf_counter() - started
    out = capsys.readouterr()
    told = [ln for ln in out.out.splitlines() if ln.startswith("  ")]
    expected = EXPECT[name]
    assert elapsed < 5, f"{name} took {elapsed:.1f} s"
    if expected:
        hit = [ln for ln in told if expected in ln]
        assert hit, out.out
        assert code == (0 if all(ln.lstrip().startswith("提示") for ln in told) else 1)
        assert name in NO_LINE or LINE.search(hit[0]), hit[0]
    assert code in (0, 1)
    for line in told:  # Chinese, with the clause; no English exception text
        assert "〔依据" in line and not re.search(r"[A-Za-z]+Error|Traceback|line \d+", line), line
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2028]", line)


def _documents_whole(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if p.name.startswith(".casegen-")]
    for document in folder.glob("*.docx"):
        with zipfile.ZipFile(document) as package:
            assert package.testzip() is None


def _rendered(out: Path) -> None:
    _documents_whole(out)
    written = {p.name for p in out.glob("*.docx")}
    assert any("HYPERLINK" in n for n in written)  # rendered, its name made safe
    assert all(len(n.encode()) <= 255 for n in written)


def _drawn(out: Path) -> None:
    assert not [p for p in out.rglob("*") if p.name.startswith(".casegen-")]
    assert list(out.glob("*.png")) and list(out.glob("*.svg"))


def _ledger(path: Path) -> None:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    risky = [c for c in cells if c.value.startswith(("=", "+", "-", "@"))]
    assert risky and all(c.data_type == "s" for c in risky)  # text, never a live formula


def _roster(path: Path) -> None:
    roster = openpyxl.load_workbook(path).worksheets[0]
    assert all(c.data_type != "f" for row in roster.iter_rows() for c in row)


COMMANDS = {  # each command over the whole corpus: its arguments after the folder, what it wrote
    "render": (["-o", "{out}", "--jobs", "1"], _rendered),
    "draw": (["-o", "{out}"], _drawn),
    "check": ([], None),
    "check --csv": (["--csv"], None),
    "ledger": (["-o", "{out}/附件2.xlsx"], lambda out: _ledger(out / "附件2.xlsx")),
    "roster": (["-o", "{out}/附件1.xlsx"], lambda out: _roster(out / "附件1.xlsx")),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_over_the_whole_corpus(tmp_path, capsys, command):
    arguments, wrote = COMMANDS[command]
    out = tmp_path / "out"
    name, *options = command.split()
    assert main([name, str(HOSTILE), *options, *(a.format(out=out) for a in arguments)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert captured.out.strip() or captured.err.strip()  # it said what it found
    if wrote is not None:
        wrote(out)


def test_a_mathtext_name_and_a_very_long_name_render(tmp_path):
    for name in ("mathtext-name.yaml", "long-cjk-name.yaml", "dollar-spec.yaml", "xml-name.yaml"):
        shutil.copy(HOSTILE / name, tmp_path / name)
    assert main(["render", str(tmp_path), "-o", str(tmp_path / "out"), "--jobs", "1"]) == 0
    assert len(list((tmp_path / "out").glob("*.docx"))) == 4


# --- what no case file can carry ----------------------------------------------------------------

def _case_with_evidence(tmp_path, evidence: dict) -> Path:
    data = load_valid()
    data["evidence"] = evidence
    return write_case(tmp_path / "case", data)


def test_a_symlink_loop_and_a_name_too_long_are_findings(tmp_path, capsys):
    path = _case_with_evidence(tmp_path, {"permits": ["loop.pdf", "x" * 300 + ".pdf"]})
    (path.parent / "loop.pdf").symlink_to(path.parent / "loop.pdf")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "符号链接循环，无法打开：loop.pdf" in out
    assert "文件名过长（超过 255 字节）" in out


def _png(size, *, corrupt_idat=False) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 120, 150)).save(buffer, format="PNG")
    blob = buffer.getvalue()
    if corrupt_idat:  # garbage inside IDAT with its CRC recomputed: verify() passes, decoding fails
        import struct
        import zlib

        start = blob.index(b"IDAT") - 4
        length = struct.unpack(">I", blob[start:start + 4])[0]
        data = bytes(b ^ 0x5A for b in blob[start + 8:start + 8 + length])
        crc = struct.pack(">I", zlib.crc32(b"IDAT" + data))
        blob = blob[:start + 8] + data + crc + blob[start + 12 + length:]
    return blob


@pytest.mark.parametrize(("blob", "told"), [
    (lambda: _png((400, 300), corrupt_idat=True), "已损坏或被截断"),
    (lambda: _png((1, 40_000)), "图片尺寸不像现场照片"),
])
def test_pictures_render_would_fail_on_are_check_findings(tmp_path, capsys, blob, told):
    path = _case_with_evidence(tmp_path, {"photos": [{"file": "p.png", "stage": "施工后",
                                                       "marks": [{"label": "表箱", "at": [0.5, 0.5]}]}]})
    (path.parent / "p.png").write_bytes(blob())
    assert main(["check", str(path)]) == 1
    assert told in capsys.readouterr().out
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 0  # listed, not embedded
    _documents_whole(tmp_path / "out")


def test_a_full_disk_never_publishes_a_truncated_photo(tmp_path, monkeypatch):
    from casegen.outputs import photos

    source = tmp_path / "p.jpg"
    Image.new("RGB", (800, 600), (90, 120, 150)).save(source)
    target = tmp_path / "out" / "01.jpg"
    original = Image.Image.save

    def short_write(self, fp, *args, **kwargs):  # a disk that fills silently, mid-file
        buffer = io.BytesIO()
        original(self, buffer, *args, **kwargs)
        fp.write(buffer.getvalue()[: len(buffer.getvalue()) // 3])

    monkeypatch.setattr(Image.Image, "save", short_write)
    with pytest.raises(OSError):
        photos.prepare_photo(source, target)
    assert not target.exists() and not list(target.parent.glob(".casegen-*"))


def _template_with(target: Path, edit) -> Path:
    """The shipped template with its body's XML edited."""
    with zipfile.ZipFile(ROOT / "templates" / "case_template.docx") as source, \
            zipfile.ZipFile(target, "w") as copy:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = edit(data.decode()).encode()
            copy.writestr(item, data)
    return target


def test_a_template_that_would_run_code_is_refused(tmp_path, capsys):
    marker = tmp_path / "ran"
    payload = f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}"
    template = _template_with(tmp_path / "evil.docx", lambda xml: xml.replace("附件3", f"附件3{payload}", 1))
    path = write_case(tmp_path / "c", load_valid())
    assert main(["template", "check", str(template)]) == 1
    assert "不允许的属性：__globals__、__init__" in capsys.readouterr().err
    assert main(["render", str(path), "-o", str(tmp_path / "out"), "--template", str(template)]) == 1
    assert not marker.exists()
    # even past the check, the sandbox refuses it
    from casegen.base.errors import CaseError
    from casegen.service.cases import gather, open_calendar
    from casegen.service.documents import render_one

    case_file = gather([path], open_calendar([path])).cases[0]
    with pytest.raises(CaseError) as refused:
        render_one(case_file, tmp_path / "out", "x", template=template)
    assert "模板中有不允许的写法" in str(refused.value)
    assert not marker.exists() and not list((tmp_path / "out").glob("*.docx"))


def test_template_check_finds_split_tags_unknown_names_and_missing_sections(tmp_path, capsys):
    def edit(xml: str) -> str:
        xml = xml.replace("{{ account_no }}", "{{ account_no </w:t></w:r><w:r><w:t>}}", 1)
        return xml.replace("{{ address }}", "{{ house_number }}", 1).replace("三、客户反馈", "三、客户评价", 1)
    template = _template_with(tmp_path / "mine.docx", edit)
    assert main(["template", "check", str(template)]) == 1
    err = capsys.readouterr().err
    assert "被 Word 拆成了几段" in err and "正文第 " in err
    assert "用到了 casegen 不提供的名称：house_number" in err
    assert "缺少通知附件3 的部分：“三、客户反馈”" in err


def test_only_casegen_temporaries_are_cleaned(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    foreign = out / ".report.999999.tmp"
    foreign.write_text("the user's", encoding="utf-8")
    stale = out / ".casegen-x.999999.tmp.docx"
    stale.write_text("left by a killed run", encoding="utf-8")
    path = write_case(tmp_path / "c", load_valid())
    assert main(["render", str(path), "-o", str(out)]) == 0
    assert foreign.exists() and not stale.exists()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:  # a thread that ended while we looked
            continue
    return found


def _running(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic import make_cases

    make_cases(tmp_path / "cases", 30, with_evidence=True)
    process = subprocess.Popen([sys.executable, "-m", "casegen", "render", str(tmp_path / "cases"),
                                "-o", str(tmp_path / "out"), "--jobs", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list((tmp_path / "out").glob("*.docx")):
        time.sleep(0.05)  # workers busy rendering
    workers = _children(process.pid)
    assert len(workers) == 2, workers
    os.kill(process.pid, signal.SIGKILL)  # the parent alone
    process.wait(timeout=10)
    deadline = time.time() + 20
    while time.time() < deadline and any(_running(w) for w in workers):
        time.sleep(0.1)
    assert [w for w in workers if _running(w)] == []


def test_reading_refuses_what_is_not_a_regular_file(tmp_path, capsys):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert main(["validate", "/dev/zero", str(fifo)]) == 1
    out = capsys.readouterr().out
    assert out.count("不是普通文件") == 2
