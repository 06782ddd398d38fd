"""`appraise prepare` in-process: CPU ms per council workbook on a round's store (issue #16).

    .venv/bin/python benchmarks/bench_appraise.py --workspace ROUND [--communes N] [--jobs J] [--out DIR] [--profile]
                                                  [--compare DIR]

ROUND is a round folder (its `cchc-xl.toml`) whose store holds imported returns, e.g. a copy of the one
`bench_pipeline.py` leaves in DIR/pipeline-N/round (copy the folder and its store, and point the copy's
`store` at the copied store: this script writes only into --out, but never run it on a round you need).
The environment of bench_pipeline.py's commands is set here (its key, password, no approval check).
`--communes N`: the first N communes of the store only. `--profile`: cProfile, the 40 costliest functions
by cumulative time (the profile roughly doubles the CPU time; compare profiled runs with each other only).
`--jobs J`: J worker processes write the workbooks (`prepare(jobs=J)`, as `appraise prepare --jobs J`).
`--compare DIR`: the workbooks written are compared part for part with those of the same names in DIR (another
run's, e.g. of an earlier commit: `git archive` its src and templates, run them with PYTHONPATH); only the run's
time and the HMAC over it may differ.
Prints the workbooks written, CPU seconds (user + sys of this process and its workers) and CPU ms per workbook,
and the wall time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import resource
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import _env  # the pipeline's environment (its key and password)


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + sys) of this process, of its ended workers."""
    return tuple(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),  # type: ignore[return-value]
                                                    resource.getrusage(resource.RUSAGE_CHILDREN)))


_TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)?")
_HMAC = re.compile(rb"<t>[0-9a-f]{64}</t>")


def _parts(path: Path) -> dict[str, bytes]:
    """The workbook's parts, the times blanked; the metadata's last string (the HMAC over them) blanked too."""
    with zipfile.ZipFile(path) as z:
        parts = {name: _TIME.sub(b"T", z.read(name)) for name in z.namelist()}
    strings = parts.get("xl/sharedStrings.xml", b"")
    hmacs = _HMAC.findall(strings)
    if hmacs:
        parts["xl/sharedStrings.xml"] = strings.replace(hmacs[-1], b"<t>H</t>")
    return parts


def compare(written: list[Path], other: Path) -> int:
    """How many of `written` differ from their namesakes in `other` (each named)."""
    differ = 0
    for path in written:
        if not (other / path.name).exists() or _parts(path) != _parts(other / path.name):
            print(f"differs: {path.name}")
            differ += 1
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--communes", type=int, default=0, help="the first N communes only (0: all)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "cchc-xl-bench-appraise")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--compare", type=Path, help="a folder of workbooks to compare with, part for part")
    args = parser.parse_args()
    os.environ.update({k: v for k, v in _env().items() if k.startswith("CCHC_XL_")})

    from cchc_xl.appraisal.round import prepare
    from cchc_xl.workspace import open_workspace

    ws = open_workspace(args.workspace)
    store = ws.open_store()
    if args.communes:
        codes = store.commune_codes()[:args.communes]
        store.commune_codes = lambda: codes  # type: ignore[method-assign]  # the first N only (as prepare reads)
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    load = os.getloadavg()[0]
    profile = cProfile.Profile() if args.profile else None
    started, cpu = time.perf_counter(), _cpu()
    if profile is not None:
        profile.enable()
    prepared = prepare(store, ws.cset, args.out, ws.settings, jobs=args.jobs)
    written, skipped = prepared.written, prepared.skipped
    if profile is not None:
        profile.disable()
    (own, workers), wall = (a - b for a, b in zip(_cpu(), cpu, strict=True)), time.perf_counter() - started
    cpu = own + workers
    store.close()
    print(f"{len(written)} workbooks ({len(skipped)} skipped, {len(prepared.failed)} failed), --jobs {args.jobs}, "
          f"load {load:.1f}: CPU {cpu:.2f} s ({1000 * cpu / max(1, len(written)):.1f} ms a workbook; this process "
          f"{own:.2f} s, its workers {workers:.2f} s), wall {wall:.2f} s")
    if args.compare is not None:
        print(f"{compare(written, args.compare)} of {len(written)} differ from {args.compare}")
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
