"""One store, two writers: returned workbooks imported into PostgreSQL and into SQLite, and a province's ranking.

    .venv/bin/python benchmarks/bench_postgres.py [--communes 1000] [--records] [--url postgresql://…]

Workbooks (the default): N returns of the bundled set, generated with declared values as run.py makes them
(cached in the temp folder under the set's fingerprint), read, checked and recorded by `import_inbox`, as
`cchc-xl import` does. `--records`: the same N submissions recorded straight through the store API, as the
importer records them (`record_submission` in a batch committed every second), their declared values, scores
and findings those of real imports of a few of the workbooks (one real record replayed per commune, with its
own file hash): the store's own cost, without the reading and checking that are the same for both engines
(and that make 10,600 workbooks take most of an hour on a shared machine).

The N communes are split into four rounds of one year and set in one store, as at a province: the province's
own round (half of them) and three district rounds (a sixth each). Two worker processes import
them into the ONE store at the same time (each round's files split between the two), as two officers
would: once into a SQLite file (WAL; writers take turns on the file lock), once into a PostgreSQL
database (the commune row lock). Then the province's ranking: the province round alone, and the
consolidated ranking of the four rounds (`report --rounds`), from each store; and the backup a writing
command takes first (backup.py: the whole SQLite file; on the server, the province round into a SQLite file),
which is also what `import --dry-run` copies. PostgreSQL is a throwaway
cluster with its default durability settings (tests/conftest_pg.py), unless --url names a server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from common import bench_settings, markdown, peak_rss_mb, synthetic_communes
from run import returns_corpus

from cchc_xl.backup import back_up
from cchc_xl.communes import Commune
from cchc_xl.criteria import load_set
from cchc_xl.criteria.load import dump_yaml
from cchc_xl.store import Round, Store
from cchc_xl.store_sql import Location, location

SPAWN = multiprocessing.get_context("spawn")
YEAR = 2026


def rounds_of(n: int) -> dict[str, list[Commune]]:
    """Round id -> its communes: the province's half, then three districts' sixths."""
    communes = synthetic_communes(n)
    half = n // 2
    sixth = max(1, (n - half) // 3)
    cuts = [0, half, half + sixth, half + 2 * sixth, n]
    ids = [f"{YEAR}-ubnd-tinh-thu", f"{YEAR}-ubnd-huyen-a", f"{YEAR}-ubnd-huyen-b", f"{YEAR}-ubnd-huyen-c"]
    return {rid: communes[a:b] for rid, a, b in zip(ids, cuts, cuts[1:], strict=False)}


def create_rounds(db: Location, n: int) -> None:
    cset = load_set()
    store = Store(db)
    try:
        for rid, communes in rounds_of(n).items():
            store.create_round(Round(id=rid, year=YEAR, body=rid, set_id=cset.id, set_version=cset.version,
                                     set_sha256=cset.fingerprint(), set_yaml=dump_yaml(cset),
                                     communes=communes,
                                     created_at=dt.datetime.now().astimezone().isoformat(timespec="seconds")))
    finally:
        store.close()


SAMPLES = 20  # real imports whose records `--records` replays


def sample_records() -> list[dict[str, Any]]:
    """`record_submission`'s arguments (less the commune and file) of SAMPLES real imports of the corpus's
    workbooks: declared values, scores, status, total, tier, findings as the importer records them."""
    from cchc_xl.importing.pipeline import import_inbox

    inbox, cset, settings = returns_corpus(SAMPLES), load_set(), bench_settings()
    communes = synthetic_communes(SAMPLES)
    work = Path(tempfile.mkdtemp(prefix="cchc-bench-sample-"))
    try:
        store = Store(work / "s.sqlite")
        try:
            import_inbox(inbox, cset, settings, communes, work / "out", store, evidence=False)
            out = []
            for sub in store.all_latest():
                out.append({"set_id": sub.set_id, "set_version": sub.set_version, "status": sub.status,
                            "counts": True, "self_total": sub.self_total, "tier": sub.tier,
                            "declared": sub.declared, "scores": sub.scores, "findings": store.findings(sub.id)})
        finally:
            store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert len(out) == SAMPLES, f"{len(out)} of {SAMPLES} sample returns recorded"
    return out


def _record_share(args: tuple[list[dict[str, Any]], str, int, int, int]) -> dict[str, int]:
    """Worker `k` of `jobs`, `--records`: its share of every round's submissions, recorded as the importer
    records them (one batch per round, committed about every second; see importing/outputs.py)."""
    samples, db, n, k, jobs = args
    stored = files = 0
    received = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    for rid, communes in rounds_of(n).items():
        store = Store(location(db), round_id=rid)
        try:
            store.communes_in_state("final")
            committed = time.monotonic()
            with store.batch():
                for c in communes[k::jobs]:
                    sample = samples[int(c.code) % len(samples)]
                    sha = hashlib.sha256(f"{rid} {c.code}".encode()).hexdigest()
                    stored += store.record_submission(
                        commune_code=c.code, commune_name=c.name, commune_kind=c.kind, file_name=f"{c.code}.xlsx",
                        sha256=sha, received_at=received, **sample)[1]
                    files += 1
                    if time.monotonic() - committed >= 1.0:
                        store.checkpoint()
                        committed = time.monotonic()
        finally:
            store.close()
    return {"files": files, "stored": stored}


def _import_share(args: tuple[str, str, int, int, int]) -> dict[str, int]:
    """Worker `k` of `jobs`: its share of every round's files, each round through a store opened on it."""
    from cchc_xl.importing.pipeline import import_inbox

    inbox, db, n, k, jobs = args
    cset, settings = load_set(), bench_settings()
    stored = files = 0
    for rid, communes in rounds_of(n).items():
        view = Path(tempfile.mkdtemp(prefix="cchc-inbox-"))
        out = Path(tempfile.mkdtemp(prefix="cchc-out-"))
        try:
            for c in communes[k::jobs]:
                for f in Path(inbox).glob(f"{c.code}-*.xlsx"):
                    (view / f.name).hardlink_to(f)
            store = Store(location(db), round_id=rid)
            try:
                run, outputs = import_inbox(view, cset, settings, communes, out, store, evidence=False)
            finally:
                store.close()
            stored += outputs.new_in_store
            files += len(run.results)
        finally:
            shutil.rmtree(view, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
    return {"files": files, "stored": stored}


def stage_import(source: Path | list[dict[str, Any]], db: Location, n: int, jobs: int = 2) -> dict[str, Any]:
    """`source`: the inbox of workbooks, or (--records) the sample records to replay."""
    create_rounds(db, n)
    worker = _record_share if isinstance(source, list) else _import_share
    shared: Any = source if isinstance(source, list) else str(source)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=SPAWN) as pool:
        parts = list(pool.map(worker, [(shared, str(db), n, k, jobs) for k in range(jobs)]))
    seconds = time.perf_counter() - started
    files, stored = sum(p["files"] for p in parts), sum(p["stored"] for p in parts)
    if stored != n:  # a stale corpus, a refused set: the timing would measure nothing
        raise SystemExit(f"{stored} of {n} submissions recorded into {db}: not a measurement")
    return {"seconds": seconds, "ms_each": seconds * 1000 / max(1, files), "files": files, "stored": stored}


