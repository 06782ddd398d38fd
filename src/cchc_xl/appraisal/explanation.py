"""The explanation round (vòng giải trình) between the council's two passes, over the store.

round 1 (`appraise import`) → `issue_answers`: one answer workbook per commune whose appraised scores
differ from its self-assessment, with a deadline → `import_answers`: each returned answer workbook verified
(signature, commune, request, deadline), its added evidence checked, its answers recorded → `prepare_round2`:
communes that sent nothing by the deadline are recorded as having accepted, and the council gets a workbook
for the contested items only → round 2 (`appraise import`, recognising the round-2 kind).

A commune's place in it (`ExplanationState.stage`), computed from the store, never stored:
pending (no answer yet, before the deadline), overdue (none by the deadline; deemed accepted at the next
round-2 preparation or finalize), stale (re-appraised in round 1 after its answer workbook was issued),
contested (explained items wait for round 2), accepted (agreed, or deemed to), decided (round 2 recorded),
forced (finalized with `--force` while still open). Results are provisional while pending, overdue, stale or
contested.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath

from cchc_xl.appraisal.answers import (
    AGREE,
    EXPLAIN,
    KIND,
    META_KEYS,
    AnswerInputs,
    AnswerLayout,
    ChangedItem,
    answer_file_name,
    answer_key,
    answer_status,
    build_answer_layout,
    read_answer_inputs,
)
from cchc_xl.appraisal.round import register_line, submission_view
from cchc_xl.appraisal.scores import AppraisalInputs
from cchc_xl.appraisal.workbook import (
    KIND_ROUND2,
    ROUND2_META_KEYS,
    AppraisalLayout,
    AppraisalWorkbookWriter,
    Round2View,
    SubmissionView,
    appraisal_file_name,
    build_appraisal_layout,
    verify,
)
from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.evidence import crosscheck, inspect_bundle, open_bundle
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.importing.discover import discover
from cchc_xl.importing.findings import Findings
from cchc_xl.importing.inputs import read_register, validate_register
from cchc_xl.importing.stages import open_book, sha256_file
from cchc_xl.importing.verify import check_locked, key_note, read_meta
from cchc_xl.numbers import fmt
from cchc_xl.reading.book import Book
from cchc_xl.reading.safety import Limits
from cchc_xl.records import Finding, RegisterRow, outcome
from cchc_xl.settings import Settings
from cchc_xl.store import AnswerRequest, Store, StoredAnswer, StoredAppraisal
from cchc_xl.templates import template
from cchc_xl.workbook.layout import register_columns

PROVISIONAL = ("pending", "overdue", "stale", "contested")


@dataclass(frozen=True)
class ExplanationState:
    code: str
    request: AnswerRequest
    stage: str  # see the module doc
    answer: StoredAnswer | None = None  # the answer that counts: the latest not rejected (or deemed)
    contested: tuple[str, ...] = ()

    @property
    def provisional(self) -> bool:
        return self.stage in PROVISIONAL


def deadline_passed(deadline: str, today: dt.date) -> bool:
    return today > dt.date.fromisoformat(deadline)


def explanation_states(store: Store, today: dt.date) -> dict[str, ExplanationState]:
    """Each commune with an answer workbook issued, by code: where it stands (see the module doc)."""
    out: dict[str, ExplanationState] = {}
    for req in store.answer_requests():
        current = store.current_appraisal(req.commune_code)
        if current is None:
            continue
        stage, request_id = store.appraisal_stage(current.id)
        if stage == "round2" and request_id == req.id:
            out[req.commune_code] = ExplanationState(req.commune_code, req, "decided")
            continue
        if current.id != req.appraisal_id:
            out[req.commune_code] = ExplanationState(req.commune_code, req, "stale")
            continue
        answer = counting_answer(store, req)
        if not req.items:  # issued with --all to a commune with nothing changed: nothing to answer
            out[req.commune_code] = ExplanationState(req.commune_code, req, "accepted", answer)
            continue
        if answer is None:
            late = deadline_passed(req.deadline, today)
            out[req.commune_code] = ExplanationState(req.commune_code, req, "overdue" if late else "pending")
            continue
        contested = tuple(c for c, a in answer.items.items() if a.answer == EXPLAIN)
        out[req.commune_code] = ExplanationState(req.commune_code, req, "contested" if contested else "accepted",
                                                 answer, contested)
    for code, state in out.items():  # finalized with --force while still open: final all the same
        if state.provisional and store.state(code) == "final":
            out[code] = dataclasses.replace(state, stage="forced")
    return out


def counting_answer(store: Store, req: AnswerRequest) -> StoredAnswer | None:
    """The latest answer to `req` that was not rejected (a later return replaces an earlier one)."""
    answers = [a for a in store.answers(req.commune_code) if a.request_id == req.id and a.status != "rejected"]
    return answers[-1] if answers else None


def close_overdue(store: Store, today: dt.date, at: str) -> list[str]:
    """Record every commune that sent nothing by its deadline as having accepted round 1; their codes."""
    done = []
    for code, state in explanation_states(store, today).items():
        if state.stage == "overdue":
            items = {i.criterion: {"answer": AGREE, "explanation": ""} for i in state.request.items}
            store.record_answer(commune_code=code, request_id=state.request.id, file_name="", sha256="",
                                received_at=at, status="deemed_accepted", answered_by="", items=items,
                                evidence={"path": None, "rows": []}, findings=[])
            done.append(code)
    return done


# -- answer workbooks -----------------------------------------------------------------------------
def changed_items(cset: CriteriaSet, appraisal: StoredAppraisal) -> list[ChangedItem]:
    """The commune-scored items whose appraised score differs from the self score, in the set's order."""
    out = []
    for leaf in cset.commune_leaves():
        s = appraisal.scores.get(leaf.code)
        if s is not None and s.changed:
            out.append(ChangedItem(leaf.code, s.self_points, s.appraised_points, s.reason))
    return out


