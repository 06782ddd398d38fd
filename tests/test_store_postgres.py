"""PostgreSQL at a province: concurrent imports into one server store, a province round with district rounds
ranked together, and rounds copied between SQLite and PostgreSQL. Imports run as a district officer runs
them, `cchc-xl import` in separate processes, started at the same moment."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.samplegen.values import valid_values
from cchc_xl.settings import Settings
from cchc_xl.store import SCHEMA_VERSION, Round, Store
from cchc_xl.store_copy import copy_rounds
from cchc_xl.workbook.generate import generate_one
from cchc_xl.workbook.layout import Declared, LeafInput
from conftest import DATA, MakeRound

pytestmark = pytest.mark.postgres
SRC = Path(__file__).resolve().parents[1] / "src"
MINI = DATA / "mini-set.yaml"


def filled(cset: CriteriaSet, commune: Commune, folder: Path, settings: Settings, seed: int, name: str = "") -> Path:
    """A commune's workbook as it comes back filled in: valid values at random (seeded) and explanations."""
    rng = random.Random(seed)
    leaves = {}
    for leaf in cset.commune_leaves():
        assert leaf.rule is not None
        values = valid_values(leaf, rng)
        if leaf.rule.computed:
            leaves[leaf.code] = LeafInput(figures=tuple(Decimal(str(v)) for v in values), explanation="Đã thực hiện.")
        else:
            leaves[leaf.code] = LeafInput(value=Decimal(str(values[0])), explanation="Đã thực hiện.")
    return generate_one(cset, commune, folder, settings, declared=Declared(leaves=leaves), name=name or None)


def unit_list(path: Path, units: list[Commune]) -> Path:
    """A unit list as an office keeps it: code, name, kind."""
    path.write_text("Mã,Tên,Loại\n" + "".join(f"{u.code},{u.name},{u.kind}\n" for u in units), encoding="utf-8")
    return path


def units(first_code: int, n: int, kind: str = "xã") -> list[Commune]:
    return [Commune(code=str(first_code + i), name=f"Thử Nghiệm {first_code + i}", kind=kind) for i in range(n)]


