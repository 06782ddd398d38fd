"""The explanation round (giải trình) end to end through the command line, on the mini set.

Four communes of the sample list self-assess with the same known scores (1.2 = 2 of 2; 3.1 from 95 of 100
signed documents = 5 of 5). The council's round 1:

| commune | 1.2 | 3.1 | then                                                                   |
|---------|-----|-----|------------------------------------------------------------------------|
| A       | 1.5 | 5   | agrees                                                                 |
| B       | 1   | 3   | explains both with added evidence; round 2 upholds 1.2, restores 3.1   |
| C       | 1.75| 5   | explains, but after the deadline: rejected, recorded as having accepted |
| D       | 2   | 5   | nothing changed: no answer workbook                                    |

Every commune gets 1.5 of 2 for the district-scored 2.2.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from cchc_xl.cli import cli
from cchc_xl.samplegen.pdfs import DocSpec, scan_pdf
from cchc_xl.store import Store
from cchc_xl.templates import template
from cchc_xl.workbook.generate import generate_one
from cchc_xl.workspace import open_workspace
from conftest import init_round
from import_corpus import fill

SELF = {"TDG_1_2": 2, "KK_3_1_1": 95, "KK_3_1_2": 100}
ROUND1 = {  # commune index -> council inputs by defined name
    0: {"TD_1_2": 1.5, "LD_1_2": "Chỉ có hai hình thức tuyên truyền được kiểm chứng"},
    1: {"TD_1_2": 1, "LD_1_2": "Không có TLKC về tuyên truyền trên cổng thông tin",
        "TD_3_1": 3, "LD_3_1": "Tỷ lệ văn bản ký số chỉ đạt 75% theo hệ thống quản lý văn bản"},
    2: {"TD_1_2": 1.75, "LD_1_2": "Thiếu một hình thức tuyên truyền"},
    3: {},
}
COMMON = {"NGUOI_THAM_DINH": "Lò Văn Bình", "TD_2_2": 1.5}
TODAY = dt.date.today()
DEADLINE = TODAY - dt.timedelta(days=1)  # round 2 is prepared after the deadline
ON_TIME = TODAY - dt.timedelta(days=3)


def _names(path: Path, values: dict[str, Any], target: Path) -> Path:
    wb = openpyxl.load_workbook(path)
    for name, value in values.items():
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        wb[sheet][ref.replace("$", "")] = value
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def _answer(path: Path, target: Path, answers: dict[str, tuple[str, str]], register: list[tuple[Any, ...]],
            person: str = "Hà Văn Tâm, Chủ tịch UBND xã") -> Path:
    """Fill an answer workbook as a commune officer would: answers by defined name, register rows by cell."""
    wb = openpyxl.load_workbook(path)

    def cell(name: str) -> Any:
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        return wb[sheet][ref.replace("$", "")]

    cell("NGUOI_TRA_LOI").value = person
    for code, (answer, explanation) in answers.items():
        key = code.replace(".", "_")
        cell(f"TL_{key}").value = answer
        cell(f"GTR_{key}").value = explanation or None
    ws = wb["TLKC bổ sung"]
    for i, row in enumerate(register):
        for j, value in enumerate(row):
            ws.cell(row=5 + i, column=1 + j, value=value)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


@dataclass
class Flow:
    folder: Path
    codes: list[str]  # A, B, C, D
    outputs: dict[str, Any]
    filled: dict[str, list[Path]]  # workbooks as returned, by step


def run_flow(make_round: Any, mini_set: Any, communes: Any, settings: Any, until: str = "",
             deadline: dt.date = DEADLINE, at_answered: Callable[[Flow], None] | None = None) -> Flow:
    """The round of the module doc through the command line; `until` "issued" or "answered" stops there
    (`at_answered` is shown the round at that point when it goes on)."""
    run = CliRunner().invoke
    folder = make_round()
    chosen = communes[:4]
    codes = [c.code for c in chosen]
    out: dict[str, Any] = {}
    filled: dict[str, list[Path]] = {}
    inbox = folder / "inbox"
    inbox.mkdir()
    for c in chosen:
        fill(generate_one(mini_set, c, folder / "blank", settings), inbox / f"{c.code}.xlsx", mini_set, seed=c.code,
             overrides=SELF)
    assert run(cli, ["import", str(inbox), "--out", "out"]).exit_code == 0
    # round 1
    result = run(cli, ["appraise", "prepare", "--out", "td"])
    assert result.exit_code == 0, result.output
    prepared = sorted((folder / "td").iterdir())
    filled["round1"] = [_names(p, {**COMMON, **ROUND1[codes.index(p.name[:5])]}, folder / "td-nhap" / p.name)
                        for p in prepared]
    result = run(cli, ["appraise", "import", "td-nhap", "--out", "kq1"])
    assert result.exit_code == 0 and "4 được ghi nhận" in result.output, result.output
    # answer workbooks
    result = run(cli, ["appraise", "answers", "--out", "gt"])
    assert result.exit_code == 2 and "--deadline" in result.output
    result = run(cli, ["appraise", "answers", "--out", "gt", "--deadline", deadline.isoformat()])
    assert result.exit_code == 0 and "Đã lập 3 bảng giải trình" in result.output, result.output
    assert codes[3] in result.output  # D: nothing changed, no workbook
    issued = {p.name[:5]: p for p in (folder / "gt").iterdir()}
    assert sorted(issued) == codes[:3]
    out["issued"] = issued
    if until == "issued":
        return Flow(folder, codes, out, filled)
    a, b, c = (issued[code] for code in codes[:3])
    on_time, late = folder / "hop-thu-gt", folder / "hop-thu-gt-muon"
    filled["answers"] = [
        _answer(a, on_time / a.name, {"1.2": ("Đồng ý", "")}, []),
        _answer(b, on_time / b.name, {
            "1.2": ("Giải trình", "Xã tuyên truyền qua loa truyền thanh và hội nghị; biên bản kèm theo"),
            "3.1": ("Giải trình", "Tỷ lệ ký số 95%: báo cáo của hệ thống iOffice kèm theo")},
            [("1.2", "15/BC-UBND", dt.datetime(2022, 6, 30), "UBND xã", "Báo cáo tuyên truyền CCHC", "15-BC.pdf"),
             ("3.1", "40/BC-UBND", dt.datetime(2022, 11, 30), "UBND xã", "Thống kê văn bản ký số", "40-BC.pdf")]),
        _answer(c, late / c.name, {"1.2": ("Giải trình", "Đã có ba hình thức tuyên truyền")}, []),
    ]
    evidence = on_time / b.stem
    evidence.mkdir()
    for name, number in (("15-BC.pdf", "15/BC-UBND"), ("40-BC.pdf", "40/BC-UBND")):
        spec = DocSpec(commune=communes[1].name, kind="BÁO CÁO", number=number, issued=dt.date(2022, 6, 30))
        (evidence / name).write_bytes(scan_pdf(seed=len(name), spec=spec))
    result = run(cli, ["appraise", "answers-import", str(on_time), "--out", "kq-gt", "--received",
                       ON_TIME.isoformat()])
    assert result.exit_code == 0 and "2 được ghi nhận, 0 bị từ chối" in result.output, result.output
    out["answers_report"] = json.loads((folder / "kq-gt" / "answers-report.json").read_text(encoding="utf-8"))
    result = run(cli, ["appraise", "answers-import", str(late), "--out", "kq-gt-muon"])
    assert result.exit_code == 1 and "sau hạn" in result.output, result.output
    if until == "answered":
        return Flow(folder, codes, out, filled)
    if at_answered is not None:
        at_answered(Flow(folder, codes, out, filled))
    out["status_before"] = " ".join(run(cli, ["status"]).output.split())
    assert run(cli, ["report", "--out", "xep-hang-tam.xlsx"]).exit_code == 0
    # round 2
    result = run(cli, ["appraise", "prepare", "--round2", "--out", "td2"])
    assert result.exit_code == 0 and "Đã lập 1 bảng thẩm định vòng 2" in result.output, result.output
    assert codes[2] in result.output  # C recorded as having accepted
    result = run(cli, ["appraise", "finalize", codes[1]])
    assert "Chưa chốt" in result.output and "Đã chốt kết quả" not in result.output, result.output
    (round2,) = sorted((folder / "td2").iterdir())
    out["round2_prepared"] = round2
    filled["round2"] = [_names(round2, {"NGUOI_THAM_DINH": "Lò Văn Bình", "TD_1_2": 1,
                                        "LD_1_2": "Biên bản hội nghị không thể hiện nội dung CCHC: giữ kết quả vòng 1",
                                        "TD_3_1": 5, "LD_3_1": "Báo cáo hệ thống xác nhận tỷ lệ 95%"},
                                folder / "td2-nhap" / round2.name)]
    result = run(cli, ["appraise", "import", "td2-nhap", "--out", "kq2"])
    assert result.exit_code == 0 and "1 được ghi nhận" in result.output, result.output
    out["status_after"] = " ".join(run(cli, ["status"]).output.split())
    result = run(cli, ["appraise", "finalize", "--by", "Trưởng phòng Nội vụ"])
    out["finalized"] = result.output
    for key, code, criterion in (("history_b_31", codes[1], "3.1"), ("history_b_12", codes[1], "1.2"),
                                 ("history_c_12", codes[2], "1.2")):
        out[key] = " ".join(run(cli, ["appraise", "history", code, criterion]).output.split())
    assert run(cli, ["report", "--out", "xep-hang.xlsx"]).exit_code == 0
    return Flow(folder, codes, out, filled)


def _moved(flow: Flow, folder: Path) -> Flow:
    """`flow` as seen in a copy of its folder at `folder`."""
    def move(value: Any) -> Any:
        if isinstance(value, Path):
            return folder / value.relative_to(flow.folder)
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        return value

    return Flow(folder, list(flow.codes), move(flow.outputs), {k: [move(p) for p in v] for k, v in flow.filled.items()})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, mini_set, communes, settings) -> Callable[[str], Flow]:  # type: ignore[no-untyped-def]
    """The module doc's round run once per module, each stage when first asked for: "full" (to the final
    ranking), "answered" (the same round when the answers are in) and "issued" (answer workbooks issued, the
    deadline in five days). Tests work on a copy (`flow_copy`): the round's folder holds its store."""
    flows: dict[str, Flow] = {}

    def get(kind: str) -> Flow:
        if kind not in flows:
            with pytest.MonkeyPatch.context() as mp:
                root = tmp_path_factory.mktemp(f"flow-{kind}")
                make = functools.partial(init_round, mp, settings, root / "dot")
                if kind == "issued":
                    flows[kind] = run_flow(make, mini_set, communes, settings, until="issued",
                                           deadline=TODAY + dt.timedelta(days=5))
                else:
                    def keep(flow: Flow) -> None:
                        shutil.copytree(flow.folder, root / "answered")
                        flows["answered"] = _moved(flow, root / "answered")

                    flows["full"] = run_flow(make, mini_set, communes, settings, at_answered=keep)
        return flows[kind]

    return get


