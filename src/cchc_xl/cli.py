"""The `cchc-xl` command line: wires the modules together, nothing more."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cchc_xl.clitext import EXIT_FINDINGS, EXIT_OK, Group
from cchc_xl.clitext import install as install_click_text
from cchc_xl.communes import CommuneListError
from cchc_xl.criteria import CriteriaError, load_set
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.messages import render, say

if TYPE_CHECKING:
    from cchc_xl.store_sql import Location
    from cchc_xl.workspace import Workspace

CRITERIA_HELP = "Tệp bộ tiêu chí (.yaml); mặc định: bộ tiêu chí của đợt đánh giá. Tệp khác bộ của đợt bị từ chối."
COMMUNES_HELP = ("Danh sách đơn vị (.csv hoặc .xlsx); mặc định: danh sách của đợt đánh giá. Danh sách khác "
                 "bị từ chối.")


def _load(path: Path | None, *, raise_problems: bool = False) -> CriteriaSet:
    """The set in `path`; without a path, the current round's set (nothing falls back to bundled data). A file
    of another kind is a usage mistake naming the command that takes it."""
    if path is None:
        return _workspace(None, None, None).cset
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        _fail(say("criteria.is_workbook", path=path))
    if suffix == ".zip":
        _fail(say("criteria.is_zip", path=path))
    try:
        return load_set(path)
    except CriteriaError as exc:
        if raise_problems:
            raise
        _fail_with(exc)
        raise AssertionError("unreachable") from exc


def _fail_with(exc: CriteriaError, code: int = 1) -> None:
    click.echo(say("cli.criteria_bad", count=len(exc.problems)), err=True)
    for p in exc.problems:
        click.echo(f"  - {render(p)}", err=True)
    sys.exit(code)


def _fail(message: str) -> None:
    """A usage or input mistake: one message on stderr, exit 2."""
    click.echo(message, err=True)
    sys.exit(2)


def _db(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Location | None:
    """--db: a SQLite file, or a postgresql://… URL."""
    from cchc_xl.store_sql import location

    return None if value is None else location(value)


DB_HELP = "Cơ sở dữ liệu: tệp SQLite hoặc địa chỉ postgresql://…"


def _workspace(workspace: Path | None, round_id: str | None, db_path: Location | None, *,
               criteria_file: Path | None = None, communes_file: Path | None = None,
               writes: str | None = None) -> Workspace:
    """The round the command works on; a --criteria/--communes given must be the round's own. `writes`: the
    name of a command about to write to the store, which is backed up first (cchc-xl store restore)."""
    from cchc_xl.settings import ConfigError
    from cchc_xl.workspace import WorkspaceError, open_workspace

    try:
        ws = open_workspace(workspace, round_id, db_path)
        if criteria_file is not None:
            ws.check_criteria(criteria_file)
        if communes_file is not None:
            ws.check_communes(communes_file)
    except CriteriaError as exc:
        _fail_with(exc, 2)
        raise AssertionError("unreachable") from exc
    except (WorkspaceError, CommuneListError, ConfigError) as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from exc
    if writes is not None:
        _back_up(ws, writes)
    return ws


def _check_code(ws: Workspace, code: str) -> None:
    """A commune code given on the command line must be one of the round's; a code that lost its leading
    zeros (Excel turns 03898 into 3898) is named with the code meant."""
    known = [c.code for c in ws.communes]
    if code in known:
        return
    meant = [k for k in known if k.lstrip("0") == code.lstrip("0") and code.isdigit()]
    if meant:
        _fail(say("code.lost_zero", code=code, suggest=meant[0]))
    _fail(say("code.unknown", code=code, count=len(known), round=ws.round.id))


def _demo_key_notice(ws: Workspace) -> None:
    """Every command that signs or verifies says so when it works with the documented demo key."""
    if ws.settings.key_is_demo:
        click.echo(say("cli.demo_key"), err=True)


def _back_up(ws: Workspace, command: str) -> None:
    """A copy of the store before a command writes to it (a server's: of the round; backup.py); without one
    the command does not run."""
    _back_up_store(ws.db_path, command, ws.round.id, ws.folder)


