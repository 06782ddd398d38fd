"""The store's two engines: SQLite (a file, the default) and PostgreSQL (a `postgresql://…` URL).

`connect(location)` gives an `Engine`: one connection, `?` placeholders for both (rewritten to psycopg's
`%s`), nested transactions (savepoints inside), the lock clause `FOR UPDATE` where the engine has row locks
(SQLite has none to take: `BEGIN IMMEDIATE` already makes every writer wait its turn), and the column types
the schema is written with (`{id}`, `{ref}`, `{num}`, `{json}`). Decimals are TEXT in SQLite, as stores have
always held them, and NUMERIC in PostgreSQL; JSON is TEXT in SQLite and `json` (kept verbatim) in PostgreSQL,
read back from both as its text (the store parses it into its records).

PostgreSQL is optional (`pip install 'cchc-xl[postgres]'`): psycopg is imported only for a URL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from cchc_xl.messages import say

Location = Path | str  # a SQLite file, or a PostgreSQL URL
URL_SCHEMES = ("postgresql://", "postgres://")


class StoreUnavailable(ValueError):
    """The store cannot be opened (server down, wrong URL, no driver): one Vietnamese message."""


def location(text: str | Path) -> Location:
    """A `--db` value or the workspace's `store = …`: a URL stays text, anything else is a file path."""
    if isinstance(text, str) and text.strip().lower().startswith(URL_SCHEMES):
        return text.strip()
    return Path(text)


def is_url(loc: Location) -> bool:
    return isinstance(loc, str)


def exists(loc: Location) -> bool:
    """Whether there is a store to read: a SQLite file that exists, or any server URL (the server says)."""
    return is_url(loc) or Path(loc).is_file()


def shown(loc: Location) -> str:
    """The location as messages show it: a URL without its password."""
    if not is_url(loc):
        return str(loc)
    parts = urlsplit(str(loc))
    if parts.password is None:
        return str(loc)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class Engine:
    """One connection to a store. Subclasses say how to begin, lock and type; the SQL is shared."""

    name = ""
    lock = ""  # appended to a SELECT that must hold its rows until commit
    row_order = "rowid"  # rows of a table without an id column in the order they were written
    types: ClassVar[dict[str, str]] = {}
    transient: tuple[type[BaseException], ...] = ()  # errors after which the whole transaction may be retried
    failure: tuple[type[BaseException], ...] = ()  # the driver's errors that mean "this store cannot be used"
    conn: Any

    def __init__(self) -> None:
        self.depth = 0
        self.gave_up = False  # a write waited the whole lock wait once (SQLite): later ones fail at once

    def sql(self, statement: str) -> str:
        return statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self.sql(statement), tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.conn.cursor().executemany(self.sql(statement), rows)

    def one(self, statement: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self.execute(statement, params).fetchone()
        return tuple(row) if row is not None else None

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.execute(statement, params).fetchall()]

    def ddl(self, script: str) -> list[str]:
        """The statements of a schema script written with `{id}`, `{ref}`, `{num}`, `{json}` types."""
        return [s.strip() for s in script.format(**self.types).split(";") if s.strip()]

    @contextmanager
    def transaction(self) -> Iterator[Engine]:
        """A transaction; inside another one, a savepoint (so a batch may keep its good submissions)."""
        savepoint = f"s{self.depth}"
        if self.depth == 0:
            self.begin()
        else:
            self.execute(f"SAVEPOINT {savepoint}")
        self.depth += 1
        try:
            yield self
        except BaseException:
            self.depth -= 1
            self._rollback(savepoint)
            raise
        self.depth -= 1
        self.execute("COMMIT" if self.depth == 0 else f"RELEASE SAVEPOINT {savepoint}")

    def _rollback(self, savepoint: str) -> None:
        if self.depth > 0:
            self.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
            return
        with suppress(Exception):
            self.execute("ROLLBACK")

    def begin_statement(self) -> str:
        return "BEGIN"

    snapshot_statement = "BEGIN"  # SQLite (WAL): a read transaction sees one state of the file throughout

    @contextmanager
    def snapshot(self) -> Iterator[Engine]:
        """Reads that all see one committed state of the store, while other programs go on writing (a backup
        of a round taken during another officer's import is the round as it was at one moment). Nothing can
        be written inside it on PostgreSQL (READ ONLY)."""
        if self.depth > 0:  # inside a transaction, its reads are already consistent enough for its owner
            yield self
            return
        self.execute(self.snapshot_statement)
        self.depth += 1
        try:
            yield self
        finally:
            self.depth -= 1
            with suppress(Exception):
                self.execute("COMMIT")

    def begin(self) -> None:
        """Open the outermost transaction."""
        self.execute(self.begin_statement())

    @property
    def in_transaction(self) -> bool:
        raise NotImplementedError

    def schema_version(self) -> int:
        """The store's schema: 0 empty, 1 the first (no version table), else the recorded version."""
        raise NotImplementedError

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    def has_column(self, table: str, column: str) -> bool:
        raise NotImplementedError

    @contextmanager
    def schema_transaction(self) -> Iterator[Engine]:
        """The transaction a migration runs in, taken before the version is read (one migrator at a time)."""
        with self.transaction():
            yield self

    def close(self) -> None:
        self.conn.close()


