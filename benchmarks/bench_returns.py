"""`cchc-xl import` on realistic returns, against openpyxl merely opening each file, in one run.

    .venv/bin/python benchmarks/bench_returns.py [--communes 300] [--jobs 1] [--dir DIR] [--keep-store]

The corpus (made once, kept in DIR): each synthetic commune's generated workbook filled the way communes
fill them — every score or figure typed, an explanation on every item (in the commune's own words: its documents'
numbers and dates), an evidence register of the commune's own two to five documents on about half the returns (a
quarter of the items cited; cited documents with no evidence folder: a warning), now and then an
item left blank, a file named after another commune now and then; about 60 % of the returns carry at least one
warning and 10 % are rejected (a score above the maximum, or points with neither evidence nor
explanation). All are saved by openpyxl, and one in eight is re-saved by LibreOffice (when `soffice` is
installed). Then, in one run: the `cchc-xl import` command on the whole inbox in a subprocess (its wall
time less that of the same command on a one-file inbox: start-up and the per-set work, paid once per
run, are not per-file costs), and openpyxl loading each file and reading every defined name's cell (on
the first 100 files). Wall and CPU time both: on a shared machine the CPU time (the command's and its
workers') is the steadier measure.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_settings, corpus_key, synthetic_commune

from cchc_xl.criteria import load_set
from cchc_xl.criteria.load import DEFAULT_SET
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.paths import bundled
from cchc_xl.samplegen.values import valid_values
from cchc_xl.workbook.generate import generate_one

CORPUS_VERSION = 4  # 4: each commune's own explanations and register entries (3: a few wordings, one register)
ROOT = Path(tempfile.gettempdir()) / "cchc-xl-bench-returns"
VENV_BIN = Path(sys.executable).parent


# -- the corpus ----------------------------------------------------------------------------------------
def fill_realistic(blank: Path, target: Path, cset: CriteriaSet, index: int) -> None:
    """One commune's return, filled by defined names as its spreadsheet program would."""
    import openpyxl

    rng = random.Random(index)
    wb = openpyxl.load_workbook(blank)

    def cell(name: str) -> Any:
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        return wb[sheet][ref.replace("$", "")]

    leaves = cset.commune_leaves()
    rejected = index % 10 == 3
    with_register = rng.random() < 0.5
    blanks = 1 if rng.random() < 0.15 else 0
    cited: list[str] = []
    for n, leaf in enumerate(leaves):
        assert leaf.rule is not None
        key, values = leaf.name_key, valid_values(leaf, rng)
        if n < blanks:
            continue  # an item the commune has not scored yet
        if leaf.rule.computed:
            for i, v in enumerate(values, start=1):
                cell(f"KK_{key}_{i}").value = v
        else:
            cell(f"TDG_{key}").value = values[0]
        if with_register and rng.random() < 0.25:
            cited.append(leaf.code)
        cell(f"GT_{key}").value = _explanation(rng, cset.year)
    if rejected:
        manual = next((leaf for leaf in leaves if leaf.rule is not None and not leaf.rule.computed), None)
        if manual is not None:
            if index % 20 == 3:
                cell(f"TDG_{manual.name_key}").value = float(manual.max + 1)  # above the maximum
            else:
                cell(f"TDG_{manual.name_key}").value = float(manual.max)  # points with no support at all
                cell(f"GT_{manual.name_key}").value = None
    if cited:
        sheet, ref = next(iter(wb.defined_names["TLKC"].destinations))
        first = int("".join(ch for ch in ref.split(":")[0] if ch.isdigit()))
        ws = wb[sheet]
        # each commune's own documents (numbers, dates, subjects, file names), one often backing several items
        documents = []
        for _ in range(rng.randint(2, 5)):
            kind, title = rng.choice(_DOCUMENTS)
            number = rng.randint(1, 250)
            documents.append((f"{number}/{kind}-UBND", dt.datetime(cset.year, rng.randint(1, 11), rng.randint(1, 28)),
                              f"{title} {rng.choice(_SUBJECTS)}", f"{kind.lower()}-{number}-{rng.randint(1, 99)}.pdf"))
        for i, code in enumerate(cited):
            number, issued, subject, file_name = rng.choice(documents)
            for j, v in enumerate([code, number, issued, "UBND xã", f"{subject} (tiêu chí {code})", file_name]):
                ws.cell(row=first + i, column=j + 1, value=v)
    wb.save(target)


