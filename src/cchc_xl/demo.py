"""`cchc-xl demo DIR`: the pipeline on the bundled samples, end to end, as a district runs it: `init` of a
round into DIR (its own fresh key), then every command from the round, without --criteria/--communes.

DIR may be a district's real working folder typed by mistake, so the demo writes only into a folder that
is new, empty, or marked as its own (DEMO_MARKER, written first); anything else is refused before a single
file is touched. Re-running into its own folder removes only what an earlier demo made.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from cchc_xl.communes import DEFAULT_COMMUNES
from cchc_xl.console import (
    appraise_answers_cmd,
    appraise_answers_import_cmd,
    appraise_finalize_cmd,
    appraise_import_cmd,
    appraise_prepare_cmd,
    appraise_round2_cmd,
    import_with_progress,
    make_console,
    report_cmd,
)
from cchc_xl.criteria import load_set
from cchc_xl.criteria.load import DEFAULT_SET
from cchc_xl.messages import say
from cchc_xl.paths import bundled
from cchc_xl.samplegen.approval import add_approvals
from cchc_xl.samplegen.council import fill_answers, fill_appraisal, fill_round2
from cchc_xl.samplegen.returns import fill_return, write_evidence
from cchc_xl.workbook.generate import generate_one
from cchc_xl.workspace import Workspace, init_round

DEMO_BODY = "UBND huyện Phù Yên"
DEMO_PLACE = "Phù Yên"
DEMO_MARKER = ".cchc-xl-demo"
# Everything a demo run writes at the top of its folder (a re-run removes these and nothing else).
DEMO_ENTRIES = ("cchc-xl.toml", "cchc.sqlite", "cchc.sqlite-wal", "cchc.sqlite-shm", "cchc.sqlite.sao-luu",
                "1-bang-tu-danh-gia", "2-hop-thu", "3-ket-qua-tiep-nhan", "4-tham-dinh", "5-tham-dinh-da-nhap",
                "6-ket-qua-tham-dinh", "6a-giai-trinh", "6b-giai-trinh-da-gui", "6c-ket-qua-giai-trinh",
                "6d-tham-dinh-vong-2", "6e-tham-dinh-vong-2-da-nhap", "6f-ket-qua-vong-2", "7-xep-hang.xlsx")


class DemoFolderError(ValueError):
    """The folder is not the demo's to write into: one Vietnamese message, nothing changed."""


def claim_folder(out: Path) -> None:
    """Make `out` the demo's: create it, or accept it empty, or clear an earlier demo's own entries.
    Raises DemoFolderError, having changed nothing, for a file or a folder the demo did not make."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise DemoFolderError(say("demo.not_a_folder", dir=out))
    if out.is_dir():
        try:
            entries = list(out.iterdir())
        except OSError:
            raise DemoFolderError(say("demo.folder_unreadable", dir=out)) from None
        if entries and not (out / DEMO_MARKER).is_file():
            raise DemoFolderError(say("demo.folder_not_empty", dir=out, count=len(entries)))
        for name in DEMO_ENTRIES:
            entry = out / name
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif entry.exists() or entry.is_symlink():
                entry.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / DEMO_MARKER).write_text(say("demo.marker") + "\n", encoding="utf-8")


def run_demo(out: Path, console: Console | None = None) -> int:
    """Raises DemoFolderError (nothing written) when `out` is not the demo's to write into."""
    console = console or make_console()
    claim_folder(out)
    year = load_set(bundled(DEFAULT_SET)).year
    ws = init_round(out, criteria_file=bundled(DEFAULT_SET), communes_file=bundled(DEFAULT_COMMUNES), year=year,
                    body=DEMO_BODY, place=DEMO_PLACE)
    console.print(escape(say("round.created", round=ws.round.id, body=ws.round.body, year=year,
                             set=f"{ws.cset.id} {ws.cset.version}", count=len(ws.communes), config=ws.config,
                             db=ws.db_path)))
    cset, communes, settings = ws.cset, ws.communes, ws.settings
    blank_dir, inbox = out / "1-bang-tu-danh-gia", out / "2-hop-thu"
    console.print(say("demo.generate", count=len(communes), dir=blank_dir))
    paths = [generate_one(cset, c, blank_dir, settings, identity=ws.identity) for c in communes]
    console.print(say("demo.fill", dir=inbox))
    planted = []
    for i, (commune, path) in enumerate(zip(communes, paths, strict=True)):
        docs, mistake = fill_return(path, inbox / path.name, cset, commune, i, cset.year)
        if mistake:
            planted.append(mistake)
        write_evidence(inbox / path.stem, docs, commune, i, as_zip=i % 2 == 1,
                       drop_first=mistake is not None and mistake.kind == "missing_file")
    console.print(say("demo.approvals"))
    approvals = add_approvals(inbox, communes, cset)
    if approvals is None:  # no LibreOffice to print the Phụ lục 2: the demo's returns have no approval documents
        console.print(say("demo.no_approvals"))
        os.environ.setdefault("CCHC_XL_APPROVAL_MISSING", "warning")
    planted += approvals or []
    console.print(say("demo.import"))
    run, _outputs = import_with_progress(inbox, out / "3-ket-qua-tiep-nhan", ws, console)
    console.print(say("demo.planted"))
    failures = 0
    for m in planted:
        result = next(r for r in run.results if r.commune_code == m.commune)
        hit = next((f for f in result.findings if f.rule == m.rule), None)
        failures += hit is None
        console.print(escape(say("demo.planted_line", commune=m.commune, kind=m.kind, rule=m.rule,
                                 found=(hit.message if hit else say("demo.not_found")))))
    console.print(say("demo.appraise"))
    prepared = appraise_prepare_cmd(ws, out / "4-tham-dinh", console)
    filled = out / "5-tham-dinh-da-nhap"
    for path in prepared.written:
        fill_appraisal(path, filled / path.name, cset, path.stem)
    appraise_import_cmd(ws, filled, out / "6-ket-qua-tham-dinh", console)
    explanation_round(ws, out, console)
    appraise_finalize_cmd(ws, [], "Phòng Nội vụ (mô phỏng)", console)
    console.print(say("demo.report"))
    report_cmd(ws, out / "7-xep-hang.xlsx", None, console)
    console.print(say("demo.outputs", dir=out))
    return 1 if failures else 0


def explanation_round(ws: Workspace, out: Path, console: Console) -> None:
    """Answer workbooks to the communes whose scores the council changed, due in a week; their answers, received
    today; round 2 on the contested items, prepared as if the week had passed."""
    console.print(say("demo.explain"))
    deadline = dt.date.today() + dt.timedelta(days=7)
    issued, returned = out / "6a-giai-trinh", out / "6b-giai-trinh-da-gui"
    appraise_answers_cmd(ws, issued, deadline, False, console)
    documents = dt.date(ws.cset.year, 11, 30)  # the added documents date from the assessed year
    sent = [fill_answers(p, returned / p.name, p.stem, i, documents)
            for i, p in enumerate(sorted(issued.glob("*.xlsx")))]
    if any(sent):
        appraise_answers_import_cmd(ws, returned, out / "6c-ket-qua-giai-trinh", None, console)
    round2 = appraise_round2_cmd(ws, out / "6d-tham-dinh-vong-2", console, today=deadline + dt.timedelta(days=1))
    for path in round2:
        fill_round2(path, out / "6e-tham-dinh-vong-2-da-nhap" / path.name, ws.cset, path.stem)
    if round2:
        appraise_import_cmd(ws, out / "6e-tham-dinh-vong-2-da-nhap", out / "6f-ket-qua-vong-2", console)
