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


def reference_pictures() -> dict[str, object]:
    """Example folder name → the sketch's matplotlib figure."""
    from casegen.case.reading import read_case
    from casegen.outputs.sketch import SketchInput, draw_figure

    return {path.parent.name: draw_figure(SketchInput.from_case(read_case(path).case))
            for path in sorted((ROOT / "cases").glob("*/case.yaml"))}


def main() -> None:
    BASELINE.mkdir(parents=True, exist_ok=True)
    for name, figure in reference_pictures().items():
        target = BASELINE / f"sketch-{name[:2]}.png"
        figure.savefig(target, dpi=DPI, metadata={"Software": None})
        print(target)


if __name__ == "__main__":
    main()
