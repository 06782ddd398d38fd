"""The `cchc-xl` command line: wires the modules together, nothing more."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cchc_xl.communes import CommuneListError
from cchc_xl.criteria import CriteriaError, load_set
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.messages import say
from cchc_xl.numbers import fmt

if TYPE_CHECKING:
    from cchc_xl.store_sql import Location
    from cchc_xl.workspace import Workspace

CRITERIA_HELP = "Tệp bộ tiêu chí (.yaml); mặc định: bộ tiêu chí của đợt đánh giá. Tệp khác bộ của đợt bị từ chối."
COMMUNES_HELP = ("Danh sách đơn vị (.csv hoặc .xlsx); mặc định: danh sách của đợt đánh giá. Danh sách khác "
                 "bị từ chối.")


def _load(path: Path | None) -> CriteriaSet:
    """The set in `path`; without a path, the current round's set (nothing falls back to bundled data)."""
    if path is None:
        return _workspace(None, None, None).cset
    try:
        return load_set(path)
    except CriteriaError as exc:
        _fail_with(exc)
        raise AssertionError("unreachable") from exc


def _fail_with(exc: CriteriaError, code: int = 1) -> None:
    click.echo(say("cli.criteria_bad", count=len(exc.problems)), err=True)
    for p in exc.problems:
        click.echo(f"  - {p.message}", err=True)
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
               criteria_file: Path | None = None, communes_file: Path | None = None) -> Workspace:
    """The round the command works on; a --criteria/--communes given must be the round's own."""
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
    except (WorkspaceError, CommuneListError) as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from exc
    return ws


def round_options(command: Callable[..., None]) -> Callable[..., None]:
    """--workspace, --round and --db: which round (and store) a command works on."""
    command = click.option("--db", "db_path", default=None, callback=_db,
                           help=f"{DB_HELP}; mặc định: cơ sở dữ liệu của đợt (ghi trong cchc-xl.toml).")(command)
    command = click.option("--round", "round_id", default=None,
                           help="Mã đợt đánh giá (khi một cơ sở dữ liệu có nhiều đợt); mặc định: đợt của "
                                "thư mục làm việc.")(command)
    return click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Thư mục làm việc của đợt (có cchc-xl.toml); mặc định: thư mục hiện tại.")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cchc-xl")
def cli() -> None:
    """cchc-xl: tự đánh giá, tiếp nhận, thẩm định và xếp hạng Chỉ số CCHC cấp xã bằng Excel."""


@cli.group()
def criteria() -> None:
    """Bộ tiêu chí: kiểm tra, xem, xuất ra và nhập từ Excel."""


@criteria.command("check")
@click.argument("file", required=False, type=click.Path(path_type=Path))
def criteria_check(file: Path | None) -> None:
    """Kiểm tra bộ tiêu chí FILE; liệt kê mọi lỗi kèm vị trí."""
    cset = _load(file)
    click.echo(say("cli.criteria_ok", id=cset.id, version=cset.version, areas=len(cset.areas),
                   items=len(cset.leaves()), total=cset.total))


@criteria.command("show")
@click.argument("file", required=False, type=click.Path(path_type=Path))
def criteria_show(file: Path | None) -> None:
    """In cây tiêu chí với điểm tối đa và cách chấm điểm."""
    cset = _load(file)
    click.echo(say("cli.show_header", title=cset.title, version=cset.version, total=cset.total))
    for area in cset.areas:
        click.echo(f"{area.code}. {area.title} [{fmt(area.max)}]")
        for crit in area.criteria:
            for depth, node in [(1, crit)] + [(2, s) for s in crit.children]:
                line = f"{'    ' * depth}{node.code} {node.title} [{fmt(node.max)}]"
                if node.rule is not None:
                    line += f" — {node.rule.describe(node.max)}"
                click.echo(line)
    click.echo(say("cli.show_tiers") + ": " + "; ".join(f"{t.name} ≥ {fmt(t.min)}" for t in cset.tiers))


