"""Make the small evidence files of the example cases (placeholders: PDFs, screenshots, photos).

    python scripts/make_example_evidence.py

The photos are drawn, not taken: a wall, a meter box, a pole and lines, enough for the marks to
show. 九龙便民超市 is left incomplete on purpose (no 编制说明, no 施工前 photo) for `casegen check`.
Only the files a run does not find are written: the examples' existing files keep their bytes.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from casegen.outputs.fonts import pil_font

CASES = Path(__file__).resolve().parent.parent / "cases"


def pdf(path: Path, title: str) -> None:
    """A one-page PDF whose text names the document (ASCII: no font embedding needed)."""
    text = f"casegen example evidence: {title}".encode("ascii", "replace")
    stream = b"BT /F1 14 Tf 60 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R"
        b" >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)


def screenshot(path: Path, title: str, lines: list[str]) -> None:
    image = Image.new("RGB", (720, 480), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 720, 60], fill=(0, 122, 102))
    draw.text((20, 14), title, font=pil_font(26), fill="white")
    for row, line in enumerate(lines):
        draw.text((30, 90 + row * 44), line, font=pil_font(22), fill=(40, 40, 40))
    draw.text((30, 430), "示例截图（casegen 生成）", font=pil_font(16), fill=(150, 150, 150))
    image.save(path, optimize=True)


SCENES = {  # each site its own street: sky, wall, road and pole where they are there
    "民族路": {"sky": (186, 214, 235), "wall": ((520, 120, 960, 620), (214, 196, 170)),
              "road": (620, (110, 110, 110)), "pole": 90, "shop": (560, 160, (180, 40, 40)), "box": (749, 324)},
    "九龙": {"sky": (225, 228, 232), "wall": ((300, 200, 960, 650), (176, 190, 200)),
            "road": (650, (88, 84, 80)), "pole": 120, "shop": (340, 225, (30, 90, 160)), "box": (749, 324)},
    "井口": {"sky": (160, 190, 220), "wall": ((300, 60, 960, 560), (150, 150, 140)),
            "road": (560, (120, 116, 104)), "pole": 150, "shop": (420, 100, (60, 60, 60)), "box": (749, 288)},
}


def photo(path: Path, scene: str, *, after: bool, taken: str, digging: bool = False,
          rotate: bool = False) -> None:
    """A drawn street scene with the camera's EXIF time; `after` adds the new meter box and
    line."""
    plan = SCENES[scene]
    image = Image.new("RGB", (960, 720), plan["sky"])
    draw = ImageDraw.Draw(image)
    wall, colour = plan["wall"]
    draw.rectangle(wall, fill=colour)  # the customer's building
    for y in range(wall[1] + 20, wall[3], 40):
        draw.line([wall[0], y, wall[2], y], fill=tuple(c - 18 for c in colour), width=2)
    sign_x, sign_y, sign = plan["shop"]
    draw.rectangle([sign_x, sign_y, sign_x + 300, sign_y + 60], fill=sign)  # the shop sign
    road_top, road = plan["road"]
    draw.rectangle([0, road_top, 960, 720], fill=road)
    pole = plan["pole"]
    draw.rectangle([pole, 80, pole + 20, road_top], fill=(120, 110, 100))
    draw.line([0, 120, pole + 10, 110], fill=(30, 30, 30), width=3)
    box = (plan["box"][0] - 50, plan["box"][1] - 70)  # where the case file's marks point
    if after:
        draw.line([pole + 10, 110, box[0] + 20, box[1]], fill=(30, 30, 30), width=3)
        draw.rectangle([*box, box[0] + 100, box[1] + 140], fill=(170, 175, 180), outline=(60, 60, 60), width=4)
        draw.rectangle([box[0] + 20, box[1] + 20, box[0] + 80, box[1] + 60], fill=(230, 240, 240))
    if digging:
        draw.rectangle([240, 640, 440, 700], fill=(70, 60, 50) if not after else (140, 140, 140))
    exif = Image.Exif()
    exif[0x0132] = taken
    exif.get_ifd(0x8769)[0x9003] = taken  # DateTimeOriginal, as a camera writes it
    if rotate:  # stored sideways with an EXIF orientation, as phones do
        image = image.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6
    image.save(path, quality=82, exif=exif)


def main() -> None:
    plans = {
        "01-无外线-山城味道餐饮": {
            "申请书.pdf": "application", "供电方案工单.pdf": "supply plan",
            "装表接电工单.pdf": "energizing order",
        },
        "02-有外线无掘路-九龙便民超市": {
            "申请书.pdf": "application", "供电方案工单.pdf": "supply plan",
            "装表接电工单.pdf": "energizing order", "概算封面.pdf": "estimate cover",
        },
        "03-有外线有掘路-顺达汽修": {
            "申请报告（签字盖章）.pdf": "signed application", "供电方案工单.pdf": "supply plan",
            "装表接电工单.pdf": "energizing order", "概算封面.pdf": "estimate cover",
            "编制说明.pdf": "estimate notes", "城市道路挖掘许可.pdf": "road excavation permit",
        },
    }
    for case, pdfs in plans.items():
        folder = CASES / case / "evidence"
        folder.mkdir(parents=True, exist_ok=True)
        for name, title in pdfs.items():  # each case's own papers: no two files alike
            pdf(folder / name, f"{title}, case {case[:2]}")
    screenshot(CASES / "01-无外线-山城味道餐饮/evidence/掌上电力受理截图.png", "掌上电力 · 业务受理",
               ["户名：重庆山城味道餐饮管理有限公司", "业务类型：低压非居民新装", "受理时间：2024-09-29"])
    screenshot(CASES / "02-有外线无掘路-九龙便民超市/evidence/渝快办受理截图.png", "渝快办 · 办件受理",
               ["申请人：重庆九龙便民超市有限公司", "事项：低压小微企业用电报装", "受理时间：2025-03-10"])
    screenshot(CASES / "03-有外线有掘路-顺达汽修/evidence/SG186受理截图.png", "SG186 营销业务应用",
               ["户号：5103765432", "业务类型：低压非居民增容", "受理时间：2025-04-28"])
    photo(CASES / "01-无外线-山城味道餐饮/evidence/表箱安装前.jpg", "民族路", after=False,
          taken="2024:09:30 10:12:40")  # the survey: 施工前 photos of the wall, as 通知四（二）3 asks
    photo(CASES / "01-无外线-山城味道餐饮/evidence/表箱安装后.jpg", "民族路", after=True,
          taken="2024:10:08 15:20:11")
    photo(CASES / "02-有外线无掘路-九龙便民超市/evidence/施工后.jpg", "九龙", after=True, rotate=True,
          taken="2025:03:19 16:05:42")
    photo(CASES / "03-有外线有掘路-顺达汽修/evidence/施工前.jpg", "井口", after=False, digging=True,
          taken="2025:05:09 10:31:07")
    photo(CASES / "03-有外线有掘路-顺达汽修/evidence/施工后.jpg", "井口", after=True, digging=True,
          taken="2025:05:14 17:42:30")


if __name__ == "__main__":
    main()