@pytest.fixture
def flow_copy(built: Callable[[str], Flow], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              settings) -> Callable[[str], Flow]:  # type: ignore[no-untyped-def]
    """A fresh copy of a built round (see `built`) to work in, as make_round leaves one: its folder the
    working directory, the round's key that of `settings`."""
    def copy(kind: str) -> Flow:
        flow = built(kind)
        folder = shutil.copytree(flow.folder, tmp_path / "dot")
        monkeypatch.delenv("CCHC_XL_CONFIG", raising=False)
        monkeypatch.setenv("CCHC_XL_KEY", settings.key.decode("utf-8"))
        monkeypatch.chdir(folder)
        return _moved(flow, folder)

    return copy


def _ranking_rows(path: Path) -> dict[str, tuple[Any, Any]]:
    """Commune code -> (total, tier) on the ranking sheet."""
    ws = openpyxl.load_workbook(path)["Xếp hạng"]
    header = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "Hạng")
    col_code, col_total, col_tier = header.index("Mã đơn vị"), header.index("Tổng điểm"), header.index("Xếp loại")
    return {str(r[col_code]): (r[col_total], r[col_tier]) for r in ws.iter_rows(values_only=True)
            if r and isinstance(r[0], int | float) and r[col_code]}


def test_explanation_round_through_the_command_line(flow_copy) -> None:  # type: ignore[no-untyped-def]
    flow = flow_copy("full")
    a, b, c, d = flow.codes
    ws = open_workspace(flow.folder)
    store = Store(ws.db_path, ws.round.id)
    try:
        selfs = {code: store.latest(code) for code in flow.codes}
        base = {code: sum(Decimal(v) for k, v in s.scores.items() if v is not None) for code, s in selfs.items()}
        assert all(Decimal(s.scores["1.2"]) == 2 and Decimal(s.scores["3.1"]) == 5 for s in selfs.values())
        # final scores: self − the changes that stand + the district's 1.5 for 2.2
        want = {a: base[a] - Decimal("0.5"), b: base[b] - 1, c: base[c] - Decimal("0.25"), d: base[d]}
        for code, total in want.items():
            current = store.current_appraisal(code)
            assert current.total == total + Decimal("1.5"), code
            assert store.state(code) == "final"
        final_b = store.current_appraisal(b)
        assert (final_b.scores["1.2"].appraised_points, final_b.scores["3.1"].appraised_points) == (1, 5)
        assert store.appraisal_stage(final_b.id)[0] == "round2"
        # the audit trail: the answers as received, C's late file and its deemed acceptance
        answers = {code: [(x.status, {k: v.answer for k, v in x.items.items()}) for x in store.answers(code)]
                   for code in (a, b, c)}
        assert answers[a] == [("accepted", {"1.2": "agree"})]
        assert answers[b] == [("accepted", {"1.2": "explain", "3.1": "explain"})]  # its evidence checked clean
        assert answers[c] == [("rejected", {"1.2": "explain"}), ("deemed_accepted", {"1.2": "agree"})]
        (b_answer,) = store.answers(b)
        assert [r.files for r in b_answer.evidence.rows] == [["15-BC.pdf"], ["40-BC.pdf"]]
        assert b_answer.findings == [] and b_answer.answered_by == "Hà Văn Tâm, Chủ tịch UBND xã"
        kinds = [e.kind for e in store.events(b)]
        assert kinds.count("answer_request") == 1 and kinds.count("answer") == 1
        assert [e.detail.stage for e in store.events(b) if e.kind == "appraisal"] == ["round1", "round2"]
    finally:
        store.close()
    report = {r["commune_code"]: r for r in flow.outputs["answers_report"]["answers"]}
    assert report[b]["contested"] == ["1.2", "3.1"] and report[a]["contested"] == []
    # status before round 2: A and B received, C overdue (pending); after: B decided, C deemed
    assert "3 bảng đã gửi, 2 đã nhận, 0 quá hạn coi như đồng ý, 1 đang chờ, 1 chờ thẩm định vòng 2" \
        in flow.outputs["status_before"]
    assert "3 bảng đã gửi, 2 đã nhận, 1 quá hạn coi như đồng ý, 0 đang chờ, 0 chờ thẩm định vòng 2, 1 đã thẩm " \
           "định vòng 2" in flow.outputs["status_after"]
    assert all(code in flow.outputs["finalized"] for code in flow.codes)
    # history: self → round 1 → answer → round 2, with who, when and why
    hist = flow.outputs["history_b_31"]
    steps = ["tự đánh giá", "thẩm định vòng 1 (Lò Văn Bình", "Tỷ lệ văn bản ký số chỉ đạt 75%",
             "đơn vị trả lời (Hà Văn Tâm", "Giải trình — giải trình: Tỷ lệ ký số 95%", "TLKC bổ sung: 40-BC.pdf",
             "thẩm định vòng 2, sau giải trình (Lò Văn Bình", ": 5 — lý do: Báo cáo hệ thống xác nhận tỷ lệ 95%"]
    positions = [hist.index(s) for s in steps]
    assert positions == sorted(positions), hist
    assert "giữ kết quả vòng 1" in flow.outputs["history_b_12"]
    assert "coi như đồng ý" in flow.outputs["history_c_12"] and "sau hạn" in flow.outputs["history_c_12"]
    # the ranking: provisional while B contested and C overdue, final after round 2
    provisional = _ranking_rows(flow.folder / "xep-hang-tam.xlsx")
    assert provisional[b][1].endswith("(tạm thời)") and provisional[c][1].endswith("(tạm thời)")
    assert not provisional[a][1].endswith("(tạm thời)") and not provisional[d][1].endswith("(tạm thời)")
    final = _ranking_rows(flow.folder / "xep-hang.xlsx")
    assert not any(str(tier).endswith("(tạm thời)") for _total, tier in final.values())
    assert {code: Decimal(str(total)) for code, (total, _tier) in final.items()} == \
        {code: w + Decimal("1.5") for code, w in want.items()}


