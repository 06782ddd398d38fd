"""Rounds (đợt đánh giá): `init`, commands that take set, units and body from the round, `status`,
several rounds in one store, a store written before rounds, and no fallback to bundled data."""

from __future__ import annotations

import sqlite3
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cchc_xl.cli import cli
from cchc_xl.communes import Commune
from cchc_xl.console import last_year_totals
from cchc_xl.criteria import CriteriaSet
from cchc_xl.settings import DEMO_KEY, Settings, load_settings
from cchc_xl.store import SCHEMA_VERSION, Store
from cchc_xl.workbook.generate import generate_one
from cchc_xl.workspace import open_workspace
from conftest import DATA, MakeRound
from import_corpus import fill

MINI = DATA / "mini-set.yaml"
BUNDLED = Path(__file__).resolve().parents[1] / "criteria" / "phu-yen-2022.yaml"
BAC_YEN = DATA / "bac-yen-communes.csv"


def run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, list(args))


def _returns(folder: Path, cset: CriteriaSet, communes: list[Commune], settings: Settings) -> Path:
    inbox = folder / "inbox"
    inbox.mkdir(exist_ok=True)
    for c in communes:
        fill(generate_one(cset, c, folder / "blank", settings), inbox / f"{c.code}-{c.slug}.xlsx", cset, seed=c.code)
    return inbox


def test_init_records_the_round_and_writes_a_fresh_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCHC_XL_KEY", raising=False)
    monkeypatch.delenv("CCHC_XL_CONFIG", raising=False)
    result = run("init", str(tmp_path / "dot"), "--criteria", str(MINI), "--communes", str(BAC_YEN), "--year",
                 "2026", "--body", "UBND huyện Bắc Yên", "--deadline", "2026-11-15", "--place", "Bắc Yên")
    assert result.exit_code == 0, result.output
    assert "Đã lập đợt đánh giá 2026-ubnd-huyen-bac-yen" in result.output
    config = tomllib.loads((tmp_path / "dot" / "cchc-xl.toml").read_text(encoding="utf-8"))
    assert config["round"] == {"id": "2026-ubnd-huyen-bac-yen", "store": "cchc.sqlite"}
    assert len(config["district"]["key"]) >= 40 and config["district"]["key"] != DEMO_KEY
    settings = load_settings(tmp_path / "dot")  # the existing settings read the same file
    assert not settings.key_is_demo and settings.key == config["district"]["key"].encode()
    ws = open_workspace(tmp_path / "dot")
    assert (ws.round.year, ws.round.body, ws.round.place, ws.round.deadline) == (2026, "UBND huyện Bắc Yên",
                                                                               "Bắc Yên", "2026-11-15")
    assert ws.cset.fingerprint() == ws.round.set_sha256 and ws.cset.id == "mini"
    assert [c.code for c in ws.communes][:2] == ["03856", "03859"] and len(ws.communes) == 16
    # a second init into the same folder is refused, and so is the same round in the same store
    again = run("init", str(tmp_path / "dot"), "--criteria", str(MINI), "--communes", str(BAC_YEN), "--year",
                "2026", "--body", "UBND huyện Bắc Yên")
    assert again.exit_code == 2 and "đã là thư mục của một đợt đánh giá" in again.output
    same = run("init", str(tmp_path / "dot2"), "--criteria", str(MINI), "--communes", str(BAC_YEN), "--year",
               "2026", "--body", "UBND huyện Bắc Yên", "--db", str(tmp_path / "dot" / "cchc.sqlite"))
    assert same.exit_code == 2 and "đã có trong" in same.output


@pytest.mark.parametrize("args", [["generate", "--out", "x"], ["import", "."], ["appraise", "prepare"],
                                  ["appraise", "import", "."], ["appraise", "finalize"],
                                  ["appraise", "reopen", "03856", "--reason", "r"],
                                  ["appraise", "history", "03856", "1.1"], ["report"], ["status"],
                                  ["criteria", "check"], ["criteria", "show"], ["criteria", "export", "x.xlsx"],
                                  ["generate", "--criteria", str(MINI), "--communes", str(BAC_YEN)]])
