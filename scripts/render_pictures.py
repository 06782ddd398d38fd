"""Render pictures of the real workbooks for the user guides (docs/images/*.png).

    python scripts/render_pictures.py [--demo DIR] [--out docs/images] [--fresh]

Takes the demo's own output (runs `cchc-xl demo DIR` first when DIR has none), converts the workbooks to
PDF with LibreOffice in one call, finds the page of each sheet by a heading taken from
workbook_templates/*.yaml (never by page number), renders it with pdftoppm and crops it to the top of the
sheet. Output names are fixed (tu-danh-gia.png, tong-hop.png, …) and overwritten on every run.

Needs LibreOffice (`soffice`) and poppler (`pdftoppm`, `pdftotext`). Pillow, when installed, trims the
white margins and stores a palette PNG; without it the crop box is written as rendered.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from cchc_xl.office import OfficeError, convert
from cchc_xl.reports.feedback import feedback_name
from cchc_xl.templates import template

REPO = Path(__file__).resolve().parents[1]
BLANK, INBOX, RESULTS, APPRAISAL = "1-bang-tu-danh-gia", "2-hop-thu", "3-ket-qua-tiep-nhan", "4-tham-dinh"
ANSWERS = "6b-giai-trinh-da-gui"  # the answer workbooks as the communes returned them (explanation round)
PREFERRED_COMMUNE = "03922"  # xã Gia Phù: the example the workbook's own guide uses
FOOTER = 0.93                # below this fraction of the page height: LibreOffice's "Trang n/N" footer


@dataclass(frozen=True)
class Picture:
    name: str                   # output file stem
    source: str                 # key of the workbook it comes from (see _sources)
    needles: tuple[str, ...]    # texts that must all be on the page (whitespace ignored)
    dpi: int = 85
    box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, FOOTER)  # left, top, right, bottom (fractions)
    optional: bool = False      # skipped quietly when its workbook is absent
    what: str = ""


def literal(text: str) -> str:
    """The longest fixed part of a template text such as 'BẢNG … NĂM {year}'."""
    return max(re.split(r"\{[^}]*\}", text), key=lambda s: len(s.strip())).strip()


def pictures() -> list[Picture]:
    # 85-110 dpi where the sheet prints near full size; the sheets that still print shrunk to fit the A4 width
    # (the appraisal and ranking tables) get 120-140 dpi and a tighter crop to stay legible.
    commune, validation = template("commune"), template("validation")
    appraisal, ranking, answer = template("appraisal"), template("ranking"), template("answer")
    fcols = validation["finding_columns"]
    return [
        Picture("huong-dan", "blank", (literal(commune["guide"]["title"]),), dpi=85, box=(0, 0, 1, 0.5),
                what="blank commune workbook, sheet “Hướng dẫn”"),
        Picture("tu-danh-gia", "blank", (literal(commune["grid"]["title"]),), dpi=120, box=(0, 0, 1, 0.42),
                what="blank commune workbook, sheet “Tự đánh giá”"),
        Picture("tu-danh-gia-da-dien", "filled", (literal(commune["grid"]["title"]),), dpi=120,
                box=(0, 0, 1, 0.42), what="filled workbook from the inbox, sheet “Tự đánh giá”"),
        Picture("tlkc", "filled", (commune["register"]["title"],), dpi=95, box=(0, 0, 1, 0.5),
                what="filled workbook, sheet “Tài liệu kiểm chứng”"),
        Picture("tong-hop", "filled", (commune["summary"]["nation"], commune["summary"]["columns"]["title"].header),
                dpi=85, what="filled workbook, sheet “Tổng hợp”"),
        Picture("kiem-tra-tiep-nhan", "validation", (literal(validation["title"]),), dpi=110,
                box=(0, 0, 1, 0.6), what="validation workbook, sheet “Tổng hợp tiếp nhận”"),
        Picture("chi-tiet-loi", "validation", (fcols["severity"].header, fcols["message"].header), dpi=110,
                box=(0, 0, 1, 0.45), what="validation workbook, sheet “Chi tiết lỗi”"),
        Picture("phan-hoi", "feedback", (literal(validation["feedback"]["title"]),), dpi=100,
                box=(0, 0, 1, 0.5), what="feedback workbook, sheet “Kết quả tiếp nhận”"),
        Picture("tham-dinh", "appraisal", (literal(appraisal["title"]),), dpi=120, box=(0, 0, 1, 0.5),
                what="appraisal workbook, sheet “Thẩm định”"),
        Picture("giai-trinh", "answer", (literal(answer["title"]),), dpi=120, box=(0, 0, 1, 0.42), optional=True,
                what="answer workbook returned by a commune, sheet “Giải trình”"),
        Picture("xep-hang-bia", "ranking", (literal(ranking["cover"]["title"]),), dpi=90, optional=True,
                what="ranking workbook, sheet “Bìa”"),
        Picture("xep-hang", "ranking", (literal(ranking["ranking"]["title"]),), dpi=110, box=(0, 0, 1, 0.6),
                optional=True, what="ranking workbook, sheet “Xếp hạng”"),
        Picture("bieu-do", "ranking", (literal(ranking["charts"]["title"]),), dpi=90, box=(0, 0, 1, 0.4), optional=True,
                what="ranking workbook, sheet “Biểu đồ”"),
    ]


# -- the demo output ------------------------------------------------------------------------------
def has_demo(demo: Path) -> bool:
    return (demo / RESULTS / template("validation")["file_name"]).is_file() and (demo / BLANK).is_dir()


def ensure_demo(demo: Path, fresh: bool) -> None:
    if has_demo(demo) and not fresh:
        print(f"using the existing demo output in {demo}")
        return
    if demo.exists() and any(demo.iterdir()) and not (demo / BLANK).is_dir() and not (demo / RESULTS).is_dir():
        sys.exit(f"{demo} holds something other than demo output; choose another --demo folder")
    from cchc_xl.demo import run_demo

    print(f"running: cchc-xl demo {demo}")
    if run_demo(demo) != 0:
        print("warning: the demo missed a planted mistake; rendering anyway", file=sys.stderr)


def _commune_of(name: str) -> str:
    return name.split("-", 1)[0]


def _sources(demo: Path) -> dict[str, Path]:
    """The workbooks to picture, chosen deterministically from the demo output."""
    validation = template("validation")
    results = demo / RESULTS
    report = json.loads((results / "import-report.json").read_text(encoding="utf-8"))
    subs = [s for s in report["submissions"] if s.get("commune_code")]
    accepted = [s for s in subs if s["status"] == "accepted"]
    chosen = next((s for s in accepted if s["commune_code"] == PREFERRED_COMMUNE), accepted[0] if accepted else subs[0])
    filled = demo / chosen["file"]
    if not filled.is_file():
        filled = demo / INBOX / Path(chosen["file"]).name
    rejected = next((s for s in subs if s["status"] == "rejected"), None) or subs[0]
    feedback_dir = results / validation["feedback_dir"]
    feedback = feedback_dir / feedback_name(rejected["file"], rejected["commune_code"])
    if not feedback.is_file():
        feedback = min(feedback_dir.glob("*.xlsx"))
    code = chosen["commune_code"]
    sources = {
        "blank": next((p for p in sorted((demo / BLANK).glob("*.xlsx")) if _commune_of(p.name) == code),
                      min((demo / BLANK).glob("*.xlsx"))),
        "filled": filled,
        "validation": results / validation["file_name"],
        "feedback": feedback,
    }
    appraisal = sorted((demo / APPRAISAL).glob("*.xlsx"))
    if appraisal:
        sources["appraisal"] = next((p for p in appraisal if _commune_of(p.name) == code), appraisal[0])
    # an answer that explains (it came with an evidence folder), else any
    answers = sorted((demo / ANSWERS).glob("*.xlsx"))
    if answers:
        sources["answer"] = next((p for p in answers if p.with_suffix("").is_dir()), answers[0])
    ranking = sorted(p for p in demo.rglob("*xep-hang*.xlsx") if not p.name.startswith("~$"))
    if ranking:
        sources["ranking"] = ranking[0]
    return sources


# -- PDF pages ------------------------------------------------------------------------------------
def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True).stdout
    pages = out.decode("utf-8", errors="replace").split("\f")
    return [_squash(p) for p in pages[: len(PdfReader(pdf).pages)]]


def find_page(texts: list[str], needles: tuple[str, ...]) -> int | None:
    """1-based number of the first page holding every needle."""
    wanted = [_squash(n) for n in needles]
    return next((i + 1 for i, t in enumerate(texts) if all(w in t for w in wanted)), None)


def render(pdf: Path, page: int, pic: Picture, target: Path, work: Path) -> None:
    box = PdfReader(pdf).pages[page - 1].mediabox
    width, height = float(box.width) * pic.dpi / 72, float(box.height) * pic.dpi / 72
    left, top, right, bottom = pic.box
    x, y = int(left * width), int(top * height)
    w, h = int((right - left) * width), int((bottom - top) * height)
    stem = work / f"{pic.name}-raw"
    subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(pic.dpi), "-x", str(x), "-y", str(y),
                    "-W", str(w), "-H", str(h), "-png", "-singlefile", str(pdf), str(stem)], check=True)
    raw = stem.with_suffix(".png")
    try:
        from PIL import Image, ImageChops
    except ImportError:
        shutil.copyfile(raw, target)
        return
    with Image.open(raw) as im:
        rgb = im.convert("RGB")
        bbox = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
        if bbox:
            pad = max(6, pic.dpi // 8)
            rgb = rgb.crop((max(0, bbox[0] - pad), max(0, bbox[1] - pad),
                            min(rgb.width, bbox[2] + pad), min(rgb.height, bbox[3] + pad)))
        # Text on white with a few fill colours: a 128-colour palette keeps it sharp at a quarter of the size.
        rgb.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(target, optimize=True)


# -- main -----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", type=Path, default=REPO / "demo-output",
                        help="demo output folder (filled by cchc-xl demo when it has none)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images", help="where to write the PNGs")
    parser.add_argument("--fresh", action="store_true", help="re-run the demo first")
    args = parser.parse_args(argv)
    for tool in ("pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (install poppler-utils)")

    demo: Path = args.demo.resolve()
    ensure_demo(demo, args.fresh)
    sources = _sources(demo)
    wanted = pictures()
    missing_sources = sorted({p.source for p in wanted if p.source not in sources})
    for key in missing_sources:
        print(f"skipped: no {key} workbook under {demo}")

    args.out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cchc-pictures-") as tmp:
        work = Path(tmp)
        (work / "src").mkdir()
        copies = {}
        for key, path in sources.items():   # distinct names: blank and filled workbooks share a stem
            copies[key] = work / "src" / f"{key}.xlsx"
            shutil.copyfile(path, copies[key])
        try:
            pdfs = dict(zip(copies, convert(list(copies.values()), "pdf", work / "pdf"), strict=True))
        except OfficeError as exc:
            sys.exit(f"LibreOffice could not convert to PDF: {exc}")
        texts = {key: page_texts(pdf) for key, pdf in pdfs.items()}
        for pic in wanted:
            if pic.source not in pdfs:
                if not pic.optional:
                    failures.append(f"{pic.name}: no {pic.source} workbook")
                continue
            page = find_page(texts[pic.source], pic.needles)
            if page is None:
                failures.append(f"{pic.name}: no page of {sources[pic.source].name} holds "
                                f"{' + '.join(repr(n) for n in pic.needles)}")
                continue
            target = args.out / f"{pic.name}.png"
            render(pdfs[pic.source], page, pic, target, work)
            written.append(target)
            src = sources[pic.source].relative_to(demo)
            print(f"wrote {target}  <- {src}, page {page}: {pic.what}")
    for f in failures:
        print(f"not rendered: {f}", file=sys.stderr)
    print(f"{len(written)} pictures in {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
