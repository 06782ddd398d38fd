"""Evidence inspection speed on generated PDFs, against plain read + sha256 of the same files.

    .venv/bin/python benchmarks/bench_evidence.py [--files 2000] [--dir DIR] [--workers N] [--check]

Half the files are scan-like (image-only, 100 dpi grey JPEG pages), half are typed documents signed with
the demo certificate (one in four of those a signed scan); 1–20 pages each; every file differs (no hit of
the per-process check cache). They are generated once into DIR (default: the system temp folder) and
reused.

The yardstick, both ways, is `Path.read_bytes` + sha256; what is measured is what an import does per
file, `inspect_entry` (the bundle's read, then `inspect_file`). Each process imports the libraries and
checks two files of the corpus before the clock (the start-up, printed apart; the check cache emptied
after). Without --workers everything
runs in one process on one core; with --workers N, N processes share the files (chunks of 25) for the
yardstick and then for the checks, each worker sending its `FileCheck`s back as `import --jobs` workers
do, and the throughputs are compared with the same N processes' read + sha256 and with one process's
(wall time, and the CPU time of the workers summed, the parent's apart). --check: every file checked by
the fast path and by the plain path (`CCHC_XL_FAST_EVIDENCE=0`), the differences counted.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cchc_xl.evidence import check_cache, intake, stream_scan
from cchc_xl.evidence.inspect import FileCheck, inspect_entry, inspect_file
from cchc_xl.evidence.intake import DEFAULT_LIMITS, open_bundle
from cchc_xl.samplegen import pdfs

GENERATOR_VERSION = 4  # 4: every file distinct (v3 repeated 726 of 2,000 scans)
PAGE_POOL = 48  # distinct scanned pages shared by all scan-like files


def file_plan(index: int) -> tuple[str, int]:
    rng = random.Random(index)
    pages = rng.randint(1, 20)
    if index % 2 == 0:
        return "scan", pages
    return ("signed_scan" if index % 8 == 1 else "signed"), pages


def make_file(folder: Path, index: int) -> None:
    kind, pages = file_plan(index)
    path = folder / f"{index:05d}-{kind}.pdf"
    if path.exists():
        return
    if kind == "signed":
        data = pdfs.sign_pdf(pdfs.text_pdf(seed=index, pages=pages))
    else:
        seeds = [(index * 7 + n) % PAGE_POOL for n in range(pages)]
        data = pdfs.scan_pdf(seed=index, pages=pages, page_seeds=seeds, title=f"Scanned document {index:05d}")
        if kind == "signed_scan":
            data = pdfs.sign_pdf(data)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)


def _make_range(folder: Path, indexes: range) -> None:
    for index in indexes:
        make_file(folder, index)


def generate(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(count) if not any(folder.glob(f"{i:05d}-*.pdf"))]
    if not missing:
        return
    print(f"generating {len(missing)} evidence PDFs into {folder} …", file=sys.stderr)
    started = time.perf_counter()
    chunks = [range(i, min(i + 50, count)) for i in range(0, count, 50)]
    with ProcessPoolExecutor() as pool:
        list(pool.map(_make_range, [folder] * len(chunks), chunks))
    print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def warm_up_files(paths: list[Path]) -> list[bytes]:
    """The corpus's first scan and first signed file (checked again on the clock: the cache is emptied)."""
    return [next(p for p in paths if p.name.endswith(kind)).read_bytes() for kind in ("-scan.pdf", "-signed.pdf")]


def warm_up(files: list[bytes]) -> float:
    """The CPU seconds one process spends importing the checks' libraries and checking `files` (the check
    cache emptied after)."""
    cpu = time.process_time()
    for data in files:
        inspect_file("warm-up.pdf", data)
    check_cache.cache.checks.clear()
    return time.process_time() - cpu


def corpus(folder: Path, count: int) -> list[Path]:
    paths = sorted(p for p in folder.glob("*.pdf") if int(p.name[:5]) < count)
    for path in paths:  # warm the OS file cache so every run reads from memory
        path.read_bytes()
    return paths