def test_without_a_round_a_command_says_how_to_make_one(args: list[str], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CCHC_XL_CONFIG", raising=False)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Chưa có đợt đánh giá" in result.output and "cchc-xl init" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.xlsx").exists()


def test_workspace_folder_that_is_not_a_round(tmp_path: Path) -> None:
    result = run("status", "--workspace", str(tmp_path))
    assert result.exit_code == 2 and "cchc-xl.toml" in result.output and "cchc-xl init" in result.output


def test_criteria_other_than_the_rounds_is_refused(make_round: MakeRound, tmp_path: Path) -> None:
    make_round(criteria=MINI)
    for args in (["generate", "--out", "x"], ["import", "."], ["appraise", "prepare"], ["appraise", "import", "."],
                 ["report"]):
        result = run(*args, "--criteria", str(BUNDLED))
        assert result.exit_code == 2, result.output
        assert "khác bộ tiêu chí của đợt đánh giá 2022-ubnd-huyen-thu-nghiem (mini " in result.output
    assert not (Path.cwd() / "x").exists()
    assert run("generate", "--out", "x", "--criteria", str(MINI)).exit_code == 0  # the round's own: fine
    result = run("generate", "--out", "y", "--communes", str(BAC_YEN))
    assert result.exit_code == 2 and "khác danh sách 27 đơn vị của đợt" in result.output


def test_commands_take_set_and_units_from_the_round(make_round: MakeRound, mini_set: CriteriaSet,
                                                     settings: Settings, tmp_path: Path) -> None:
    folder = make_round(criteria=MINI, communes=BAC_YEN, year=2026, body="UBND huyện Bắc Yên")
    result = run("generate", "--out", "blank")
    assert result.exit_code == 0 and "Đã tạo 16 bảng" in result.output
    assert sorted(p.name for p in (folder / "blank").iterdir())[0].startswith("03856-")
    ws = open_workspace()
    inbox = _returns(folder, mini_set, ws.communes[:3], settings)
    assert run("import", str(inbox), "--out", "kq").exit_code == 0
    result = run("status")
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "Đợt đánh giá 2026-ubnd-huyen-bac-yen: UBND huyện Bắc Yên, năm 2026" in out
    assert "Đã nhận: 3/16" in out and "Được tiếp nhận: 3/16" in out and "Chưa nộp: 13/16" in out
    assert "Đã thẩm định: 0/16" in out and "Đã chốt: 0/16" in out
    assert "Xã Phiêng Ban" not in out.split("Chưa nộp:")[-1]  # 03859 was received
    assert "Xã Hang Chú" not in out.split("Chưa nộp:")[-1]
    assert "Thị trấn Bắc Yên" not in out.split("Chưa nộp:")[-1]
    assert "Xã Xím Vàng" in out.split("Chưa nộp:")[-1]
    result = run("report", "--out", "xh.xlsx")
    assert result.exit_code == 0 and "3/16 đơn vị được xếp hạng" in " ".join(result.output.split())
    # appraisal workbooks returned unfilled (no appraiser): every one is rejected, and counted so
    assert run("appraise", "prepare", "--out", "td").exit_code == 0
    result = run("appraise", "import", "td", "--out", "kqtd")
    assert result.exit_code == 1  # done, with rejected files
    assert "Đã đọc 3 bảng thẩm định: 0 được ghi nhận, 3 bị từ chối." in " ".join(result.output.split())
    result = run("status", "--workspace", str(folder))
    assert "Đã thẩm định: 0/16" in " ".join(result.output.split())


def test_two_rounds_in_one_store_are_kept_apart(make_round: MakeRound, mini_set: CriteriaSet,
                                                settings: Settings, communes: list[Commune],
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                db: Path | str) -> None:
    """On both engines: the second round's store named by --db (a file of the first round, or a server URL)."""
    last = make_round(criteria=MINI, year=2021, folder=tmp_path / "2021", extra=("--db", str(db)))
    inbox = _returns(last, mini_set, communes[:2], settings)
    assert run("import", str(inbox), "--out", "kq").exit_code == 0
    this = make_round(criteria=MINI, year=2022, folder=tmp_path / "2022", extra=("--db", str(db)))
    stored = tomllib.loads((this / "cchc-xl.toml").read_text(encoding="utf-8"))["round"]["store"]
    assert stored == (str(db.resolve()) if isinstance(db, Path) else db)
    inbox = _returns(this, mini_set, communes[1:4], settings)
    assert run("import", str(inbox), "--out", "kq").exit_code == 0
    now = " ".join(run("status").output.split())
    assert "Đã nhận: 3/27" in now and "Đợt trước trong cùng cơ sở dữ liệu: 2021-ubnd-huyen-thu-nghiem" in now
    before = " ".join(run("status", "--round", "2021-ubnd-huyen-thu-nghiem").output.split())
    assert "năm 2021" in before and "Đã nhận: 2/27" in before
    # --db alone (no round folder) with a store of two rounds: which one must be said
    monkeypatch.chdir(tmp_path)
    result = run("status", "--db", str(db))
    assert result.exit_code == 2 and "có nhiều đợt đánh giá" in result.output and "--round" in result.output
    result = run("status", "--db", str(db), "--round", "2021-ubnd-huyen-thu-nghiem")
    assert result.exit_code == 0 and "Đã nhận: 2/27" in " ".join(result.output.split())
    monkeypatch.chdir(this)
    store_2021, store_2022 = Store(db, "2021-ubnd-huyen-thu-nghiem"), Store(db, "2022-ubnd-huyen-thu-nghiem")
    try:
        assert store_2021.commune_codes() == [c.code for c in communes[:2]]
        assert store_2022.commune_codes() == [c.code for c in communes[1:4]]
        shared = communes[1].code  # received in both years: versions counted per round
        assert store_2021.latest(shared).version == 1 and store_2022.latest(shared).version == 1  # type: ignore[union-attr]
        sub_2021 = store_2021.latest(shared)
        assert sub_2021 is not None and store_2022.submission(sub_2021.id) is None
        assert all(e.kind != "round_created" or e.detail.year == 2022 for e in store_2022.events())
    finally:
        store_2021.close()
        store_2022.close()
    # last year's totals for the ranking come from the 2021 round of the same store
    previous = last_year_totals(open_workspace(), None)
    assert previous is not None and sorted(previous) == [c.code for c in communes[:2]]


def test_appraise_prepare_refuses_submissions_of_another_set(make_round: MakeRound, tmp_path: Path) -> None:
    make_round(criteria=MINI)
    ws = open_workspace()
    store = ws.open_store()
    try:
        store.record_submission(commune_code="03898", commune_name="Phù Yên", commune_kind="thị trấn",
                                file_name="x.xlsx", sha256="0" * 64, received_at="2022-10-01T08:00:00+07:00",
                                set_id="other-set", set_version="9", status="accepted", counts=True,
                                self_total=Decimal(50), tier=None, declared={}, scores={}, findings=[])
    finally:
        store.close()
    result = run("appraise", "prepare", "--out", "td")
    assert result.exit_code == 2 and "bộ tiêu chí khác bộ của đợt (mini" in result.output and "03898" in result.output
    assert not (Path.cwd() / "td").exists()


# A store as cchc-xl wrote it before rounds (schema 1): the tables a real one has, one submission in them.
SCHEMA_1 = """
CREATE TABLE submissions (id INTEGER PRIMARY KEY, commune_code TEXT NOT NULL, version INTEGER NOT NULL,
    file_name TEXT NOT NULL, file_sha256 TEXT NOT NULL, received_at TEXT NOT NULL, set_id TEXT NOT NULL,
    set_version TEXT NOT NULL, status TEXT NOT NULL, counts INTEGER NOT NULL DEFAULT 1, self_total TEXT, tier TEXT,
    declared_json TEXT NOT NULL, scores_json TEXT NOT NULL, UNIQUE (commune_code, file_sha256));
CREATE TABLE findings (submission_id INTEGER NOT NULL REFERENCES submissions(id), severity TEXT NOT NULL,
    rule TEXT NOT NULL, criterion TEXT, cell TEXT, message TEXT NOT NULL);
CREATE INDEX findings_by_submission ON findings(submission_id);
CREATE TABLE communes (code TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'received');
CREATE TABLE appraisals (id INTEGER PRIMARY KEY, commune_code TEXT NOT NULL,
    submission_id INTEGER NOT NULL REFERENCES submissions(id), file_name TEXT NOT NULL, file_sha256 TEXT NOT NULL,
    appraiser TEXT NOT NULL, imported_at TEXT NOT NULL, status TEXT NOT NULL, superseded INTEGER NOT NULL DEFAULT 0,
    total TEXT, tier TEXT, bonus TEXT NOT NULL DEFAULT '0', penalty TEXT NOT NULL DEFAULT '0',
    UNIQUE (commune_code, file_sha256));
CREATE TABLE appraisal_scores (appraisal_id INTEGER NOT NULL REFERENCES appraisals(id), criterion TEXT NOT NULL,
    self_points TEXT, appraised_points TEXT, reason TEXT NOT NULL DEFAULT '', changed INTEGER NOT NULL);
CREATE TABLE appraisal_adjustments (appraisal_id INTEGER NOT NULL REFERENCES appraisals(id), code TEXT NOT NULL,
    block TEXT NOT NULL, count INTEGER NOT NULL, points TEXT NOT NULL);
CREATE TABLE appraisal_findings (appraisal_id INTEGER NOT NULL REFERENCES appraisals(id), severity TEXT NOT NULL,
    rule TEXT NOT NULL, criterion TEXT, cell TEXT, message TEXT NOT NULL);
CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, commune_code TEXT, kind TEXT NOT NULL,
    detail_json TEXT NOT NULL);
INSERT INTO submissions VALUES (1, '03898', 1, 'a.xlsx', 'aa', '2021-10-01T08:00:00+07:00', 'mini', '1', 'accepted',
    1, '61.5', 'Khá', '{}', '{}');
INSERT INTO findings VALUES (1, 'warning', 'x.y', NULL, NULL, 'một cảnh báo');
INSERT INTO communes VALUES ('03898', 'Phù Yên', 'thị trấn', 'checked');
INSERT INTO events VALUES (1, '2021-10-01T08:00:00+07:00', '03898', 'submission', '{}');
"""


def _legacy_store(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_1)
    db.commit()
    db.close()
    return path


def test_a_store_from_before_rounds_is_upgraded_in_place(tmp_path: Path) -> None:
    path = _legacy_store(tmp_path / "cu.sqlite")
    store = Store(path)  # the unnamed round of the old rows
    try:
        sub = store.latest("03898")
        assert sub is not None and sub.self_total == Decimal("61.5") and store.findings(sub.id)[0].rule == "x.y"
        assert store.state("03898") == "checked" and len(store.events("03898")) == 1 and store.rounds() == []
        assert store.has_legacy_rows()
    finally:
        store.close()
    fresh = Store(path, round_id="2022-x")
    try:
        assert fresh.latest("03898") is None
        sid, new = fresh.record_submission(
            commune_code="03898", commune_name="Phù Yên", commune_kind="thị trấn", file_name="a.xlsx", sha256="aa",
            received_at="2022-10-01T08:00:00+07:00", set_id="mini", set_version="1", status="accepted",
            counts=True, self_total=Decimal(70), tier=None, declared={}, scores={},
            findings=[{"severity": "error", "rule": "r", "message": "m"}])
        assert new and fresh.latest("03898").version == 1 and fresh.findings(sid)[0].rule == "r"  # type: ignore[union-attr]
    finally:
        fresh.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.close()


def test_previous_db_from_before_rounds_still_works(make_round: MakeRound, tmp_path: Path) -> None:
    make_round(criteria=MINI)
    previous = last_year_totals(open_workspace(), _legacy_store(tmp_path / "nam-truoc.sqlite"))
    assert previous == {"03898": Decimal("61.50")}
    assert run("report", "--out", "xh.xlsx", "--previous-db", str(tmp_path / "nam-truoc.sqlite")).exit_code == 0


def test_criteria_commands_in_a_round_default_to_its_set(make_round: MakeRound) -> None:
    make_round(criteria=MINI)
    result = run("criteria", "check")
    assert result.exit_code == 0 and "“mini”" in result.output
    result = run("criteria", "check", str(BUNDLED))  # an authoring tool: any file, round or not
    assert result.exit_code == 0 and "“phu-yen-2022”" in result.output


@pytest.mark.parametrize(("criteria", "message"), [
    ("khong-co.yaml", "khong-co.yaml"),
    ("bad.yaml", "Bộ tiêu chí có"),
])
def test_init_with_a_bad_set_is_an_input_mistake(criteria: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: x\nareas: 3\n", encoding="utf-8")
    result = run("init", str(tmp_path / "dot"), "--criteria", str(tmp_path / criteria), "--communes", str(BAC_YEN),
                 "--year", "2026", "--body", "UBND tỉnh Sơn La")
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "dot" / "cchc-xl.toml").exists()


def test_init_refuses_a_malformed_deadline(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "dot"), "--criteria", str(MINI), "--communes", str(BAC_YEN), "--year",
                 "2026", "--body", "UBND tỉnh Sơn La", "--deadline", "15/11/2026")
    assert result.exit_code == 2 and "NĂM-THÁNG-NGÀY" in result.output
    assert not (tmp_path / "dot").exists()


