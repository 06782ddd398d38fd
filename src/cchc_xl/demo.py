"""`cchc-xl demo DIR`: the pipeline on the bundled samples, end to end."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from cchc_xl.communes import load_communes
from cchc_xl.console import (
    appraise_finalize_cmd,
    appraise_import_cmd,
    appraise_prepare_cmd,
    import_with_progress,
    report_cmd,
)
from cchc_xl.criteria import load_set
from cchc_xl.messages import say
from cchc_xl.samplegen.approval import add_approvals
from cchc_xl.samplegen.council import fill_appraisal
from cchc_xl.samplegen.returns import fill_return, write_evidence
from cchc_xl.settings import load_settings
from cchc_xl.workbook.generate import generate_one


def run_demo(out: Path, console: Console | None = None) -> int:
    console = console or Console(highlight=False)
    cset = load_set()
    communes = load_communes()
    settings = load_settings()
    if out.exists():
        shutil.rmtree(out)
    blank_dir, inbox = out / "1-bang-tu-danh-gia", out / "2-hop-thu"
    console.print(say("demo.generate", count=len(communes), dir=blank_dir))
    paths = [generate_one(cset, c, blank_dir, settings) for c in communes]
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
    run, _outputs = import_with_progress(inbox, out / "3-ket-qua-tiep-nhan", cset, None, out / "cchc.sqlite",
                                         console)
    console.print(say("demo.planted"))
    failures = 0
    for m in planted:
        result = next(r for r in run.results if r.commune_code == m.commune)
        hit = next((f for f in result.findings if f.rule == m.rule), None)
        failures += hit is None
        console.print(escape(say("demo.planted_line", commune=m.commune, kind=m.kind, rule=m.rule,
                                 found=(hit.message if hit else say("demo.not_found")))))
    console.print(say("demo.appraise"))
    db = out / "cchc.sqlite"
    prepared = appraise_prepare_cmd(cset, out / "4-tham-dinh", db, console)
    filled = out / "5-tham-dinh-da-nhap"
    for path in prepared:
        fill_appraisal(path, filled / path.name, cset, path.stem)
    appraise_import_cmd(cset, filled, out / "6-ket-qua-tham-dinh", db, console)
    appraise_finalize_cmd([], "Phòng Nội vụ (mô phỏng)", db, console)
    console.print(say("demo.report"))
    report_cmd(cset, out / "7-xep-hang.xlsx", None, None, db, console)
    console.print(say("demo.outputs", dir=out))
    return 1 if failures else 0