def _back_up_store(db: Location, command: str, round_id: str = "", base: Path | None = None) -> None:
    import sqlite3

    from cchc_xl.backup import back_up, backup_dir
    from cchc_xl.faults import reason as fault_reason
    from cchc_xl.store_copy import CopyError
    from cchc_xl.store_sql import StoreUnavailable, shown

    where = backup_dir(db, round_id, base)
    try:
        back_up(db, command, round_id=round_id, base=base)
    except sqlite3.OperationalError as exc:  # locked, cannot be opened, disk full
        _fail(say("backup.failed", db=shown(db), dir=where, reason=fault_reason(exc)))
    except sqlite3.DatabaseError:  # not a database, or a damaged one
        _fail(say("round.store_unreadable", db=db))
    except OSError as exc:
        _fail(say("backup.failed", db=shown(db), dir=where, reason=fault_reason(exc)))
    except (CopyError, StoreUnavailable) as exc:  # a server that went away, or a round it will not give
        _fail(str(exc))


def round_options(command: Callable[..., None]) -> Callable[..., None]:
    """--workspace, --round and --db: which round (and store) a command works on."""
    command = click.option("--db", "db_path", default=None, callback=_db,
                           help=f"{DB_HELP}; mặc định: cơ sở dữ liệu của đợt (ghi trong cchc-xl.toml).")(command)
    command = click.option("--round", "round_id", default=None,
                           help="Mã đợt đánh giá (khi một cơ sở dữ liệu có nhiều đợt); mặc định: đợt của "
                                "thư mục làm việc.")(command)
    return click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Thư mục làm việc của đợt (có cchc-xl.toml); mặc định: thư mục hiện tại.")(command)


install_click_text()


# commands in --help in the order a round runs them
WORKFLOW = ("init", "status", "criteria", "generate", "import", "evidence", "withdraw", "appraise", "report", "store",
            "demo")


@click.group(name="cchc-xl", cls=Group, order=WORKFLOW, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cchc-xl")
def cli() -> None:
    """cchc-xl: tự đánh giá, tiếp nhận, thẩm định và xếp hạng Chỉ số CCHC cấp xã bằng Excel.

    Các lệnh theo thứ tự một đợt đánh giá: init → generate → import → appraise → report. Mã thoát: 0 xong,
    không có gì bị từ chối; 1 xong nhưng có tệp bị từ chối hoặc có lỗi; 2 dùng sai lệnh hoặc sai tệp đầu vào
    (máy không cho ghi, đĩa đầy…); 130 dừng bằng Ctrl-C. Thông báo ra stderr, kết quả ra stdout.

    \b
    Ví dụ: cchc-xl init dot-2026 --criteria tieu-chi.yaml --communes don-vi.csv --year 2026 --body "UBND huyện Bắc Yên"
    Hướng dẫn: docs/huong-dan-su-dung.md (mục 13, Khi có lỗi: từng thông báo và cách xử lý).
    """


@cli.group()
def criteria() -> None:
    """Bộ tiêu chí: kiểm tra, xem, xuất ra và nhập từ Excel.

    \b
    Ví dụ: cchc-xl criteria check tieu-chi.yaml
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 4 (Chuẩn bị bộ tiêu chí bằng Excel).
    """


@criteria.command("check")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=say("criteria.json_help"))
def criteria_check(file: Path | None, as_json: bool) -> None:
    """Kiểm tra bộ tiêu chí TỆP (.yaml; mặc định: bộ của đợt); liệt kê mọi lỗi kèm vị trí.

    Mã thoát 1 khi bộ tiêu chí có lỗi. Tệp Excel (.xlsx) thì dùng: cchc-xl criteria import.

    \b
    Ví dụ: cchc-xl criteria check tieu-chi.yaml
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 4.
    """
    if not as_json:
        cset = _load(file)
        click.echo(say("cli.criteria_ok", id=cset.id, version=cset.version, areas=len(cset.areas),
                       items=len(cset.leaves()), total=cset.total))
        return
    import json

    from cchc_xl.numbers import json_number

    try:
        cset = _load(file, raise_problems=True)
    except CriteriaError as exc:
        click.echo(json.dumps({"ok": False, "problems": [render(p) for p in exc.problems]}, ensure_ascii=False,
                              indent=2))
        sys.exit(EXIT_FINDINGS)
    click.echo(json.dumps({"ok": True, "id": cset.id, "version": cset.version, "areas": len(cset.areas),
                           "items": len(cset.leaves()), "total": json_number(cset.total), "problems": []},
                          ensure_ascii=False, indent=2))


