"""Generation speed: blank commune workbooks of the bundled set, one core, against the straightforward way.

    .venv/bin/python benchmarks/bench_generate.py [--communes 1000] [--baseline 100]

Synthetic communes (codes 10000+i, Vietnamese names) are generated with `generate_one` (the set's
workbook rendered once, then per commune only its texts and signed metadata), then `--baseline` of them
the straightforward way (`generate_one_uncached`: every cell built and written by XlsxWriter for that
commune alone). Files go to a temporary folder. Prints a markdown table; `run(n)` returns the numbers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_settings, in_fresh_process, markdown, one_core, peak_rss_mb, summary, synthetic_communes, timed_each

from cchc_xl.criteria import load_set
from cchc_xl.workbook.generate import commune_package, generate_one, generate_one_uncached


def _phase(kind: str, n: int) -> dict[str, Any]:
    """One path on n communes, in its own process: per-workbook times and peak memory."""
    cpu = one_core()
    cset, settings = load_set(), bench_settings()
    communes = synthetic_communes(n)
    with tempfile.TemporaryDirectory(prefix="cchc-bench-gen-") as tmp:
        out = Path(tmp)
        started = time.perf_counter()
        if kind == "rendered_once":
            commune_package(cset, settings)  # once per criteria set and settings
            setup_ms = (time.perf_counter() - started) * 1000
            times = timed_each(lambda c: generate_one(cset, c, out, settings), communes)
        else:
            setup_ms = 0.0
            times = timed_each(lambda c: generate_one_uncached(cset, c, out, settings), communes)
    return {"cpu": cpu, "setup_ms": setup_ms, "workbooks": n, **summary(times), "peak_mb": peak_rss_mb()}


def run(n: int = 1000, baseline: int = 100) -> dict[str, Any]:
    """Both paths, each in a fresh process pinned to one core."""
    fast = in_fresh_process(_phase, "rendered_once", n)
    result: dict[str, Any] = {"cpu": fast.pop("cpu"), "communes": n, "setup_ms": fast.pop("setup_ms"),
                              "rendered_once": fast}
    if baseline > 0:
        slow = in_fresh_process(_phase, "straightforward", min(n, baseline))
        del slow["cpu"], slow["setup_ms"]
        result["straightforward"] = slow
        result["speedup"] = slow["mean_ms"] / fast["mean_ms"]
    return result


def report(result: dict[str, Any]) -> str:
    rows = [{"path": key, **result[key]} for key in ("rendered_once", "straightforward") if key in result]
    text = markdown(rows, ["path", "workbooks", "mean_ms", "p50_ms", "p95_ms", "peak_mb"])
    text += f"\n\nset-up once per set: {result['setup_ms']:.0f} ms; one core (CPU {result['cpu']})"
    if "speedup" in result:
        text += f"; straightforward / rendered once = {result['speedup']:.1f}x (mean)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=100, help="communes generated the straightforward way")
    args = parser.parse_args()
    print(report(run(args.communes, args.baseline)))


if __name__ == "__main__":
    main()
