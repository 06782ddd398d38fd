"""The whole pipeline at scale: timings and peak memory per stage, written to benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run.py --communes 27 1000 10600 [--out benchmarks/RESULTS.md]

For each N (synthetic communes, the bundled criteria set):
- generate: N blank workbooks (`generate_one`) — on one core, and on both cores (two worker processes);
  against the straightforward way (`generate_one_uncached`, every cell built for that commune alone) on a
  sample, as a ratio.
- import: N returned workbooks (made by generating each with declared values, which is what a commune's
  saved return holds: inputs plus correct formula results), imported as `cchc-xl import` does (outputs per file
  as it is imported: feedback workbook and store record; then the report and validation workbook) —
  one core and two cores (the inbox split in halves); against reading each file with openpyxl alone on a
  sample (the straightforward way, before any checking), as a ratio.
- evidence: two PDFs per commune (a scan and a digitally signed text PDF, drawn from a pool of distinct
  generated files), `inspect_bundle` per commune folder; against plain read + sha256 of the same files.
- report: the ranking workbook from the import's store (`write_ranking`).
Each stage runs in a fresh process (its own peak memory). Corpora are cached under the system temp dir.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import multiprocessing
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_settings, peak_rss_mb, synthetic_communes

from cchc_xl.criteria import load_set
from cchc_xl.criteria.model import Criterion
from cchc_xl.scoring import LeafInput
from cchc_xl.workbook.generate import generate_one
from cchc_xl.workbook.layout import Declared

ROOT = Path(tempfile.gettempdir()) / "cchc-xl-bench-run"
SPAWN = multiprocessing.get_context("spawn")


# -- corpora ------------------------------------------------------------------------------------------------
def _declared(leaves: list[Criterion], rng: random.Random) -> Declared:
    inputs: dict[str, LeafInput] = {}
    for leaf in leaves:
        rule = leaf.rule
        assert rule is not None
        explanation = "Đơn vị đã thực hiện; hồ sơ lưu tại văn phòng UBND."
        if rule.computed:
            if rule.kind in ("ratio_tiers", "proportional"):
                den = rng.randint(5, 300)
                figures: tuple[Any, ...] = (rng.randint(0, den), den)
            else:
                figures = (rng.randint(0, 4),)
            inputs[leaf.code] = LeafInput(figures=tuple(_d(f) for f in figures), explanation=explanation)
        else:
            allowed = rule.allowed_points(leaf.max)
            step = rule.step()
            value = rng.choice(allowed) if allowed else step * rng.randint(0, int(leaf.max / step))
            inputs[leaf.code] = LeafInput(value=value, explanation=explanation)
    return Declared(leaves=inputs)


def _d(value: int) -> Any:
    from decimal import Decimal

    return Decimal(value)


def _make_returns(args: tuple[int, int, str]) -> None:
    start, stop, folder = args
    cset, settings = load_set(), bench_settings()
    leaves = cset.commune_leaves()
    for i, commune in enumerate(synthetic_communes(stop)[start:stop], start=start):
        generate_one(cset, commune, Path(folder), settings, declared=_declared(leaves, random.Random(i)))


def returns_corpus(n: int) -> Path:
    """N generated returns of the bundled set, cached per set fingerprint: a corpus made under an earlier
    version of the set would be refused as another set's (meta.other_set) and record nothing."""
    inbox = ROOT / f"returns-{n}-{load_set().fingerprint()[:12]}"
    if inbox.is_dir() and len(list(inbox.glob("*.xlsx"))) == n:
        return inbox
    shutil.rmtree(inbox, ignore_errors=True)
    inbox.mkdir(parents=True)
    step = max(1, n // 20)
    with ProcessPoolExecutor(mp_context=SPAWN) as pool:
        list(pool.map(_make_returns, [(s, min(n, s + step), str(inbox)) for s in range(0, n, step)]))
    return inbox


def evidence_corpus(n: int) -> Path:
    from cchc_xl.samplegen.pdfs import DocSpec, demo_identity, scan_pdf, sign_pdf, text_pdf

    root = ROOT / f"evidence-{n}"
    if root.is_dir() and len(list(root.iterdir())) == n:
        return root
    shutil.rmtree(root, ignore_errors=True)
    pool_dir = ROOT / "pdf-pool"
    if not pool_dir.is_dir():
        pool_dir.mkdir(parents=True)
        identity = demo_identity(seed=1)
        for k in range(20):
            spec = DocSpec(commune="Thử", kind="BÁO CÁO", number=f"{k + 1}/BC-UBND", issued=dt.date(2022, 3, 1 + k),
                           subject=f"Kết quả thực hiện nhiệm vụ {k}", signer="Nguyễn Văn An")
            (pool_dir / f"scan-{k}.pdf").write_bytes(scan_pdf(seed=k, pages=1 + k % 3, spec=spec))
            (pool_dir / f"signed-{k}.pdf").write_bytes(sign_pdf(text_pdf(seed=k, pages=1 + k % 4, spec=spec), identity))
    for i in range(n):
        folder = root / f"{10000 + i}"
        folder.mkdir(parents=True)
        shutil.copyfile(pool_dir / f"scan-{i % 20}.pdf", folder / "bao-cao.pdf")
        shutil.copyfile(pool_dir / f"signed-{(i // 20) % 20}.pdf", folder / "ke-hoach.pdf")
    return root


# -- stages, each run in a fresh process -------------------------------------------------------------------
def stage_generate(n: int, jobs: int) -> dict[str, Any]:
    communes = synthetic_communes(n)
    out = Path(tempfile.mkdtemp(prefix="cchc-gen-"))
    try:
        started = time.perf_counter()
        if jobs == 1:
            cset, settings = load_set(), bench_settings()
            for c in communes:
                generate_one(cset, c, out, settings)
        else:
            step = -(-n // jobs)
            with ProcessPoolExecutor(max_workers=jobs, mp_context=SPAWN) as pool:
                list(pool.map(_generate_range, [(s, min(n, s + step), n, str(out)) for s in range(0, n, step)]))
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds, "ms_each": seconds * 1000 / n, "peak_mb": peak_rss_mb()}


def _generate_range(args: tuple[int, int, int, str]) -> None:
    start, stop, n, folder = args
    cset, settings = load_set(), bench_settings()
    for c in synthetic_communes(n)[start:stop]:
        generate_one(cset, c, Path(folder), settings)


def stage_generate_baseline(n: int) -> dict[str, Any]:
    from cchc_xl.workbook.generate import generate_one_uncached

    cset, settings = load_set(), bench_settings()
    out = Path(tempfile.mkdtemp(prefix="cchc-gen0-"))
    try:
        started = time.perf_counter()
        for c in synthetic_communes(n):
            generate_one_uncached(cset, c, out, settings)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"ms_each": seconds * 1000 / n}