@criteria.command("show")
@click.argument("file", required=False, type=click.Path(path_type=Path))
def criteria_show(file: Path | None) -> None:
    """In cây tiêu chí (mặc định: bộ của đợt) với điểm tối đa, cách chấm, điểm thưởng, điểm trừ.

    \b
    Ví dụ: cchc-xl criteria show tieu-chi.yaml
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 4.
    """
    from cchc_xl.console import criteria_show_cmd

    criteria_show_cmd(_load(file))


@criteria.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--criteria", "source", type=click.Path(path_type=Path),
              help="Tệp bộ tiêu chí (.yaml); mặc định: bộ tiêu chí của đợt đánh giá ở thư mục hiện tại.")
def criteria_export(out: Path, source: Path | None) -> None:
    """Xuất bộ tiêu chí ra tệp Excel NƠI_GHI (.xlsx) để chỉnh sửa.

    \b
    Ví dụ: cchc-xl criteria export tieu-chi.xlsx --criteria tieu-chi.yaml
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 4.
    """
    from cchc_xl.criteria.excel import export_criteria

    export_criteria(_load(source), out)
    click.echo(say("cli.criteria_exported", path=out))


@criteria.command("import")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp YAML ghi ra; mặc định: cùng tên với tệp Excel, đuôi .yaml.")
def criteria_import(src: Path, out: Path | None) -> None:
    """Đọc bộ tiêu chí từ tệp Excel TỆP_EXCEL, kiểm tra và ghi ra YAML.

    \b
    Ví dụ: cchc-xl criteria import tieu-chi.xlsx --out tieu-chi.yaml
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 4.
    """
    from cchc_xl.criteria.excel import import_criteria
    from cchc_xl.criteria.load import dump_yaml
    from cchc_xl.safeio import write_text

    try:
        cset = import_criteria(src)
    except CriteriaError as exc:
        _fail_with(exc)
        return
    target = out or src.with_suffix(".yaml")
    write_text(target, dump_yaml(cset))
    click.echo(say("cli.criteria_imported", src=src, path=target))


@cli.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--criteria", "criteria_file", required=True, type=click.Path(path_type=Path),
              help="Tệp bộ tiêu chí (.yaml) của đợt.")
@click.option("--communes", "communes_file", required=True, type=click.Path(path_type=Path),
              help="Danh sách đơn vị được đánh giá (.csv hoặc .xlsx: mã, tên, loại).")
@click.option("--year", required=True, type=click.IntRange(1900, 2999), help="Năm đánh giá, ví dụ 2026.")
@click.option("--body", required=True, help="Cơ quan đánh giá, ví dụ \"UBND huyện Bắc Yên\" hoặc \"UBND tỉnh Sơn La\".")
@click.option("--deadline", default=None, help="Hạn nộp bảng tự đánh giá (NĂM-THÁNG-NGÀY).")
@click.option("--place", default="", help="Địa danh ghi ở dòng ngày tháng, ví dụ \"Bắc Yên\".")
@click.option("--db", "db_path", default=None, callback=_db,
              help=f"{DB_HELP}; mặc định: THƯ_MỤC/cchc.sqlite. Một cơ sở dữ liệu giữ được nhiều đợt.")
def init(folder: Path, criteria_file: Path, communes_file: Path, year: int, body: str, deadline: str | None,
         place: str, db_path: Location | None) -> None:
    """Lập đợt đánh giá trong thư mục THƯ_MỤC: ghi bộ tiêu chí, danh sách đơn vị, cơ quan đánh giá vào cơ sở
    dữ liệu và tạo THƯ_MỤC/cchc-xl.toml với khoá ký mới.

    \b
    Ví dụ:
    cchc-xl init dot-2026 --criteria tieu-chi.yaml --communes don-vi.csv --year 2026
        --body "UBND huyện Bắc Yên" --deadline 2026-11-15 --place "Bắc Yên"
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 1 (Quy trình một năm đánh giá).
    """
    from cchc_xl.store_sql import is_url, shown
    from cchc_xl.workspace import DEFAULT_STORE, WorkspaceError, init_round

    if not is_url(db_path):  # a round added to a store file (a new round on a server touches no other round)
        _back_up_store(db_path if db_path is not None else folder / DEFAULT_STORE, "init")
    try:
        ws = init_round(folder, criteria_file=criteria_file, communes_file=communes_file, year=year, body=body,
                        deadline=deadline, place=place, db=db_path)
    except CriteriaError as exc:
        _fail_with(exc, 2)
        return
    except (WorkspaceError, CommuneListError) as exc:
        _fail(str(exc))
        return
    r = ws.round
    click.echo(say("round.created", round=r.id, body=r.body, year=r.year, set=f"{r.set_id} {r.set_version}",
                   count=len(ws.communes), config=ws.config, db=shown(ws.db_path)))
    click.echo(say("round.next", dir=folder))


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help=say("status.json_help"))
@round_options
def status(as_json: bool, workspace: Path | None, round_id: str | None, db_path: Location | None) -> None:
    """In đợt đánh giá và tiến độ: đã nhận, được tiếp nhận, đã thẩm định, đã chốt, chưa nộp (kèm tên).

    \b
    Ví dụ: cchc-xl status      (hoặc: cchc-xl status --json)
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 1 (Quy trình một năm đánh giá).
    """
    from cchc_xl.console import status_cmd

    status_cmd(_workspace(workspace, round_id, db_path), as_json=as_json)