def measure(folder: Path, count: int) -> None:
    paths = corpus(folder, count)
    start_up = warm_up(warm_up_files(paths))
    with open_bundle(folder) as bundle:
        entries = [e for e in bundle.entries if int(e.name[:5]) < count]
        total_bytes = sum(e.size for e in entries)

        started, cpu = time.perf_counter(), time.process_time()
        for path in paths:
            hashlib.sha256(path.read_bytes()).hexdigest()
        baseline, baseline_cpu = time.perf_counter() - started, time.process_time() - cpu

        per_kind: dict[str, list[float]] = defaultdict(list)
        verdicts: dict[str, int] = defaultdict(int)
        started, cpu = time.perf_counter(), time.process_time()
        for entry in entries:
            one = time.perf_counter()
            check = inspect_entry(entry)
            per_kind[entry.name.split("-", 1)[1].removesuffix(".pdf")].append(time.perf_counter() - one)
            verdicts["form ok" if check.form_ok else "not ok"] += 1
        inspecting, inspecting_cpu = time.perf_counter() - started, time.process_time() - cpu

    files, megabytes = len(entries), total_bytes / 1e6
    print(f"\n{files} files, {megabytes:.0f} MB ({megabytes / files:.2f} MB per file on average); "
          f"{dict(verdicts)}\n")
    print(f"load average {os.getloadavg()[0]:.2f}; CPU seconds are the steadier measure on a shared machine; "
          f"start-up (imports, two first files) {start_up:.2f} s CPU, not in the table\n")
    print("| measure | seconds | files/s | MB/s | ms/file | CPU s | MB/s by CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, seconds, cpu_s in (("read + sha256", baseline, baseline_cpu),
                                  ("inspect_entry (read, sha256, checks)", inspecting, inspecting_cpu),
                                  ("parsing only (difference)", inspecting - baseline, inspecting_cpu - baseline_cpu)):
        print(f"| {label} | {seconds:.2f} | {files / seconds:,.0f} | {megabytes / seconds:,.0f} | "
              f"{seconds / files * 1000:.2f} | {cpu_s:.2f} | {megabytes / cpu_s:,.0f} |")
    print(f"\nthroughput against read + sha256: {baseline / inspecting:.0%} by wall time, "
          f"{baseline_cpu / inspecting_cpu:.0%} by CPU time")
    print("\n| kind | files | ms/file median | p95 | max |")
    print("|---|---:|---:|---:|---:|")
    for kind, times in sorted(per_kind.items()):
        ms = sorted(t * 1000 for t in times)
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        print(f"| {kind} | {len(ms)} | {statistics.median(ms):.2f} | {p95:.2f} | {ms[-1]:.2f} |")


CHUNK = 25


def _hash_chunk(paths: list[Path]) -> float:
    cpu = time.process_time()
    for path in paths:
        hashlib.sha256(path.read_bytes()).hexdigest()
    return time.process_time() - cpu


def _read(path: Path) -> bytes:
    """The bundle's read of a folder's file (`intake._file_reader` where `read_file` is missing: the code
    before it, measured by this script for comparison)."""
    read_file = getattr(intake, "read_file", None)
    if read_file is None:
        return intake._file_reader(path, DEFAULT_LIMITS.max_file_bytes)()  # type: ignore[no-any-return]
    return read_file(path, DEFAULT_LIMITS.max_file_bytes)  # type: ignore[no-any-return]


def _inspect_chunk(paths: list[Path]) -> tuple[float, list[FileCheck]]:
    """As an import worker checks a submission's files: each a folder's entry (`intake.file_entry`, the
    file's size from a stat as the folder's listing has it) checked by `inspect_entry`; the checks sent
    back to the parent. (Code before `file_entry`: the bundle's read, then inspect_file.)"""
    cpu = time.process_time()
    file_entry = getattr(intake, "file_entry", None)
    if file_entry is None:
        checks = [inspect_file(path.name, _read(path)) for path in paths]
    else:
        checks = [inspect_entry(file_entry(path, path.name, path.stat().st_size)) for path in paths]
    return time.process_time() - cpu, checks


