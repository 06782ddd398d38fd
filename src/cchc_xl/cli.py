"""The `cchc-xl` command line: wires the modules together, nothing more."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cchc_xl.criteria import CriteriaError, load_set
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.messages import say
from cchc_xl.numbers import fmt

CRITERIA_HELP = "Tệp bộ tiêu chí (.yaml); mặc định: bộ Phù Yên 2022 kèm theo."


def _load(path: Path | None) -> CriteriaSet:
    try:
        return load_set(path)
    except CriteriaError as exc:
        _fail_with(exc)
        raise AssertionError("unreachable") from exc


def _fail_with(exc: CriteriaError) -> None:
    click.echo(say("cli.criteria_bad", count=len(exc.problems)), err=True)
    for p in exc.problems:
        click.echo(f"  - {p.message}", err=True)
    sys.exit(1)


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
@click.option("--criteria", "source", type=click.Path(path_type=Path), help=CRITERIA_HELP)
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


@cli.command("generate")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@click.option("--communes", "communes_file", type=click.Path(path_type=Path),
              help="Danh sách đơn vị (.csv: code,name,kind); mặc định: 27 đơn vị huyện Phù Yên.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="Thư mục ghi các bảng tự đánh giá.")
def generate(criteria_file: Path | None, communes_file: Path | None, out_dir: Path) -> None:
    """Tạo bảng tự đánh giá (.xlsx, đã khoá, có công thức) cho từng đơn vị."""
    from cchc_xl.communes import load_communes
    from cchc_xl.settings import load_settings
    from cchc_xl.workbook.generate import generate_one

    cset = _load(criteria_file)
    settings = load_settings()
    if settings.key_is_demo:
        click.echo(say("cli.demo_key"), err=True)
    communes = load_communes(communes_file)
    for commune in communes:
        generate_one(cset, commune, out_dir, settings)
    click.echo(say("cli.generated", count=len(communes), out=out_dir))


@cli.command("import")
@click.argument("inbox", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("ket-qua-tiep-nhan"),
              show_default=True, help="Thư mục ghi báo cáo, bảng kiểm tra và tệp phản hồi.")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@click.option("--communes", "communes_file", type=click.Path(path_type=Path), help="Danh sách đơn vị (.csv).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=Path("cchc.sqlite"),
              show_default=True, help="Tệp cơ sở dữ liệu lưu kết quả.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Số tiến trình đọc và kiểm tra tệp song song; mặc định: số lõi CPU của máy.")
def import_(inbox: Path, out_dir: Path, criteria_file: Path | None, communes_file: Path | None,
            db_path: Path, jobs: int | None) -> None:
    """Tiếp nhận các bảng tự đánh giá trong thư mục INBOX: kiểm tra, tính lại điểm, báo lỗi."""
    from cchc_xl.console import import_with_progress

    import_with_progress(inbox, out_dir, _load(criteria_file), communes_file, db_path, jobs=jobs)


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


DB_OPTION = click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                         default=Path("cchc.sqlite"), show_default=True, help="Tệp cơ sở dữ liệu lưu kết quả.")


@appraise.command("prepare")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("tham-dinh"),
              show_default=True, help="Thư mục ghi các bảng thẩm định.")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@DB_OPTION
def appraise_prepare(out_dir: Path, criteria_file: Path | None, db_path: Path) -> None:
    """Lập bảng thẩm định (.xlsx) cho từng đơn vị đã được tiếp nhận."""
    from cchc_xl.console import appraise_prepare_cmd

    appraise_prepare_cmd(_load(criteria_file), out_dir, db_path)


@appraise.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("ket-qua-tham-dinh"), show_default=True, help="Thư mục ghi báo cáo nhập thẩm định.")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@DB_OPTION
def appraise_import(folder: Path, out_dir: Path, criteria_file: Path | None, db_path: Path) -> None:
    """Đọc các bảng thẩm định trong FOLDER, kiểm tra và ghi nhận điểm thẩm định."""
    from cchc_xl.console import appraise_import_cmd

    appraise_import_cmd(_load(criteria_file), folder, out_dir, db_path)


@appraise.command("finalize")
@click.argument("codes", nargs=-1)
@click.option("--by", "who", default="", help="Người chốt kết quả.")
@DB_OPTION
def appraise_finalize(codes: tuple[str, ...], who: str, db_path: Path) -> None:
    """Chốt kết quả các đơn vị CODES (mặc định: mọi đơn vị đã thẩm định)."""
    from cchc_xl.console import appraise_finalize_cmd

    appraise_finalize_cmd(list(codes), who, db_path)


@appraise.command("reopen")
@click.argument("code")
@click.option("--reason", required=True, help="Lý do mở lại (bắt buộc, được lưu vết).")
@click.option("--by", "who", default="", help="Người mở lại.")
@DB_OPTION
def appraise_reopen(code: str, reason: str, who: str, db_path: Path) -> None:
    """Mở lại kết quả đã chốt của đơn vị CODE để nhận tệp mới."""
    from cchc_xl.console import appraise_reopen_cmd

    sys.exit(appraise_reopen_cmd(code, reason, who, db_path))


@appraise.command("history")
@click.argument("code")
@click.argument("criterion")
@DB_OPTION
def appraise_history(code: str, criterion: str, db_path: Path) -> None:
    """In lịch sử điểm của tiêu chí CRITERION của đơn vị CODE (tự đánh giá → thẩm định…)."""
    from cchc_xl.console import appraise_history_cmd

    appraise_history_cmd(code, criterion, db_path)


@cli.command("report")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("xep-hang.xlsx"),
              show_default=True, help="Tệp bảng xếp hạng ghi ra (.xlsx).")
@click.option("--criteria", "criteria_file", type=click.Path(path_type=Path), help=CRITERIA_HELP)
@click.option("--communes", "communes_file", type=click.Path(path_type=Path), help="Danh sách đơn vị (.csv).")
@click.option("--previous-db", "previous_db", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Cơ sở dữ liệu năm trước, để so sánh với năm trước.")
@DB_OPTION
def report(out: Path, criteria_file: Path | None, communes_file: Path | None, previous_db: Path | None,
           db_path: Path) -> None:
    """Lập bảng xếp hạng tổng hợp cho lãnh đạo (điểm cuối cùng nếu đã thẩm định)."""
    from cchc_xl.console import report_cmd

    sys.exit(report_cmd(_load(criteria_file), out, communes_file, previous_db, db_path))


@cli.command("demo")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"))
def demo(out: Path) -> None:
    """Chạy thử toàn bộ quy trình trên dữ liệu mẫu (27 đơn vị huyện Phù Yên) vào thư mục OUT."""
    from cchc_xl.demo import run_demo

    sys.exit(run_demo(out))


def main() -> None:
    # District laptops run Windows consoles with legacy code pages: always speak UTF-8.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    cli()


if __name__ == "__main__":
    main()