@cli.command("generate")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@click.option("--communes", "communes_file", type=click.Path(path_type=Path), help=COMMUNES_HELP)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="Thư mục ghi các bảng tự đánh giá.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Số tiến trình tạo bảng song song; mặc định: số lõi CPU của máy.")
@round_options
def generate(criteria_file: Path | None, communes_file: Path | None, out_dir: Path, jobs: int | None,
             workspace: Path | None, round_id: str | None, db_path: Location | None) -> None:
    """Tạo bảng tự đánh giá (.xlsx, đã khoá, có công thức) cho từng đơn vị của đợt.

    Mã thoát 1 khi có bảng không ghi được (đơn vị và lý do được in ra; các bảng khác vẫn được tạo).

    \b
    Ví dụ: cchc-xl generate --out bang-tu-danh-gia
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 5 (Tạo bảng tự đánh giá cho các xã).
    """
    from cchc_xl.console import generate_cmd
    from cchc_xl.workers import WorkerDied

    ws = _workspace(workspace, round_id, db_path, criteria_file=criteria_file, communes_file=communes_file)
    _demo_key_notice(ws)
    try:
        failed = generate_cmd(ws, out_dir, jobs=jobs)
    except WorkerDied:  # (said by the console)
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


@cli.command("import")
@click.argument("inbox", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("ket-qua-tiep-nhan"),
              show_default=True, help="Thư mục ghi báo cáo, bảng kiểm tra và tệp phản hồi.")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@click.option("--communes", "communes_file", type=click.Path(path_type=Path), help=COMMUNES_HELP)
@click.option("--dry-run", is_flag=True, help="Chạy thử: kiểm tra mọi tệp, ghi báo cáo và bảng kiểm tra, nhưng "
                                            "không lưu gì vào cơ sở dữ liệu.")
@click.option("--json", "as_json", is_flag=True, help="In báo cáo tiếp nhận dạng JSON ra stdout (cho chương trình "
                                                      "khác); thông báo ra stderr.")
@click.option("--quiet", "-q", is_flag=True, help=say("cli.quiet_help"))
@click.option("--verbose", "-v", is_flag=True, help=say("cli.verbose_help"))
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Số tiến trình đọc và kiểm tra tệp song song; mặc định: số lõi CPU của máy.")
@round_options
def import_(inbox: Path, out_dir: Path, criteria_file: Path | None, communes_file: Path | None, dry_run: bool,
            as_json: bool, quiet: bool, verbose: bool, jobs: int | None, workspace: Path | None,
            round_id: str | None, db_path: Location | None) -> None:
    """Tiếp nhận các bảng tự đánh giá trong thư mục HỘP_THƯ: kiểm tra, tính lại điểm, báo lỗi.

    Mã thoát 1 khi có tệp bị từ chối; thử trước, không lưu gì: thêm --dry-run.

    \b
    Ví dụ: cchc-xl import hop-thu --out ket-qua-tiep-nhan
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 7 (Tiếp nhận, kiểm tra bảng xã gửi lại) và 13 (Khi có lỗi).
    """
    from cchc_xl.console import import_with_progress, inbox_problem
    from cchc_xl.workers import WorkerDied

    ws = _workspace(workspace, round_id, db_path, criteria_file=criteria_file, communes_file=communes_file)
    problem = inbox_problem(inbox)
    if problem:
        _fail(problem)
    if not dry_run:
        _back_up(ws, "import")
    _demo_key_notice(ws)
    try:
        run, outputs = import_with_progress(inbox, out_dir, ws, dry_run=dry_run, as_json=as_json,
                                            verbosity=-1 if quiet else 1 if verbose else 0, jobs=jobs)
    except WorkerDied:  # (said by the console)
        sys.exit(EXIT_FINDINGS)
    rejected = any(r.status == "rejected" for r in run.results)
    sys.exit(EXIT_FINDINGS if rejected or outputs.unwritten else EXIT_OK)