class SqliteEngine(Engine):
    name = "sqlite"
    types: ClassVar[dict[str, str]] = {"id": "INTEGER PRIMARY KEY", "ref": "INTEGER", "num": "TEXT", "json": "TEXT"}

    def __init__(self, path: Path, on_busy: Callable[[], None] | None = None, quiet_s: float = 5.0,
                 wait_s: float = 60.0):
        super().__init__()
        self.on_busy, self.quiet_s, self.wait_s = on_busy, quiet_s, wait_s
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=quiet_s)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")

    def begin_statement(self) -> str:
        return "BEGIN IMMEDIATE"

    def begin(self) -> None:
        """BEGIN IMMEDIATE; while another program writes, wait `quiet_s`, tell `on_busy`, wait `wait_s` more,
        then give up (sqlite3.OperationalError "database is locked", nothing written)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or self.gave_up:
                raise
            if self.on_busy is not None:
                self.on_busy()
            self.conn.execute(f"PRAGMA busy_timeout={int(self.wait_s * 1000)}")
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                self.gave_up = True  # waited once: the next writes of this run fail without a second long wait
                raise
            finally:
                self.conn.execute(f"PRAGMA busy_timeout={int(self.quiet_s * 1000)}")

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def has_table(self, name: str) -> bool:
        return self.one("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)) is not None

    def has_column(self, table: str, column: str) -> bool:
        return self.one("SELECT 1 FROM pragma_table_info(?) WHERE name=?", (table, column)) is not None

    def schema_version(self) -> int:
        tables = {r[0] for r in self.all("SELECT name FROM sqlite_master WHERE type='table'")}
        if "schema_version" in tables:
            return int(self.one("SELECT MAX(version) FROM schema_version")[0] or 0)  # type: ignore[index]
        return 1 if "submissions" in tables else 0

    @contextmanager
    def schema_transaction(self) -> Iterator[Engine]:
        # Tables are rebuilt under other tables' foreign keys: off, and renames that leave references alone.
        self.conn.execute("PRAGMA foreign_keys=OFF")
        self.conn.execute("PRAGMA legacy_alter_table=ON")
        try:
            with self.transaction():
                yield self
        finally:
            self.conn.execute("PRAGMA legacy_alter_table=OFF")
            self.conn.execute("PRAGMA foreign_keys=ON")


class PostgresEngine(Engine):
    name = "postgresql"
    lock = " FOR UPDATE"
    row_order = "ctid"  # heap order: insertion order for rows never updated (findings, scores are rewritten whole)
    types: ClassVar[dict[str, str]] = {"id": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                                       "ref": "BIGINT", "num": "NUMERIC", "json": "JSON"}
    snapshot_statement = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    _MIGRATION_LOCK = 0x63636863  # pg_advisory_xact_lock key: one migrator at a time, whatever the process

    def __init__(self, url: str):
        super().__init__()
        try:
            import psycopg
            from psycopg import errors
        except ImportError:
            raise StoreUnavailable(say("store.no_driver", url=shown(url))) from None
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreUnavailable(say("store.unreachable", url=shown(url),
                                       reason=str(exc).strip().splitlines()[0] if str(exc).strip() else "")) from None
        from psycopg.types.json import set_json_loads

        set_json_loads(_json_text, self.conn)  # JSON columns come back as their text, as from SQLite
        self.transient = (errors.SerializationFailure, errors.DeadlockDetected, errors.UniqueViolation)
        self.failure = (psycopg.Error,)
        self._lost = (psycopg.OperationalError, psycopg.InterfaceError)
        self.url = url
        self._sql: dict[str, str] = {}

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self.conn.execute(self.sql(statement), tuple(params))
        except self._lost as exc:
            raise self._gone(exc) from exc

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            super().executemany(statement, rows)
        except self._lost as exc:
            raise self._gone(exc) from exc

    def _gone(self, exc: BaseException) -> BaseException:
        """The server went away (restart, network): one message; a lost race stays itself, to be retried."""
        return exc if isinstance(exc, self.transient) else StoreUnavailable(say("store.lost", url=shown(self.url)))

    def sql(self, statement: str) -> str:
        found = self._sql.get(statement)
        if found is None:
            found = self._sql[statement] = statement.replace("%", "%%").replace("?", "%s")
        return found

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.conn.info.transaction_status != TransactionStatus.IDLE

    def has_table(self, name: str) -> bool:
        row = self.one("SELECT to_regclass(?) IS NOT NULL", (name,))
        return bool(row and row[0])

    def has_column(self, table: str, column: str) -> bool:
        return self.one("SELECT 1 FROM information_schema.columns WHERE table_schema=current_schema() AND"
                        " table_name=? AND column_name=?", (table, column)) is not None

    def schema_version(self) -> int:
        row = self.one("SELECT to_regclass('schema_version') IS NOT NULL")
        if not row or not row[0]:
            return 0
        return int(self.one("SELECT MAX(version) FROM schema_version")[0] or 0)  # type: ignore[index]

    @contextmanager
    def schema_transaction(self) -> Iterator[Engine]:
        with self.transaction():
            self.execute("SELECT pg_advisory_xact_lock(?)", (self._MIGRATION_LOCK,))
            yield self


def _json_text(data: str | bytes) -> str:
    return data if isinstance(data, str) else bytes(data).decode("utf-8")


def connect(loc: Location, *, on_busy: Callable[[], None] | None = None, quiet_s: float = 5.0,
            wait_s: float = 60.0) -> Engine:
    """The engine for a location; StoreUnavailable when a server cannot be reached. `on_busy`, `quiet_s`,
    `wait_s`: how a SQLite writer waits for another program's write lock (PostgreSQL waits on row locks)."""
    if is_url(loc):
        return PostgresEngine(str(loc))
    return SqliteEngine(Path(loc), on_busy=on_busy, quiet_s=quiet_s, wait_s=wait_s)
