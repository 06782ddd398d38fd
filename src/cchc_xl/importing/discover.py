"""Find submissions in an inbox (design.md): workbooks, each with its evidence folder or zip."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cchc_xl.safeio import shown_name

__all__ = ["Candidate", "Ignored", "discover", "shown_name"]

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
# Spreadsheet kinds that are no return (binary workbook, templates): reported as refused, with the reason.
REFUSED_SUFFIXES = {".xlsb", ".xltx", ".xltm", ".xlt", ".ots", ".fods", ".numbers"}


@dataclass(frozen=True)
class Candidate:
    workbook: Path
    evidence: Path | None  # folder or .zip with the same stem
    refused: str | None = None  # the rule of a return refused unread: its kind (REFUSED_SUFFIXES), or a link


@dataclass(frozen=True)
class Ignored:
    path: Path
    reason: str  # "lock_file" | "hidden" | "unrelated"


def _stem_key(path: Path) -> str:
    return unicodedata.normalize("NFC", path.stem).casefold()


Listing = tuple[list[Candidate], list[Ignored]]


def discover(inbox: Path) -> Listing:
    entries = sorted(inbox.iterdir(), key=lambda p: unicodedata.normalize("NFC", p.name))
    # A link is reported, never followed: it may lead out of the inbox.
    workbooks = [p for p in entries if p.suffix.lower() in WORKBOOK_SUFFIXES | REFUSED_SUFFIXES
                 and not p.name.startswith(("~$", ".")) and (p.is_symlink() or p.is_file())]
    stems = {_stem_key(p) for p in workbooks}
    listed = set(workbooks)  # (a set: 10,600 entries looked up in a list took half a minute)
    evidence: dict[str, Path] = {}
    ignored: list[Ignored] = []
    for p in entries:
        if p in listed:
            continue
        if p.name.startswith("~$"):
            ignored.append(Ignored(p, "lock_file"))
        elif p.name.startswith(".") or p.name.lower() in {"thumbs.db", "desktop.ini", "__macosx"}:
            ignored.append(Ignored(p, "hidden"))
        elif (p.is_dir() or p.suffix.lower() == ".zip") and _stem_key(p if p.is_dir() else p.with_suffix("")) in stems:
            key = unicodedata.normalize("NFC", p.name if p.is_dir() else p.stem).casefold()
            # A folder wins over a zip of the same name: it is what the officer unpacked.
            if key not in evidence or p.is_dir():
                if key in evidence:
                    ignored.append(Ignored(evidence[key], "unrelated"))
                evidence[key] = p
            else:
                ignored.append(Ignored(p, "unrelated"))
        else:
            ignored.append(Ignored(p, "unrelated"))
    return [Candidate(w, evidence.get(_stem_key(w)), _refused(w)) for w in workbooks], ignored


def _refused(path: Path) -> str | None:
    if path.is_symlink():
        return "file.link_refused"
    return "file.format_refused" if path.suffix.lower() in REFUSED_SUFFIXES else None