def _commune(store: Store, code: str, meta: dict[str, str] | None = None) -> Commune:
    known = store.commune(code) or (code, "", "xã")
    meta = meta or {}
    return Commune(code=known[0], name=meta.get("commune_name") or known[1], kind=meta.get("commune_kind") or known[2])


def _answer_layout(store: Store, cset: CriteriaSet, req: AnswerRequest, appraisal: StoredAppraisal,
                   commune: Commune) -> tuple[AnswerLayout, SubmissionView] | None:
    sub = store.submission(appraisal.submission_id)
    if sub is None:
        return None
    view = submission_view(store, sub)
    changed = [ChangedItem.from_record(i) for i in req.items]
    return build_answer_layout(cset, commune, view, changed, dt.date.fromisoformat(req.deadline),
                               appraisal.imported_at, appraisal.total), view


def issue_answers(store: Store, cset: CriteriaSet, out_dir: Path, settings: Settings, *, deadline: dt.date,
                  all_communes: bool = False, at: dt.datetime | None = None) -> tuple[list[Path], list[str]]:
    """An answer workbook for every commune whose round-1 scores differ from its own (or every appraised
    commune), each recorded as an explanation request; (written, skipped codes: none changed, finalized,
    already answered or decided in round 2). Issuing again replaces an unanswered workbook (new deadline)."""
    at = at or dt.datetime.now().astimezone()
    written, skipped = [], []
    requests = {r.commune_code: r for r in store.answer_requests()}
    for sub in store.all_latest():
        code = sub.commune_code
        appraisal = store.current_appraisal(code)
        if appraisal is None:
            continue
        changed = changed_items(cset, appraisal)
        earlier = requests.get(code)
        answered = earlier is not None and earlier.appraisal_id == appraisal.id \
            and counting_answer(store, earlier) is not None
        if store.state(code) == "final" or store.appraisal_stage(appraisal.id)[0] == "round2" or answered \
                or not (changed or all_communes):
            skipped.append(code)
            continue
        rid = store.record_answer_request(commune_code=code, appraisal_id=appraisal.id, deadline=deadline.isoformat(),
                                          issued_at=at.isoformat(timespec="seconds"),
                                          items=[c.as_json() for c in changed])
        req = store.answer_request(rid)
        assert req is not None
        commune = _commune(store, code)
        made = _answer_layout(store, cset, req, appraisal, commune)
        if made is None:
            skipped.append(code)
            continue
        layout, _view = made
        path = out_dir / answer_file_name(commune)
        AppraisalWorkbookWriter(layout, settings, at, kind=KIND, keys=META_KEYS, template_name="answer",
                                extra_meta={"round_id": store.round_id, "appraisal_id": str(appraisal.id),
                                            "request_id": str(rid), "deadline": deadline.isoformat()}).write(path)
        written.append(path)
    return written, skipped


