"""End-of-batch revisions touch only what the batch-level checks changed: no file is read a second time
when no cross-commune finding came up (every file here comes with an evidence folder of its own PDF, so
the check of evidence copied across communes runs and finds nothing), and exactly the two files of a
commune that sent two are."""

from __future__ import annotations

from pathlib import Path

import pytest

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.importing import pipeline
from cchc_xl.importing.run import SubmissionResult
from cchc_xl.samplegen.pdfs import text_pdf
from cchc_xl.settings import Settings
from cchc_xl.store import Store
from import_corpus import Corpus


def _with_evidence(inbox: Path) -> None:
    for i, workbook in enumerate(sorted(inbox.glob("*.xlsx"))):
        folder = inbox / workbook.stem
        folder.mkdir()
        (folder / "ke-hoach.pdf").write_bytes(text_pdf(seed=i))


def _import(inbox: Path, out: Path, cset: CriteriaSet, communes: list[Commune], settings: Settings,
            monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], dict[str, str]]:
    reloaded: list[str] = []
    plain_reload = pipeline.reload

    def counting(r: SubmissionResult, *args: object) -> SubmissionResult:
        reloaded.append(r.path.name)
        return plain_reload(r, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "reload", counting)
    store = Store(out / "s.sqlite")
    try:
        run, _ = pipeline.import_inbox(inbox, cset, settings, communes, out, store)
    finally:
        store.close()
    return sorted(reloaded), {r.path.name: r.status for r in run.results}


def test_no_second_read_without_batch_findings(tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune],
                                               settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    c.valid(communes[0])
    c.valid(communes[1], overrides={f"TDG_{manual.name_key}": 99})  # a finding of its own: feedback, no revision
    c.valid(communes[2])
    _with_evidence(c.inbox)
    reloaded, statuses = _import(c.inbox, tmp_path / "out", mini_set, communes, settings, monkeypatch)
    assert reloaded == []
    assert len(statuses) == 3


def test_the_two_files_of_one_commune_are_revised(tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune],
                                                  settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    first = c.valid(communes[0])
    second = c.valid(communes[0], name=f"{communes[0].code}-ban-2.xlsx", explanation="Bản gửi lại.")
    c.valid(communes[1])
    _with_evidence(c.inbox)
    reloaded, statuses = _import(c.inbox, tmp_path / "out", mini_set, communes, settings, monkeypatch)
    assert reloaded == sorted([first.name, second.name])
    assert statuses[first.name] == statuses[second.name] == "accepted_with_warnings"