def start_import(inbox: Path, out: Path, folder: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.Popen([sys.executable, "-m", "cchc_xl.cli", "import", str(inbox), "--out", str(out),
                             "--workspace", str(folder)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8")


def run_together(inboxes: list[Path], folder: Path, tmp_path: Path) -> list[tuple[int, str, str]]:
    """`cchc-xl import` on each inbox, all started before any is waited for: (exit code, stdout, stderr)."""
    started = [start_import(inbox, tmp_path / f"kq-{i}", folder) for i, inbox in enumerate(inboxes)]
    shown = [p.communicate(timeout=600) for p in started]
    return [(p.returncode, out, err) for p, (out, err) in zip(started, shown, strict=True)]


def spread(files: list[Path], inboxes: list[Path], copies: int) -> None:
    """Each file into `copies` consecutive inboxes (overlapping), by hard link."""
    for inbox in inboxes:
        inbox.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(files):
        for k in range(copies):
            target = inboxes[(i + k) % len(inboxes)] / f.name
            if not target.exists():
                os.link(f, target)


def test_four_processes_importing_overlapping_inboxes(make_round: MakeRound, pg_url: str, mini_set: CriteriaSet,
                                                      settings: Settings, tmp_path: Path) -> None:
    """Eight units; three of them also send a revised file. Every file is in two of the four inboxes."""
    chosen = units(40000, 8)
    folder = make_round(criteria=MINI, communes=unit_list(tmp_path / "dv.csv", chosen), year=2026,
                        body="UBND tỉnh Thử Nghiệm", extra=("--db", pg_url))
    files = [filled(mini_set, u, tmp_path / "files", settings, seed=i) for i, u in enumerate(chosen)]
    revised = [filled(mini_set, u, tmp_path / "files", settings, seed=100 + i, name=f"{u.code}-sua-lai.xlsx")
               for i, u in enumerate(chosen[:3])]
    inboxes = [tmp_path / f"hop-thu-{k}" for k in range(4)]
    spread([*files, *revised], inboxes, copies=2)

    for code, out, err in run_together(inboxes, folder, tmp_path):
        assert code == 0 and err.strip() == "", out + err  # no error, no warning, no traceback
        assert "0 không tiếp nhận" in " ".join(out.split()), out

    store = Store(pg_url, "2026-ubnd-tinh-thu-nghiem")
    try:
        assert store.count("submissions") == len(files) + len(revised)  # each file recorded exactly once
        for i, u in enumerate(chosen):
            history = store.history(u.code)
            assert [s.version for s in history] == list(range(1, len(history) + 1))
            assert len(history) == (2 if i < 3 else 1)
            assert len({s.file_sha256 for s in history}) == len(history)
            submitted = [e.detail.version for e in store.events(u.code) if e.kind == "submission"]
            assert submitted == [s.version for s in history]  # one event per version, in order
        assert set(store.states().values()) == {"checked"}
    finally:
        store.close()


def test_a_province_round_and_district_rounds_ranked_together(make_round: MakeRound, pg_url: str,
                                                              mini_set: CriteriaSet, settings: Settings,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The province's own round of 300 units imported by four processes; three districts' rounds of four units
    (one of them kept in its own SQLite file, then copied in); one ranking over the four rounds."""
    province = units(30000, 300)
    p_folder = make_round(criteria=MINI, communes=unit_list(tmp_path / "tinh.csv", province), year=2026,
                          body="UBND tỉnh Thử Nghiệm", folder=tmp_path / "tinh", extra=("--db", pg_url))
    files = [filled(mini_set, u, tmp_path / "tinh-tep", settings, seed=i) for i, u in enumerate(province)]
    inboxes = [tmp_path / f"tinh-hop-thu-{k}" for k in range(4)]
    spread(files, inboxes, copies=2)
    for code, out, err in run_together(inboxes, p_folder, tmp_path):
        assert code == 0 and err.strip() == "", out + err

    districts = {}
    for d, name in enumerate(("Bắc", "Nam", "Đông")):
        chosen = units(50000 + 100 * d, 4)
        own_file = name == "Đông"  # this district kept its round on its own laptop
        folder = make_round(criteria=MINI, communes=unit_list(tmp_path / f"huyen-{d}.csv", chosen), year=2026,
                            body=f"UBND huyện {name} Thử", folder=tmp_path / f"huyen-{d}",
                            extra=() if own_file else ("--db", pg_url))
        inbox = tmp_path / f"huyen-{d}-hop-thu"
        for i, u in enumerate(chosen):
            filled(mini_set, u, inbox, settings, seed=1000 + 100 * d + i)
        ((code, out, err),) = run_together([inbox], folder, tmp_path / f"huyen-{d}")
        assert code == 0 and err.strip() == "", out + err
        districts[name] = (folder, chosen)
    district_file = districts["Đông"][0] / "cchc.sqlite"
    (copied,) = copy_rounds(district_file, pg_url)
    assert (copied.round_id, copied.submissions, copied.known) == ("2026-ubnd-huyen-dong-thu", 4, 0)
    (again,) = copy_rounds(district_file, pg_url)
    assert (again.submissions, again.known, again.appraisals, again.events) == (0, 4, 0, 0)

    ids = ["2026-ubnd-tinh-thu-nghiem", "2026-ubnd-huyen-bac-thu", "2026-ubnd-huyen-nam-thu", "2026-ubnd-huyen-dong-thu"]
    store = Store(pg_url)
    try:
        assert {r.id for r in store.rounds()} == set(ids)
    finally:
        store.close()
    province_store = Store(pg_url, ids[0])
    try:
        assert province_store.count("submissions") == 300 + 12
        assert len(province_store.commune_codes()) == 300
        assert all(len(province_store.history(u.code)) == 1 for u in province[:20])
    finally:
        province_store.close()

    from click.testing import CliRunner

    from cchc_xl.cli import cli
    from cchc_xl.console import consolidated_ranking
    from cchc_xl.workspace import open_workspace

    monkeypatch.chdir(p_folder)
    result = CliRunner().invoke(cli, ["report", "--rounds", ",".join(ids), "--out", "xep-hang-tinh.xlsx"])
    assert result.exit_code == 0, result.output
    assert "312/312 đơn vị được xếp hạng" in " ".join(result.output.split())
    data = consolidated_ranking(open_workspace(), ids, None)
    assert len(data.ranked) == 312
    assert {r.code for r in data.results} == {u.code for u in province} | {
        u.code for _f, chosen in districts.values() for u in chosen}
    alone = CliRunner().invoke(cli, ["report", "--out", "xep-hang-rieng.xlsx"])
    assert "300/300 đơn vị được xếp hạng" in " ".join(alone.output.split())


def test_rounds_of_other_years_or_sets_are_not_ranked_together(make_round: MakeRound, pg_url: str,
                                                               tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cchc_xl.cli import cli

    make_round(criteria=MINI, year=2025, folder=tmp_path / "2025", extra=("--db", pg_url))
    make_round(criteria=MINI, year=2026, folder=tmp_path / "2026", extra=("--db", pg_url))
    result = CliRunner().invoke(cli, ["report", "--rounds", "2025-ubnd-huyen-thu-nghiem,2026-ubnd-huyen-thu-nghiem"])
    assert result.exit_code == 2 and "cùng năm" in result.output
    result = CliRunner().invoke(cli, ["report", "--rounds", "2026-ubnd-huyen-thu-nghiem,khong-co"])
    assert result.exit_code == 2 and "Không có đợt đánh giá khong-co" in result.output


def test_a_round_goes_from_sqlite_to_postgresql_and_back(make_round: MakeRound, pg_url: str, mini_set: CriteriaSet,
                                                        settings: Settings, tmp_path: Path) -> None:
    """Everything of the round arrives: submissions with versions and findings, states, events; twice is once."""
    from click.testing import CliRunner

    from cchc_xl.cli import cli

    chosen = units(60000, 3)
    folder = make_round(criteria=MINI, communes=unit_list(tmp_path / "dv.csv", chosen), year=2026)
    inbox = tmp_path / "hop-thu"
    for i, u in enumerate(chosen):
        filled(mini_set, u, inbox, settings, seed=i)
    filled(mini_set, chosen[0], tmp_path / "sau", settings, seed=99, name="sua-lai.xlsx")
    assert run_together([inbox], folder, tmp_path)[0][0] == 0
    assert run_together([tmp_path / "sau"], folder, tmp_path / "2")[0][0] == 0
    sqlite_file = folder / "cchc.sqlite"
    back = tmp_path / "tro-lai.sqlite"
    rid = "2026-ubnd-huyen-thu-nghiem"

    runner = CliRunner()
    first = runner.invoke(cli, ["store", "copy", str(sqlite_file), pg_url, "--round", rid])
    assert first.exit_code == 0 and "4 bài nộp mới (0 đã có)" in " ".join(first.output.split()), first.output
    second = runner.invoke(cli, ["store", "copy", str(sqlite_file), pg_url])
    assert second.exit_code == 0 and "0 bài nộp mới (4 đã có)" in " ".join(second.output.split()), second.output
    assert runner.invoke(cli, ["store", "copy", pg_url, str(back)]).exit_code == 0

    def snapshot(loc: Path | str) -> tuple[object, ...]:
        store = Store(loc, rid)
        try:
            subs = [(s.commune_code, s.version, s.file_sha256, s.status, s.self_total, s.scores, s.declared,
                     store.findings(s.id)) for code in store.commune_codes() for s in store.history(code)]
            events = [(e.at, e.commune_code, e.kind, e.detail) for e in store.events()]
            return store.round(), subs, store.states(), events
        finally:
            store.close()

    original = snapshot(sqlite_file)
    assert [v for _c, v, *_ in original[1]] == [1, 2, 1, 1]
    assert snapshot(pg_url) == original
    assert snapshot(back) == original
    missing = runner.invoke(cli, ["store", "copy", str(tmp_path / "khong-co.sqlite"), pg_url])
    assert missing.exit_code == 2 and "Traceback" not in missing.output


def test_four_processes_opening_a_new_server_store_create_its_schema_once(pg_url: str) -> None:
    code = ("import sys; from cchc_xl.store import Store; s = Store(sys.argv[1]); print(s.count('rounds')); "
            "s.close()")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    started = [subprocess.Popen([sys.executable, "-c", code, pg_url], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outcomes = [p.communicate(timeout=120) for p in started]
    assert [p.returncode for p in started] == [0] * 4, outcomes
    import psycopg

    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        types = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns WHERE"
                                  " table_name='submissions'").fetchall())
    assert types["self_total"] == "numeric" and types["scores_json"] == "json"


def test_an_unreachable_server_is_one_message(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cchc_xl.cli import cli

    url = f"postgresql://cchc@/khong_co?host={tmp_path}"
    result = CliRunner().invoke(cli, ["status", "--db", url])
    assert result.exit_code == 2 and "Không kết nối được cơ sở dữ liệu PostgreSQL" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_copy_from_or_into_a_file_that_is_not_a_store_is_one_message(tmp_path: Path, pg_url: str) -> None:
    from click.testing import CliRunner

    from cchc_xl.cli import cli

    store = Store(pg_url, "2026-x")
    try:
        store.create_round(Round(id="2026-x", year=2026, body="UBND tỉnh Thử", set_id="mini", set_version="0.1",
                                 set_sha256="f" * 64, set_yaml="id: mini\n", communes=[],
                                 created_at="2026-09-01T08:00:00+07:00"))
    finally:
        store.close()
    junk = tmp_path / "ghi-chu.sqlite"
    junk.write_text("không phải cơ sở dữ liệu " * 100, encoding="utf-8")
    for args in ([str(junk), pg_url], [pg_url, str(junk)]):
        result = CliRunner().invoke(cli, ["store", "copy", *args])
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
        assert f"Tệp {junk} không phải cơ sở dữ liệu của cchc-xl" in result.output


def test_a_server_that_goes_away_mid_run_is_one_message_and_keeps_what_was_committed(pg_url: str) -> None:
    import psycopg

    from cchc_xl.store_sql import StoreUnavailable

    store = Store(pg_url)
    try:
        store.record_submission(commune_code="03898", commune_name="Phù Yên", commune_kind="thị trấn",
                                file_name="a.xlsx", sha256="a" * 64, received_at="2026-10-01T08:00:00+07:00",
                                set_id="mini", set_version="0.1", status="accepted", counts=True,
                                self_total=Decimal("61.5"), tier=None, declared={}, scores={}, findings=[])
        with psycopg.connect(pg_url, autocommit=True) as admin:  # as a server restart does to its clients
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=current_database()"
                          " AND pid <> pg_backend_pid()")
        with pytest.raises(StoreUnavailable, match="Mất kết nối với cơ sở dữ liệu PostgreSQL"):
            store.latest("03898")
    finally:
        store.close()
    again = Store(pg_url)
    try:
        assert again.latest("03898").self_total == Decimal("61.5")  # type: ignore[union-attr]
    finally:
        again.close()


def _submit(store: Store, code: str, sha: str) -> tuple[int, bool]:
    return store.record_submission(
        commune_code=code, commune_name=f"Thử {code}", commune_kind="xã", file_name=f"{sha[:4]}.xlsx", sha256=sha,
        received_at="2026-10-01T08:00:00+07:00", set_id="mini", set_version="0.1", status="accepted", counts=True,
        self_total=Decimal("50"), tier=None, declared={}, scores={}, findings=[])


def test_two_batches_meeting_two_communes_in_opposite_orders_both_finish(pg_url: str) -> None:
    """Importer A's batch records 41001 then 41002, importer B's 41002 then 41001, each holding its first
    commune's lock when it asks for the second: a deadlock, which the server breaks by failing one of them.
    That one commits its first record, records the second again, and neither loses or repeats a file.

        importer | first        | second
        A        | 41001 file a | 41002 file b
        B        | 41002 file b | 41001 file c   (b: the same file in both inboxes)
    """
    import threading

    Store(pg_url).close()
    stores = [Store(pg_url), Store(pg_url)]
    plans = [[("41001", "a" * 64), ("41002", "b" * 64)], [("41002", "b" * 64), ("41001", "c" * 64)]]
    both_hold_one = threading.Barrier(2, timeout=30)
    failures: list[BaseException] = []

    def importer(store: Store, plan: list[tuple[str, str]]) -> None:
        try:
            with store.batch():
                _submit(store, *plan[0])
                both_hold_one.wait()
                _submit(store, *plan[1])
        except BaseException as exc:  # the test reports it
            failures.append(exc)

    threads = [threading.Thread(target=importer, args=(s, p)) for s, p in zip(stores, plans, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert not failures and not any(t.is_alive() for t in threads), failures
        assert sum(s.retried for s in stores) >= 1  # the deadlock happened, and was handled by one retry
        check = Store(pg_url)
        assert check.count("submissions") == 3
        assert [s.version for s in check.history("41001")] == [1, 2]
        assert sorted(s.file_sha256 for s in check.history("41001")) == ["a" * 64, "c" * 64]
        assert [s.file_sha256 for s in check.history("41002")] == ["b" * 64]
        assert [e.detail.version for e in check.events("41001")] == [1, 2]
        check.close()
    finally:
        for s in stores:
            s.close()


def test_two_processes_importing_the_same_inbox_in_opposite_orders(make_round: MakeRound, pg_url: str,
                                                                   mini_set: CriteriaSet, settings: Settings,
                                                                   tmp_path: Path) -> None:
    """Twelve units' files in two inboxes, one named so that it is read first to last, the other last to first
    (`--jobs 1`: one file after the other): their batches meet the same communes in opposite orders. Both
    finish without an error, and every file is recorded exactly once."""
    chosen = units(42000, 12)
    folder = make_round(criteria=MINI, communes=unit_list(tmp_path / "dv.csv", chosen), year=2026,
                        extra=("--db", pg_url))
    files = [filled(mini_set, u, tmp_path / "files", settings, seed=i) for i, u in enumerate(chosen)]
    forward, backward = tmp_path / "hop-thu-xuoi", tmp_path / "hop-thu-nguoc"
    for inbox in (forward, backward):
        inbox.mkdir()
    for i, f in enumerate(files):
        os.link(f, forward / f"{chr(97 + i)}-{f.name}")
        os.link(f, backward / f"{chr(97 + len(files) - 1 - i)}-{f.name}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)}
    started = [subprocess.Popen([sys.executable, "-m", "cchc_xl.cli", "import", str(inbox), "--out",
                                 str(tmp_path / f"kq-{k}"), "--workspace", str(folder), "--jobs", "1"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
               for k, inbox in enumerate((forward, backward))]
    for p in started:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0 and "Traceback" not in err, out + err
        assert "0 không tiếp nhận" in " ".join(out.split()), out
    store = Store(pg_url, "2026-ubnd-huyen-thu-nghiem")
    try:
        assert store.count("submissions") == len(files)
        assert all([s.version for s in store.history(u.code)] == [1] for u in chosen)
        assert store.count("events") == len(files) + 1  # one per file, and the round's creation
    finally:
        store.close()
