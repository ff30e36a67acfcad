"""Synthetic valid cases for the benchmarks: copies of the examples, each its own 户号 and address."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = ("0512034567", "5102998877", "5103765432")
EXAMPLES = ("01-无外线-山城味道餐饮", "02-有外线无掘路-九龙便民超市", "03-有外线有掘路-顺达汽修")  # ACCOUNTS' folders


def machine() -> str:
    return f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def timed_casegen(*arguments: object, env: dict | None = None) -> tuple[float, str]:
    """Wall time of `python -m casegen ARGUMENTS` and what it printed; a failure stops the bench
    with its output."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "casegen", *map(str, arguments)], capture_output=True, text=True,
                            env=env)
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    return elapsed, result.stdout


def make_cases(folder: Path, count: int, *, with_evidence: bool = False, kind: str = "") -> list[Path]:
    """`count` case files under `folder` (all three kinds, or the examples whose folder names
    `kind`, such as "有外线"); evidence copied along if asked."""
    import shutil

    # the examples by name: a user's own cases beside them in cases/ are not copied
    chosen = [(ROOT / "cases" / name / "case.yaml", account)
              for name, account in zip(EXAMPLES, ACCOUNTS, strict=True) if kind in name]
    sources, accounts = [path for path, _ in chosen], [account for _, account in chosen]
    texts = [p.read_text(encoding="utf-8") for p in sources]
    paths = []
    for n in range(count):
        which = n % len(texts)
        text = texts[which].replace(accounts[which], f"{7000000000 + n}")
        text = text.replace("号\n", f"号附{n}号\n", 1)
        text = text.replace("name: 重庆", f"name: 重庆{n}号", 1)
        case_dir = folder / f"case-{n:05d}"
        case_dir.mkdir(parents=True)
        (case_dir / "case.yaml").write_text(text, encoding="utf-8")
        if with_evidence:
            shutil.copytree(sources[which].parent / "evidence", case_dir / "evidence")
        paths.append(case_dir / "case.yaml")
    return paths


def site_photo(seed: int, *, size: tuple[int, int] = (1600, 1200), after: bool = False):
    """A drawn street scene, different in layout for every seed: sky, buildings with windows,
    a road, poles and lines, camera noise. `after` adds a meter box and a service line, as the
    施工后 photo of the same spot would."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(seed)
    final = size
    width, height = size = (min(size[0], 640), min(size[0], 640) * size[1] // size[0])  # drawn small, then enlarged

    def colour(low=0, high=256):
        return tuple(int(c) for c in rng.integers(low, high, 3))

    image = Image.new("RGB", size, colour(120, 240))
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.25, 0.6))
    for _ in range(rng.integers(1, 4)):  # buildings
        left = int(rng.uniform(-0.2, 0.8) * width)
        right = left + int(rng.uniform(0.2, 0.7) * width)
        top = int(rng.uniform(0.05, 0.5) * height)
        draw.rectangle([left, top, right, height], fill=colour(60, 230))
        window, step = colour(20, 200), int(rng.integers(40, 140))
        for x in range(left + 20, right - 40, step):
            for y in range(top + 20, horizon + height // 4, step):
                draw.rectangle([x, y, x + step // 2, y + step // 2], fill=window)
    road_top = int(height * rng.uniform(0.7, 0.9))
    draw.rectangle([0, road_top, width, height], fill=colour(60, 140))
    for _ in range(rng.integers(1, 3)):  # poles and lines
        x = int(rng.uniform(0.05, 0.95) * width)
        draw.rectangle([x, int(height * 0.1), x + 18, road_top], fill=colour(40, 140))
        draw.line([0, int(height * rng.uniform(0.1, 0.3)), x, int(height * 0.12)], fill=(30, 30, 30), width=4)
    for _ in range(rng.integers(3, 9)):  # clutter: cars, trees, signs
        x, y = int(rng.uniform(0, width)), int(rng.uniform(horizon, height))
        w, h = int(rng.uniform(0.03, 0.2) * width), int(rng.uniform(0.03, 0.15) * height)
        draw.ellipse([x, y, x + w, y + h], fill=colour())
    if after:
        box = (int(width * 0.7), int(height * 0.4))
        draw.rectangle([*box, box[0] + width // 12, box[1] + height // 8], fill=(170, 175, 180),
                       outline=(50, 50, 50), width=5)
        draw.line([0, int(height * 0.15), *box], fill=(20, 20, 20), width=5)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    noise = rng.normal(0, 6, (height, width, 3))
    pixels = np.asarray(image, dtype=np.float32) + noise
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    return image if image.size == final else image.resize(final, Image.Resampling.BICUBIC)


def save_photo(image, path: Path, *, taken: str | None = None, original: str | None = None,
               quality: int = 88) -> Path:
    """Save as JPEG with EXIF times as a camera writes them ("2025:05:09 10:30:00"): `original`
    in DateTimeOriginal, `taken` in DateTime."""
    from PIL import Image

    exif = Image.Exif()
    if taken:
        exif[0x0132] = taken
    if original:
        exif.get_ifd(0x8769)[0x9003] = original
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="JPEG", quality=quality, exif=exif)
    return path


def copies(image) -> dict:
    """The near-copies an auditor must still catch: half size, re-encoded at quality 70 (done
    by save_photo's caller), cropped 2 % off the left and top."""
    width, height = image.size
    return {
        "缩放 50%": image.resize((width // 2, height // 2)),
        "裁剪 2%": image.crop((int(width * 0.02), int(height * 0.02), width, height)),
    }
