"""Publishing and batches: PDF, redacted copies, parallel rendering, skipping, interruption."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, copy_examples, example_paths, load_valid, pdf_text, write_case

from casegen.case.reading import read_case
from casegen.cli import main
from casegen.service import documents as build

ACCOUNTS = ["0512034567", "5102998877", "5103765432"]
PHONES = ["02363801234", "13983001122", "023-65201188"]


def test_pdf_beside_each_docx_shows_the_facts(tmp_path, capsys, examples):
    out = tmp_path / "out"
    assert main(["render", str(example_paths(examples)[2]), "-o", str(out), "--pdf"]) == 0
    pdf = out / "重庆沙坪坝区顺达汽车维修有限公司.pdf"
    flat = re.sub(r"\s+", "", pdf_text(pdf))
    assert "重庆沙坪坝区顺达汽车维修有限公司" in flat and "户号：5103765432" in flat
    assert "接电周期9个工作日" in flat and "行政审批时间" in flat
    assert not list(out.glob(".pdf-*"))


def test_missing_libreoffice_is_a_clear_message(tmp_path, capsys, monkeypatch, examples):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code = main(["render", str(example_paths(examples)[0]), "-o", str(tmp_path), "--pdf"])
    err = capsys.readouterr().err
    assert code == 1
    assert "未找到 LibreOffice" in err and "apt-get install -y libreoffice-writer-nogui" in err
    assert not list(tmp_path.glob("*.docx"))


def test_redacted_copy_hides_personal_data_everywhere(tmp_path, examples):
    out = tmp_path / "out"
    assert main(["render", *map(str, example_paths(examples)), "-o", str(out), "--redact", "--pdf"]) == 0
    copies = sorted(out.glob("*_公开版.docx"))
    assert len(copies) == 3
    for copy in copies:
        with zipfile.ZipFile(copy) as package:  # every part: text, headers, metadata, alt text
            xml = "".join(package.read(n).decode("utf-8", "ignore") for n in package.namelist()
                          if n.endswith((".xml", ".rels")))
        text = xml + pdf_text(copy.with_suffix(".pdf"))
        for secret in ACCOUNTS + PHONES + ["张晓燕", "李建国", "王丽", "陈志强", "刘敏", "赵伟"]:
            assert secret not in text, (copy.name, secret)
        assert re.search(r"<dc:creator></dc:creator>|<dc:creator/>", xml)
        assert re.search(r"<cp:lastModifiedBy></cp:lastModifiedBy>|<cp:lastModifiedBy/>", xml)
    dig = (out / "重庆沙坪坝区顺达汽车维修有限公司_公开版.pdf")
    flat = re.sub(r"\s+", "", pdf_text(dig))
    assert "户号：5103****32" in flat
    assert "位于重庆市沙坪坝区井口镇井口工业园A区，" in flat  # the house number is gone
    assert "8号" not in flat.split("位于")[1][:30]


def test_redacted_sketch_draws_no_account_or_phone(examples):
    from casegen.case.redact import redact
    from casegen.outputs.sketch import SketchInput, draw_figure, drawn

    for path, account, phone in zip(example_paths(examples), ACCOUNTS, PHONES, strict=True):
        case = redact(read_case(path).case)
        figure = draw_figure(SketchInput.from_case(case))
        words = " ".join(t.get_text() for t in drawn(figure, "texts"))
        assert account not in words and phone not in words


def test_batch_with_a_broken_case_renders_the_rest(tmp_path, capsys):
    cases = copy_examples(tmp_path / "cases")
    broken = load_valid()
    broken["customer"]["account_no"] = "5109999999"
    broken["customer"]["address"] = "重庆市-沙坪坝区-井口镇-C区3号"
    broken["project"]["kind"] = "不知道"
    write_case(cases / "broken", broken)
    out = tmp_path / "out"
    code = main(["render", str(cases), "-o", str(out), "--jobs", "2"])
    captured = capsys.readouterr()
    assert code == 1
    assert len(list(out.glob("*.docx"))) == 3
    assert "共 4 个案例：生成 3 个，跳过 0 个" in captured.out and "失败 1 个" in captured.out
    assert "broken/case.yaml" in captured.err and "project.kind（工程类别）" in captured.err


def test_a_case_that_fails_while_rendering_does_not_stop_the_others(tmp_path, capsys, monkeypatch, examples):
    original = build.render_one

    def flaky(case_file, *args, **kwargs):
        if "九龙" in case_file.case.customer.name:
            raise OSError("磁盘已满（测试）")
        return original(case_file, *args, **kwargs)

    monkeypatch.setattr(build, "render_one", flaky)  # worker processes fork with it
    out = tmp_path / "out"
    code = main(["render", *map(str, example_paths(examples)), "-o", str(out), "--jobs", "2"])
    captured = capsys.readouterr()
    assert code == 1
    assert sorted(p.name for p in out.glob("*.docx")) == [
        "重庆山城味道餐饮管理有限公司.docx", "重庆沙坪坝区顺达汽车维修有限公司.docx"]
    assert "磁盘已满（测试）" in captured.err
    assert "生成 2 个" in captured.out and "失败 1 个" in captured.out


def test_unchanged_cases_are_skipped_unless_forced(tmp_path, capsys):
    cases = copy_examples(tmp_path / "cases")
    out = tmp_path / "out"
    assert main(["render", str(cases), "-o", str(out), "--jobs", "1"]) == 0
    capsys.readouterr()
    assert main(["render", str(cases), "-o", str(out), "--jobs", "1"]) == 0
    assert "生成 0 个，跳过 3 个" in capsys.readouterr().out
    later = time.time() + 5
    first = next(cases.glob("01-*/case.yaml"))
    os.utime(first, (later, later))
    assert main(["render", str(cases), "-o", str(out)]) == 0
    assert "生成 1 个，跳过 2 个" in capsys.readouterr().out
    assert main(["render", str(cases), "-o", str(out), "--force"]) == 0
    assert "生成 3 个，跳过 0 个" in capsys.readouterr().out


def test_plain_progress_lines_when_not_on_a_terminal(tmp_path, examples):
    result = subprocess.run([sys.executable, "-m", "casegen", "render", *map(str, example_paths(examples)),
                             "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.count("已生成 ") == 3 and "\r" not in result.stdout + result.stderr


def _many_cases(folder: Path, count: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic import make_cases

    make_cases(folder, count, with_evidence=True)


def _documents(out: Path) -> int:
    return sum(not p.name.startswith(".") for p in out.glob("*.docx"))


def _all_documents_whole(out: Path) -> int:
    documents = [p for p in out.glob("*.docx") if not p.name.startswith(".")]
    for document in documents:
        with zipfile.ZipFile(document) as package:
            assert package.testzip() is None
            assert "word/document.xml" in package.namelist()
    return len(documents)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_killing_a_batch_midway_leaves_no_half_written_file(tmp_path, how):
    cases, out = tmp_path / "cases", tmp_path / "out"
    _many_cases(cases, 10)  # two workers, a few cases each: still mid-batch when the kill comes
    process = subprocess.Popen([sys.executable, "-m", "casegen", "render", str(cases), "-o", str(out),
                                "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and _documents(out) < 2:  # whole ones: a temporary ends in .docx too
        time.sleep(0.02)
    os.killpg(process.pid, how)  # the whole batch: parent and workers
    process.wait(timeout=60)
    written = _all_documents_whole(out)
    assert 0 < written < 10
    leftovers = [p for p in out.rglob("*") if ".tmp" in p.name]
    if how == signal.SIGTERM:
        assert leftovers == []  # cleaned on the way out
    else:  # only hidden temporaries, never a document under its real name
        assert all(p.name.startswith(".") for p in leftovers)
    # a SIGKILL cannot be caught: the next run removes what it left and finishes the batch
    assert main(["render", str(cases), "-o", str(out), "--jobs", "2"]) == 0
    assert [p for p in out.rglob("*") if ".tmp" in p.name] == []
    assert _all_documents_whole(out) == 10


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
def test_stopping_a_batch_while_its_workers_start_is_quiet(tmp_path, how):
    """Ctrl-C (or a service manager's SIGTERM) reaches the whole process group, workers too,
    often while they still import: exit 130, the sentence, no traceback from any worker."""
    cases, out = tmp_path / "cases", tmp_path / "out"
    _many_cases(cases, 12)
    process = subprocess.Popen([sys.executable, "-m", "casegen", "render", str(cases), "-o", str(out),
                                "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(0.9)  # the workers are importing matplotlib and docxtpl
    os.killpg(process.pid, how)
    told = process.communicate(timeout=60)[1].decode()
    assert process.returncode == 130, told
    assert "Traceback" not in told and "已中断" in told, told
    assert [p for p in out.rglob("*") if ".tmp" in p.name] == []


def test_a_switched_template_is_rendered_again_however_old_its_file(tmp_path, capsys, examples):
    """The skip rule compares times, and a template copied from elsewhere is older than the
    documents: the stamp in each document (casegen's version, the template's digest) decides."""
    from conftest import docx_text

    out = tmp_path / "out"
    case = str(example_paths(examples)[0])
    assert main(["render", case, "-o", str(out)]) == 0
    edited = tmp_path / "edited.docx"
    with zipfile.ZipFile(ROOT / "templates" / "case_template.docx") as source, \
            zipfile.ZipFile(edited, "w") as copy:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.decode().replace("附件3", "附件3（改）", 1).encode()
            copy.writestr(item, data)
    os.utime(edited, (time.time() - 3600, time.time() - 3600))  # older than the documents
    capsys.readouterr()
    assert main(["render", case, "-o", str(out), "--template", str(edited)]) == 0
    assert "生成 1 个，跳过 0 个" in capsys.readouterr().out
    assert "附件3（改）" in docx_text(next(out.glob("*.docx")))
    assert main(["render", case, "-o", str(out), "--template", str(edited)]) == 0
    assert "生成 0 个，跳过 1 个" in capsys.readouterr().out  # the same template: up to date
    assert main(["render", case, "-o", str(out)]) == 0  # back to the shipped one
    assert "生成 1 个，跳过 0 个" in capsys.readouterr().out
    assert "附件3（改）" not in docx_text(next(out.glob("*.docx")))


def test_a_worker_stopped_between_cases_leaves_quietly():
    """SIGTERM reaching a worker that waits for its next case: nothing to unwind, so it leaves at
    once, without the traceback an interruption in the pool's loop printed."""
    code = ("import os, signal, time\n"
            "from casegen.service import batch\n"
            "signal.signal(signal.SIGTERM, batch._worker_stop)\n"
            "os.kill(os.getpid(), signal.SIGTERM)\n"
            "time.sleep(10)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stderr == ""
