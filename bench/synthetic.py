"""Synthetic valid cases for the benchmarks: copies of the examples, each its own 户号 and address."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = ("0512034567", "5102998877", "5103765432")


def make_cases(folder: Path, count: int, *, with_evidence: bool = False) -> list[Path]:
    """`count` case files under `folder` (all three kinds); evidence copied along if asked."""
    import shutil

    sources = sorted(ROOT.glob("cases/*/case.yaml"))
    texts = [p.read_text(encoding="utf-8") for p in sources]
    paths = []
    for n in range(count):
        which = n % len(texts)
        text = texts[which].replace(ACCOUNTS[which], f"{7000000000 + n}")
        text = text.replace("号\n", f"号附{n}号\n", 1)
        text = text.replace("name: 重庆", f"name: 重庆{n}号", 1)
        case_dir = folder / f"case-{n:05d}"
        case_dir.mkdir(parents=True)
        (case_dir / "case.yaml").write_text(text, encoding="utf-8")
        if with_evidence:
            shutil.copytree(sources[which].parent / "evidence", case_dir / "evidence")
        paths.append(case_dir / "case.yaml")
    return paths
