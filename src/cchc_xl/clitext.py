"""click in Vietnamese: its own text (usage, help headings, errors), value names, and how a command ends.

click writes every text of its own through `gettext`, imported into each of its modules as `_` and
`ngettext`. `install()` puts a lookup in `messages.CLICK_TEXT` in their place (an unknown text falls back to
click's own, which the CLI tests would then show). `Group` and `Command` are the classes of every cchc-xl
command: Vietnamese value names in --help, commands listed in the order they were added (the workflow
order), and one ending for every run — a usage mistake is click's message (exit 2), Ctrl-C says what was
kept (exit 130), and anything unexpected is one Vietnamese line with the details in a log file, never a
traceback (CCHC_XL_DEBUG=1 shows it).
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from cchc_xl.faults import is_fault
from cchc_xl.faults import message as fault_message
from cchc_xl.messages import ARGUMENT_METAVARS, CLICK_METAVARS, CLICK_TEXT, say

# The exit codes (README, --help): 0 done and nothing rejected, 1 done with rejected files or error findings,
# 2 a usage or input mistake (or the machine refused: disk full, read-only, locked), 130 interrupted.
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils",
                  "_termui_impl")


def gettext(message: str) -> str:
    return CLICK_TEXT.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def install() -> None:
    """Route click's gettext through CLICK_TEXT (idempotent; a module click no longer has is skipped)."""
    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:
            continue
        if callable(getattr(module, "_", None)):
            module._ = gettext  # type: ignore[attr-defined]
        if callable(getattr(module, "ngettext", None)):
            module.ngettext = ngettext  # type: ignore[attr-defined]


def _vietnamese_metavars(params: Sequence[click.Parameter]) -> None:
    """An option's value named in Vietnamese (--out THƯ_MỤC) unless the command names it itself."""
    for p in params:
        if isinstance(p, click.Option) and p.metavar is None and not p.is_flag and not p.count:
            kind = p.type.name
            if isinstance(p.type, click.Path):
                kind = "directory" if not p.type.file_okay else "file" if not p.type.dir_okay else "path"
            if kind in CLICK_METAVARS:
                p.metavar = CLICK_METAVARS[kind]
        elif isinstance(p, click.Argument) and p.metavar is None and p.name in ARGUMENT_METAVARS:
            name = ARGUMENT_METAVARS[p.name]  # decorated as click decorates its own: [optional], many...
            p.metavar = f"{name if p.required else f'[{name}]'}{'...' if p.nargs != 1 else ''}"


class Command(click.Command):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("options_metavar", say("cli.usage_metavar"))
        super().__init__(*args, **kwargs)
        _vietnamese_metavars(self.params)

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return run_main(super().main, *args, **kwargs)


class Group(click.Group):
    command_class = Command

    def __init__(self, *args: Any, order: Sequence[str] = (), **kwargs: Any):
        kwargs.setdefault("options_metavar", say("cli.usage_metavar"))
        kwargs.setdefault("subcommand_metavar", say("cli.subcommand_metavar"))
        super().__init__(*args, **kwargs)
        self.order = tuple(order)
        _vietnamese_metavars(self.params)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """In `order` (the workflow), then the others as added: never alphabetical."""
        rank = {name: i for i, name in enumerate(self.order)}
        return sorted(self.commands, key=lambda name: rank.get(name, len(rank)))

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return run_main(super().main, *args, **kwargs)


Group.group_class = Group


def run_main(main: Callable[..., Any], args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
    """click's main, with the endings above in place of click's own in standalone mode."""
    if not standalone_mode:
        return main(args, prog_name, complete_var, standalone_mode=False, **extra)
    try:
        result = main(args, prog_name, complete_var, standalone_mode=False, **extra)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt, EOFError):
        interrupted()
    except Exception as exc:  # the last guard: never a traceback to a district officer
        if is_fault(exc):
            click.echo(fault_message(exc), err=True)
            sys.exit(EXIT_USAGE)
        unexpected(exc)
    sys.exit(result if isinstance(result, int) else 0)


def interrupted() -> NoReturn:
    click.echo(file=sys.stderr)  # end the terminal's "^C" line
    click.echo(say("cli.interrupted"), err=True)
    sys.exit(EXIT_INTERRUPTED)


def unexpected(exc: BaseException) -> NoReturn:
    if os.environ.get("CCHC_XL_DEBUG", "").strip() == "1":
        raise exc
    kind = type(exc).__name__
    try:
        log = _new_log(Path(tempfile.gettempdir()), f"cchc-xl-loi-{dt.datetime.now():%Y%m%d-%H%M%S}")
        log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        click.echo(say("cli.unexpected", kind=kind, log=log), err=True)
    except OSError:
        click.echo(say("cli.unexpected_nolog", kind=kind), err=True)
    sys.exit(1)


def _new_log(folder: Path, stem: str) -> Path:
    """A file of its own: a second failure in the same second must not overwrite the first one's log."""
    for n in range(1, 1000):
        log = folder / (f"{stem}.txt" if n == 1 else f"{stem}-{n}.txt")
        try:
            with log.open("x", encoding="utf-8"):
                return log
        except FileExistsError:
            continue
    raise OSError("no free log name")