def _one_process_baseline(paths: list[Path]) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        hashlib.sha256(path.read_bytes()).hexdigest()
    return time.perf_counter() - started, time.process_time() - cpu


def measure_workers(folder: Path, count: int, workers: int) -> None:
    paths = corpus(folder, count)
    chunks = [paths[i:i + CHUNK] for i in range(0, len(paths), CHUNK)]
    megabytes = sum(p.stat().st_size for p in paths) / 1e6
    single, single_cpu = _one_process_baseline(paths)
    files = warm_up_files(paths)
    with ProcessPoolExecutor(workers, initializer=warm_up, initargs=(files,)) as pool:
        start_up = pool.submit(time.process_time).result()  # one worker's CPU before its first file
        list(pool.map(_hash_chunk, chunks[:workers]))  # every worker started and warmed up before the clock
        started = time.perf_counter()
        baseline_cpu = sum(pool.map(_hash_chunk, chunks))
        baseline = time.perf_counter() - started
        started, parent_cpu = time.perf_counter(), time.process_time()
        results = list(pool.map(_inspect_chunk, chunks))
        inspecting, parent_cpu = time.perf_counter() - started, time.process_time() - parent_cpu
    inspecting_cpu = sum(cpu for cpu, _ in results)
    ok = sum(check.form_ok for _, checks in results for check in checks)
    files = len(paths)
    print(f"\n{files} files, {megabytes:.0f} MB, {workers} worker processes; {ok} form ok\n")
    print(f"load average {os.getloadavg()[0]:.2f}; CPU seconds are the workers' (summed); the parent "
          f"spent {parent_cpu:.2f} s CPU receiving the checks; a worker's start-up (the process, imports, "
          f"two first files) {start_up:.2f} s CPU, not in the table\n")
    print("| measure | wall s | files/s | MB/s | CPU s | ms CPU/file |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, seconds, cpu_s in (("read + sha256, one process", single, single_cpu),
                                  (f"read + sha256, {workers} workers", baseline, baseline_cpu),
                                  ("read + inspect_file (incl. sha256)", inspecting, inspecting_cpu)):
        print(f"| {label} | {seconds:.2f} | {files / seconds:,.0f} | {megabytes / seconds:,.0f} | {cpu_s:.2f} | "
              f"{cpu_s / files * 1000:.2f} |")
    print(f"\nthroughput with {workers} workers against read + sha256 with {workers} workers: "
          f"{baseline / inspecting:.0%} by wall time, {baseline_cpu / inspecting_cpu:.0%} by CPU time; "
          f"against read + sha256 in one process: {single / inspecting:.0%} by wall time "
          f"({workers * single_cpu / inspecting_cpu:.0%} with {workers} free cores, by CPU time)")


def check_equivalence(folder: Path, count: int) -> None:
    """Every file's FileCheck by the fast path and by the plain path; the differences listed."""
    paths = corpus(folder, count)
    differ: list[str] = []
    for path in paths:
        data = path.read_bytes()
        fast = inspect_file(path.name, data)
        os.environ[stream_scan.SWITCH] = "0"
        try:
            plain = inspect_file(path.name, data)
        finally:
            del os.environ[stream_scan.SWITCH]
        if fast != plain:
            differ.append(path.name)
    print(f"{len(paths)} files: {len(paths) - len(differ)} the same FileCheck both ways, {len(differ)} differ"
          + (f": {', '.join(differ[:20])}" if differ else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: one process, no pool)")
    parser.add_argument("--dir", type=Path,
                        default=Path(tempfile.gettempdir()) / f"cchc-xl-bench-evidence-v{GENERATOR_VERSION}")
    parser.add_argument("--check", action="store_true", help="the fast and the plain path's results compared")
    args = parser.parse_args()
    generate(args.dir, args.files)
    if args.check:
        check_equivalence(args.dir, args.files)
    elif args.workers:
        measure_workers(args.dir, args.files, args.workers)
    else:
        measure(args.dir, args.files)


if __name__ == "__main__":
    main()