# -- answers-import -------------------------------------------------------------------------------
@dataclass
class AnswerOutcome:
    file: str
    path: Path
    sha256: str
    commune_code: str | None = None
    findings: list[Finding] = field(default_factory=list)
    contested: list[str] = field(default_factory=list)
    recorded: bool = False

    @property
    def status(self) -> str:
        return outcome(self.findings)


def import_answers(store: Store, cset: CriteriaSet, inbox: Path, settings: Settings,
                   received_at: dt.datetime | None = None) -> list[AnswerOutcome]:
    """Verify and record every answer workbook of `inbox` (each with its evidence folder or zip)."""
    received_at = received_at or dt.datetime.now().astimezone()
    outcomes = []
    candidates, _ignored = discover(inbox)
    for cand in candidates:
        out = AnswerOutcome(file=str(PurePosixPath(inbox.name) / cand.workbook.name), path=cand.workbook,
                            sha256=sha256_file(cand.workbook))
        found = Findings()
        try:
            _import_answer(out, cand.evidence, store, cset, settings, received_at, found)
        except Exception as exc:  # one bad file never stops the batch
            found.add("file.unreadable", detail=f"{type(exc).__name__}: {exc}"[:200])
        out.findings = found.items
        outcomes.append(out)
    return outcomes


def _import_answer(out: AnswerOutcome, evidence: Path | None, store: Store, cset: CriteriaSet, settings: Settings,
                   received_at: dt.datetime, found: Findings) -> None:
    """One answer workbook, step by step: the file, its signed metadata, the request it answers (still the
    commune's current one), its locked cells and answers, its added evidence, the dates; then recorded
    (rejected answers too, with their findings). A step that leaves nothing to check stops there."""
    _verdict, book = open_book(out.path, Limits(), found)
    if book is None:
        return
    meta = _answer_meta(book, out, cset, settings, found)
    if meta is None:
        return
    req = _answered_request(store, meta, out, found)
    if req is None:
        return
    layout = _current_layout(store, cset, req, meta, found)
    if layout is None:
        return
    check_locked(book, layout, found)
    inputs = read_answer_inputs(book, layout)
    items = _answered_items(inputs, layout, found)
    first, last = layout.register_rows
    _raw, rows = read_register(book, layout.sheets["register"], first, last, register_columns(template("answer")))
    _check_evidence(rows, items, evidence, out.path.stem, cset, received_at.date(), found)
    _check_dates(store, req, received_at, found)
    out.contested = sorted(c for c, i in items.items() if i["answer"] == EXPLAIN)
    _, out.recorded = store.record_answer(
        commune_code=req.commune_code, request_id=req.id, file_name=out.file, sha256=out.sha256,
        received_at=received_at.isoformat(timespec="seconds"), status=outcome(found.items),
        answered_by=inputs.person, items=items,
        evidence={"path": None if evidence is None else str(evidence.resolve()),
                  "rows": [r.model_dump(mode="json") for r in rows]},
        findings=[f.model_dump() for f in found.items])


def _answer_meta(book: Book, out: AnswerOutcome, cset: CriteriaSet, settings: Settings,
                 found: Findings) -> dict[str, str] | None:
    """The answer workbook's metadata (naming its commune in `out`); None when the file is no answer
    workbook or was made for another criteria set. A bad signature is a finding, and the checks go on."""
    meta = read_meta(book)
    if meta is None or meta.get("kind") != KIND:
        found.add("answer.not_answer")
        return None
    out.commune_code = meta.get("commune_code")
    if not verify(meta, settings.key, META_KEYS):
        found.add("meta.signature_invalid", key_note=key_note(meta, settings))
    if meta.get("set_sha256") != cset.fingerprint():
        found.add("meta.other_set", got=f"{meta.get('set_id')} {meta.get('set_version')}",
                  want=f"{cset.id} {cset.version}")
        return None
    return meta


def _answered_request(store: Store, meta: dict[str, str], out: AnswerOutcome, found: Findings) -> AnswerRequest | None:
    """The request of this round and commune that the workbook answers; None (a finding) when there is none."""
    request_id = meta.get("request_id") or ""
    req = store.answer_request(int(request_id) if request_id.isdigit() else 0)
    if req is None or req.commune_code != out.commune_code or meta.get("round_id") != store.round_id:
        found.add("answer.unknown_request", commune=out.commune_code or "?")
        return None
    return req