def test_answer_import_refuses_tampering_and_another_communes_file(flow_copy, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    flow = flow_copy("full")
    b = flow.codes[1]
    run = CliRunner().invoke
    result = run(cli, ["appraise", "answers", "--out", "gt-lai", "--all"])  # the round is final: nothing issued
    assert "Đã lập 0 bảng giải trình" in result.output, result.output
    a_file = flow.filled["answers"][0]
    bad = tmp_path / "bad"
    bad.mkdir()
    wb = openpyxl.load_workbook(a_file)
    wb["Giải trình"]["E9"] = 2  # the appraised score: a locked cell
    wb.save(bad / "1-sua-diem.xlsx")
    wb = openpyxl.load_workbook(a_file)
    meta = wb["_meta"]
    next(r for r in meta.iter_rows() if r[0].value == "commune_code")[1].value = b  # passed off as B's answer
    wb.save(bad / "2-don-vi-khac.xlsx")
    result = run(cli, ["appraise", "answers-import", str(bad), "--out", "kq-bad"])
    assert result.exit_code == 1
    data = json.loads((flow.folder / "kq-bad" / "answers-report.json").read_text(encoding="utf-8"))
    tampered, other = ({f["rule"] for f in r["findings"]} for r in data["answers"])
    assert {"tamper.text_changed", "answer.finalized"} <= tampered, tampered
    assert {"meta.signature_invalid", "answer.unknown_request"} <= other, other
    assert [r["status"] for r in data["answers"]] == ["rejected", "rejected"]


def test_finalize_refuses_open_explanations_unless_forced(flow_copy) -> None:  # type: ignore[no-untyped-def]
    flow = flow_copy("answered")
    a, b, c, d = flow.codes
    run = CliRunner().invoke
    result = run(cli, ["appraise", "finalize", "--by", "Trưởng phòng"])
    text = " ".join(result.output.split())
    assert f"Chưa chốt {b}: các tiêu chí 1.2, 3.1 đang được giải trình" in text, text
    ws = open_workspace(flow.folder)
    store = Store(ws.db_path, ws.round.id)
    try:
        # C sent nothing valid by the deadline: recorded as accepting, then finalized with A and D
        assert [x.status for x in store.answers(c)] == ["rejected", "deemed_accepted"]
        assert {code: store.state(code) for code in flow.codes} == {a: "final", b: "appraised", c: "final",
                                                                    d: "final"}
    finally:
        store.close()
    result = run(cli, ["appraise", "finalize", b, "--force", "--by", "Trưởng phòng"])
    assert "dù còn giải trình chưa xử lý" in " ".join(result.output.split()), result.output
    store = Store(ws.db_path, ws.round.id)
    try:
        assert store.state(b) == "final"
        forced = [e.detail.shown() for e in store.events(b) if e.kind == "finalize_forced"]
        assert forced == [{"by": "Trưởng phòng", "stage": "contested", "contested": ["1.2", "3.1"]}]
    finally:
        store.close()
    assert run(cli, ["report", "--out", "xh.xlsx"]).exit_code == 0  # final, forced or not: no provisional mark
    assert not [code for code, (_t, tier) in _ranking_rows(flow.folder / "xh.xlsx").items()
                if str(tier).endswith("(tạm thời)")]


def test_round2_before_the_deadline_waits_for_the_answers(flow_copy) -> None:  # type: ignore[no-untyped-def]
    flow = flow_copy("issued")
    a, b, c, d = flow.codes
    run = CliRunner().invoke
    issued = flow.outputs["issued"]
    _answer(issued[a], flow.folder / "hop-thu" / issued[a].name, {"1.2": ("Đồng ý", "")}, [])
    assert run(cli, ["appraise", "answers-import", "hop-thu", "--out", "kq"]).exit_code == 0
    # issued again, to every commune: A has answered (kept), B and C get new workbooks, D one with nothing to answer
    result = run(cli, ["appraise", "answers", "--out", "gt2", "--all"])
    assert "Đã lập 3 bảng giải trình" in result.output and a in result.output, result.output
    assert sorted(p.name[:5] for p in (flow.folder / "gt2").iterdir()) == [b, c, d]
    _answer(issued[b], flow.folder / "hop-thu-cu" / issued[b].name, {"1.2": ("Đồng ý", ""), "3.1": ("Đồng ý", "")},
            [])
    result = run(cli, ["appraise", "answers-import", "hop-thu-cu", "--out", "kq-cu"])
    assert result.exit_code == 1 and "đã được thay bằng bảng mới hơn" in " ".join(result.output.split())
    result = run(cli, ["appraise", "prepare", "--round2", "--out", "td2"])
    text = " ".join(result.output.split())
    assert "Đã lập 0 bảng thẩm định vòng 2" in text and f"chưa đưa vào vòng 2: {b}, {c}" in text, text
    assert "coi như đồng ý" not in text and "được ghi nhận là đồng ý" not in text
    status = " ".join(run(cli, ["status"]).output.split())
    assert "4 bảng đã gửi, 1 đã nhận, 0 quá hạn coi như đồng ý, 2 đang chờ" in status, status
    assert run(cli, ["report", "--out", "xh.xlsx"]).exit_code == 0
    rows = _ranking_rows(flow.folder / "xh.xlsx")
    assert sorted(code for code, (_t, tier) in rows.items() if str(tier).endswith("(tạm thời)")) == sorted([b, c])


def test_answer_mistakes_are_findings(flow_copy) -> None:  # type: ignore[no-untyped-def]
    """| item | answer     | explanation | register row        |
       |------|------------|-------------|---------------------|
       | 1.2  | Giải trình | (none)      | for 1.1.1, not asked; no evidence folder |
       | 3.1  | (none)     |             |                     |"""
    flow = flow_copy("issued")
    b = flow.codes[1]
    b_file = flow.outputs["issued"][b]
    _answer(b_file, flow.folder / "hop-thu" / b_file.name, {"1.2": ("Giải trình", ""), "3.1": ("", "")},
            [("1.1.1", "3/KH-UBND", dt.datetime(2022, 2, 1), "UBND xã", "Kế hoạch", "3-KH.pdf")], person="")
    result = CliRunner().invoke(cli, ["appraise", "answers-import", "hop-thu", "--out", "kq"])
    assert result.exit_code == 1
    (report,) = json.loads((flow.folder / "kq" / "answers-report.json").read_text(encoding="utf-8"))["answers"]
    found = {(f["rule"], f["criterion"]) for f in report["findings"]}
    assert {("answer.explanation_missing", "1.2"), ("answer.missing", "3.1"), ("answer.person_missing", None),
            ("answer.evidence_other_item", None), ("evidence.folder_missing", None)} <= found, found
    cells = {f["rule"]: f["cell"] for f in report["findings"]}
    assert cells["answer.explanation_missing"] == "'Giải trình'!H9" and cells["answer.missing"] == "'Giải trình'!G10"
    assert report["status"] == "rejected"


def test_added_evidence_goes_through_the_evidence_intake(flow_copy) -> None:  # type: ignore[no-untyped-def]
    """C explains 1.2 citing two files: one is missing from its folder, the other is no PDF."""
    flow = flow_copy("issued")
    c_file = flow.outputs["issued"][flow.codes[2]]
    inbox = flow.folder / "hop-thu"
    _answer(c_file, inbox / c_file.name, {"1.2": ("Giải trình", "Đã có ba hình thức tuyên truyền")},
            [("1.2", "7/BC-UBND", dt.datetime(2022, 5, 5), "UBND xã", "Báo cáo", "thieu.pdf; hong.pdf")])
    (inbox / c_file.stem).mkdir()
    (inbox / c_file.stem / "hong.pdf").write_bytes(b"%PDF-1.4 truncated")
    result = CliRunner().invoke(cli, ["appraise", "answers-import", "hop-thu", "--out", "kq"])
    assert result.exit_code == 1
    (report,) = json.loads((flow.folder / "kq" / "answers-report.json").read_text(encoding="utf-8"))["answers"]
    rules = {f["rule"] for f in report["findings"]}
    assert {"evidence.file_missing", "evidence.pdf_corrupt"} <= rules, rules


@pytest.mark.libreoffice
def test_an_answer_resaved_by_libreoffice_is_no_tampering(flow_copy) -> None:  # type: ignore[no-untyped-def]
    from cchc_xl.office import convert

    flow = flow_copy("issued")
    b = flow.codes[1]
    b_file = flow.outputs["issued"][b]
    filled = _answer(b_file, flow.folder / "dien" / b_file.name, {"1.2": ("Đồng ý", ""), "3.1": ("Giải trình", "95%")},
                     [])
    (resaved,) = convert([filled], "xlsx", flow.folder / "hop-thu")
    result = CliRunner().invoke(cli, ["appraise", "answers-import", "hop-thu", "--out", "kq"])
    assert result.exit_code == 0, result.output
    (report,) = json.loads((flow.folder / "kq" / "answers-report.json").read_text(encoding="utf-8"))["answers"]
    assert report["status"] == "accepted" and report["contested"] == ["3.1"], report
    assert resaved.name == b_file.name


@pytest.mark.libreoffice
def test_every_workbook_of_the_round_recalculated_by_libreoffice_shows_what_is_recorded(
        flow_copy) -> None:  # type: ignore[no-untyped-def]
    from cchc_xl.office import convert

    flow = flow_copy("full")
    ws = open_workspace(flow.folder)
    store = Store(ws.db_path, ws.round.id)
    try:
        lo = flow.folder / "lo"
        # the council's workbooks of both rounds: the total the importer recorded for that file
        for step in ("round1", "round2"):
            for path in convert(flow.filled[step], "xlsx", lo / step):
                book = openpyxl.load_workbook(path, data_only=True)
                ((sheet, ref),) = list(book.defined_names["TONG_TD"].destinations)
                code = path.name[:5]
                stage = "round2" if step == "round2" else "round1"
                recorded = next(h for h in reversed(store.score_history(code, "1.2")) if h["stage"] == "appraisal"
                                and store.appraisal_stage(h["id"])[0] == stage)
                row = store.db.execute("SELECT total FROM appraisals WHERE id=?", (recorded["id"],)).fetchone()
                assert Decimal(str(book[sheet][ref.replace("$", "")].value)).quantize(Decimal("0.01")) == \
                    Decimal(row[0]), (step, code)
                columns = list(template("appraisal")["columns"])
                status_col = columns.index("status") + 1  # "Kiểm tra"
                first_item = template("appraisal")["first_row"] + 1
                statuses = {r[0].value: r[status_col - 1].value for r in book[sheet].iter_rows(min_row=first_item)
                            if r[0].value and r[status_col - 1].value}
                assert set(statuses.values()) == {"Đã thẩm định"}, statuses
        # the workbooks as issued: every formula's cached result (Python's) is what LibreOffice computes
        issued = [*flow.outputs["issued"].values(), flow.outputs["round2_prepared"]]
        for original, path in zip(issued, convert(issued, "xlsx", lo / "issued"), strict=True):
            formulas, cached = openpyxl.load_workbook(original), openpyxl.load_workbook(original, data_only=True)
            computed = openpyxl.load_workbook(path, data_only=True)
            checked = 0
            for sheet in formulas.worksheets:
                if sheet.title == "_meta":
                    continue
                for row in sheet.iter_rows():
                    for cell in row:
                        if isinstance(cell.value, str) and cell.value.startswith("="):
                            want, got = cached[sheet.title][cell.coordinate].value, \
                                computed[sheet.title][cell.coordinate].value
                            if isinstance(want, int | float):
                                assert round(float(got), 2) == round(float(want), 2), (path.name, cell.coordinate)
                            else:
                                assert (got or "") == (want or ""), (path.name, sheet.title, cell.coordinate)
                            checked += 1
            assert checked > 10, path.name
        # the answer workbooks: each row's check shows what the importer understood
        for path in convert(flow.filled["answers"], "xlsx", lo / "answers"):
            book = openpyxl.load_workbook(path, data_only=True)
            sheet = book["Giải trình"]
            code = path.name[:5]
            (answer, *_rest) = store.answers(code)
            shown = {r[0].value: (r[6].value, r[8].value) for r in sheet.iter_rows(min_row=9) if r[0].value
                     and r[6].value}
            assert {k: v for k, (v, _s) in shown.items()} == {
                k: {"agree": "Đồng ý", "explain": "Giải trình"}[v.answer] for k, v in answer.items.items()}
            assert {s for _v, s in shown.values()} == {"Đã trả lời"}
            register = [r for r in book["TLKC bổ sung"].iter_rows(min_row=5, values_only=True) if r[0]]
            assert [r[6] for r in register] == [None] * len(answer.evidence.rows)
    finally:
        store.close()


@pytest.mark.parametrize(("args", "shown"), [(["appraise", "answers", "--help"], "--deadline"),
                                             (["appraise", "answers-import", "--help"], "--received"),
                                             (["appraise", "prepare", "--help"], "--round2"),
                                             (["appraise", "finalize", "--help"], "--force")])
def test_help_in_vietnamese(args: list[str], shown: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0 and shown in result.output, result.output


def test_a_date_that_is_no_date_is_a_usage_mistake(make_round) -> None:  # type: ignore[no-untyped-def]
    make_round()
    result = CliRunner().invoke(cli, ["appraise", "answers", "--deadline", "10/12/2026"])
    assert result.exit_code == 2 and "NĂM-THÁNG-NGÀY" in result.output and "Traceback" not in result.output


def test_answer_workbook_is_protected_signed_and_identified(flow_copy) -> None:  # type: ignore[no-untyped-def]
    flow = flow_copy("issued")
    b = flow.codes[1]
    wb = openpyxl.load_workbook(flow.outputs["issued"][b])
    assert wb.security.lockStructure and wb["_meta"].sheet_state == "veryHidden"
    assert all(wb[name].protection.sheet for name in ("Giải trình", "TLKC bổ sung", "_meta"))
    meta = {r[0].value: r[1].value for r in wb["_meta"].iter_rows()}
    assert (meta["kind"], meta["commune_code"], meta["deadline"]) == ("answer", b, (TODAY + dt.timedelta(days=5))
                                                                    .isoformat())
    assert meta["hmac"] and meta["request_id"] and meta["appraisal_id"]
    ((sheet, ref),) = list(wb.defined_names["MA_DON_VI"].destinations)
    assert wb[sheet][ref.replace("$", "")].value == b
    sheet = wb["Giải trình"]
    rows = [[c.value for c in r[:7]] for r in sheet.iter_rows(min_row=9, max_row=10)]
    assert [r[0] for r in rows] == ["1.2", "3.1"] and [r[3:5] for r in rows] == [[2, 1], [5, 3]]
    assert [sheet.cell(row=r, column=7).protection.locked for r in (9, 10)] == [False, False]
    assert f"HẠN GỬI LẠI: {TODAY + dt.timedelta(days=5):%d/%m/%Y}" == sheet["A4"].value