@cli.command("withdraw")
@click.argument("code")
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="Lần nộp cần rút (xem cchc-xl status); mặc định: bản đang được tính.")
@click.option("--reason", required=True, help="Lý do rút (bắt buộc, được lưu vết).")
@click.option("--by", "who", default="", help="Người rút.")
@round_options
def withdraw(code: str, version: int | None, reason: str, who: str, workspace: Path | None, round_id: str | None,
             db_path: Location | None) -> None:
    """Rút bản tự đánh giá của đơn vị MÃ_ĐƠN_VỊ (ví dụ khi tiếp nhận nhầm tệp): bản đó vẫn được lưu
    và ghi vết, nhưng không còn được tính; bản nộp trước đó (nếu có) lại được tính.

    \b
    Ví dụ: cchc-xl withdraw 03898 --reason "Tiếp nhận nhầm bảng trắng" --by "Phòng Nội vụ"
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 13 (Khi có lỗi).
    """
    from cchc_xl.console import withdraw_cmd

    if not reason.strip():
        _fail(say("withdraw.reason_empty"))
    ws = _workspace(workspace, round_id, db_path)
    _check_code(ws, code)
    _back_up(ws, "withdraw")
    sys.exit(withdraw_cmd(ws, code, version, reason.strip(), who))


class _EvidenceGroup(Group):
    """The evidence commands, imported when the group is used: their PDF checks' modules took 0.1 s of every
    other command's start."""

    def _load(self) -> None:
        if not self.commands:
            from cchc_xl.evidence.cli import evidence_check

            self.add_command(evidence_check)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)


@cli.group(cls=_EvidenceGroup)
def evidence() -> None:
    """Tài liệu kiểm chứng: kiểm tra một thư mục hoặc tệp nén.

    \b
    Ví dụ: cchc-xl evidence check hop-thu/03898-tan-lang.zip
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 7 (Tiếp nhận, kiểm tra bảng xã gửi lại).
    """



@cli.group()
def appraise() -> None:
    """Vòng thẩm định của Hội đồng: lập bảng, nhập kết quả, chốt, mở lại, xem lịch sử.

    \b
    Ví dụ: cchc-xl appraise prepare --out tham-dinh
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 9 (Vòng thẩm định của Hội đồng).
    """


@appraise.command("prepare")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("tham-dinh"),
              show_default=True, help="Thư mục ghi các bảng thẩm định.")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@click.option("--round2", is_flag=True, help="Vòng 2 (sau giải trình): chỉ các tiêu chí đơn vị đã giải trình; đơn vị "
                                             "quá hạn không gửi giải trình được ghi nhận là đồng ý.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Số tiến trình lập bảng thẩm định song song; mặc định: số lõi CPU của máy.")
@round_options
def appraise_prepare(out_dir: Path, criteria_file: Path | None, round2: bool, jobs: int | None,
                     workspace: Path | None, round_id: str | None, db_path: Location | None) -> None:
    """Lập bảng thẩm định (.xlsx) cho từng đơn vị đã được tiếp nhận; với --round2, bảng vòng 2 cho các tiêu chí
    được giải trình.

    Mã thoát 1 khi có đơn vị không lập được bảng (lý do được in ra).

    \b
    Ví dụ: cchc-xl appraise prepare --out tham-dinh
    Vòng 2: cchc-xl appraise prepare --round2 --out tham-dinh-vong-2
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 9.
    """
    from cchc_xl.appraisal.round import OtherSetError
    from cchc_xl.console import appraise_prepare_cmd, appraise_round2_cmd
    from cchc_xl.workers import WorkerDied

    ws = _workspace(workspace, round_id, db_path, criteria_file=criteria_file)
    _demo_key_notice(ws)
    if round2:
        appraise_round2_cmd(ws, out_dir)
        return
    try:
        prepared = appraise_prepare_cmd(ws, out_dir, jobs=jobs)
    except OtherSetError as exc:
        _fail(str(exc))
    except WorkerDied:  # (said by the console)
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_FINDINGS if prepared.failed else EXIT_OK)


