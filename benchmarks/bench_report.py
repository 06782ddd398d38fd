"""Ranking report speed and memory for a whole country (10,600 communes) on the bundled criteria set.

    .venv/bin/python benchmarks/bench_report.py [--communes 10600] [--dir DIR]

A synthetic store (one submission per commune: scores for every commune-scored item, explanations,
an evidence register, a few findings) is built once into DIR (default: the system temp folder) and reused.
Each phase then runs in a fresh process, so its peak memory (max RSS) is its own:

  adapter   from_store(): the store -> RankingInput
  writer    write_report_workbook() on a RankingInput made in memory (no store)
  report    write_ranking(): store -> workbook, what `cchc-xl report` does

Target (issue #16): the report of 10,600 communes in ≤ 5 s. Wall and CPU seconds are both printed (the
machine may be shared: CPU is the steadier figure), with the load average before the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet, load_set
from cchc_xl.reports.ranking import write_ranking, write_report_workbook
from cchc_xl.reports.ranking_data import RankingInput, commune_result, from_store
from cchc_xl.store import Store

GENERATOR_VERSION = 2  # 2: stores of schema 4 (the summary column the ranking reads)
DEADLINE = dt.datetime(2022, 10, 5, 17, 0)
STEP = Decimal("0.25")


def synthetic_communes(count: int) -> list[Commune]:
    return [Commune(code=f"{i:05d}", name=f"Đơn vị thử {i}", kind="xã" if i % 9 else "phường")
            for i in range(1, count + 1)]


def synthetic_scores(cset: CriteriaSet, index: int) -> tuple[dict[str, Decimal], dict[str, str]]:
    """Points per commune-scored item (about 80 % of the maximum on average) and a few explanations."""
    rng = random.Random(index)
    points: dict[str, Decimal] = {}
    explanations: dict[str, str] = {}
    for leaf in cset.commune_leaves():
        roll = rng.random()
        if roll < 0.7:
            value = leaf.max
        elif roll < 0.9:
            value = max(Decimal(0), leaf.max - STEP * rng.randint(1, 2))
        else:
            value = Decimal(0)
            explanations[leaf.code] = "Chưa thực hiện do thiếu kinh phí; sẽ hoàn thành trong quý I năm sau."
        points[leaf.code] = value
    return points, explanations


def build_store(path: Path, cset: CriteriaSet, communes: list[Commune]) -> float:
    start = time.perf_counter()
    store = Store(path)
    try:
        for i, c in enumerate(communes):
            points, explanations = synthetic_scores(cset, i)
            declared = {
                "leaves": {code: {"value": str(v), "figures": [], "explanation": explanations.get(code, "")}
                           for code, v in points.items()},
                "register": [{"row": n + 5, "cell": f"'Tài liệu kiểm chứng'!A{n + 5}", "criterion": code,
                              "number": f"{n + 1}/BC-UBND", "date": "2022-06-30", "date_text": "",
                              "issuer": f"UBND xã {c.name}", "subject": "Báo cáo kết quả thực hiện nhiệm vụ",
                              "files": [f"{code}.pdf"]}
                             for n, (code, v) in enumerate(points.items()) if v > 0 and n % 10],
                "difficulties": "", "recommendations": "",
            }
            findings = [{"severity": "warning", "rule": "register.no_file", "criterion": "1.2",
                         "cell": "'Tài liệu kiểm chứng'!F7", "message": "Thiếu tệp"}] * (i % 4)
            if i % 50 == 0:
                findings.append({"severity": "error", "rule": "score.above_max", "criterion": "1.2",
                                 "cell": "'Tự đánh giá'!H9", "message": "Vượt điểm tối đa"})
            status = "rejected" if i % 50 == 0 else "accepted_with_warnings" if findings else "accepted"
            total = sum(points.values(), Decimal(0))
            store.record_submission(
                commune_code=c.code, commune_name=c.name, commune_kind=c.kind, file_name=f"{c.code}.xlsx",
                sha256=hashlib.sha256(c.code.encode()).hexdigest(),
                received_at=(DEADLINE - dt.timedelta(hours=i % 200)).isoformat(), set_id=cset.id,
                set_version=cset.version, status=status, counts=True, self_total=total, tier=cset.tier_for(total),
                declared=declared, scores={k: str(v) for k, v in points.items()}, findings=findings)
    finally:
        store.close()
    return time.perf_counter() - start


def synthetic_input(cset: CriteriaSet, communes: list[Commune]) -> RankingInput:
    results = []
    for i, c in enumerate(communes):
        points, explanations = synthetic_scores(cset, i)
        results.append(commune_result(
            cset, c.code, c.name, c.kind, self_scores=points, self_total=sum(points.values(), Decimal(0)),
            explanations=explanations, cited=[k for n, k in enumerate(points) if n % 10], status="accepted",
            state="checked", version=1, file_name=f"{c.code}.xlsx", received_at=DEADLINE - dt.timedelta(hours=i % 200),
            deadline=DEADLINE, errors=int(i % 50 == 0), warnings=i % 4))
    return RankingInput(cset=cset, results=results, deadline=DEADLINE)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_phase(phase: str, db: Path, out: Path, count: int) -> dict[str, float | int | str]:
    cset = load_set()
    communes = synthetic_communes(count)
    base = max_rss_mb()
    result: dict[str, float | int | str] = {"phase": phase}
    cpu = time.process_time()
    if phase == "adapter":
        start = time.perf_counter()
        store = Store(db)
        try:
            data = from_store(store, cset, communes, final={}, deadline=DEADLINE)
        finally:
            store.close()
        result["seconds"] = time.perf_counter() - start
        result["ranked"] = len(data.ranked)
    elif phase == "writer":
        data = synthetic_input(cset, communes)
        base = max_rss_mb()
        cpu = time.process_time()
        start = time.perf_counter()
        summary = write_report_workbook(data, out, password="bench")
        result["seconds"] = time.perf_counter() - start
        result["cards"] = summary.cards
    elif phase == "report":
        start = time.perf_counter()
        summary = write_ranking(db, cset, out, communes, final={}, deadline=DEADLINE, password="bench")
        result["seconds"] = time.perf_counter() - start
        result["ranked"] = summary.ranked
    else:
        raise SystemExit(f"unknown phase {phase}")
    result["cpu_seconds"] = time.process_time() - cpu
    result["base_rss_mb"] = base
    result["peak_rss_mb"] = max_rss_mb()
    if out.exists():
        result["file_mb"] = out.stat().st_size / 1e6
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--communes", type=int, default=10_600)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "cchc-bench-report")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.dir / f"store-{args.communes}-v{GENERATOR_VERSION}.sqlite"
    if args.phase:
        out = args.dir / f"report-{args.phase}.xlsx"
        print(json.dumps(run_phase(args.phase, db, out, args.communes)))
        return
    if not db.exists():
        partial = db.with_suffix(".part")
        partial.unlink(missing_ok=True)
        for extra in (Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            extra.unlink(missing_ok=True)
        seconds = build_store(partial, load_set(), synthetic_communes(args.communes))
        partial.replace(db)
        print(f"built the store: {args.communes} communes in {seconds:.1f} s ({db.stat().st_size / 1e6:.0f} MB)")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'phase':<8} {'seconds':>8} {'CPU s':>8} {'peak RSS MB':>12} {'(before) MB':>12} {'file MB':>8}")
    for phase in ("adapter", "writer", "report"):
        proc = subprocess.run([sys.executable, __file__, "--communes", str(args.communes), "--dir", str(args.dir),
                               "--phase", phase], capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{phase:<8} {r['seconds']:>8.2f} {r['cpu_seconds']:>8.2f} {r['peak_rss_mb']:>12.0f} "
              f"{r['base_rss_mb']:>12.0f} {r.get('file_mb', 0):>8.1f}")


if __name__ == "__main__":
    main()
