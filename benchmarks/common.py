"""Shared by the generation and import benchmarks: one core, synthetic communes, timing and a markdown table.

Never imported by the test suite: timings belong here, not in unit tests.
"""

from __future__ import annotations

import hashlib
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cchc_xl.communes import Commune
from cchc_xl.settings import Settings

T = TypeVar("T")

# Vietnamese place-name syllables: 25 x 40 distinct two-syllable names.
_FIRST = ["An", "Bình", "Cẩm", "Chiềng", "Đông", "Gia", "Hòa", "Hưng", "Kim", "Long", "Mường", "Nam", "Ngọc", "Phú",
          "Quang", "Sơn", "Tân", "Thanh", "Trung", "Vĩnh", "Xuân", "Yên", "Đại", "Hồng", "Lạc"]
_SECOND = ["An", "Bắc", "Cường", "Đoài", "Đông", "Hà", "Hải", "Hiệp", "Hòa", "Khê", "Lâm", "Lợi", "Minh", "Nghĩa",
           "Phong", "Phúc", "Quý", "Sơn", "Tân", "Thành", "Thịnh", "Thuận", "Tiến", "Trung", "Vinh", "Xá", "Yên",
           "Lương", "Mỹ", "Ninh", "Phương", "Tường", "Khánh", "Lộc", "Đức", "Hạnh", "Kiều", "Lam", "Mai", "Nhân"]


def one_core() -> int:
    """Pin this process to one CPU (the measured work runs on one core); returns that CPU."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def synthetic_commune(i: int) -> Commune:
    """Commune number i: code 10000 + i, a distinct Vietnamese name (with a number past 1,000)."""
    name = f"{_FIRST[i % len(_FIRST)]} {_SECOND[(i // len(_FIRST)) % len(_SECOND)]}"
    if i >= len(_FIRST) * len(_SECOND):
        name += f" {i // (len(_FIRST) * len(_SECOND)) + 1}"
    kind = "thị trấn" if i % 25 == 24 else "phường" if i % 10 == 9 else "xã"
    return Commune(code=str(10000 + i), name=name, kind=kind, district="Phù Yên", province="Sơn La")


def synthetic_communes(n: int) -> list[Commune]:
    return [synthetic_commune(i) for i in range(n)]


def corpus_key() -> str:
    """What the corpus's files depend on besides this script: the commune template's version and the
    bundled set (a corpus made before either changed would be rejected whole, `meta.template_mismatch`)."""
    from cchc_xl.criteria import load_set
    from cchc_xl.templates import template
    from cchc_xl.workbook.layout import set_fingerprint

    made_from = f"{template('commune').template_version}|{set_fingerprint(load_set())}"
    return hashlib.sha256(made_from.encode("utf-8")).hexdigest()[:10]


def bench_settings() -> Settings:
    return Settings(key=b"cchc-xl benchmark key", key_is_demo=False, sheet_password="cchc")


def timed_each(fn: Callable[[T], Any], items: Iterable[T]) -> list[float]:
    """Wall time of fn(item) for each item, in seconds."""
    times = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> dict[str, float]:
    """mean, p50, p95 in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"mean_ms": statistics.fmean(times) * 1000, "p50_ms": statistics.median(times) * 1000,
            "p95_ms": p95 * 1000}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def markdown(rows: list[dict[str, Any]], columns: list[str]) -> str:
    def cell(v: Any) -> str:
        return f"{v:.1f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def in_fresh_process(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in a new interpreter, so each measured path has its own peak memory (and caches)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()
