"""Every workbook kind of the mini set equals its reference file, part by part (tests/reference_files.py).

A difference names the part and the place; if the change is meant, check the new file by hand and run
`python scripts/regen_reference_files.py KIND`."""

from __future__ import annotations

from pathlib import Path

import pytest

from reference_files import KINDS, REFERENCE, first_difference, parts


@pytest.mark.parametrize("kind", list(KINDS))
def test_workbook_equals_its_reference(kind: str, tmp_path: Path) -> None:
    reference = REFERENCE / f"{kind}.xlsx"
    assert reference.is_file(), f"no reference for {kind}: run python scripts/regen_reference_files.py {kind}"
    got, want = parts(KINDS[kind](tmp_path)), parts(reference)
    assert list(got) == list(want), "the package's parts (or their order) differ"
    for name in want:
        assert got[name] == want[name], f"{kind}: {name} differs at {first_difference(got[name], want[name])}"
