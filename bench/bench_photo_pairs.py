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

from casegen.checks.audit import SAME_DETAIL_LEVELS, SAME_GRADIENT_BITS, SAME_PICTURE_BITS, detail_difference
from casegen.checks.files import PhotoCache, examine


def facts(folder: Path, name: str) -> tuple[int, int]:
    problem, found = examine(folder, name, PhotoCache(None))
    assert problem is None, problem
    return found.phash, found.dhash


def bits(first: tuple[int, int], second: tuple[int, int]) -> tuple[int, int]:
    return bin(first[0] ^ second[0]).count("1"), bin(first[1] ^ second[1]).count("1")


def candidate(pair_bits: tuple[int, int]) -> bool:
    return pair_bits[0] <= SAME_PICTURE_BITS and pair_bits[1] <= SAME_GRADIENT_BITS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=200)
    args = parser.parse_args()
    labels = ("重新压缩 q70", "缩放 50%", "裁剪 2%", "施工前/施工后 同一位置")
    groups = {label: ([], []) for label in labels}  # label → (hash bits, detail levels)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        originals = []
        for seed in range(args.photos):
            image = site_photo(seed, size=(1600, 1200))
            path = save_photo(image, folder / f"{seed}.jpg")
            original = facts(folder, path.name)
            originals.append(original)
            others = {"重新压缩 q70": save_photo(image, folder / f"{seed}-q70.jpg", quality=70)}
            for label, variant in copies(image).items():
                others[label] = save_photo(variant, folder / f"{seed}-{label}.jpg")
            others["施工前/施工后 同一位置"] = save_photo(site_photo(seed, size=(1600, 1200), after=True),
                                                   folder / f"{seed}-after.jpg")
            for label, other in others.items():
                groups[label][0].append(bits(original, facts(folder, other.name)))
                groups[label][1].append(detail_difference(path, other))
        distinct = [bits(a, b) for i, a in enumerate(originals) for b in originals[i + 1:]]

    def spread(values, form="2d"):
        values = sorted(values)
        return f"{values[0]:{form}} / {values[len(values) // 2]:{form}} / {values[-1]:{form}}"

    print(f"thresholds: perceptual ≤ {SAME_PICTURE_BITS} and gradient ≤ {SAME_GRADIENT_BITS} bits make a "
          f"candidate; then worst-block grey levels ≤ {SAME_DETAIL_LEVELS} make it the same picture")
    print(f"{'pair (min / median / max)':26s} {'perceptual':14s} {'gradient':14s} detail")
    for label, (pair_bits, levels) in groups.items():
        print(f"{label:26s} {spread([b[0] for b in pair_bits]):14s} {spread([b[1] for b in pair_bits]):14s} "
              f"{spread(levels, '4.1f')}")
    print(f"{'distinct photos':26s} {spread([b[0] for b in distinct]):14s} {spread([b[1] for b in distinct]):14s} "
          f"(n={len(distinct)} pairs)")
    copies_found = [candidate(b) and d <= SAME_DETAIL_LEVELS for label in labels[:3]
                    for b, d in zip(*groups[label], strict=True)]
    before_after = [candidate(b) and d <= SAME_DETAIL_LEVELS for b, d in zip(*groups[labels[3]], strict=True)]
    print(f"copies found: {sum(copies_found)} of {len(copies_found)}; distinct pairs made candidates: "
          f"{sum(map(candidate, distinct))} of {len(distinct)}; before/after pairs called the same picture: "
          f"{sum(before_after)} of {len(before_after)}")


if __name__ == "__main__":
    main()