def _current_layout(store: Store, cset: CriteriaSet, req: AnswerRequest, meta: dict[str, str],
                    found: Findings) -> AnswerLayout | None:
    """The answer workbook's layout rebuilt from the store, when `req` is still the commune's latest
    request on its current appraisal; None (`answer.stale`) when the council has decided again since."""
    appraisal = store.current_appraisal(req.commune_code)
    latest = {r.commune_code: r.id for r in store.answer_requests()}.get(req.commune_code)
    commune = _commune(store, req.commune_code, meta)
    made = _answer_layout(store, cset, req, appraisal, commune) if appraisal is not None else None
    if made is None or latest != req.id or appraisal is None or appraisal.id != req.appraisal_id:
        found.add("answer.stale", commune=req.commune_code)
        return None
    return made[0]


def _answered_items(inputs: AnswerInputs, layout: AnswerLayout, found: Findings) -> dict[str, dict[str, str]]:
    """Each item's answer (agree / explain, by its key) and explanation, as recorded; a finding on every
    item answered wrongly and when nobody signed the answers."""
    items: dict[str, dict[str, str]] = {}
    for code, (typed, explanation) in inputs.answers.items():
        row, col = layout.items[code]
        status = answer_status(typed, explanation)
        if status != "ok":
            at = layout.cell_ref(row, layout.explanation_col if status == "explanation_missing" else col)
            found.add(f"answer.{status}", criterion=code, cell=at, got=typed)
        items[code] = {"answer": answer_key(typed) or "", "explanation": explanation}
    if not inputs.person:
        found.add("answer.person_missing", cell=layout.cell_ref(*layout.person_cell))
    return items


def _check_dates(store: Store, req: AnswerRequest, received_at: dt.datetime, found: Findings) -> None:
    """An answer after the deadline, or for a commune already finalized, is noted (and still recorded)."""
    deadline = dt.date.fromisoformat(req.deadline)
    if received_at.date() > deadline:
        found.add("answer.late", received=f"{received_at:%d/%m/%Y}", deadline=f"{deadline:%d/%m/%Y}")
    if store.state(req.commune_code) == "final":
        found.add("answer.finalized", commune=req.commune_code)


def _check_evidence(rows: list[RegisterRow], items: dict[str, dict[str, str]], evidence: Path | None, stem: str,
                    cset: CriteriaSet, received: dt.date, found: Findings) -> None:
    """The added register rows as the self-assessment's (validate_register), each for an answered item, and
    its folder or zip through the evidence intake."""
    validate_register(rows, cset, received, found, register_columns(template("answer")))
    for row in rows:
        if row.criterion and row.criterion not in items:
            found.add("answer.evidence_other_item", cell=row.cell, row=row.row, got=row.criterion)
    if evidence is None:
        if rows:
            found.add("evidence.folder_missing", stem=stem)
        return
    with open_bundle(evidence) as bundle:
        found.extend(crosscheck(rows, bundle, inspect_bundle(bundle)))


# -- round 2 --------------------------------------------------------------------------------------
def round2_inputs(cset: CriteriaSet, appraisal: StoredAppraisal, contested: tuple[str, ...]) -> AppraisalInputs:
    """The round-2 workbook's prefill: the round-1 decision everywhere; the contested items' reasons blank,
    for the council's final reason."""
    scores = {leaf.code: s.appraised_points if (s := appraisal.scores.get(leaf.code)) else None
              for leaf in cset.leaves()}
    reasons = {c: s.reason for c, s in appraisal.scores.items() if c not in contested}
    counts = {code: Decimal(n) for code, _block, n, _points in appraisal.adjustments}
    return AppraisalInputs(scores=dict(scores), reasons=reasons, counts=dict(counts))


def round2_review(state: ExplanationState, appraisal: StoredAppraisal) -> Round2View:
    """What the round-2 workbook shows beside each contested item (the submission view as it is)."""
    t = template("appraisal")
    answer = state.answer
    assert answer is not None
    decisions, answers = {}, {}
    base = answer.evidence.path
    for code in state.contested:
        s = appraisal.scores[code]
        decisions[code] = t["round2_decision"].format(points=fmt(s.appraised_points) or "0", reason=s.reason or "—")
        lines = [t["round2_answer"].format(text=answer.items[code].explanation)]
        for row in answer.evidence.rows:
            if row.criterion == code:
                lines.append(t["round2_evidence"].format(line=register_line(row)))
        if base and len(lines) > 1:
            lines.append(t["round2_evidence_folder"].format(path=Path(base).name))  # its name, not the inbox path
        answers[code] = lines
    review = Round2View(appraisal_id=appraisal.id, request_id=state.request.id, answer_id=answer.id,
                        contested=frozenset(state.contested), decisions=decisions, answers=answers)
    return review