def test_a_store_that_is_not_a_database_is_one_message(tmp_path: Path, make_round: MakeRound) -> None:
    (tmp_path / "hong.sqlite").write_bytes(b"not a database at all" * 100)
    result = run("init", str(tmp_path / "dot2"), "--criteria", str(MINI), "--communes", str(BAC_YEN), "--year",
                 "2026", "--body", "UBND tỉnh Sơn La", "--db", str(tmp_path / "hong.sqlite"))
    assert result.exit_code == 2 and "không phải cơ sở dữ liệu" in result.output
    make_round(criteria=MINI)
    result = run("status", "--db", str(tmp_path / "hong.sqlite"))
    assert result.exit_code == 2 and "không phải cơ sở dữ liệu" in result.output and "Traceback" not in result.output


def test_a_round_added_to_a_store_from_before_rounds_compares_with_its_rows(make_round: MakeRound,
                                                                             tmp_path: Path) -> None:
    legacy = _legacy_store(tmp_path / "cchc-cu.sqlite")
    make_round(criteria=MINI, year=2023, extra=("--db", str(legacy)))
    ws = open_workspace()
    assert ws.db_path == legacy.resolve() and last_year_totals(ws, None) == {"03898": Decimal("61.50")}
    assert " ".join(run("status").output.split()).count("Đã nhận: 0/27") == 1
