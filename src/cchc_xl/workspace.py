"""The workspace: a folder whose `cchc-xl.toml` names its round (đợt đánh giá) and its store.

`init_round` records a round in the store (criteria set, unit list, assessing body, year, deadline, place)
and writes the folder's `cchc-xl.toml` with a freshly generated signing key:

    [round]
    id = "2026-ubnd-huyen-bac-yen"
    store = "cchc.sqlite"          # relative to this folder, an absolute path, or postgresql://…

    [district]
    key = "…"                      # secrets.token_urlsafe(32), never the demo key

`open_workspace` is how every later command finds its round: the folder given (`--workspace`), else the
file in CCHC_XL_CONFIG, else the working directory's `cchc-xl.toml`; `--round` and `--db` override what the
file says, and with `--db` alone a store holding exactly one round is enough. Set, units and body come from
the round as recorded, never from bundled data. Every problem is a WorkspaceError with one Vietnamese message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sqlite3
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cchc_xl.communes import Commune, load_communes, slugify
from cchc_xl.criteria import CriteriaSet, load_set
from cchc_xl.criteria.load import dump_yaml, load_set_text
from cchc_xl.identity import RoundIdentity
from cchc_xl.messages import say
from cchc_xl.safeio import write_text
from cchc_xl.settings import CONFIG_NAME, ConfigError, Settings, load_settings, read_config
from cchc_xl.store import Round, Store
from cchc_xl.store_sql import Location, StoreUnavailable, exists, is_url, location, shown

DEFAULT_STORE = "cchc.sqlite"


class WorkspaceError(ValueError):
    """A round that cannot be found, made or used: one Vietnamese message, exit 2."""


@dataclass(frozen=True)
class Workspace:
    """A round as a command sees it: where its store is, its set, units and the settings that sign."""

    config: Path | None
    db_path: Location  # a SQLite file or a PostgreSQL URL
    round: Round
    cset: CriteriaSet
    communes: list[Commune]
    settings: Settings

    @cached_property
    def identity(self) -> RoundIdentity:
        """The round's assessing body, place and kinds of units, as every document names them (made once:
        a province's round has thousands of units)."""
        return RoundIdentity.of_round(self.round)

    @property
    def folder(self) -> Path:
        """The workspace's folder (of its cchc-xl.toml), else the working directory: where the backups of a
        server store's round are kept (backup.py)."""
        return self.config.parent if self.config is not None else Path.cwd()

    def open_store(self) -> Store:
        """The round's store; while another program holds it, a visible note says the command is waiting."""
        return Store(self.db_path, round_id=self.round.id, on_busy=lambda: _busy_note(self.db_path))

    @property
    def deadline(self) -> dt.datetime | None:
        """End of the deadline day, local time, for "on time"."""
        if not self.round.deadline:
            return None
        return dt.datetime.combine(dt.date.fromisoformat(self.round.deadline), dt.time(23, 59, 59))

    def check_criteria(self, path: Path) -> None:
        """Refuse a criteria file other than the round's set (by fingerprint)."""
        other = load_set(path)
        if other.fingerprint() != self.round.set_sha256:
            raise WorkspaceError(say("round.other_set", file=path, got=f"{other.id} {other.version}",
                                     round=self.round.id, set=f"{self.round.set_id} {self.round.set_version}"))

    def check_communes(self, path: Path) -> None:
        """Refuse a unit list other than the round's."""
        if load_communes(path) != self.round.communes:
            raise WorkspaceError(say("round.other_communes", file=path, round=self.round.id,
                                     count=len(self.round.communes)))


@dataclass
class Progress:
    """Where a round stands: unit codes by stage (a unit counts in every stage it has reached)."""

    received: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    appraised: list[str] = field(default_factory=list)
    finalized: list[str] = field(default_factory=list)
    missing: list[Commune] = field(default_factory=list)


def _busy_note(db: Location) -> None:
    import click

    click.echo(say("store.waiting", db=shown(db), seconds=int(Store.LOCK_WAIT_S)), err=True)


def round_id_for(year: int, body: str) -> str:
    """'2026-ubnd-huyen-bac-yen': readable, stable, one per body and year."""
    return "-".join(p for p in (str(year), slugify(body)) if p)


def config_path(workspace: Path | None) -> Path:
    """The workspace's `cchc-xl.toml`: in the folder given, else CCHC_XL_CONFIG, else the working directory."""
    if workspace is not None:
        return workspace / CONFIG_NAME
    return Path(os.environ.get("CCHC_XL_CONFIG") or Path.cwd() / CONFIG_NAME)