def _date_option(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(say("cli.answers_bad_date", got=value))
        raise AssertionError("unreachable") from None


@appraise.command("answers")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("giai-trinh"),
              show_default=True, help="Thư mục ghi các bảng giải trình.")
@click.option("--deadline", default=None, help="Hạn đơn vị gửi lại bảng giải trình (NĂM-THÁNG-NGÀY); mặc định: hạn "
                                               "đã ghi lần trước.")
@click.option("--all", "all_communes", is_flag=True, help="Lập cho mọi đơn vị đã thẩm định, kể cả đơn vị không có "
                                                          "điểm nào bị thay đổi.")
@round_options
def appraise_answers(out_dir: Path, deadline: str | None, all_communes: bool, workspace: Path | None,
                     round_id: str | None, db_path: Location | None) -> None:
    """Sau thẩm định vòng 1: lập bảng giải trình cho từng đơn vị có điểm thẩm định khác điểm tự đánh giá.

    \b
    Ví dụ: cchc-xl appraise answers --out giai-trinh --deadline 2026-12-10
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 9 (Vòng thẩm định của Hội đồng).
    """
    from cchc_xl.console import appraise_answers_cmd

    ws = _workspace(workspace, round_id, db_path, writes="answers")
    _demo_key_notice(ws)
    sys.exit(appraise_answers_cmd(ws, out_dir, _date_option(deadline), all_communes))


@appraise.command("answers-import")
@click.argument("inbox", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("ket-qua-giai-trinh"),
              show_default=True, help="Thư mục ghi báo cáo nhập giải trình.")
@click.option("--received", default=None, help="Ngày nhận các tệp (NĂM-THÁNG-NGÀY), khi nhập sau ngày nhận; mặc định: "
                                               "hôm nay.")
@round_options
def appraise_answers_import(inbox: Path, out_dir: Path, received: str | None, workspace: Path | None,
                            round_id: str | None, db_path: Location | None) -> None:
    """Đọc các bảng giải trình (kèm thư mục hoặc tệp nén TLKC bổ sung) trong HỘP_THƯ, kiểm tra và ghi nhận.

    \b
    Ví dụ: cchc-xl appraise answers-import hop-thu-giai-trinh
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 9 (Vòng thẩm định của Hội đồng).
    """
    from cchc_xl.console import appraise_answers_import_cmd

    ws = _workspace(workspace, round_id, db_path, writes="answers-import")
    _demo_key_notice(ws)
    sys.exit(appraise_answers_import_cmd(ws, inbox, out_dir, _date_option(received)))


@appraise.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("ket-qua-tham-dinh"), show_default=True, help="Thư mục ghi báo cáo nhập thẩm định.")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@round_options
def appraise_import(folder: Path, out_dir: Path, criteria_file: Path | None, workspace: Path | None,
                    round_id: str | None, db_path: Location | None) -> None:
    """Đọc các bảng thẩm định trong THƯ_MỤC, kiểm tra và ghi nhận điểm thẩm định.

    Mã thoát 1 khi có bảng bị từ chối.

    \b
    Ví dụ: cchc-xl appraise import tham-dinh-da-nhap --out ket-qua-tham-dinh
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 9.
    """
    from cchc_xl.console import appraise_import_cmd

    ws = _workspace(workspace, round_id, db_path, criteria_file=criteria_file, writes="appraise-import")
    _demo_key_notice(ws)
    outcomes = appraise_import_cmd(ws, folder, out_dir)
    sys.exit(EXIT_FINDINGS if any(o.status == "rejected" for o in outcomes) else EXIT_OK)


@appraise.command("finalize")
@click.argument("codes", nargs=-1)
@click.option("--by", "who", default="", help="Người chốt kết quả.")
@click.option("--force", is_flag=True, help="Chốt cả đơn vị còn giải trình chưa xử lý (được ghi lại).")
@round_options
def appraise_finalize(codes: tuple[str, ...], who: str, force: bool, workspace: Path | None, round_id: str | None,
                      db_path: Location | None) -> None:
    """Chốt kết quả các đơn vị MÃ_ĐƠN_VỊ... (mặc định: mọi đơn vị đã thẩm định); đơn vị còn giải trình chưa
    xử lý không được chốt, trừ khi có --force.

    \b
    Ví dụ: cchc-xl appraise finalize --by "Trưởng phòng Nội vụ"
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 9 (Chốt, mở lại, xem lịch sử).
    """
    from cchc_xl.console import appraise_finalize_cmd

    ws = _workspace(workspace, round_id, db_path)
    for code in codes:
        _check_code(ws, code)
    _back_up(ws, "finalize")
    appraise_finalize_cmd(ws, list(codes), who, force=force)


