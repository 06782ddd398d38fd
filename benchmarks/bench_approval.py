"""The approval check: how often OCR reads a scan's total, and seconds per approval document.

    .venv/bin/python benchmarks/bench_approval.py [--communes 20] [--dpi 200] [--dir DIR]

For N synthetic communes (the bundled criteria set, valid random inputs) the Phụ lục 2 sheet of each
filled workbook is printed by LibreOffice (one call), then digitally signed, and "scanned" (samplegen.
approval: seal, signature, grey noise, a rotation of up to ±1.5°, JPEG pages at DPI). The documents are
generated once into DIR (default: the system temp folder) and reused.

Measured, on one core with Tesseract single-threaded (OMP_THREAD_LIMIT=1):
- the share of scans whose total OCR reads equal to the recomputed total, and of items read right;
- seconds per document, signed and scanned, without the cache (a new check, no cache folder) and with it
  (a new check reading the cache folder the first pass filled: what a re-import costs).
Needs LibreOffice, poppler's pdftoppm and Tesseract with Vietnamese data.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import one_core, synthetic_communes

from cchc_xl.approval.check import ApprovalCheck, ApprovalConfig
from cchc_xl.approval.printing import print_report
from cchc_xl.criteria import load_set
from cchc_xl.samplegen.approval import ScanStyle, scanned_approval, signed_approval
from cchc_xl.samplegen.values import valid_values
from cchc_xl.scoring import LeafInput, evaluate
from cchc_xl.settings import load_settings
from cchc_xl.workbook.generate import generate_one
from cchc_xl.workbook.layout import Declared

GENERATOR_VERSION = 1


def corpus(n: int, dpi: int, root: Path) -> list[tuple[object, Decimal, bytes, bytes]]:
    """(commune, recomputed total, signed document, scanned document) per commune, cached in root."""
    cset = load_set()
    folder = root / f"cchc-bench-approval-v{GENERATOR_VERSION}-{n}-{dpi}"
    communes = synthetic_communes(n)
    totals, books = [], []
    for i, commune in enumerate(communes):
        rng = random.Random(i)
        leaves = {}
        for leaf in cset.commune_leaves():
            values = [Decimal(str(v)) for v in valid_values(leaf, rng)]
            computed = leaf.rule is not None and leaf.rule.computed
            leaves[leaf.code] = LeafInput(figures=tuple(values)) if computed else LeafInput(value=values[0])
        totals.append(evaluate(cset, leaves, []).total)
        books.append((commune, leaves))
    if not (folder / "done").exists():
        folder.mkdir(parents=True, exist_ok=True)
        settings = load_settings(folder)
        paths = [generate_one(cset, c, folder / "books", settings, declared=Declared(leaves=leaves))
                 for c, leaves in books]
        for i, (pdf, (commune, _)) in enumerate(zip(print_report(paths, folder / "pdf"), books, strict=True)):
            report = pdf.read_bytes()
            (folder / f"{i}-signed.pdf").write_bytes(signed_approval(report))
            style = ScanStyle(dpi=dpi, rotation=random.Random(i).uniform(-1.5, 1.5), noise=6 + i % 5)
            (folder / f"{i}-scan.pdf").write_bytes(scanned_approval(report, commune.name, style, seed=i))
        (folder / "done").write_text("ok")
    return [(books[i][0], totals[i], (folder / f"{i}-signed.pdf").read_bytes(), (folder / f"{i}-scan.pdf").read_bytes())
            for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", type=int, default=20)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    cset = load_set()
    docs = corpus(args.communes, args.dpi, args.dir)
    one_core()
    cache = Path(tempfile.mkdtemp(prefix="cchc-bench-approval-cache-"))
    times: dict[str, list[float]] = {"signed": [], "scan": [], "signed cached": [], "scan cached": []}
    totals_read = items_right = items_all = 0
    for warm in (False, True):
        check = ApprovalCheck(ApprovalConfig(cache=cache))  # a new check: nothing in memory
        for commune, total, signed, scan in docs:
            for kind, data in (("signed", signed), ("scan", scan)):
                start = time.perf_counter()
                reading = check.read(data, cset, commune)  # type: ignore[arg-type]
                times[kind + (" cached" if warm else "")].append(time.perf_counter() - start)
                if kind == "scan" and not warm:
                    read = reading.values.total
                    totals_read += read is not None and read.value == total
                    signed_values = check.read(signed, cset, commune).values.items  # type: ignore[arg-type]
                    for code, value in signed_values.items():
                        items_all += 1
                        got = reading.values.items.get(code)
                        items_right += (got.value if got else None) == (value.value if value else None)
    n = len(docs)
    print(f"approval documents: {n} communes (bundled set), scans at {args.dpi} dpi")
    print(f"OCR read the total right on {totals_read}/{n} scans ({100 * totals_read / n:.0f} %); "
          f"items read right {items_right}/{items_all} ({100 * items_right / max(1, items_all):.1f} %)")
    print("| document | seconds per document (median) | max |")
    print("|---|---|---|")
    for kind, values in times.items():
        print(f"| {kind} | {statistics.median(values):.4f} | {max(values):.4f} |")


if __name__ == "__main__":
    main()
