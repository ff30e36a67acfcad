"""Write the reference pictures the sketch is compared against (tests/baseline/).

    python scripts/make_sketch_references.py

Run it after a deliberate change to the sketch, look at every picture, and commit them: the test
(tests/test_sketch.py) then fails on any unintended change beyond its tolerance.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tests" / "baseline"
DPI = 100  # enough to see a moved label; small enough to commit
# the bundled examples by name: a user's own cases beside them in cases/ get no reference picture
EXAMPLES = ("01-无外线-山城味道餐饮", "02-有外线无掘路-九龙便民超市", "03-有外线有掘路-顺达汽修")


def reference_pictures(cases: Path = ROOT / "cases") -> dict[str, object]:
    """Example folder name → the sketch's matplotlib figure, for the examples in `cases`."""
    from casegen.case.reading import read_case
    from casegen.outputs.sketch import SketchInput, draw_figure

    return {name: draw_figure(SketchInput.from_case(read_case(cases / name / "case.yaml").case))
            for name in EXAMPLES}


def main() -> None:
    BASELINE.mkdir(parents=True, exist_ok=True)
    for name, figure in reference_pictures().items():
        target = BASELINE / f"sketch-{name[:2]}.png"
        figure.savefig(target, dpi=DPI, metadata={"Software": None})
        print(target)


if __name__ == "__main__":
    main()