@dataclass
class Round2Plan:
    written: list[Path] = field(default_factory=list)
    deemed: list[str] = field(default_factory=list)  # recorded as accepted now (nothing by the deadline)
    pending: list[str] = field(default_factory=list)  # still before the deadline, or to be issued again
    accepted: list[str] = field(default_factory=list)  # nothing contested: round 1 stands


def prepare_round2(store: Store, cset: CriteriaSet, out_dir: Path, settings: Settings,
                   today: dt.date | None = None, at: dt.datetime | None = None) -> Round2Plan:
    """Round-2 workbooks for the communes that contested items, after recording the overdue as accepted."""
    at = at or dt.datetime.now().astimezone()
    today = today or at.date()
    plan = Round2Plan(deemed=close_overdue(store, today, at.isoformat(timespec="seconds")))
    for code, state in explanation_states(store, today).items():
        if state.stage in ("pending", "stale"):
            plan.pending.append(code)
        elif state.stage == "accepted" and code not in plan.deemed:
            plan.accepted.append(code)
        if state.stage != "contested" or store.state(code) == "final":
            continue
        appraisal = store.current_appraisal(code)
        sub = store.submission(appraisal.submission_id) if appraisal else None
        if appraisal is None or sub is None:
            continue
        review, view = round2_review(state, appraisal), submission_view(store, sub)
        commune = _commune(store, code)
        layout = build_appraisal_layout(cset, commune, view, round2_inputs(cset, appraisal, state.contested), review,
                                        RoundIdentity.of_round(store.round()))
        path = out_dir / appraisal_file_name(commune, round2=True)
        AppraisalWorkbookWriter(layout, settings, at, kind=KIND_ROUND2, keys=ROUND2_META_KEYS,
                                extra_meta=round2_meta(review)).write(path)
        plan.written.append(path)
    return plan


def round2_meta(review: Round2View) -> dict[str, str]:
    return {"appraisal_id": str(review.appraisal_id), "request_id": str(review.request_id),
            "answer_id": str(review.answer_id)}


def expected_round2(store: Store, cset: CriteriaSet, meta: dict[str, str], commune: Commune,
                    view: SubmissionView, found: Findings,
                    identity: RoundIdentity = NEUTRAL) -> tuple[AppraisalLayout, Round2View] | None:
    """For `appraise import` of a round-2 workbook: (expected layout, review, prefill), or None with a finding
    when the workbook no longer matches the store (re-appraised, answered again, decided)."""
    def number(key: str) -> int:
        value = meta.get(key) or ""
        return int(value) if value.isdigit() else 0

    req = store.answer_request(number("request_id"))
    state = explanation_states(store, dt.date.max).get(commune.code) if req else None
    appraisal = store.current_appraisal(commune.code)
    if req is None or state is None or appraisal is None or state.request.id != req.id \
            or state.answer is None or state.answer.id != number("answer_id") or appraisal.id != number("appraisal_id"):
        found.add("appraisal.round2_stale", commune=commune.code)
        return None
    if state.stage != "contested":
        found.add("appraisal.round2_stale", commune=commune.code)
        return None
    review = round2_review(state, appraisal)
    prefill = round2_inputs(cset, appraisal, state.contested)
    return build_appraisal_layout(cset, commune, view, prefill, review, identity), review


def answer_label(answer: str) -> str:
    """'Đồng ý' / 'Giải trình' for a stored answer key."""
    texts = template("answer").answers
    return texts["agree"] if answer == AGREE else texts["explain"] if answer == EXPLAIN else answer


def status_counts(store: Store, today: dt.date) -> dict[str, int]:
    """Answers of the round for `status`: issued, received (a file on time), deemed accepted, pending
    (awaiting an answer), contested (awaiting round 2), decided."""
    states = explanation_states(store, today)
    counts = {"issued": len(states), "received": 0, "deemed": 0, "pending": 0, "contested": 0, "decided": 0}
    for code, st in states.items():
        answers = [a for a in store.answers(code) if a.request_id == st.request.id]
        counts["received"] += any(a.status not in ("rejected", "deemed_accepted") for a in answers)
        counts["deemed"] += any(a.status == "deemed_accepted" for a in answers)
        counts["pending"] += st.stage in ("pending", "overdue", "stale")
        counts["contested"] += st.stage == "contested"
        counts["decided"] += st.stage == "decided"
    return counts

