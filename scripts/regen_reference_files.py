"""Write the reference workbooks of the tests (tests/data/reference/) anew.

Run it only when a writer's output changed on purpose, after checking the new files by hand (open them in
Excel or LibreOffice, print them): the tests compare every build with these files part by part.

    python scripts/regen_reference_files.py [KIND ...]

KIND: commune, commune-filled, appraisal, ranking (tests/reference_files.py's KINDS; default: all). The
ranking's reference is the mini set's ranking workbook of seven units (tests/reference_files.ranking_input),
every sheet with a result sheet per ranked unit; print it (LibreOffice → PDF) before committing a new one.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from reference_files import KINDS, REFERENCE


def main(kinds: list[str]) -> None:
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise SystemExit(f"unknown kinds {unknown}; known: {', '.join(KINDS)}")
    REFERENCE.mkdir(parents=True, exist_ok=True)
    for kind in kinds or list(KINDS):
        with tempfile.TemporaryDirectory() as tmp:
            built = KINDS[kind](Path(tmp))
            shutil.copyfile(built, REFERENCE / f"{kind}.xlsx")
        print(f"{kind}: {REFERENCE / f'{kind}.xlsx'}")


if __name__ == "__main__":
    main(sys.argv[1:])