def _rank(db: str, n: int, out: str, together: bool) -> dict[str, Any]:
    """In a fresh process: the ranking workbook of the province round, or of all four rounds together."""
    from cchc_xl.reports.ranking import write_ranking, write_report_workbook
    from cchc_xl.reports.ranking_data import RoundPart, from_rounds

    cset, loc = load_set(), location(db)
    rounds = rounds_of(n)
    started = time.perf_counter()
    if together:
        stores = {rid: Store(loc, round_id=rid) for rid in rounds}
        try:
            parts = [RoundPart(s.round(), s, rounds[rid]) for rid, s in stores.items()]  # type: ignore[arg-type]
            summary = write_report_workbook(from_rounds(parts, cset), Path(out))
        finally:
            for s in stores.values():
                s.close()
    else:
        rid, communes = next(iter(rounds.items()))
        summary = write_ranking(loc, cset, Path(out), communes, round_id=rid, final={})
    return {"seconds": time.perf_counter() - started, "ranked": summary.ranked, "peak_mb": peak_rss_mb()}


def fresh(fn: Any, *args: Any) -> Any:
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as pool:
        return pool.submit(fn, *args).result()


def run(n: int, url: str | None, records: bool = False) -> list[dict[str, Any]]:
    from conftest_pg import create_database, throwaway_cluster

    source: Path | list[dict[str, Any]] = sample_records() if records else returns_corpus(n)
    what = "records" if records else "files"
    work = Path(tempfile.mkdtemp(prefix="cchc-bench-pg-"))
    rows: list[dict[str, Any]] = []
    try:
        with throwaway_cluster(durable=True) if url is None else _given(url) as cluster:
            stores: dict[str, Location] = {
                "SQLite (one file, WAL)": work / "cchc.sqlite",
                "PostgreSQL (one database)": url or create_database(cluster, "bench"),  # type: ignore[union-attr]
            }
            for engine, db in stores.items():
                print(f"[{n}] import into {engine} …", file=sys.stderr)
                load = os.getloadavg()[0]
                imported = stage_import(source, db, n)
                rows.append({"store": engine, "stage": f"import, 2 workers ({imported['files']} {what})",
                             "seconds": f"{imported['seconds']:.1f}", "ms per item": f"{imported['ms_each']:.1f}",
                             "note": f"{imported['stored']} recorded; load {load:.1f}→{os.getloadavg()[0]:.1f}"})
                province = next(iter(rounds_of(n)))
                started = time.perf_counter()
                backup = back_up(db, "import", round_id=province, base=work)
                assert backup is not None
                label = "the province round" if isinstance(db, str) else "the whole file"
                rows.append({"store": engine, "stage": f"backup before a writing command ({label})",
                             "seconds": f"{time.perf_counter() - started:.1f}", "ms per item": "",
                             "note": f"{backup.path.stat().st_size / 1e6:.0f} MB; load {os.getloadavg()[0]:.1f}"})
                for together, label in ((False, "ranking: province round"), (True, "ranking: 4 rounds together")):
                    ranked = fresh(_rank, str(db), n, str(work / "xep-hang.xlsx"), together)
                    rows.append({"store": engine, "stage": f"{label} ({ranked['ranked']} ranked)",
                                 "seconds": f"{ranked['seconds']:.1f}",
                                 "ms per item": f"{ranked['seconds'] * 1000 / max(1, ranked['ranked']):.2f}",
                                 "note": f"peak {ranked['peak_mb']:.0f} MB; load {os.getloadavg()[0]:.1f}"})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


class _given:
    """A server named by --url: nothing to start or stop."""

    def __init__(self, url: str):
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=1000)
    parser.add_argument("--records", action="store_true",
                        help="record real imports' submissions through the store API instead of reading workbooks")
    parser.add_argument("--url", default=None, help="an empty PostgreSQL database (default: a throwaway cluster)")
    args = parser.parse_args()
    started = os.getloadavg()
    rows = run(args.communes, args.url, args.records)
    print(f"{args.communes} communes, bundled set, {'records' if args.records else 'workbooks'},"
          f" {multiprocessing.cpu_count()} cores, load average {started[0]:.1f} {started[1]:.1f} {started[2]:.1f}"
          f" at the start, {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end\n")
    print(markdown(rows, ["store", "stage", "seconds", "ms per item", "note"]))


if __name__ == "__main__":
    main()
