"""The read path's row answers (`reading/rows.py` `PartFacts`) on an inbox of returns, per program that saved them.

    .venv/bin/python benchmarks/bench_rows.py INBOX [--rounds 3]

Every `.xlsx` of INBOX (a benchmark corpus's inbox, such as bench_pipeline.py's or bench_returns.py's) is read
into memory first; then, in one process and in the inbox's order (as an import meets them), each file's sheet
parts go through `PartFacts`, and the CPU time of each file is kept under the program that saved it
(docProps/app.xml: LibreOffice, or the others). Each round runs in a fresh process, alternating the numbered
keys on and off (`CCHC_XL_FAST_NUMBERED`): the rows of files that Excel or LibreOffice saved, whose styles and
shared strings are numbered anew in each file, are what they change. Median and mean per file, by program.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path


def _program(z: zipfile.ZipFile) -> str:
    try:
        app = z.read("docProps/app.xml")
    except KeyError:
        return "other"
    return "LibreOffice" if b"LibreOffice" in app else "other"


def _measure(inbox: Path) -> dict[str, list[float]]:
    from cchc_xl.reading import rows

    files = []
    for path in sorted(inbox.glob("*.xlsx")):
        with zipfile.ZipFile(path) as z:
            sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
            files.append((_program(z), sheets))
    times: dict[str, list[float]] = {}
    for program, sheets in files:
        start = time.process_time()
        for data in sheets:
            rows.PartFacts(data)
        times.setdefault(program, []).append(time.process_time() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inbox", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.inbox)))
        return
    print("| round | numbered keys | program | files | median ms | mean ms |")
    print("|---|---|---|---:|---:|---:|")
    for n in range(args.rounds):
        for switch in ("0", "1"):
            env = {**os.environ, "CCHC_XL_FAST_NUMBERED": switch}
            out = subprocess.run([sys.executable, __file__, str(args.inbox), "--child"], env=env, check=True,
                                 capture_output=True, text=True).stdout
            for program, times in sorted(json.loads(out).items()):
                print(f"| {n + 1} | {'on' if switch == '1' else 'off'} | {program} | {len(times)} | "
                      f"{statistics.median(times) * 1e3:.2f} | {statistics.mean(times) * 1e3:.2f} |")


if __name__ == "__main__":
    main()