@criteria.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--criteria", "source", type=click.Path(path_type=Path),
              help="Tệp bộ tiêu chí (.yaml); mặc định: bộ tiêu chí của đợt đánh giá ở thư mục hiện tại.")
def criteria_export(out: Path, source: Path | None) -> None:
    """Xuất bộ tiêu chí ra tệp Excel OUT để chỉnh sửa."""
    from cchc_xl.criteria.excel import export_criteria

    export_criteria(_load(source), out)
    click.echo(say("cli.criteria_exported", path=out))


@criteria.command("import")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp YAML ghi ra; mặc định: cùng tên với tệp Excel, đuôi .yaml.")
def criteria_import(src: Path, out: Path | None) -> None:
    """Đọc bộ tiêu chí từ tệp Excel SRC, kiểm tra và ghi ra YAML."""
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
              help=f"{DB_HELP}; mặc định: FOLDER/cchc.sqlite. Một cơ sở dữ liệu giữ được nhiều đợt.")
def init(folder: Path, criteria_file: Path, communes_file: Path, year: int, body: str, deadline: str | None,
         place: str, db_path: Location | None) -> None:
    """Lập đợt đánh giá trong thư mục FOLDER: ghi bộ tiêu chí, danh sách đơn vị, cơ quan đánh giá vào cơ sở
    dữ liệu và tạo FOLDER/cchc-xl.toml với khoá ký mới.

    Ví dụ:

    \b
    cchc-xl init dot-2026 --criteria tieu-chi.yaml --communes don-vi.csv --year 2026
        --body "UBND huyện Bắc Yên" --deadline 2026-11-15 --place "Bắc Yên"
    """
    from cchc_xl.store_sql import shown
    from cchc_xl.workspace import WorkspaceError, init_round

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
@round_options
def status(workspace: Path | None, round_id: str | None, db_path: Location | None) -> None:
    """In đợt đánh giá và tiến độ: đã nhận, được tiếp nhận, đã thẩm định, đã chốt, chưa nộp (kèm tên)."""
    from cchc_xl.console import status_cmd

    status_cmd(_workspace(workspace, round_id, db_path))


@cli.command("generate")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@click.option("--communes", "communes_file", type=click.Path(path_type=Path), help=COMMUNES_HELP)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="Thư mục ghi các bảng tự đánh giá.")
@round_options
def generate(criteria_file: Path | None, communes_file: Path | None, out_dir: Path, workspace: Path | None,
             round_id: str | None, db_path: Location | None) -> None:
    """Tạo bảng tự đánh giá (.xlsx, đã khoá, có công thức) cho từng đơn vị của đợt."""
    from cchc_xl.workbook.generate import generate_one

    ws = _workspace(workspace, round_id, db_path, criteria_file=criteria_file, communes_file=communes_file)
    if ws.settings.key_is_demo:
        click.echo(say("cli.demo_key"), err=True)
    identity = ws.identity
    for commune in ws.communes:
        generate_one(ws.cset, commune, out_dir, ws.settings, identity=identity)
    click.echo(say("cli.generated", count=len(ws.communes), out=out_dir))


@cli.command("import")
@click.argument("inbox", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("ket-qua-tiep-nhan"),
              show_default=True, help="Thư mục ghi báo cáo, bảng kiểm tra và tệp phản hồi.")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@click.option("--communes", "communes_file", type=click.Path(path_type=Path), help=COMMUNES_HELP)
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Số tiến trình đọc và kiểm tra tệp song song; mặc định: số lõi CPU của máy.")
@round_options
def import_(inbox: Path, out_dir: Path, criteria_file: Path | None, communes_file: Path | None, jobs: int | None,
            workspace: Path | None, round_id: str | None, db_path: Location | None) -> None:
    """Tiếp nhận các bảng tự đánh giá trong thư mục INBOX: kiểm tra, tính lại điểm, báo lỗi."""
    from cchc_xl.console import import_with_progress

    ws = _workspace(workspace, round_id, db_path, criteria_file=criteria_file, communes_file=communes_file)
    import_with_progress(inbox, out_dir, ws, jobs=jobs)