@appraise.command("reopen")
@click.argument("code")
@click.option("--reason", required=True, help="Lý do mở lại (bắt buộc, được lưu vết).")
@click.option("--by", "who", default="", help="Người mở lại.")
@round_options
def appraise_reopen(code: str, reason: str, who: str, workspace: Path | None, round_id: str | None,
                    db_path: Location | None) -> None:
    """Mở lại kết quả đã chốt của đơn vị MÃ_ĐƠN_VỊ để nhận tệp mới.

    \b
    Ví dụ: cchc-xl appraise reopen 03898 --reason "Xã khiếu nại tiêu chí 2.2"
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 9.
    """
    from cchc_xl.console import appraise_reopen_cmd

    ws = _workspace(workspace, round_id, db_path)
    _check_code(ws, code)
    _back_up(ws, "reopen")
    sys.exit(appraise_reopen_cmd(ws, code, reason, who))


@appraise.command("history")
@click.argument("code")
@click.argument("criterion")
@round_options
def appraise_history(code: str, criterion: str, workspace: Path | None, round_id: str | None,
                     db_path: Location | None) -> None:
    """In lịch sử điểm của tiêu chí MÃ_TIÊU_CHÍ của đơn vị MÃ_ĐƠN_VỊ (tự đánh giá → thẩm
    định…) và các sự kiện của đơn vị.

    \b
    Ví dụ: cchc-xl appraise history 03898 2.2
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 9.
    """
    from cchc_xl.console import appraise_history_cmd

    ws = _workspace(workspace, round_id, db_path)
    _check_code(ws, code)
    if criterion not in {c.code for c in ws.cset.leaves()} | {c.code for a in ws.cset.areas for c in a.criteria}:
        _fail(say("criterion.unknown", set=f"{ws.cset.id} {ws.cset.version}", code=criterion))
    appraise_history_cmd(ws, code, criterion)


@cli.command("report")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("xep-hang.xlsx"),
              show_default=True, help="Tệp bảng xếp hạng ghi ra (.xlsx).")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@click.option("--communes", "communes_file", type=click.Path(path_type=Path), help=COMMUNES_HELP)
