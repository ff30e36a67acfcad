"""`casegen check` of a large folder: 500 cases with 4 photos each (target: at most 20 s).

    python bench/bench_check.py [--cases 500] [--photos 4]

Each case is a copy of example 03 with papers of its own and distinct 1600 × 1200 JPEG photos
carrying EXIF times (bench/synthetic.site_photo). Prints the time of a first check (photo cache
empty: every photo decoded once) and of a second one (cache warm: only the SHA-256 of every file
is read again), with the ratio to the target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import ROOT, save_photo, site_photo

TARGET_S = 20.0


def make_case(job: tuple[Path, int, int]) -> None:
    folder, number, photos = job
    source = ROOT / "cases" / "03-有外线有掘路-顺达汽修"
    shutil.copytree(source, folder)
    text = (source / "case.yaml").read_text(encoding="utf-8")
    text = text.replace("5103765432", f"{7000000000 + number}").replace("A区8号", f"A区{number}号")
    text = text.replace("name: 重庆沙坪坝区顺达", f"name: 重庆{number}号顺达", 1)
    head, _, _ = text.partition("  photos:\n")
    lines = []
    for k in range(photos):
        stage, day = ("施工前", "2025:05:09") if k % 2 == 0 else ("施工后", "2025:05:14")
        name = f"evidence/photo{k}.jpg"
        save_photo(site_photo(number * photos + k, size=(1600, 1200)), folder / name,
                   original=f"{day} 1{k}:00:00")
        lines.append(f"    - {{file: {name}, stage: {stage}, marks: [{{label: 计量表箱, at: [0.7, 0.4]}}]}}")
    callback = text[text.index("callback:"):]
    (folder / "case.yaml").write_text(head + "  photos:\n" + "\n".join(lines) + "\n" + callback, encoding="utf-8")
    for paper in (folder / "evidence").glob("*.pdf"):  # each case its own papers
        paper.write_bytes(paper.read_bytes() + f"% case {number}\n".encode())
    for old in ("施工前.jpg", "施工后.jpg"):
        (folder / "evidence" / old).unlink()
    screenshot = folder / "evidence" / "SG186受理截图.png"
    screenshot.write_bytes(screenshot.read_bytes() + number.to_bytes(4, "big"))  # after IEND: still a PNG


def timed_check(folder: Path, cache: Path) -> tuple[float, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "casegen", "check", str(folder)], env=env,
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, result.stdout.strip().splitlines()[-1] if result.stdout else result.stderr[-500:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--photos", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, cache = Path(tmp) / "cases", Path(tmp) / "cache"
        start = time.perf_counter()
        with Pool(os.cpu_count()) as pool:
            pool.map(make_case, [(folder / f"case-{n:04d}", n, args.photos) for n in range(args.cases)])
        print(f"made {args.cases} cases × {args.photos} photos in {time.perf_counter() - start:.0f} s")
        for label in ("first check (photo cache empty)", "second check (photo cache warm)"):
            elapsed, summary = timed_check(folder, cache)
            print(f"{label}: {elapsed:.1f} s = {elapsed / TARGET_S:.2f} × the {TARGET_S:.0f} s target "
                  f"({elapsed / (args.cases * args.photos) * 1000:.1f} ms a photo) — {summary}")


if __name__ == "__main__":
    main()
