"""How far apart the perceptual hashes of copies and of distinct photos lie: the measurement
behind audit.SAME_PICTURE_BITS.

    python bench/bench_photo_pairs.py [--photos 200]

Draws distinct street scenes (bench/synthetic.site_photo), makes of each a half-size copy, a
quality-70 re-encoding and a 2 % crop, and the 施工后 photo of the same spot (a meter box and a
line added). Prints the distribution of the distances in each group and the margin either
side of the threshold.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import copies, save_photo, site_photo

from casegen.audit import SAME_DETAIL_LEVELS, SAME_PICTURE_BITS, detail_difference
from casegen.files import PhotoCache, examine


def facts(folder: Path, name: str):
    problem, found = examine(folder, name, PhotoCache(None))
    assert problem is None, problem
    return found.phash


def bits(first: int, second: int) -> int:
    return bin(first ^ second).count("1")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        originals = []
        groups = {"重新压缩 q70": ([], []), "缩放 50%": ([], []), "裁剪 2%": ([], []),
                  "施工前/施工后 同一位置": ([], [])}  # label → (hash bits, detail levels)
        for seed in range(args.photos):
            image = site_photo(seed, size=(1280, 960))
            path = save_photo(image, folder / f"{seed}.jpg")
            original = facts(folder, path.name)
            originals.append(original)
            others = {"重新压缩 q70": save_photo(image, folder / f"{seed}-q70.jpg", quality=70)}
            for label, variant in copies(image).items():
                others[label] = save_photo(variant, folder / f"{seed}-{label}.jpg")
            others["施工前/施工后 同一位置"] = save_photo(site_photo(seed, size=(1280, 960), after=True),
                                                   folder / f"{seed}-after.jpg")
            for label, other in others.items():
                groups[label][0].append(bits(original, facts(folder, other.name)))
                groups[label][1].append(detail_difference(path, other))
        distinct = sorted(bits(a, b) for i, a in enumerate(originals) for b in originals[i + 1:])

    def spread(values, form="2d"):
        values = sorted(values)
        return (f"min {values[0]:{form}}  median {values[len(values) // 2]:{form}}  "
                f"max {values[-1]:{form}}")

    print(f"thresholds: hash bits ≤ {SAME_PICTURE_BITS}, then worst-block grey levels ≤ {SAME_DETAIL_LEVELS}")
    print(f"{'pair':24s} {'hash bits (of 64)':32s} detail (grey levels)")
    for label, (hash_bits, levels) in groups.items():
        print(f"{label:24s} {spread(hash_bits):32s} {spread(levels, '5.1f')}")
    print(f"{'distinct photos':24s} {spread(distinct):32s} (n={len(distinct)} pairs)")
    copies_found = all(b <= SAME_PICTURE_BITS and d <= SAME_DETAIL_LEVELS
                       for label, (hash_bits, levels) in groups.items() if not label.startswith("施工前")
                       for b, d in zip(hash_bits, levels, strict=True))
    before_after = groups["施工前/施工后 同一位置"]
    wrongly_same = sum(b <= SAME_PICTURE_BITS and d <= SAME_DETAIL_LEVELS for b, d in zip(*before_after, strict=True))
    print(f"every copy found: {copies_found}; distinct pairs within {SAME_PICTURE_BITS} bits: "
          f"{sum(d <= SAME_PICTURE_BITS for d in distinct)}; before/after pairs called the same picture: "
          f"{wrongly_same} of {len(before_after[0])}")


if __name__ == "__main__":
    main()
