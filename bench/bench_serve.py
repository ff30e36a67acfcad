"""The workbench's answers after the first request (medians): revalidating one case as it is
typed in (target 50 ms), the sketch preview (150 ms) and the .docx download (300 ms).

    python bench/bench_serve.py [--runs 20]

In-process (Starlette's test client), over a copy of example 03: the time of the handler,
not of a network.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from starlette.testclient import TestClient  # noqa: E402
from test_serve import FormValues  # noqa: E402

from casegen.web.app import create_app  # noqa: E402

CASE = "03-有外线有掘路-顺达汽修/case.yaml"
TARGETS = {"revalidate": 0.050, "sketch": 0.150, "sketch (unchanged)": 0.150, "docx": 0.300,
           "save (with history)": 0.100}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cases"
        shutil.copytree(ROOT / "cases", folder)
        client = TestClient(create_app(folder), base_url="http://localhost")
        page = client.get(f"/case/{CASE}").text
        values = FormValues()
        HTMLParser.feed(values, page)
        form = dict(values.pairs)
        headers = {"X-CSRF-Token": re.search(r'name="csrf" content="([^"]+)"', page).group(1)}
        lengths = iter(range(66, 10_000))

        def sketch_changed():
            # the route's length edited: what the sketch shows changed, it is drawn again
            return client.post(f"/case/{CASE}/sketch", headers=headers,
                               data={**form, "grid.route.2.length_m": str(next(lengths))})

        phones = iter(range(10_000, 99_999))
        opened = {"digest": form["digest"]}

        def save_changed():
            # a field changed and saved: the file written and its history entry appended (fsync'd)
            answer = client.post(f"/case/{CASE}/save", headers=headers,
                                 data={**form, "digest": opened["digest"], "customer.phone": f"023-6{next(phones)}"})
            opened["digest"] = answer.json()["digest"]
            return answer

        calls = {
            "revalidate": lambda: client.post(f"/case/{CASE}/check", data=form, headers=headers),
            "sketch": sketch_changed,
            "sketch (unchanged)": lambda: client.post(f"/case/{CASE}/sketch", data=form, headers=headers),
            "docx": lambda: client.get(f"/case/{CASE}/document.docx"),
            "save (with history)": save_changed,
        }
        for name, call in calls.items():
            assert call().status_code == 200  # the first request: imports, fonts, caches
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                call()
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            print(f"{name:18s} median {median * 1000:6.1f} ms over {args.runs} "
                  f"(target {TARGETS[name] * 1000:.0f} ms, ratio {median / TARGETS[name]:.2f})")


if __name__ == "__main__":
    main()