def stage_import(inbox: str, db: str, jobs: int) -> dict[str, Any]:
    from cchc_xl.communes import Commune  # noqa: F401 - keeps the spawn import list explicit

    files = sorted(Path(inbox).glob("*.xlsx"))
    started = time.perf_counter()
    if jobs == 1:
        results = _import_files((inbox, [f.name for f in files], db))
    else:
        halves = [files[k::jobs] for k in range(jobs)]
        with ProcessPoolExecutor(max_workers=jobs, mp_context=SPAWN) as pool:
            parts = list(pool.map(_import_files, [(inbox, [f.name for f in h], f"{db}.{k}") for k, h in enumerate(halves)]))
        results = {k: sum(p[k] for p in parts) for k in parts[0]}
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "ms_each": seconds * 1000 / len(files), "peak_mb": peak_rss_mb(), **results}


def _import_files(args: tuple[str, list[str], str]) -> dict[str, int]:
    """As `cchc-xl import` does it: each file's outputs written as it is imported, then the batch's."""
    from cchc_xl.importing.pipeline import import_inbox
    from cchc_xl.store import Store

    inbox, names, db = args
    cset, settings = load_set(), bench_settings()
    view = Path(tempfile.mkdtemp(prefix="cchc-inbox-"))
    try:
        for name in names:  # an inbox with just these files (hard links: no copying)
            os.link(Path(inbox) / name, view / name)
        store = Store(Path(db))
        try:
            run, out = import_inbox(view, cset, settings, [], Path(tempfile.mkdtemp(prefix="cchc-out-")), store,
                                    evidence=False)
        finally:
            store.close()
    finally:
        shutil.rmtree(view, ignore_errors=True)
    statuses = [r.status for r in run.results]
    return {"accepted": statuses.count("accepted"), "other": len(statuses) - statuses.count("accepted"),
            "stored": out.new_in_store}


def stage_import_baseline(inbox: str, n: int) -> dict[str, Any]:
    import openpyxl

    files = sorted(Path(inbox).glob("*.xlsx"))[:n]
    started = time.perf_counter()
    for f in files:
        wb = openpyxl.load_workbook(f)
        for name in wb.defined_names:
            for sheet, ref in wb.defined_names[name].destinations:
                _ = wb[sheet][ref.replace("$", "").split(":")[0]].value
    return {"ms_each": (time.perf_counter() - started) * 1000 / len(files)}


def stage_evidence(root: str) -> dict[str, Any]:
    from cchc_xl.evidence import inspect_bundle, open_bundle

    folders = sorted(Path(root).iterdir())
    started = time.perf_counter()
    files = size = bad = 0
    for folder in folders:
        with open_bundle(folder) as bundle:
            for check in inspect_bundle(bundle):
                files += 1
                size += check.size
                bad += not check.form_ok
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "files": files, "ms_each": seconds * 1000 / files, "mb_s": size / 1e6 / seconds,
            "not_ok": bad, "peak_mb": peak_rss_mb()}