def init_round(folder: Path, *, criteria_file: Path, communes_file: Path, year: int, body: str,
               deadline: str | None = None, place: str = "", db: Location | None = None,
               now: dt.datetime | None = None) -> Workspace:
    """Record a new round and write `folder/cchc-xl.toml`. CriteriaError for a bad set."""
    config = folder / CONFIG_NAME
    if config.exists():
        raise WorkspaceError(say("round.config_exists", path=config))
    body = body.strip()
    if not body:
        raise WorkspaceError(say("round.body_empty"))
    if deadline:
        try:
            dt.date.fromisoformat(deadline)
        except ValueError:
            raise WorkspaceError(say("round.deadline_invalid", got=deadline)) from None
    cset = load_set(criteria_file)
    communes = load_communes(communes_file)
    db_path = db if db is not None else folder / DEFAULT_STORE
    rnd = Round(id=round_id_for(year, body), year=year, body=body, set_id=cset.id, set_version=cset.version,
                set_sha256=cset.fingerprint(), set_yaml=dump_yaml(cset),
                communes=communes,
                created_at=(now or dt.datetime.now().astimezone()).isoformat(timespec="seconds"),
                place=place.strip(), deadline=deadline or None)
    folder.mkdir(parents=True, exist_ok=True)
    store = _open_store(db_path, rnd.id)
    try:
        if not store.create_round(rnd):
            raise WorkspaceError(say("round.exists", round=rnd.id, db=shown(db_path)))
    finally:
        store.close()
    write_text(config, _config_text(rnd, _store_ref(db_path, folder), secrets.token_urlsafe(32)))
    return Workspace(config, db_path, rnd, load_set_text(rnd.set_yaml), communes, load_settings(config=config))


def _store_ref(db_path: Location, folder: Path) -> str:
    if is_url(db_path):
        return str(db_path)
    db_path = Path(db_path)
    try:
        return db_path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(db_path.resolve())


def _config_text(rnd: Round, store: str, key: str) -> str:
    def q(text: str) -> str:  # a TOML basic string (JSON's escapes are TOML's)
        return json.dumps(text, ensure_ascii=False)

    return (f"# {say('round.config_comment', round=rnd.id, body=rnd.body, year=rnd.year)}\n"
            f"[round]\nid = {q(rnd.id)}\nstore = {q(store)}\n\n[district]\nkey = {q(key)}\n")


def open_workspace(workspace: Path | None = None, round_id: str | None = None,
                   db: Location | None = None) -> Workspace:
    """The round a command works on (see the module doc); WorkspaceError with the way to make one."""
    config = config_path(workspace)
    section: dict[str, str] = {}
    if config.is_file():
        try:
            section = read_config(config).get("round", {})
        except ConfigError as exc:
            raise WorkspaceError(str(exc)) from None
    elif workspace is not None:
        raise WorkspaceError(f"{say('round.no_config', path=config)} {say('round.hint')}")
    if db is None and section.get("store"):
        db = location(section["store"])
        if isinstance(db, Path) and not db.is_absolute():
            db = config.parent / db
    if db is None or not exists(db):
        missing = say("round.none", db=db) if db is not None else say("round.none_here")
        raise WorkspaceError(f"{missing} {say('round.hint')}")
    store = _open_store(db)
    try:
        wanted = round_id or section.get("id")
        if not wanted:
            known = store.rounds()
            if len(known) != 1:
                raise WorkspaceError(say("round.pick", db=shown(db), rounds=", ".join(r.id for r in known) or "—"))
            wanted = known[0].id
        rnd = store.round(wanted)
        if rnd is None:
            raise WorkspaceError(say("round.unknown", round=wanted, db=shown(db),
                                     rounds=", ".join(r.id for r in store.rounds()) or "—"))
    finally:
        store.close()
    settings = load_settings(config=config if config.is_file() else None)
    return Workspace(config if config.is_file() else None, db, rnd, load_set_text(rnd.set_yaml),
                     list(rnd.communes), settings)


def _open_store(db: Location, round_id: str = "") -> Store:
    try:
        return Store(db, round_id=round_id)
    except StoreUnavailable as exc:  # a server that cannot be reached
        raise WorkspaceError(str(exc)) from None
    except sqlite3.DatabaseError:  # not a database, or a damaged one: a message, not a traceback
        raise WorkspaceError(say("round.store_unreadable", db=db)) from None


def previous_round(store: Store, current: Round) -> Round | None:
    """Last year's round in the same store: the latest earlier year, the same body's first."""
    earlier = [r for r in store.rounds() if r.year < current.year]
    same_body = [r for r in earlier if r.body == current.body]
    candidates = same_body or earlier
    return max(candidates, key=lambda r: (r.year, r.created_at)) if candidates else None


def progress(store: Store, communes: list[Commune]) -> Progress:
    """The round's progress from its store: received, accepted, appraised, finalized, missing."""
    out = Progress()
    states = store.states()
    for sub in store.all_latest():
        out.received.append(sub.commune_code)
        if sub.status != "rejected":
            out.accepted.append(sub.commune_code)
        if states.get(sub.commune_code) in ("appraised", "final"):
            out.appraised.append(sub.commune_code)
        if states.get(sub.commune_code) == "final":
            out.finalized.append(sub.commune_code)
    out.missing = [c for c in communes if c.code not in set(out.received)]
    return out
