"""Import speed: filled commune workbooks (no evidence), one core, against reading them with openpyxl.

    .venv/bin/python benchmarks/bench_import.py [--communes 1000] [--baseline 100] [--dir DIR]

The corpus is made once and kept in DIR (default: the system temp folder): a blank workbook per synthetic
commune (codes 10000+i), filled by defined names with openpyxl as a commune's spreadsheet program
would (scores or figures, explanations, three evidence rows). Then `run_import` reads the inbox on one
core, releasing each result as the command does; per-workbook times come from its progress callback,
memory from the peak RSS at N/2 and at N (flat memory: the two stay close). The straightforward
baseline is the same import of `--baseline` files with the workbook structure read by openpyxl's full
load (the reader used before), and reading alone is timed both ways. Prints a markdown table; `run(n)` returns the numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    bench_settings,
    corpus_key,
    in_fresh_process,
    markdown,
    one_core,
    peak_rss_mb,
    summary,
    synthetic_commune,
    synthetic_communes,
    timed_each,
)

from cchc_xl.communes import Commune
from cchc_xl.criteria import load_set
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.importing.run import run_import
from cchc_xl.reading import book
from cchc_xl.samplegen.values import valid_values
from cchc_xl.workbook.generate import generate_one

CORPUS_VERSION = 2  # 2: declared values from cchc_xl.samplegen.values.valid_values


# -- the corpus ----------------------------------------------------------------------------------------
def fill(blank: Path, target: Path, cset: CriteriaSet, seed: int) -> None:
    import openpyxl

    rng = random.Random(seed)
    wb = openpyxl.load_workbook(blank)

    def cell(name: str) -> Any:
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        return wb[sheet][ref.replace("$", "")]

    codes = []
    for leaf in cset.commune_leaves():
        key, values = leaf.name_key, valid_values(leaf, rng)
        assert leaf.rule is not None
        if leaf.rule.computed:
            for i, v in enumerate(values, start=1):
                cell(f"KK_{key}_{i}").value = v
        else:
            cell(f"TDG_{key}").value = values[0]
        cell(f"GT_{key}").value = "Đã thực hiện, có văn bản lưu tại văn phòng UBND."
        codes.append(leaf.code)
    sheet, ref = next(iter(wb.defined_names["TLKC"].destinations))
    first = int("".join(ch for ch in ref.split(":")[0] if ch.isdigit()))
    ws = wb[sheet]
    for i, code in enumerate(rng.sample(codes, 3)):
        row = [code, f"{10 + i}/KH-UBND", dt.datetime(2022, 3, 1 + i), "UBND xã", "Kế hoạch thực hiện", f"{10 + i}-KH.pdf"]
        for j, v in enumerate(row):
            ws.cell(row=first + i, column=j + 1, value=v)
    wb.save(target)


def _make(args: tuple[int, int, str]) -> None:
    index, _, folder = args
    cset, settings = load_set(), bench_settings()
    commune = synthetic_commune(index)
    inbox = Path(folder)
    blank = generate_one(cset, commune, inbox.parent / "blank", settings)
    fill(blank, inbox / blank.name, cset, seed=index)


def corpus(n: int, root: Path) -> Path:
    """The inbox of n filled workbooks, made once (both cores) and reused."""
    inbox = root / f"v{CORPUS_VERSION}-{corpus_key()}-{n}" / "inbox"
    if inbox.is_dir() and len(list(inbox.glob("*.xlsx"))) == n:
        return inbox
    shutil.rmtree(inbox.parent, ignore_errors=True)
    inbox.mkdir(parents=True)
    print(f"making {n} filled workbooks into {inbox} …", file=sys.stderr)
    with ProcessPoolExecutor() as pool:
        list(pool.map(_make, [(i, n, str(inbox)) for i in range(n)], chunksize=20))
    return inbox


# -- the measurement ---------------------------------------------------------------------------------
def timed_import(inbox: Path, communes: list[Commune]) -> tuple[list[float], dict[str, float], dict[str, int]]:
    """Per-file wall times of run_import (from its progress callback) and the peak RSS at N/2 and N."""
    cset, settings = load_set(), bench_settings()
    files = len(list(inbox.glob("*.xlsx")))
    times: list[float] = []
    rss: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(_: Any) -> None:
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now
        if len(times) == files // 2:
            rss["half"] = peak_rss_mb()

    last[0] = time.perf_counter()
    # Each result released after it is made, as `cchc-xl import` does once the file's outputs are written
    # (the outputs are not timed here: benchmarks/run.py times the whole command).
    result = run_import(inbox, cset, settings, communes, progress=progress, sink=lambda _r: None)
    rss["end"] = peak_rss_mb()
    statuses: dict[str, int] = {}
    for r in result.results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return times, rss, statuses


def _phase(kind: str, inbox: Path, n: int) -> dict[str, Any]:
    """One reader on the inbox, in its own process: the import's per-workbook times, peak memory at N/2
    and N, and read_book alone on the first files."""
    cpu = one_core()
    if kind == "openpyxl":
        # the reader used before: openpyxl's full load (the parts the container check inflated unused)
        book._read_structure = lambda b, _parts=None, data=None: book._read_structure_openpyxl(b, data)
    communes = synthetic_communes(n)
    files = sorted(inbox.glob("*.xlsx"))
    for f in files:  # from the OS file cache, as the other path
        f.read_bytes()
    warm = inbox.parent / f"warm-{kind}"  # the per-set templates, made once per process
    shutil.rmtree(warm, ignore_errors=True)
    warm.mkdir()
    shutil.copy(files[0], warm)
    run_import(warm, load_set(), bench_settings(), communes)
    times, rss, statuses = timed_import(inbox, communes)
    reading = timed_each(lambda f: book.read_book(f, "xlsx"), files[:100])
    return {"cpu": cpu, "statuses": statuses, "import": {"workbooks": len(times), **summary(times), "peak_mb": rss["end"]},
            "read": {"workbooks": len(reading), **summary(reading)}, "peak_mb_half": rss.get("half", rss["end"])}


def run(n: int = 1000, baseline: int = 100, root: Path | None = None) -> dict[str, Any]:
    """The streaming reader on n workbooks and openpyxl's on `baseline` of them, each in a fresh process."""
    inbox = corpus(n, root or Path(tempfile.gettempdir()) / "cchc-xl-bench-import")
    fast = in_fresh_process(_phase, "streaming", inbox, n)
    result: dict[str, Any] = {"cpu": fast["cpu"], "workbooks": n, "statuses": fast["statuses"],
                              "streaming": fast["import"], "read_streaming": fast["read"],
                              "peak_mb_half": fast["peak_mb_half"], "peak_mb_end": fast["import"]["peak_mb"]}
    if baseline > 0:
        subset = inbox.parent / f"baseline-{baseline}" / "inbox"
        if not subset.is_dir() or len(list(subset.glob("*.xlsx"))) != min(n, baseline):
            shutil.rmtree(subset.parent, ignore_errors=True)
            subset.mkdir(parents=True)
            for f in sorted(inbox.glob("*.xlsx"))[:baseline]:
                shutil.copy(f, subset / f.name)
        slow = in_fresh_process(_phase, "openpyxl", subset, n)
        result.update({"openpyxl": slow["import"], "read_openpyxl": slow["read"]})
        result["speedup"] = slow["import"]["mean_ms"] / fast["import"]["mean_ms"]
    return result


def report(result: dict[str, Any]) -> str:
    labels = {"streaming": "import (streaming reader)", "openpyxl": "import (openpyxl reader)",
              "read_streaming": "read_book only (calamine + streaming)",
              "read_openpyxl": "read_book only (calamine + openpyxl)"}
    rows = [{"path": label, **result[key]} for key, label in labels.items() if key in result]
    text = markdown(rows, ["path", "workbooks", "mean_ms", "p50_ms", "p95_ms", "peak_mb"])
    text += (f"\n\npeak RSS at N/2: {result['peak_mb_half']:.1f} MB, at N: {result['peak_mb_end']:.1f} MB; "
             f"statuses: {result['statuses']}; one core (CPU {result['cpu']})")
    if "speedup" in result:
        text += f"; openpyxl / streaming = {result['speedup']:.1f}x (mean)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=100, help="workbooks imported with the openpyxl reader")
    parser.add_argument("--dir", type=Path, default=None, help="where the corpus is kept")
    args = parser.parse_args()
    print(report(run(args.communes, args.baseline, args.dir)))


if __name__ == "__main__":
    main()