def stage_evidence_baseline(root: str) -> dict[str, Any]:
    files = sorted(Path(root).rglob("*.pdf"))
    started = time.perf_counter()
    for f in files:
        hashlib.sha256(f.read_bytes()).hexdigest()
    return {"ms_each": (time.perf_counter() - started) * 1000 / len(files)}


def stage_report(db: str, out: str) -> dict[str, Any]:
    from cchc_xl.reports.ranking import write_ranking

    started = time.perf_counter()
    summary = write_ranking(Path(db), load_set(), Path(out), [], final={})
    return {"seconds": time.perf_counter() - started, "ranked": summary.ranked, "peak_mb": peak_rss_mb()}


def fresh(fn: Any, *args: Any) -> Any:
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as pool:
        return pool.submit(fn, *args).result()


# -- driver --------------------------------------------------------------------------------------------------
def run(n: int, sample: int = 100) -> dict[str, Any]:
    print(f"[{n}] corpora …", file=sys.stderr)
    inbox = returns_corpus(n)
    evidence = evidence_corpus(n)
    work = Path(tempfile.mkdtemp(prefix=f"cchc-run-{n}-"))
    try:
        r: dict[str, Any] = {"communes": n}
        print(f"[{n}] generate …", file=sys.stderr)
        r["generate_1"] = fresh(stage_generate, n, 1)
        r["generate_2"] = fresh(stage_generate, n, 2)
        r["generate_base"] = fresh(stage_generate_baseline, min(n, sample))
        print(f"[{n}] import …", file=sys.stderr)
        r["import_1"] = fresh(stage_import, str(inbox), str(work / "one.sqlite"), 1)
        r["import_2"] = fresh(stage_import, str(inbox), str(work / "two.sqlite"), 2)
        r["import_base"] = fresh(stage_import_baseline, str(inbox), min(n, sample))
        print(f"[{n}] evidence …", file=sys.stderr)
        r["evidence"] = fresh(stage_evidence, str(evidence))
        r["evidence_base"] = fresh(stage_evidence_baseline, str(evidence))
        print(f"[{n}] report …", file=sys.stderr)
        r["report"] = fresh(stage_report, str(work / "one.sqlite"), str(work / "xep-hang.xlsx"))
        return r
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| communes | stage | one core: total s | ms per item | two cores: total s | gain | peak MB | "
             "straightforward ms per item | ratio |", "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        n = r["communes"]
        for stage, base_key in (("generate", "generate_base"), ("import", "import_base")):
            one, two, base = r[f"{stage}_1"], r[f"{stage}_2"], r[base_key]
            lines.append(f"| {n} | {stage} | {one['seconds']:.1f} | {one['ms_each']:.1f} | {two['seconds']:.1f} | "
                         f"{one['seconds'] / two['seconds']:.2f}× | {max(one['peak_mb'], two['peak_mb']):.0f} | "
                         f"{base['ms_each']:.1f} | {base['ms_each'] / one['ms_each']:.1f}× |")
        ev, evb = r["evidence"], r["evidence_base"]
        lines.append(f"| {n} | evidence ({ev['files']} PDFs, {ev['mb_s']:.0f} MB/s) | {ev['seconds']:.1f} | "
                     f"{ev['ms_each']:.1f} | — | — | {ev['peak_mb']:.0f} | {evb['ms_each']:.2f} (read+sha256) | "
                     f"{ev['ms_each'] / evb['ms_each']:.1f}× slower |")
        rep = r["report"]
        lines.append(f"| {n} | report ({rep['ranked']} ranked) | {rep['seconds']:.1f} | {rep['seconds'] * 1000 / n:.2f} | "
                     f"— | — | {rep['peak_mb']:.0f} | — | — |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, nargs="+", default=[27, 1000, 10600])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args()
    results = [run(n) for n in args.communes]
    cpu = platform.processor() or platform.machine()
    text = (f"## Stage by stage, synthetic communes ({dt.datetime.now():%Y-%m-%d %H:%M})\n\n"
            "Command: `.venv/bin/python benchmarks/run.py --communes "
            f"{' '.join(map(str, args.communes))}`\n\nMachine: {multiprocessing.cpu_count()} cores ({cpu}), "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
            f"run {dt.datetime.now():%Y-%m-%d %H:%M}.\n\n{table(results)}\n\n"
            "Generate and import: 'one core' runs in one process; 'two cores' splits the communes over two worker "
            "processes. 'Straightforward' is the same work the plain way on a sample (generation: every cell "
            "built per commune; import: openpyxl loading each file and reading its named cells, no checks). "
            "Evidence: parsing and signature checks per PDF against plain read + sha256. Peak MB is the largest "
            "resident size of one process of the stage.\n")
    # a section added on top: the file keeps the other benchmarks' results
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else "# Benchmark results\n"
    head, _, rest = old.partition("\n")
    args.out.write_text(f"{head}\n\n{text}\n{rest}", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
