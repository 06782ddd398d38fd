"""LibreOffice headless: recalculate, re-save and convert spreadsheets (tests, docs, demo pictures).

A private profile makes LibreOffice always recalculate on load (OOXMLRecalcMode/ODFRecalcMode = 0):
its default keeps the cached values in the file, which would hide what the formulas compute.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""

FILTERS = {
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "xls": "xls:MS Excel 97",
    "ods": "ods",
    "pdf": "pdf",
}


class OfficeError(RuntimeError):
    pass


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


# LibreOffice 7.4 silently converts only the first ~245 files named on one command line.
CHUNK = 200


def convert(files: list[Path], to: str, out_dir: Path, timeout: float = 600) -> list[Path]:
    """Open each file in LibreOffice (recalculating) and save it as `to` into out_dir; one process per
    chunk of files, all sharing one private profile."""
    soffice = find_soffice()
    if soffice is None:
        raise OfficeError("LibreOffice (soffice) not found; install libreoffice-calc-nogui")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cchc-lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        for start in range(0, len(files), CHUNK):
            chunk = files[start:start + CHUNK]
            cmd = [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", FILTERS.get(to, to), "--outdir", str(out_dir),
                   *[str(f) for f in chunk]]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
            if proc.returncode != 0:
                raise OfficeError(f"LibreOffice failed ({proc.returncode}): {proc.stderr.strip()}")
    ext = to.split(":")[0]
    results = [out_dir / f"{f.stem}.{ext}" for f in files]
    missing = [r for r in results if not r.exists()]
    if missing:
        raise OfficeError(f"LibreOffice did not write {len(missing)} file(s), e.g. {missing[0]}")
    return results