@click.option("--previous-db", "previous_db", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Cơ sở dữ liệu năm trước; mặc định: đợt năm trước trong cùng cơ sở dữ liệu, nếu có.")
@click.option("--rounds", "rounds", default=None,
              help="Xếp hạng chung nhiều đợt cùng năm, cùng bộ tiêu chí trong cơ sở dữ liệu (mã đợt cách nhau "
                   "bằng dấu phẩy), ví dụ đợt của tỉnh và các đợt của huyện.")
@click.option("--signer", "signer", default=None,
              help="Chức danh người ký (ví dụ: \"Chủ tịch\"): trang bìa có khối chữ ký (địa danh, ngày tháng, "
                   "chức danh, chỗ ký và đóng dấu) để ban hành báo cáo.")
@click.option("--signer-name", "signer_name", default="", help="Họ tên người ký (để trống: ký và ghi tay).")
@round_options
def report(out: Path, criteria_file: Path | None, communes_file: Path | None, previous_db: Path | None,
           rounds: str | None, signer: str | None, signer_name: str, workspace: Path | None, round_id: str | None,
           db_path: Location | None) -> None:
    """Lập bảng xếp hạng tổng hợp (.xlsx) cho lãnh đạo (điểm cuối cùng nếu đã thẩm định); nhiều đợt cùng năm,
    cùng bộ tiêu chí xếp hạng chung với --rounds.

    \b
    Ví dụ: cchc-xl report --out xep-hang-2026.xlsx
    Nhiều đợt: cchc-xl report --out xep-hang.xlsx --rounds 2026-ubnd-tinh-a,2026-ubnd-huyen-b
    Ban hành (có khối chữ ký): cchc-xl report --out xep-hang.xlsx --signer "Chủ tịch"
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 10 (Báo cáo xếp hạng cho lãnh đạo).
    """
    from cchc_xl.console import report_cmd

    if out.suffix.lower() != ".xlsx":
        _fail(say("report.not_xlsx", suggest=out.with_suffix(".xlsx").name, suffix=out.suffix or out.name))
    ws = _workspace(workspace, round_id, db_path, criteria_file=criteria_file, communes_file=communes_file)
    chosen = [r.strip() for r in (rounds or "").split(",") if r.strip()]
    from cchc_xl.reports.ranking import Signature

    signature = Signature(signer.strip(), signer_name.strip()) if signer and signer.strip() else None
    sys.exit(report_cmd(ws, out, previous_db, rounds=chosen or None, signature=signature))


@cli.group("store")
def store_group() -> None:
    """Cơ sở dữ liệu của đợt: các bản sao lưu tự động và khôi phục; chép đợt đánh giá giữa SQLite và
    PostgreSQL.

    \b
    Ví dụ: cchc-xl store restore
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 12 (Sao lưu) và 13 (Khi có lỗi).
    """


@store_group.command("copy")
@click.argument("src")
@click.argument("dst")
@click.option("--round", "round_id", default=None, help="Mã đợt cần chép; mặc định: mọi đợt trong SRC.")
def store_copy(src: str, dst: str, round_id: str | None) -> None:
    """Chép đợt đánh giá từ cơ sở dữ liệu SRC sang DST (tệp SQLite hoặc postgresql://…); SRC không bị thay đổi,
    chép lại lần nữa không tạo bản trùng.

    \b
    Ví dụ: cchc-xl store copy dot-2026/cchc.sqlite postgresql://cchc@may-chu/cchc --round 2026-ubnd-huyen-bac-yen
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 12 (Sao lưu và những điều cần nhớ).
    """
    from cchc_xl.store_copy import CopyError, copy_rounds
    from cchc_xl.store_sql import StoreUnavailable, exists, location, shown

    source, target = location(src), location(dst)
    if not exists(source):
        _fail(say("round.none", db=shown(source)))
    try:
        outcomes = copy_rounds(source, target, round_id)
    except (CopyError, StoreUnavailable) as exc:
        _fail(str(exc))
        return

    for o in outcomes:
        click.echo(say("store.copy_done", round=o.round_id or "—", src=shown(source), dst=shown(target),
                       submissions=o.submissions, known=o.known, appraisals=o.appraisals, events=o.events))


@store_group.command("restore")
@click.argument("choice", required=False)
@round_options
def store_restore(choice: str | None, workspace: Path | None, round_id: str | None,
                  db_path: Location | None) -> None:
    """Khôi phục cơ sở dữ liệu về một bản sao lưu tự động (tạo trước mỗi lệnh ghi: init, import,
    withdraw, appraise import/finalize/reopen). Không có BẢN_SAO_LƯU: liệt kê các bản; BẢN_SAO_LƯU là số thứ
    tự (1 = mới nhất) hoặc tên tệp sao lưu. Trạng thái hiện tại được sao lưu trước khi khôi phục.

    \b
    Ví dụ: cchc-xl store restore 1
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 13 (Khi có lỗi).
    """
    from cchc_xl.console import restore_cmd

    sys.exit(restore_cmd(_workspace(workspace, round_id, db_path), choice))


@cli.command("demo")
@click.argument("out", type=click.Path(path_type=Path), default=Path("demo-output"))
def demo(out: Path) -> None:
    """Chạy thử toàn bộ quy trình trên dữ liệu mẫu (27 đơn vị huyện Phù Yên) vào thư mục NƠI_GHI:
    lập đợt đánh giá (init) như một huyện, rồi các lệnh không cần --criteria/--communes. Chỉ ghi vào thư mục
    mới, thư mục trống hoặc thư mục do chính lệnh demo tạo; cần gói cài thêm cchc-xl[demo].

    \b
    Ví dụ: cchc-xl demo chay-thu
    Hướng dẫn: docs/huong-dan-su-dung.md, mục 11 (Chạy thử toàn bộ quy trình).
    """
    try:
        from cchc_xl.demo import DemoFolderError, run_demo
    except ModuleNotFoundError as exc:  # the [demo] extra (sample PDF makers) is not installed
        _fail(say("demo.needs_extra", module=exc.name))
        return
    try:
        code = run_demo(out)
    except DemoFolderError as exc:
        _fail(str(exc))
        return
    sys.exit(code)


def main() -> None:
    # District laptops run Windows consoles with legacy code pages: always speak UTF-8.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    from cchc_xl.store_sql import StoreUnavailable

    try:
        cli()
    except StoreUnavailable as exc:  # the server went away mid-command: what was committed stays
        click.echo(str(exc), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
