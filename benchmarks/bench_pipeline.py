"""The whole pipeline of a round, through the commands a district runs, on realistic returns with evidence.

    .venv/bin/python benchmarks/bench_pipeline.py [--communes 1000] [--jobs 2] [--dir DIR] [--record]

Stages, each one `cchc-xl` command in a subprocess of its own (wall time, CPU time of the command and its
workers, peak resident memory of the largest process):
1. `init` a round of N synthetic communes (not timed as a stage: it is a one-off);
2. `generate` the N blank workbooks;
3. `import --jobs J` the N realistic returns of bench_returns.py (one in eight re-saved by LibreOffice), each
   cited evidence file present in the return's evidence folder: distinct PDFs (scans and digitally signed text
   PDFs, each file's bytes made unique so no check is a cache hit), as communes send them — some folders with
   a file the register does not name, some with a text PDF exported without a signature. At 10,600 communes
   (derived from the pool of 1,000, whose mix they keep): 51 % of the returns carry a warning, 10 % are
   rejected, 44 % are accepted as they are;
4. `appraise prepare --jobs J`: the council's workbook of every accepted return;
5. `report`: the ranking workbook.
`--record` adds the table, the commit and the machine's load as a dated section at the top of
benchmarks/RESULTS.md (the rest of the file is kept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_returns import ROOT, VENV_BIN, corpus
from common import bench_settings

from cchc_xl.criteria import load_set
from cchc_xl.criteria.load import DEFAULT_SET
from cchc_xl.paths import bundled

# 2: two folders in five hold a file the register does not name, in two others the first file is a text PDF
# exported without a signature (with version 1 every folder was as the register says: 17 % of the
# returns carried a warning, not most of them)
EVIDENCE_VERSION = 2
EXTRA_FILE = "anh-hien-truong.pdf"  # a photo the officer added, named in no register
POOL = 40  # scans to draw from; each copy is made unique by a trailing comment
POOL_RETURNS = 1000  # past this many communes, the corpus is derived from the one of this many (national_corpus)


@dataclass
class Stage:
    name: str
    wall_s: float
    cpu_s: float
    peak_mb: float
    items: int

    @property
    def ms_each(self) -> float:
        return self.wall_s * 1000 / max(1, self.items)


# -- the evidence folders ------------------------------------------------------------------------------
def _scans(folder: Path) -> list[bytes]:
    from cchc_xl.samplegen.pdfs import DocSpec, scan_pdf

    if not (folder.is_dir() and len(list(folder.glob("*.pdf"))) == POOL):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for k in range(POOL):
            spec = DocSpec(commune="Thử", kind="BÁO CÁO", number=f"{k + 1}/BC-UBND",
                           issued=dt.date(2022, 3, 1 + k % 28), subject=f"Kết quả thực hiện nhiệm vụ {k}",
                           signer="Nguyễn Văn An")
            (folder / f"{k:02d}.pdf").write_bytes(scan_pdf(seed=k, pages=1 + k % 3, spec=spec))
    return [p.read_bytes() for p in sorted(folder.glob("*.pdf"))]


def evidence(inbox: Path, rng: random.Random) -> int:
    """`add_evidence` once per EVIDENCE_VERSION (folders of another version made again); the files made."""
    marker = inbox.parent / "evidence-made"
    if marker.exists() and marker.read_text(encoding="utf-8").strip() == f"v{EVIDENCE_VERSION}":
        return sum(len(list(folder.iterdir())) for folder in inbox.iterdir() if folder.is_dir())
    for folder in inbox.iterdir():
        if folder.is_dir():
            shutil.rmtree(folder)
    made = add_evidence(inbox, rng)
    marker.write_text(f"v{EVIDENCE_VERSION}\n", encoding="utf-8")
    return made


def issued(k: int) -> dt.date:
    """The date of a commune's k-th signed document (a register may cite dozens)."""
    return dt.date(2022, 2 + k // 28 % 10, 1 + k % 28)


def add_evidence(inbox: Path, rng: random.Random) -> int:
    """An evidence folder beside each return whose register cites files, holding those files, every one
    distinct: half scans (a pool's scan with a comment after %%EOF, which no reader looks at), half text
    PDFs signed for that commune; as communes send them, return i's folder (by i % 20, so that a pool of
    a multiple of 200 keeps the mix) also holds a file its register does not name (0–7: two in five), or its
    first file is a text PDF exported without a signature (8–15: two in five), each with a comment after
    %%EOF like a scan's."""
    import openpyxl

    from cchc_xl.samplegen.pdfs import DocSpec, demo_identity, sign_pdf, text_pdf

    scans = _scans(inbox.parent / "scan-pool")
    identity = demo_identity(seed=3)
    made = 0
    for i, book in enumerate(sorted(inbox.glob("*.xlsx"))):
        folder = inbox / book.stem
        if folder.is_dir():
            made += len(list(folder.iterdir()))
            continue
        wb = openpyxl.load_workbook(book, read_only=True)
        ((sheet, ref),) = list(wb.defined_names["TLKC"].destinations)
        cited = {str(c.value) for row in wb[sheet][ref.replace("$", "")] for c in row[-1:] if c.value}
        wb.close()
        if not cited:
            continue
        folder.mkdir()
        for k, name in enumerate(sorted(cited)):
            trailer = f"\n% {book.stem}/{name}\n".encode()
            unsigned = k == 0 and 8 <= i % 20 <= 15
            if not unsigned and rng.random() < 0.5:
                data = rng.choice(scans) + trailer
            else:
                spec = DocSpec(commune=book.stem, kind="KẾ HOẠCH", number=f"{k + 1}/KH-UBND",
                               issued=issued(k), subject=f"Thực hiện tiêu chí, tệp {name}",
                               signer="Nguyễn Văn An")
                data = text_pdf(seed=i * 8 + k, pages=1 + k % 3, spec=spec)
                data = data + trailer if unsigned else sign_pdf(data, identity)
            (folder / name).write_bytes(data)
            made += 1
        if i % 20 <= 7:
            (folder / EXTRA_FILE).write_bytes(rng.choice(scans) + f"\n% {book.stem}/{EXTRA_FILE}\n".encode())
            made += 1
    return made


# -- the commands ----------------------------------------------------------------------------------------
def _env() -> dict[str, str]:
    settings = bench_settings()
    return {**os.environ, "CCHC_XL_KEY": settings.key.decode(), "CCHC_XL_PASSWORD": settings.sheet_password,
            "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
            "CCHC_XL_APPROVAL_MISSING": "off"}  # the corpus carries no signed Phụ lục 2


# A small Python between this process and the command: a forked child's peak memory starts at its parent's
# (it survives exec), so the command is started from a process that holds next to nothing.
_WRAPPER = """
import os, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
print(done.returncode, u.ru_utime + u.ru_stime, u.ru_maxrss)
"""


def command(name: str, args: list[str], cwd: Path, items: int) -> Stage:
    """One `cchc-xl` command; its wall time, its and its workers' CPU time, the peak memory of its largest
    process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _WRAPPER, str(VENV_BIN / "cchc-xl"), *args], env=_env(), cwd=cwd,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    code, cpu, peak_kb = done.stdout.split()
    if int(code) not in (0, 1):  # 1: done, with rejected files (the corpus has them)
        raise SystemExit(f"cchc-xl {' '.join(args)} failed ({code}):\n{done.stderr}")
    return Stage(name, wall, float(cpu), int(peak_kb) / 1024, items)


def run(n: int, jobs: int, root: Path, pool: int = POOL_RETURNS) -> tuple[list[Stage], dict[str, int]]:
    started = time.perf_counter()
    if n <= pool:  # made the slow way (bench_returns, then evidence)
        inbox = corpus(n, root)
        pdfs = evidence(inbox, random.Random(n))
    else:  # derived from the corpus at `pool` communes (national_corpus.py)
        from national_corpus import national_corpus

        inbox, pdfs = national_corpus(n, pool, root)
    print(f"corpus ready in {time.perf_counter() - started:.1f} s: {inbox}", file=sys.stderr)
    work = root / f"pipeline-{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cset = load_set()
    subprocess.run([str(VENV_BIN / "cchc-xl"), "init", str(work / "round"), "--criteria", str(bundled(DEFAULT_SET)),
                    "--communes", str(inbox.parent / "communes.csv"), "--year", str(cset.year),
                    "--body", "UBND huyện Phù Yên", "--db", str(work / "store.sqlite")],
                   check=True, env=_env(), stdout=subprocess.DEVNULL, cwd=work)
    ws = ["--workspace", str(work / "round")]
    units = n + 1  # communes.csv lists one unit more than the returns (one never sends)
    stages = [
        command("generate", ["generate", "--out", str(work / "blank"), *ws], work, units),
        command(f"import --jobs {jobs} (with evidence)", ["import", str(inbox), "--out", str(work / "out"),
                                                          "--jobs", str(jobs), *ws], work, n),
        command(f"appraise prepare --jobs {jobs}", ["appraise", "prepare", "--out", str(work / "tham-dinh"),
                                                    "--jobs", str(jobs), *ws], work, n),
        command("report", ["report", "--out", str(work / "xep-hang.xlsx"), *ws], work, units),
    ]
    counts = {"returns": n, "evidence files": pdfs,
              "feedback workbooks": len(list((work / "out").rglob("*.xlsx"))) - 1,
              "appraisal workbooks": len(list((work / "tham-dinh").glob("*.xlsx")))}
    return stages, counts


def table(stages: list[Stage]) -> str:
    lines = ["| stage | wall s | ms per item (wall) | CPU s | peak MB |", "|---|---:|---:|---:|---:|"]
    for s in stages:
        lines.append(f"| {s.name} | {s.wall_s:.1f} | {s.ms_each:.1f} | {s.cpu_s:.1f} | {s.peak_mb:.0f} |")
    total_wall = sum(s.wall_s for s in stages)
    total_cpu = sum(s.cpu_s for s in stages)
    lines.append(f"| **whole pipeline** | **{total_wall:.1f}** | — | **{total_cpu:.1f}** | "
                 f"{max(s.peak_mb for s in stages):.0f} |")
    return "\n".join(lines)


def record(text: str, results: Path) -> None:
    old = results.read_text(encoding="utf-8")
    head, _, rest = old.partition("\n")
    results.write_text(f"{head}\n\n{text}\n{rest}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=ROOT)
    parser.add_argument("--pool", type=int, default=POOL_RETURNS,
                        help="past this many communes, derive the corpus from the one of this many")
    parser.add_argument("--record", action="store_true", help="add the result to benchmarks/RESULTS.md")
    args = parser.parse_args()
    before = os.getloadavg()
    stages, counts = run(args.communes, args.jobs, args.dir, args.pool)
    load = os.getloadavg()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    where = "" if args.dir == ROOT else f" --dir {args.dir}"
    text = (f"## The whole pipeline, {args.communes} communes ({dt.datetime.now():%Y-%m-%d %H:%M})\n\n"
            f"Command: `python benchmarks/bench_pipeline.py --communes {args.communes} --jobs {args.jobs}{where}`, commit "
            f"`{commit}`, {os.cpu_count()} cores, load average {before[0]:.1f} before the run, after it {load[0]:.1f} / "
            f"{load[1]:.1f} / {load[2]:.1f}. Inputs: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + ".\n\n"
            f"{table(stages)}\n")
    print(text)
    if args.record:
        record(text, Path(__file__).with_name("RESULTS.md"))


if __name__ == "__main__":
    main()