@cli.group()
def evidence() -> None:
    """Tài liệu kiểm chứng: kiểm tra một thư mục hoặc tệp nén."""


def _register_evidence() -> None:
    from cchc_xl.evidence.cli import evidence_check

    evidence.add_command(evidence_check)


_register_evidence()


@cli.group()
def appraise() -> None:
    """Vòng thẩm định của Hội đồng: lập bảng, nhập kết quả, chốt, mở lại, xem lịch sử."""


@appraise.command("prepare")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("tham-dinh"),
              show_default=True, help="Thư mục ghi các bảng thẩm định.")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@click.option("--round2", is_flag=True, help="Vòng 2 (sau giải trình): chỉ các tiêu chí đơn vị đã giải trình; đơn vị "
                                             "quá hạn không gửi giải trình được ghi nhận là đồng ý.")
@round_options
def appraise_prepare(out_dir: Path, criteria_file: Path | None, round2: bool, workspace: Path | None,
                     round_id: str | None, db_path: Location | None) -> None:
    """Lập bảng thẩm định (.xlsx) cho từng đơn vị đã được tiếp nhận; với --round2, bảng vòng 2 cho các tiêu chí
    được giải trình.

    Ví dụ: cchc-xl appraise prepare --round2 --out tham-dinh-vong-2
    """
    from cchc_xl.appraisal.round import OtherSetError
    from cchc_xl.console import appraise_prepare_cmd, appraise_round2_cmd

    ws = _workspace(workspace, round_id, db_path, criteria_file=criteria_file)
    if round2:
        appraise_round2_cmd(ws, out_dir)
        return
    try:
        appraise_prepare_cmd(ws, out_dir)
    except OtherSetError as exc:
        _fail(str(exc))


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

    Ví dụ: cchc-xl appraise answers --out giai-trinh --deadline 2026-12-10
    """
    from cchc_xl.console import appraise_answers_cmd

    sys.exit(appraise_answers_cmd(_workspace(workspace, round_id, db_path), out_dir, _date_option(deadline),
                                  all_communes))


@appraise.command("answers-import")
@click.argument("inbox", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("ket-qua-giai-trinh"),
              show_default=True, help="Thư mục ghi báo cáo nhập giải trình.")
@click.option("--received", default=None, help="Ngày nhận các tệp (NĂM-THÁNG-NGÀY), khi nhập sau ngày nhận; mặc định: "
                                               "hôm nay.")
@round_options
def appraise_answers_import(inbox: Path, out_dir: Path, received: str | None, workspace: Path | None,
                            round_id: str | None, db_path: Location | None) -> None:
    """Đọc các bảng giải trình (kèm thư mục hoặc tệp nén TLKC bổ sung) trong INBOX, kiểm tra và ghi nhận.

    Ví dụ: cchc-xl appraise answers-import hop-thu-giai-trinh
    """
    from cchc_xl.console import appraise_answers_import_cmd

    sys.exit(appraise_answers_import_cmd(_workspace(workspace, round_id, db_path), inbox, out_dir,
                                         _date_option(received)))


@appraise.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("ket-qua-tham-dinh"), show_default=True, help="Thư mục ghi báo cáo nhập thẩm định.")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@round_options
def appraise_import(folder: Path, out_dir: Path, criteria_file: Path | None, workspace: Path | None,
                    round_id: str | None, db_path: Location | None) -> None:
    """Đọc các bảng thẩm định trong FOLDER, kiểm tra và ghi nhận điểm thẩm định."""
    from cchc_xl.console import appraise_import_cmd

    appraise_import_cmd(_workspace(workspace, round_id, db_path, criteria_file=criteria_file), folder, out_dir)


@appraise.command("finalize")
@click.argument("codes", nargs=-1)
@click.option("--by", "who", default="", help="Người chốt kết quả.")
@click.option("--force", is_flag=True, help="Chốt cả đơn vị còn giải trình chưa xử lý (được ghi lại).")
@round_options
def appraise_finalize(codes: tuple[str, ...], who: str, force: bool, workspace: Path | None, round_id: str | None,
                      db_path: Location | None) -> None:
    """Chốt kết quả các đơn vị CODES (mặc định: mọi đơn vị đã thẩm định); đơn vị còn giải trình chưa xử lý
    không được chốt, trừ khi có --force."""
    from cchc_xl.console import appraise_finalize_cmd

    appraise_finalize_cmd(_workspace(workspace, round_id, db_path), list(codes), who, force=force)


@appraise.command("reopen")
@click.argument("code")
@click.option("--reason", required=True, help="Lý do mở lại (bắt buộc, được lưu vết).")
@click.option("--by", "who", default="", help="Người mở lại.")
@round_options
def appraise_reopen(code: str, reason: str, who: str, workspace: Path | None, round_id: str | None,
                    db_path: Location | None) -> None:
    """Mở lại kết quả đã chốt của đơn vị CODE để nhận tệp mới."""
    from cchc_xl.console import appraise_reopen_cmd

    sys.exit(appraise_reopen_cmd(_workspace(workspace, round_id, db_path), code, reason, who))


@appraise.command("history")
@click.argument("code")
@click.argument("criterion")
@round_options
def appraise_history(code: str, criterion: str, workspace: Path | None, round_id: str | None,
                     db_path: Location | None) -> None:
    """In lịch sử điểm của tiêu chí CRITERION của đơn vị CODE (tự đánh giá → thẩm định…)."""
    from cchc_xl.console import appraise_history_cmd

    appraise_history_cmd(_workspace(workspace, round_id, db_path), code, criterion)


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
@round_options
def report(out: Path, criteria_file: Path | None, communes_file: Path | None, previous_db: Path | None,
           rounds: str | None, workspace: Path | None, round_id: str | None, db_path: Location | None) -> None:
    """Lập bảng xếp hạng tổng hợp cho lãnh đạo (điểm cuối cùng nếu đã thẩm định).

    Ví dụ: cchc-xl report --out xep-hang.xlsx; nhiều đợt: cchc-xl report --rounds 2026-ubnd-tinh-a,2026-ubnd-huyen-b
    """
    from cchc_xl.console import report_cmd

    ws = _workspace(workspace, round_id, db_path, criteria_file=criteria_file, communes_file=communes_file)
    chosen = [r.strip() for r in (rounds or "").split(",") if r.strip()]
    sys.exit(report_cmd(ws, out, previous_db, rounds=chosen or None))


@cli.group("store")
def store_group() -> None:
    """Cơ sở dữ liệu: chép đợt đánh giá giữa SQLite và PostgreSQL."""


@store_group.command("copy")
@click.argument("src")
@click.argument("dst")
@click.option("--round", "round_id", default=None, help="Mã đợt cần chép; mặc định: mọi đợt trong SRC.")
def store_copy(src: str, dst: str, round_id: str | None) -> None:
    """Chép đợt đánh giá từ cơ sở dữ liệu SRC sang DST (tệp SQLite hoặc postgresql://…); SRC không bị thay đổi,
    chép lại lần nữa không tạo bản trùng.

    Ví dụ: cchc-xl store copy dot-2026/cchc.sqlite postgresql://cchc@may-chu/cchc --round 2026-ubnd-huyen-bac-yen
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


@cli.command("demo")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"))
def demo(out: Path) -> None:
    """Chạy thử toàn bộ quy trình trên dữ liệu mẫu (27 đơn vị huyện Phù Yên) vào thư mục OUT: lập đợt đánh giá
    (init) như một huyện, rồi các lệnh không cần --criteria/--communes."""
    from cchc_xl.demo import run_demo

    sys.exit(run_demo(out))


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