_DOCUMENTS = [("KH", "Kế hoạch"), ("BC", "Báo cáo"), ("QĐ", "Quyết định"), ("TB", "Thông báo")]
_SUBJECTS = ["cải cách hành chính năm", "kiểm soát thủ tục hành chính", "thực hiện cơ chế một cửa",
             "tuyên truyền cải cách hành chính", "ứng dụng công nghệ thông tin", "kiểm tra công vụ"]
_OFFICES = ["văn phòng UBND", "bộ phận một cửa", "công chức văn phòng - thống kê", "công chức tư pháp - hộ tịch"]


def _explanation(rng: random.Random, year: int) -> str:
    """An item's explanation as an officer writes it: a few ways of saying it, each naming the commune's own
    documents and dates (no two returns alike, as no two communes' are)."""
    doc = f"{rng.randint(1, 250)}/{rng.choice(_DOCUMENTS)[0]}-UBND"
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    return rng.choice([
        f"Đã thực hiện theo văn bản số {doc} ngày {day:02d}/{month:02d}/{year}; hồ sơ lưu tại {rng.choice(_OFFICES)}.",
        f"Đơn vị tự đánh giá theo kết quả thực hiện trong năm {year}; hồ sơ lưu tại {rng.choice(_OFFICES)}.",
        f"Đạt; kèm báo cáo số liệu của {rng.choice(_OFFICES)} (văn bản số {doc}).",
        f"Đã ban hành văn bản số {doc} ngày {day}/{month}/{year}, triển khai đến {rng.randint(4, 18)} thôn, bản."])


def _make(args: tuple[int, str]) -> None:
    index, folder = args
    cset, settings = load_set(), bench_settings()
    commune = synthetic_commune(index)
    inbox = Path(folder)
    blank = generate_one(cset, commune, inbox.parent / "blank", settings)
    # One in 25 files is named after another commune (a copy-paste of last year's file name).
    other = synthetic_commune(index + 1)
    name = f"{other.code}-{other.slug}-ban-sua.xlsx" if index % 25 == 7 else blank.name
    fill_realistic(blank, inbox / name, cset, index)


def _resave_libreoffice(inbox: Path, files: list[Path]) -> None:
    """Re-save these returns with LibreOffice (as a commune that opened and saved them in Calc)."""
    if not files or shutil.which("soffice") is None:
        return
    out = inbox.parent / "lo"
    out.mkdir(exist_ok=True)
    profile = inbox.parent / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--calc",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), *map(str, files)],
                   check=True, capture_output=True, timeout=1800)
    for f in files:
        shutil.move(out / f.name, f)


def corpus(n: int, root: Path = ROOT) -> Path:
    inbox = root / f"v{CORPUS_VERSION}-{corpus_key()}-{n}" / "inbox"
    if inbox.is_dir() and len(list(inbox.glob("*.xlsx"))) == n:
        return inbox
    shutil.rmtree(inbox.parent, ignore_errors=True)
    inbox.mkdir(parents=True)
    print(f"making {n} realistic returns into {inbox} …", file=sys.stderr)
    with ProcessPoolExecutor() as pool:
        list(pool.map(_make, [(i, str(inbox)) for i in range(n)], chunksize=20))
    _resave_libreoffice(inbox, sorted(inbox.glob("*.xlsx"))[::8])
    write_communes(inbox.parent / "communes.csv", n)
    return inbox


