"""`import-report.json` exactly as design.md fixes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cchc_xl.importing.run import ImportRun
from cchc_xl.numbers import json_number
from cchc_xl.safeio import write_text


def report_data(run: ImportRun) -> dict[str, Any]:
    return {
        "criteria": {"id": run.cset.id, "version": run.cset.version},
        "submissions": [
            {
                "file": r.file,
                "commune_code": r.commune_code,
                "status": r.status,
                "self_total": json_number(r.self_total),
                "findings": [f.model_dump() for f in r.findings],
            }
            for r in run.results
        ],
    }


def write_report(run: ImportRun, path: Path) -> dict[str, Any]:
    data = report_data(run)
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return data
