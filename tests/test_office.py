"""The kept-alive LibreOffice: faults (a hung, dead or refusing office) with a fake bridge, then
the real office killed and stopped mid-batch, the processes it leaves (none), the faces it
gives (today's), and the workbench's one office for the server's life."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_examples, example_paths, load_valid, pdf_text, write_case
from starlette.testclient import TestClient

from casegen.base.errors import PdfFailed
from casegen.cli import main
from casegen.office.libreoffice import uno_python
from casegen.office.pdf import office_for_run, to_pdf

GOOD_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

FAKE_BRIDGE = """\
#!{python}
# A stand-in for uno_bridge.py: the UNO probe answers yes; each start is logged; each request
# is answered as FAKE_MODE says, the first start's answer differing from the later ones'.
import json, os, sys, time
if sys.argv[1] == "-c":
    sys.exit(0)
log = os.environ["FAKE_LOG"]
with open(log, "a") as f:
    f.write(f"start {{os.getpid()}}\\n")
starts = open(log).read().count("start")
mode = os.environ["FAKE_MODE"]
print(json.dumps({{"office": os.getpid()}}), flush=True)
print(json.dumps({{"ready": True}}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    if mode == "hang-first" and starts == 1:
        time.sleep(3600)
    if mode == "die-first" and starts == 1:
        os._exit(1)
    if mode == "error":
        print(json.dumps({{"error": "DisposedException: 文档无法转换"}}), flush=True)
        continue
    data = b"%PDF-1.4 half" if mode == "half" else {good!r}
    open(request["pdf"], "wb").write(data)
    print(json.dumps({{"done": True}}), flush=True)
"""


@pytest.fixture
def fake_bridge(tmp_path, monkeypatch):
    """use(mode) makes the fake the UNO bridge, in that mode, and returns starts(): the process
    ids of the fakes started so far."""
    script = tmp_path / "fake-uno-python"
    script.write_text(FAKE_BRIDGE.format(python=sys.executable, good=GOOD_PDF), encoding="utf-8")
    script.chmod(0o755)
    log = tmp_path / "fake.log"

    def starts() -> list[int]:
        return [int(line.split()[1]) for line in log.read_text().splitlines()] if log.exists() else []

    def use(mode: str):
        monkeypatch.setenv("CASEGEN_UNO_PYTHON", str(script))
        monkeypatch.setenv("FAKE_LOG", str(log))
        monkeypatch.setenv("FAKE_MODE", mode)
        monkeypatch.setenv("CASEGEN_PDF_TIMEOUT", "1")
        uno_python.cache_clear()
        return starts

    yield use
    office = office_for_run()
    if office is not None:
        office.stop(kill=True)
    uno_python.cache_clear()


def _docx(tmp_path: Path) -> Path:
    path = tmp_path / "case.docx"
    path.write_bytes(b"PK not really a document: the fake never opens it")
    return path


def _alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


@pytest.mark.parametrize("mode", ["hang-first", "die-first"])
def test_a_hung_or_dead_office_is_killed_and_the_document_tried_on_a_new_one(tmp_path, fake_bridge, mode):
    starts = fake_bridge(mode)
    target = tmp_path / "out" / "case.pdf"
    assert to_pdf(_docx(tmp_path), target) == target
    assert target.read_bytes() == GOOD_PDF
    first, second = starts()
    assert not _alive(first) and _alive(second)  # the hung one killed, its process group with it
    assert [p.name for p in target.parent.iterdir()] == ["case.pdf"]  # no temporary left


def test_a_document_that_fails_twice_is_reported_and_the_good_pdf_kept(tmp_path, fake_bridge):
    starts = fake_bridge("error")
    target = tmp_path / "case.pdf"
    target.write_bytes(b"%PDF-1.7 the good one from yesterday %%EOF")
    with pytest.raises(PdfFailed) as failed:
        to_pdf(_docx(tmp_path), target)
    assert "LibreOffice 转换 PDF 失败（已换新的 LibreOffice 重试一次）" in str(failed.value)
    assert "文档无法转换" in str(failed.value)
    assert target.read_bytes() == b"%PDF-1.7 the good one from yesterday %%EOF"
    assert len(starts()) == 2
    assert not list(tmp_path.glob(".casegen-*"))


def test_a_half_written_pdf_never_lands(tmp_path, fake_bridge):
    fake_bridge("half")
    with pytest.raises(PdfFailed, match="PDF 不完整"):
        to_pdf(_docx(tmp_path), tmp_path / "case.pdf")
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".casegen-*"))


def test_a_failed_pdf_fails_its_case_in_the_batch_and_the_rest_go_on(tmp_path, fake_bridge, capsys, examples):
    fake_bridge("error")
    out = tmp_path / "out"
    code = main(["render", str(example_paths(examples)[0]), "-o", str(out), "--pdf"])
    err = capsys.readouterr().err
    assert code == 1
    assert "LibreOffice 转换 PDF 失败" in err and "Traceback" not in err
    assert list(out.glob("*.docx")) and not list(out.glob("*.pdf"))


# --- the real LibreOffice -------------------------------------------------------------------

def _needs_uno() -> None:
    assert uno_python() is not None, "the UNO bridge is required: apt-get install -y python3-uno"


def _cases(folder: Path, count: int) -> Path:
    """`count` valid 有外线 cases, each its own customer and 户号."""
    for n in range(count):
        data = load_valid()
        data["customer"]["name"] = f"重庆第{n}号测试有限公司"
        data["customer"]["account_no"] = f"{5200000000 + n}"
        data["customer"]["address"] += f"附{n}号"
        write_case(folder / f"case-{n}", data)
    return folder


def _running(marker: str) -> dict[int, bytes]:
    """Live processes (not zombies) whose command line names `marker`, with that command line,
    each read once: a process that ends while /proc is being listed or read is simply not counted."""
    found = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            line = (status.parent / "cmdline").read_bytes()
            if marker.encode() in line and "\nState:\tZ" not in status.read_text():
                found[int(status.parent.name)] = line
        except OSError:  # gone between the listing and the reading (ENOENT, ESRCH)
            continue
    return found


def _ours(marker: str) -> list[int]:
    """Offices and bridges."""
    return list(_running(marker))


def _offices(marker: str) -> list[int]:
    return [pid for pid, line in _running(marker).items() if b"soffice.bin" in line]


def _none_left(marker: str, seconds: float = 15) -> list[int]:
    deadline = time.monotonic() + seconds
    while _ours(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _ours(marker)


def _batch(tmp_path: Path, count: int, *, jobs: int = 1, timeout: str = "120") -> tuple[subprocess.Popen, Path, str]:
    """A `render --pdf` batch started in a process group of its own, its temporary folder (where
    its offices' profiles go, and so what names them) private."""
    private = tmp_path / "tmp"
    private.mkdir()
    out = tmp_path / "out"
    env = dict(os.environ, TMPDIR=str(private), CASEGEN_PDF_TIMEOUT=timeout)
    env.pop("CASEGEN_UNO_PYTHON", None)
    process = subprocess.Popen([sys.executable, "-m", "casegen", "render", str(_cases(tmp_path / "cases", count)),
                                "-o", str(out), "--pdf", "--jobs", str(jobs)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    return process, out, str(private)


def _first_pdf(out: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not list(out.glob("*.pdf")):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)


def _whole_and_right(out: Path, count: int) -> None:
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == count
    for pdf in pdfs:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
        assert pdf.stem in re.sub(r"\s+", "", pdf_text(pdf))  # its own customer, whole
    assert not list(out.glob(".casegen-*"))


@pytest.mark.parametrize("fault", ["killed", "hung"])
def test_an_office_killed_or_hung_mid_batch_is_replaced_and_every_pdf_made(tmp_path, fault):
    _needs_uno()
    process, out, marker = _batch(tmp_path, 5, timeout="5")
    _first_pdf(out, process)
    victims = _offices(marker)
    assert len(victims) == 1
    os.kill(victims[0], signal.SIGKILL if fault == "killed" else signal.SIGSTOP)
    seen = set(victims)
    while process.poll() is None:
        seen.update(_offices(marker))
        time.sleep(0.02)
    stdout, stderr = process.communicate()
    assert process.returncode == 0, stderr
    assert "共 5 个案例：生成 5 个" in stdout and "失败 0 个" in stdout
    _whole_and_right(out, 5)
    assert len(seen) >= 2  # a new office took over
    assert not _alive(victims[0]) and _none_left(marker) == []
    assert list(Path(marker).iterdir()) == []  # every profile removed


@pytest.mark.parametrize("how", ["finished", "SIGTERM", "Ctrl-C", "parent killed"])
def test_no_office_outlives_casegen(tmp_path, how):
    _needs_uno()
    process, out, marker = _batch(tmp_path, 6, jobs=2)
    _first_pdf(out, process)
    assert _offices(marker)
    if how == "SIGTERM":
        process.send_signal(signal.SIGTERM)
    elif how == "Ctrl-C":
        os.killpg(process.pid, signal.SIGINT)  # as the terminal sends it: to the whole group
    elif how == "parent killed":
        process.kill()
    process.communicate(timeout=120)
    assert _none_left(marker) == []
    if how == "finished":
        assert process.returncode == 0
        _whole_and_right(out, 6)
        assert list(Path(marker).iterdir()) == []
    for pdf in out.glob("*.pdf"):  # a PDF there is whole, however the batch ended
        assert b"%%EOF" in pdf.read_bytes()[-1024:]


def _pdffonts(pdf: Path) -> list[tuple[str, ...]]:
    """pdffonts' rows without the object numbers (the order LibreOffice writes objects in)."""
    listing = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    return [tuple(row.split()[:-2]) for row in listing.splitlines()[2:]]


def test_the_kept_office_gives_the_faces_and_text_of_the_one_shot_path(tmp_path, monkeypatch, capsys, examples):
    _needs_uno()
    assert main(["render", *map(str, example_paths(examples)), "-o", str(tmp_path / "kept"), "--pdf"]) == 0
    assert "UNO" not in capsys.readouterr().err
    monkeypatch.setenv("CASEGEN_UNO_PYTHON", "none")
    uno_python.cache_clear()
    try:
        assert main(["render", *map(str, example_paths(examples)), "-o", str(tmp_path / "one"), "--pdf"]) == 0
    finally:
        uno_python.cache_clear()
    assert "PDF 逐个启动 LibreOffice 转换（较慢）：CASEGEN_UNO_PYTHON=none" in capsys.readouterr().err  # one line
    kept = sorted((tmp_path / "kept").glob("*.pdf"))
    assert len(kept) == 3
    for pdf in kept:
        one = tmp_path / "one" / pdf.name
        assert _pdffonts(pdf) == _pdffonts(one)
        assert {row[0].split("+")[1] for row in _pdffonts(pdf)} >= {"NotoSerifCJKsc-Regular-VKana"}
        assert pdf_text(pdf) == pdf_text(one)


def test_the_workbench_keeps_one_office_for_its_life(tmp_path):
    _needs_uno()
    from casegen.web.app import create_app

    copy_examples(tmp_path / "cases")
    client = TestClient(create_app(tmp_path / "cases"), base_url="http://localhost")
    case = "03-有外线有掘路-顺达汽修/case.yaml"
    answers = [client.get(f"/case/{case}/document.pdf") for _ in range(3)]
    assert all(a.status_code == 200 and a.content.startswith(b"%PDF-") for a in answers)
    office = office_for_run()
    assert office is not None and office.started == 1 and office.ready
    assert _alive(office.office_pid)


def test_a_pdf_left_from_before_a_failed_conversion_is_made_again_next_time(tmp_path, fake_bridge, capsys, examples):
    out = tmp_path / "out"
    case = str(example_paths(examples)[0])
    fake_bridge("ok")
    assert main(["render", case, "-o", str(out), "--pdf"]) == 0
    fake_bridge("error")
    assert main(["render", case, "-o", str(out), "--pdf", "--force"]) == 1  # the good old PDF stays
    assert next(out.glob("*.pdf")).read_bytes() == GOOD_PDF
    fake_bridge("ok")
    capsys.readouterr()
    assert main(["render", case, "-o", str(out), "--pdf"]) == 0
    assert "生成 1 个，跳过 0 个" in capsys.readouterr().out  # older than its document: not up to date
