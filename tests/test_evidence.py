"""实证材料: which items a case needs, bad files as findings, marked photo copies, `casegen check`."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import tempfile
from pathlib import Path

import pytest
from conftest import docx_text, example_paths, load_valid, write_case
from PIL import Image

from casegen.case.calendar import WorkCalendar
from casegen.case.model import Mark
from casegen.case.reading import read_case
from casegen.checks.evidence import BROKEN, MISSING, NOT_APPLICABLE, PROVIDED, checklist
from casegen.checks.files import inspect_file
from casegen.cli import main
from casegen.outputs.photos import prepare_photo
from casegen.service.cases import assess
from casegen.service.evidence import check_evidence

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def with_evidence(tmp_path, data: dict, files: dict[str, bytes]):
    for name, blob in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(blob)
    return assess(write_case(tmp_path, data), WorkCalendar())


def jpeg_bytes(size=(400, 300), colour=(120, 160, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def items_by_name(case_file):
    return {i.name: i for i in checklist(case_file.case, case_file.path.parent,
                                         has_works=case_file.facts.has_works)}


def test_the_system_orders_are_named_in_the_templates_words(tmp_path):
    items = items_by_name(with_evidence(tmp_path, load_valid(), {}))
    assert [name for name, i in items.items() if i.group == "系统工单"] == SYSTEM
    assert all(i.status == MISSING and i.required for i in items.values()
               if i.group == "系统工单")


def test_no_works_means_no_estimate_and_no_permit(tmp_path, examples):
    case_file = assess(example_paths(examples)[0], WorkCalendar())
    items = items_by_name(case_file)
    for name in ("工程概算封面", "编制说明", PERMIT):
        assert items[name].status == NOT_APPLICABLE and not items[name].required
    assert not any("工程简图" in n for n in items)
    photos = [i for i in items.values() if i.group == "现场图片"]
    assert [i.status for i in photos] == [PROVIDED, PROVIDED]  # 施工前 and 施工后, without works too
    assert [i.name.split("：")[0] for i in photos] == ["施工前图片", "施工后图片"]


def test_works_need_estimate_sketch_and_photos_before_and_after(tmp_path):
    data = load_valid()
    data["evidence"] = {"photos": [{"file": "after.jpg", "stage": "施工后"}]}
    items = items_by_name(with_evidence(tmp_path, data, {"after.jpg": jpeg_bytes()}))
    assert items["工程概算封面"].required and items["编制说明"].required
    assert items["工程简图（须包含工程量和建设资金）"].status == "自动生成"
    assert items["施工前图片"].status == MISSING and items["施工前图片"].required
    assert items["施工后图片"].status == PROVIDED


def test_a_permit_step_requires_its_papers_with_or_without_digging(tmp_path):
    data = load_valid()
    items = items_by_name(with_evidence(tmp_path / "dig", data, {}))
    assert items[PERMIT].required
    data = copy.deepcopy(load_valid())
    data["project"]["kind"] = "有外线无掘路"
    del data["grid"]["route"][2]["excavation_m"]  # a permit step of another kind: its papers too
    items = items_by_name(with_evidence(tmp_path / "other", data, {}))
    assert items[PERMIT].required and items[PERMIT].status == MISSING
    del data["timeline"]["permit"]  # no permit step: papers listed are welcome, not required
    data["evidence"] = {"permits": ["permit.pdf"]}
    items = items_by_name(with_evidence(tmp_path / "nodig", data, {"permit.pdf": PDF}))
    assert not items[PERMIT].required and items[PERMIT].status == PROVIDED


def _truncated_jpeg() -> bytes:
    blob = jpeg_bytes((800, 600))
    return blob[: len(blob) // 2]


def _bomb_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (12_000, 8_000)).save(buffer, format="PNG")  # 96 MP, a few kB on disk
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "blob", "expected"), [
    ("missing.pdf", None, "文件不存在"),
    ("truncated.jpg", "truncated", "已损坏或被截断"),
    ("garbage.jpg", b"\xff\xd8\xff" + os.urandom(500), "已损坏或被截断"),
    ("fake.png", PDF, "内容与扩展名 .png 不符"),
    ("empty.pdf", b"", "文件是空的"),
    ("bomb.png", "bomb", "图片过大"),
])
def test_bad_files_are_findings_not_crashes(tmp_path, name, blob, expected):
    if blob == "truncated":
        blob = _truncated_jpeg()
    elif blob == "bomb":
        blob = _bomb_png()
    if blob is not None:
        (tmp_path / name).write_bytes(blob)
    problem = inspect_file(tmp_path, name)
    assert problem is not None and expected in problem


def test_symlink_leaving_the_folder_is_a_finding(tmp_path):
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(PDF)
    case_dir = tmp_path / "case"
    (case_dir / "evidence").mkdir(parents=True)
    (case_dir / "evidence" / "link.pdf").symlink_to(outside)
    data = load_valid()
    data["evidence"] = {"system_orders": {"energizing": "evidence/link.pdf"}}
    case_file = assess(write_case(case_dir, data), WorkCalendar())
    items, findings = check_evidence(case_file)
    broken = [f for f in findings if f.rule == "evidence-broken"]
    assert len(broken) == 1 and "案例文件夹之外" in broken[0].message
    assert broken[0].key == "evidence.system_orders.energizing"
    assert next(i for i in items if i.name == "装表接电工单").status == BROKEN


def test_marks_are_drawn_on_a_copy_and_the_original_is_untouched(tmp_path):
    original = tmp_path / "photo.jpg"
    original.write_bytes(jpeg_bytes((800, 600), (120, 160, 200)))
    before = original.read_bytes()
    copy_path = tmp_path / "out" / "01.jpg"
    size = prepare_photo(original, copy_path, [Mark(label="表箱", at=[0.5, 0.5], shape="box"),
                                              Mark(label="新建线路", at=[0.8, 0.2])])
    assert original.read_bytes() == before
    assert size == (800, 600)
    marked = Image.open(copy_path).convert("RGB")
    plain = Image.open(original).convert("RGB")

    def reddish(pixel):
        r, g, b = pixel
        return r > 140 and r - g > 90 and r - b > 90  # red, allowing for JPEG noise

    # the box edge around the centre, and the arrow tip, are red on the copy only
    left_edge = (round(400 - 800 * 0.09), 300)
    assert reddish(marked.getpixel(left_edge)) and not reddish(plain.getpixel(left_edge))
    tip = (640, 120)
    near = [marked.getpixel((tip[0] + dx, tip[1] + dy)) for dx in range(-4, 5) for dy in range(-4, 5)]
    assert any(reddish(p) for p in near)
    assert marked.getpixel((10, 590)) == pytest.approx(plain.getpixel((10, 590)), abs=6)


def test_photo_is_turned_upright_and_resized(tmp_path):
    sideways = Image.new("RGB", (3000, 4000), (90, 90, 90))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: shown turned by 90°
    source = tmp_path / "phone.jpg"
    sideways.save(source, exif=exif)
    size = prepare_photo(source, tmp_path / "copy.jpg")
    assert size == (1600, 1200)
    assert Image.open(tmp_path / "copy.jpg").size == (1600, 1200)


def test_check_finds_the_incomplete_example_and_only_it(capsys, examples):
    assert main(["check", str(examples)]) == 1
    out = capsys.readouterr().out
    failing = [ln for ln in out.splitlines() if ln.startswith("✗")]
    assert len(failing) == 1 and "九龙便民超市" in failing[0]
    assert "缺少 工程建设内容·编制说明" in out and "缺少 现场图片·施工前图片" in out
    assert "共 3 个案例：2 个实证材料齐全、核查无误，1 个有问题或无法读取" in out
    assert main(["validate", str(example_paths(examples)[1])]) == 0  # evidence is check's job


def test_check_json_and_csv(capsys, examples):
    assert main(["check", str(examples), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [c["complete"] for c in report["cases"]] == [True, False, True]
    assert main(["check", str(examples), "--csv"]) == 1
    text = capsys.readouterr().out
    assert text.startswith("\ufeff")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][:6] == ["案例文件", "户名", "类别", "材料", "是否必需", "状态"]
    missing = [r for r in rows[1:] if r[5] == "缺失"]
    assert {r[3] for r in missing} == {"编制说明", "施工前图片"}


def test_check_exit_0_when_complete(capsys, examples):
    assert main(["check", str(example_paths(examples)[0]), str(example_paths(examples)[2])]) == 0


def test_checklist_and_photos_in_the_document(tmp_path, examples):
    assert main(["render", str(example_paths(examples)[1]), "-o", str(tmp_path)]) == 0
    text = docx_text(next(tmp_path.glob("*.docx")))
    assert "本案例尚有 2 项必需的实证材料缺失或有问题" in text
    assert "工程建设内容 | 编制说明 | 缺失 | —" in text
    sketch_row = "工程建设内容 | 工程简图（须包含工程量和建设资金） | 自动生成 | "
    assert sketch_row + "重庆九龙便民超市有限公司_\n工程建设简图.png" in text  # the real file, broken at "_"
    assert "\u200b" not in text  # no invisible characters in a name a reader may copy
    assert "evidence/" not in text  # names, not paths
    assert "附：现场图片" in text and "图 1　施工后：新立6号杆至表箱的架空线及表箱" in text
    assert (tmp_path / "重庆九龙便民超市有限公司_现场图片" / "01.jpg").is_file()
    assert read_case(example_paths(examples)[1]).case.evidence.photos[0].file == "evidence/施工后.jpg"


# the seed's 附件3 五, written out: (channel, kind) → the names of the required items, in its words
SYSTEM = ["客户申请（线下申请的须提供客户签字或鲜章的申请报告）",
          "受理申请工单（线下申请的提供 SG186 截图、线上申请的提供掌电截图）", "供电方案工单", "装表接电工单"]
SKETCH = "工程简图（须包含工程量和建设资金）"
PERMIT = "行政审批表、单据或相关政府部门的意见回复等"
PHOTOS = ["施工前图片", "施工后图片"]  # 通知四（二）3：“现场施工前后图片”


def required_names(channel: str, kind: str) -> list[str]:
    data = load_valid()
    data["application"]["channel"] = channel
    if kind == "无外线":
        data["project"]["kind"] = kind
        data["grid"]["route"] = [{"kind": "pole", "new": False}]
        data["grid"]["source"].update(new=False, capacity_kva=400)
        data["project"]["transformer"].update(action="无", new_capacity_kva=None, load_rate=0.2)
        del data["timeline"]["permit"], data["timeline"]["construction"]
    elif kind == "有外线无掘路":
        data["project"]["kind"] = kind
        del data["grid"]["route"][2]["excavation_m"], data["timeline"]["permit"]
    case = read_case(write_case(Path(tempfile.mkdtemp()), data)).case
    return [i.name for i in checklist(case, Path("."), has_works=case.project.kind.has_works)
            if i.required]


@pytest.mark.parametrize(("channel", "kind", "expected"), [
    ("供电营业厅", "有外线有掘路", [*SYSTEM, "工程概算封面", "编制说明", SKETCH, PERMIT, *PHOTOS]),
    ("行政服务大厅", "有外线无掘路", [*SYSTEM, "工程概算封面", "编制说明", SKETCH, *PHOTOS]),
    ("掌上电力", "无外线", [*SYSTEM, *PHOTOS]),
    ("渝快办", "无外线", [*SYSTEM, *PHOTOS]),
    ("网上国网", "有外线无掘路", [*SYSTEM, "工程概算封面", "编制说明", SKETCH, *PHOTOS]),
])
def test_the_exact_evidence_list_per_channel_and_kind(channel, kind, expected):
    assert required_names(channel, kind) == expected


def test_photos_must_mark_the_works_and_the_meter(tmp_path):
    data = load_valid()
    data["evidence"] = {"photos": [
        {"file": "before.jpg", "stage": "施工前"},
        {"file": "after.jpg", "stage": "施工后", "marks": [{"label": "新建电缆", "at": [0.5, 0.5]}]}]}
    case_file = with_evidence(tmp_path, data, {"before.jpg": jpeg_bytes(), "after.jpg": jpeg_bytes()})
    unmarked = [f for f in check_evidence(case_file)[1] if f.rule == "evidence-unmarked"]
    assert [f.key for f in unmarked] == ["evidence.photos[1]", "evidence.photos"]
    assert "第 1 张图片没有标注" in unmarked[0].message and "表计安装位置" in unmarked[1].message
    assert all(f.cls.value == "实证材料" for f in unmarked)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_check_csv_reads_back_as_excel_reads_it(encoding, examples):
    import subprocess
    import sys

    args = [sys.executable, "-m", "casegen", "check", str(examples), "--csv"]
    if encoding == "gbk":
        args += ["--csv-encoding", "gbk"]
    blob = subprocess.run(args, capture_output=True, check=False).stdout
    # Excel on a Chinese Windows: a BOM means UTF-8, no BOM means the system code page (GBK)
    text = blob[3:].decode("utf-8") if blob.startswith(b"\xef\xbb\xbf") else blob.decode("gbk")
    assert (encoding == "utf-8-sig") == blob.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["案例文件", "户名", "类别", "材料"]
    assert any(r[1] == "重庆九龙便民超市有限公司" and r[3] == "编制说明" for r in rows)


def test_a_listed_photo_is_required_evidence_so_a_broken_one_fails_check(tmp_path):
    data = load_valid()
    data["evidence"] = {"photos": [{"file": "p.jpg", "stage": "施工后",
                                    "marks": [{"label": "表箱", "at": [0.5, 0.5]}]}]}
    case_file = with_evidence(tmp_path, data, {"p.jpg": b"\xff\xd8\xff" + b"broken"})
    items, findings = check_evidence(case_file)
    photo = next(i for i in items if i.key == ("evidence", "photos", 0))
    assert photo.required and photo.status == BROKEN
    assert "evidence-broken" in [f.rule for f in findings]


def test_the_sketch_row_names_the_file_render_writes_and_counts_as_provided(examples):
    case_file = assess(example_paths(examples)[2], WorkCalendar())
    items, _ = check_evidence(case_file)
    sketch = next(i for i in items if i.name == SKETCH)
    assert sketch.file == "重庆沙坪坝区顺达汽车维修有限公司_工程建设简图.png"
    assert sketch.applicable and sketch.required and not sketch.is_gap


@pytest.mark.parametrize(("file", "shown"), [
    ("evidence/施工前.jpg", "施工前.jpg"),
    ("evidence\\申请_1.pdf", "申请_1.pdf"),  # short: one line, as it is
    ("重庆九龙便民超市有限公司_工程建设简图.png", "重庆九龙便民超市有限公司_\n工程建设简图.png"),
    ("重庆市沙坪坝区井口镇顺达汽车维修与美容服务有限责任公司_工程建设简图.png",
     "重庆市沙坪坝区井口镇顺达汽车维修与美容服务有限责任公司_\n工程建设简图.png"),
    # the 四号 column holds 10½ characters: each part that fills a line gets one
    ("scan_2025_05_14_受理申请工单_SG186.png", "scan_2025_05_14_\n受理申请工单_\nSG186.png"),
    ("许可_" + "很" * 30 + "_.pdf", "许可_" + "很" * 30 + "_.pdf"),  # no ".pdf" alone on a line
    ("_" * 40, "_" * 40),
    (None, "—"),
])
def test_file_names_in_the_table_break_after_an_underscore_only_when_too_long(file, shown):
    from casegen.outputs.document import _file_name

    assert _file_name(file) == shown