def write_communes(path: Path, n: int) -> None:
    """The round's list for a corpus of n returns: n + 1 communes (the last one never sends)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "kind", "district", "province"])
        for i in range(n + 1):
            c = synthetic_commune(i)
            w.writerow([c.code, c.name, c.kind, c.district, c.province])


# -- the measurement ---------------------------------------------------------------------------------
def run_command(inbox: Path, out: Path, jobs: int | None = None) -> dict[str, Any]:
    """`cchc-xl import` in a subprocess: wall seconds, CPU seconds, the child's peak memory, statuses."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    settings = bench_settings()
    env = {**os.environ, "CCHC_XL_KEY": settings.key.decode(), "CCHC_XL_PASSWORD": settings.sheet_password,
           "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
           # The corpus carries no approval documents (Phụ lục 2 printed and signed): a round that asks for none.
           "CCHC_XL_APPROVAL_MISSING": "off"}
    # A round first (every command works in one): the bundled set, the corpus's communes, its own store.
    cset = load_set()
    subprocess.run([str(VENV_BIN / "cchc-xl"), "init", str(out / "round"), "--criteria", str(bundled(DEFAULT_SET)),
                    "--communes", str(inbox.parent / "communes.csv"), "--year", str(cset.year),
                    "--body", "UBND huyện Phù Yên", "--db", str(out / "store.sqlite")],
                   check=True, env=env, stdout=subprocess.DEVNULL, cwd=out)
    cmd = [str(VENV_BIN / "cchc-xl"), "import", str(inbox), "--out", str(out / "out"),
           "--workspace", str(out / "round")]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, cwd=out)
    if done.returncode not in (0, 1):  # 1: done, with rejected files (the corpus has them)
        raise subprocess.CalledProcessError(done.returncode, cmd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads((out / "out" / "import-report.json").read_text(encoding="utf-8"))
    statuses: dict[str, int] = {}
    for f in report["submissions"]:
        statuses[f["status"]] = statuses.get(f["status"], 0) + 1
    feedback = len(list((out / "out").rglob("*.xlsx"))) - 1
    return {"wall_s": wall, "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "peak_mb": after.ru_maxrss / 1024, "statuses": statuses, "feedback": feedback}


def openpyxl_read(files: list[Path]) -> tuple[float, float]:
    """openpyxl opening each file and reading every defined name's cell; (wall, CPU) seconds for all."""
    import openpyxl

    started, cpu = time.perf_counter(), time.process_time()
    for f in files:
        wb = openpyxl.load_workbook(f)
        for dn in wb.defined_names.values():
            for sheet, ref in dn.destinations:
                if sheet in wb.sheetnames:
                    ws = wb[sheet]
                    got = ws[ref.replace("$", "")]
                    _ = [c.value for row in got for c in row] if isinstance(got, tuple) else got.value
    return time.perf_counter() - started, time.process_time() - cpu


def run(n: int, jobs: int | None, root: Path = ROOT) -> dict[str, Any]:
    inbox = corpus(n, root)
    files = sorted(inbox.glob("*.xlsx"))
    one = root / "one" / "inbox"
    shutil.rmtree(one.parent, ignore_errors=True)
    one.mkdir(parents=True)
    shutil.copy(files[0], one)
    shutil.copy(inbox.parent / "communes.csv", one.parent)
    for f in files:  # from the OS file cache, for both paths
        f.read_bytes()
    base = run_command(one, root / "run-one", jobs)
    whole = run_command(inbox, root / "run-all", jobs)
    sample = files[: min(len(files), 100)]
    opx_wall, opx_cpu = openpyxl_read(sample)
    opx, opx_cpu = opx_wall / len(sample), opx_cpu / len(sample)
    per_file = (whole["wall_s"] - base["wall_s"]) / max(1, n - 1)
    cpu_per_file = (whole["cpu_s"] - base["cpu_s"]) / max(1, n - 1)
    warned = sum(v for k, v in whole["statuses"].items() if k != "accepted")
    return {"files": n, "jobs": jobs, "startup_s": base["wall_s"], "wall_s": whole["wall_s"],
            "per_file_ms": per_file * 1000, "cpu_per_file_ms": cpu_per_file * 1000,
            "openpyxl_ms": opx * 1000, "ratio": opx / per_file if per_file > 0 else float("inf"),
            "openpyxl_cpu_ms": opx_cpu * 1000, "cpu_ratio": opx_cpu / cpu_per_file if cpu_per_file > 0 else float("inf"),
            "peak_mb": whole["peak_mb"], "statuses": whole["statuses"], "feedback": whole["feedback"],
            "with_finding_share": warned / n, "load": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=None, help="passed to `cchc-xl import --jobs`")
    parser.add_argument("--dir", type=Path, default=ROOT)
    args = parser.parse_args()
    r = run(args.communes, args.jobs, args.dir)
    print(f"{r['files']} realistic returns, statuses {r['statuses']}, {r['feedback']} feedback workbooks; "
          f"load {r['load'][0]:.2f}")
    print(f"cchc-xl import: {r['wall_s']:.1f} s wall ({r['startup_s']:.1f} s for a one-file inbox), "
          f"{r['per_file_ms']:.1f} ms per file wall, {r['cpu_per_file_ms']:.1f} ms CPU, peak {r['peak_mb']:.0f} MB")
    print(f"openpyxl open + named cells: {r['openpyxl_ms']:.1f} ms per file wall, {r['openpyxl_cpu_ms']:.1f} ms CPU; "
          f"import is {r['ratio']:.1f}x faster by wall time, {r['cpu_ratio']:.1f}x by CPU time")


if __name__ == "__main__":
    main()
