"""`cchc-xl evidence check PATH`: the inventory and problems of one evidence folder or zip."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cchc_xl.clitext import Command
from cchc_xl.evidence.crosscheck import InventoryRow, file_findings, intake_findings, inventory
from cchc_xl.evidence.inspect import inspect_bundle
from cchc_xl.evidence.intake import DEFAULT_LIMITS, open_bundle
from cchc_xl.importing.discover import WORKBOOK_SUFFIXES
from cchc_xl.messages import evidence_text as say
from cchc_xl.messages import say as cli_say
from cchc_xl.records import Finding

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan", None: "green"}


@click.command("check", cls=Command, help=say("evidence.cli.help"))
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=cli_say("evidence.cli.json_help"))
@click.pass_context
def evidence_check(ctx: click.Context, path: Path, as_json: bool) -> None:
    mistake = _wrong_kind(path)
    if mistake:
        click.echo(mistake, err=True)
        ctx.exit(2)
    with open_bundle(path, DEFAULT_LIMITS) as bundle:
        checks = inspect_bundle(bundle, DEFAULT_LIMITS)
        rows = inventory(bundle, checks)
        findings = intake_findings(bundle) + [f for check in checks for f in file_findings(check)]
    if as_json:
        click.echo(json.dumps({"source": str(path), "files": [_row_data(r) for r in rows],
                               "findings": [f.model_dump() for f in findings]}, ensure_ascii=False, indent=2))
        ctx.exit(1 if any(f.severity == "error" for f in findings) else 0)
    from cchc_xl.console import make_console

    console = make_console()
    console.print(say("evidence.cli.title", source=path), style="bold")
    if rows:
        console.print(inventory_table(rows))
    else:
        console.print(say("evidence.cli.no_files"))
    print_findings(console, findings)
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    console.print(say("evidence.cli.summary", files=len(rows), errors=errors, warnings=warnings))
    ctx.exit(1 if errors else 0)


def _wrong_kind(path: Path) -> str | None:
    """A path that is not an evidence folder or zip, with the command that takes it."""
    if not path.exists():
        return cli_say("evidence.cli.missing", path=path)
    if path.is_file() and path.suffix.lower() in WORKBOOK_SUFFIXES:
        return cli_say("evidence.cli.is_workbook", path=path)
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        return cli_say("evidence.cli.is_criteria", path=path)
    return None


def _row_data(row: InventoryRow) -> dict[str, object]:
    return {"path": row.path, "type": row.type, "size": row.size, "pages": row.pages, "layout": row.layout,
            "signed": row.signed, "signature": row.signature_state, "signer": row.signer,
            "signing_time": row.signing_time.isoformat() if row.signing_time else None, "sha256": row.sha256,
            "verdict": row.verdict, "severity": row.severity}


def inventory_table(rows: Sequence[InventoryRow]) -> Table:
    table = Table(show_lines=False)
    for key, justify in (("file", "left"), ("type", "left"), ("size", "right"), ("pages", "right"),
                         ("layout", "left"), ("signature", "left"), ("signer", "left"),
                         ("signing_time", "left"), ("verdict", "left")):
        table.add_column(say(f"evidence.cli.col.{key}"), justify=justify,  # type: ignore[arg-type]
                         overflow="fold")
    for row in rows:
        table.add_row(
            row.path, row.type, size_text(row.size), "" if row.pages is None else str(row.pages),
            row.layout, row.signature_state if row.signed else "", row.signer,
            f"{row.signing_time:%d/%m/%Y %H:%M}" if row.signing_time else "",
            Text(row.verdict, style=_STYLE[row.severity]),
        )
    return table


def print_findings(console: Console, findings: Sequence[Finding]) -> None:
    if not findings:
        return
    console.print(say("evidence.cli.problems"), style="bold")
    order = {"error": 0, "warning": 1, "info": 2}
    for item in sorted(findings, key=lambda f: order[f.severity]):
        label = say(f"evidence.severity.{item.severity}")
        console.print(Text(f"• {label}: ", style=_STYLE[item.severity]) + Text(item.message))


def size_text(size: int) -> str:
    """Bytes the Vietnamese way: '850 KB', '1,2 MB'."""
    if size < 1024 * 1024:
        return f"{max(size, 0) / 1024:.0f} KB" if size >= 1024 else f"{size} B"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
