"""The database layer: the one owner of standups, once-only claims and small caches.

Why a database at all: the bot may run as more than one process (a web worker for
Slack events plus a scheduler, or two replicas during a deploy). APScheduler 3 cannot
share a job store between processes, so *we* record what happened: every scheduled
piece of work first ``claim()``-s a (job, key) row, and the unique constraint makes
sure exactly one process does it. Standups live here too so a restart loses nothing.

Design:

* SQLAlchemy 2 Core, no ORM: the queries are few and explicit.
* SQLite (WAL, ``busy_timeout``, foreign keys, ``BEGIN IMMEDIATE`` for writes) for a
  single host; PostgreSQL (psycopg 3) when several hosts share state.
* Every datetime is stored in UTC and returned as an *aware* UTC datetime on both
  backends; naive datetimes are refused rather than guessed at.
* Pure: no environment variables, no wall clock. Callers pass the URL and "now".
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, Final, Literal, TypeVar, get_args

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, Connection, Row, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from bot.errors import StorageUnavailable

__all__ = [
    "CLAIM_STATUSES",
    "PROMPT_JOB",
    "REMINDER_JOB",
    "SCHEMA_VERSION",
    "STANDUP_SOURCES",
    "ClaimRecord",
    "ClaimStatus",
    "Database",
    "DatabaseGone",
    "DatabaseUnavailable",
    "SkipRecord",
    "StandupRecord",
    "StandupSource",
    "UserRecord",
    "normalize_url",
    "prompt_key",
]

StandupSource = Literal["dm", "modal", "slash", "shell"]
ClaimStatus = Literal["claimed", "done", "failed"]
STANDUP_SOURCES: Final[tuple[str, ...]] = get_args(StandupSource)
CLAIM_STATUSES: Final[tuple[str, ...]] = get_args(ClaimStatus)

#: Claim jobs for the daily standup prompt and its reminder; keys come from prompt_key().
PROMPT_JOB: Final = "standup-prompt"
REMINDER_JOB: Final = "standup-reminder"

# Arbitrary but stable: the PostgreSQL advisory lock that serialises schema setup.
_SCHEMA_LOCK_ID: Final = zlib.crc32(b"batchbot-schema") & 0x7FFFFFFF


def prompt_key(user_id: str, local_date: date) -> str:
    """Claim key for "this person was prompted for this local date".

    One place builds it, so prompts and reminders always agree on the key.
    """
    return f"{user_id}:{local_date.isoformat()}"


# --------------------------------------------------------------------------- types


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that goes in and comes out as an aware UTC datetime.

    SQLite has no time zones and SQLAlchemy's SQLite DATETIME silently drops tzinfo,
    so values are stored as naive UTC there and re-tagged on the way out. On
    PostgreSQL it is ``timestamptz`` and only normalised to UTC. Naive input is a
    bug in the caller (whose local time?) and is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# --------------------------------------------------------------------------- schema

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, nullable=False),
)


def _program() -> Column[str]:
    """The program (plan file) a row belongs to; "" is the deployment's only/first program
    and, for skips, "everywhere" (migration 0004)."""
    return Column("program", String(100), nullable=False, server_default="")


standups = Table(
    "standups",
    metadata,
    Column("user_id", String(64), nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("local_date", Date, nullable=False),
    Column("text", Text, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("channel", String(64)),
    Column("ts", String(64)),
    Column("source", String(16), nullable=False),
    _program(),
    PrimaryKeyConstraint("program", "user_id", "local_date", name="pk_standups"),
    CheckConstraint(
        "source IN ({})".format(", ".join(f"'{s}'" for s in STANDUP_SOURCES)),
        name="ck_standups_source",
    ),
)
# The weekly report reads one date range for everyone, ordered by date then person.
Index("ix_standups_local_date_user", standups.c.local_date, standups.c.user_id)

claims = Table(
    "claims",
    metadata,
    Column("job", String(100), nullable=False),
    Column("key", String(200), nullable=False),
    Column("fire_time", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(200), nullable=False),
    Column("status", String(16), nullable=False, server_default="claimed"),
    Column("detail", Text, nullable=False, server_default=""),
    _program(),
    PrimaryKeyConstraint("program", "job", "key", name="pk_claims"),
    CheckConstraint(
        "status IN ({})".format(", ".join(f"'{s}'" for s in CLAIM_STATUSES)),
        name="ck_claims_status",
    ),
)
Index("ix_claims_job_fire_time", claims.c.job, claims.c.fire_time)

standup_skips = Table(
    "standup_skips",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(64), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    _program(),
    CheckConstraint("start_date <= end_date", name="ck_standup_skips_range"),
)
Index("ix_standup_skips_user", standup_skips.c.user_id, standup_skips.c.start_date)

users = Table(
    "users",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("real_name", String(200), nullable=False, server_default=""),
    Column("tz", String(64), nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
    # What Slack shows first (profile.display_name); empty for people who never set one.
    Column("display_name", String(200), nullable=False, server_default=""),
)

day_threads = Table(
    "day_threads",
    metadata,
    Column("local_date", Date, nullable=False),
    Column("channel", String(64), nullable=False),
    Column("ts", String(64), nullable=False),
    _program(),
    PrimaryKeyConstraint("program", "local_date", "channel", name="pk_day_threads"),
)

# Whose turn it is to write the plan, across instances (see bot/writeturns.py): a queue
# ordered by id. A row is live until `expires_at`, so a process killed while holding or
# waiting for a turn holds nobody up for longer than its lease.
write_turns = Table(
    "write_turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    _program(),
)

# The plan's tip as the last instance to push it wrote it (see bot/plantips.py): an instance
# about to answer a read compares it with the tip it serves and fetches when they differ, so
# a write acked on one instance is read on any other at once (issue 19 item 5).
plan_tips = Table(
    "plan_tips",
    metadata,
    Column("plan", String(500), primary_key=True),  # which plan: remote URL, branch, file
    Column("sha", String(64), nullable=False),
    Column("pushed_at", UTCDateTime, nullable=False),
)

# --------------------------------------------------------------------------- migrations

#: The hand-kept schema versions of earlier releases (1 baseline, 2 write turns, 3 display
#: names, 4 plan tips) and the Alembic revision each one equals. A database made by such a
#: release is stamped with its revision and upgraded from there by Alembic (bot/migrations/).
LEGACY_REVISIONS: Final[Mapping[int, str]] = {1: "0001", 2: "0002", 3: "0003", 4: "0004"}
#: Written to the old `schema_version` table after every upgrade, so an older release started
#: on this database refuses ("schema is version 5, this code knows 4") instead of writing rows
#: without their program.
SCHEMA_VERSION: Final = 5


def _config() -> Any:
    """Alembic's configuration, in code: the revisions ship inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "bot:migrations")
    return config


def _alembic(conn: Connection) -> Any:
    config = _config()
    config.attributes["connection"] = conn
    return config


#: How long a starting process waits for another one's migration to finish.
MIGRATION_WAIT_SECONDS: Final = 120.0


#: The newest revision in bot/migrations/versions. Kept here so a start on an up-to-date
#: database never imports Alembic (and Mako): ~10 MB of the server's memory for a check
#: that is one string comparison. tests/test_db.py keeps it equal to Alembic's own head.
HEAD_REVISION: Final = "0005"


def _upgrade(conn: Connection) -> None:
    """Bring the schema to Alembic's head on this connection (inside the caller's lock).

    A new database gets the current tables at once and is stamped at the head revision
    (Alembic's advice: replaying history is for databases that have one)."""
    import logging

    from alembic import command
    from alembic.runtime.migration import MigrationContext

    # Alembic names each of its plugins at INFO on every run; the upgrades it runs still log.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    existing = set(inspect(conn).get_table_names())
    if not existing:
        metadata.create_all(conn)
        command.stamp(_alembic(conn), "head")
        conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
        return
    if "alembic_version" not in existing and schema_version.name in existing:
        legacy = conn.execute(select(schema_version.c.version)).scalar_one_or_none() or 1
        if legacy > max(LEGACY_REVISIONS):
            raise SchemaTooNewError(
                f"database schema is version {legacy}, this code knows {max(LEGACY_REVISIONS)}"
            )
        command.stamp(_alembic(conn), LEGACY_REVISIONS[legacy])
    config = _alembic(conn)
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(config).get_current_head()
    current = MigrationContext.configure(conn).get_current_revision()
    if current is not None and head is not None and current != head:
        known = {r.revision for r in ScriptDirectory.from_config(config).walk_revisions()}
        if current not in known:
            raise SchemaTooNewError(
                f"database schema is at revision {current}, this code knows up to {head}"
            )
    if current != head:
        command.upgrade(config, "head")
    if schema_version.name not in existing:
        schema_version.create(conn)
    conn.execute(delete(schema_version))
    conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))


def _standup_key(user_id: str, local_date: date, program: str) -> tuple[Any, ...]:
    return (
        standups.c.user_id == user_id,
        standups.c.local_date == local_date,
        standups.c.program == program,
    )


def _claim_key(job: str, key: str, program: str) -> tuple[Any, ...]:
    return (claims.c.job == job, claims.c.key == key, claims.c.program == program)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer release; running old code on it is unsafe."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class StandupRecord:
    """One person's update for one local date, plus where it was posted (if yet)."""

    user_id: str
    user_name: str
    local_date: date
    text: str
    submitted_at: datetime
    source: str
    channel: str | None = None
    ts: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """Who took a piece of scheduled work, when, and how it ended."""

    job: str
    key: str
    fire_time: datetime
    claimed_at: datetime
    claimed_by: str
    status: str
    detail: str


@dataclass(frozen=True, slots=True)
class SkipRecord:
    """A person is away (no prompts, no "missing" mark) from start to end, inclusive."""

    id: int
    user_id: str
    start_date: date
    end_date: date
    created_at: datetime

    def covers(self, day: date) -> bool:
        """Whether ``day`` falls inside this absence."""
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True, slots=True)
class UserRecord:
    """Cached Slack profile bits; ``tz`` decides when "the morning" is for a person."""

    user_id: str
    name: str
    real_name: str
    tz: str
    fetched_at: datetime
    display_name: str = ""

    @property
    def shown_name(self) -> str:
        """Slack's order: the display name, else the real name, else the user name."""
        return self.display_name or self.real_name or self.name


_R = TypeVar("_R")


def _record(cls: type[_R], row: Row[Any] | Mapping[str, Any]) -> _R:
    """A row as its frozen record: columns and record fields share their names."""
    m = row._mapping if isinstance(row, Row) else row
    return cls(**{f.name: m[f.name] for f in fields(cls)})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- engine


def normalize_url(url: str | URL) -> URL:
    """Pin PostgreSQL URLs to psycopg 3.

    Heroku-style ``postgres://`` and plain ``postgresql://`` would otherwise select
    psycopg2 (not installed) or fail outright.
    """
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


#: How long a write waits for another process's SQLite write lock before giving up. Short on
#: purpose: every write here is a few rows, so a longer wait means the file is held by someone
#: else, and the person waiting for "saved" should hear "not saved, try again" promptly.
SQLITE_BUSY_SECONDS: Final = 2.0


class DatabaseUnavailable(StorageUnavailable):
    """The database could not be reached or stayed locked; the statement did not run."""


class DatabaseGone(DatabaseUnavailable):
    """The SQLite file this process opened was deleted or replaced while it ran.

    Why it must be noticed: open connections keep writing to the deleted file's inode, so
    every write would "succeed" into a file nobody can open again, and a restart would start
    from an empty database (standups lost, once-only claims forgotten, a Friday post sent
    twice). A retry cannot help; only a restart opens the file that is there now."""


def _file_identity(path: str) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the file at `path`, or None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _sqlite_engine(url: URL, busy_seconds: float) -> Engine:
    memory = url.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_seconds},
        # An in-memory database exists per connection: share the one connection.
        **({"poolclass": StaticPool} if memory else {}),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see _on_begin); the sqlite3 module's
        # legacy mode would autocommit DDL and not begin before SELECTs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not memory:
                # WAL: readers never block the writer; NORMAL sync is safe with WAL
                # (a power cut can lose the last commit, never corrupt the file).
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front so two processes never deadlock while
        # upgrading a read lock (which SQLite reports as "database is locked" without
        # waiting). Pure reads opt out to run beside a writer under WAL.
        if conn.get_execution_options().get("batchbot_readonly"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _make_engine(url: URL, busy_seconds: float) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_seconds)
    return create_engine(url, pool_pre_ping=True)


# --------------------------------------------------------------------------- database


def _unavailable(exc: OperationalError) -> DatabaseUnavailable:
    """One line for people ("the database is busy"), the driver's words for the log."""
    detail = str(exc.orig) if exc.orig is not None else str(exc).splitlines()[0]
    if "locked" in detail or "busy" in detail:
        return DatabaseUnavailable(f"the database is busy ({detail})")
    return DatabaseUnavailable(f"the database cannot be reached ({detail})")


class Database:
    """All persistent state of the bot behind small, intention-named methods.

    Constructing it connects and brings the schema up to date; that is safe when
    several processes start at once on the same SQLite file or PostgreSQL database.
    """

    def __init__(self, url: str | URL, *, busy_seconds: float = SQLITE_BUSY_SECONDS) -> None:
        self.url: URL = normalize_url(url)
        self.engine: Engine = _make_engine(self.url, busy_seconds)
        self._file: str | None = None  # the SQLite file, when the database is one
        self._identity: tuple[int, int] | None = None
        try:
            self._migrate()
        except BaseException:
            self.engine.dispose()
            raise
        if self.backend == "sqlite" and self.url.database not in (None, "", ":memory:"):
            self._file = os.path.abspath(str(self.url.database))
            self._identity = _file_identity(self._file)

    def gone(self) -> str | None:
        """Why the SQLite file opened at start is no longer the one on disk, or None.

        Checked before every statement and by /healthz: a file deleted or replaced under
        a running process is otherwise invisible (see DatabaseGone)."""
        if self._file is None or self._identity is None:
            return None
        now = _file_identity(self._file)
        if now == self._identity:
            return None
        what = "deleted" if now is None else "replaced"
        return (
            f"the database file {self._file} was {what} while batchbot was running; "
            "restart batchbot (what was saved since is lost)"
        )

    def _check_file(self) -> None:
        why = self.gone()
        if why is not None:
            raise DatabaseGone(why)

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        """Release every pooled connection (and the SQLite file handles)."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``: for logs and the rare dialect switch."""
        return self.url.get_backend_name()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        self._check_file()
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise _unavailable(exc) from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        self._check_file()  # a new connection would open (create) an empty file instead
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(batchbot_readonly=True)
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise _unavailable(exc) from exc

    def _migrate(self) -> None:
        """Create or upgrade the schema, one process at a time.

        SQLite: ``BEGIN IMMEDIATE`` already holds the database write lock. PostgreSQL:
        a transaction-scoped advisory lock; DDL is transactional there, so a crash
        half-way leaves the previous version intact.
        """
        import logging
        import time

        if self._at_head():
            return  # the usual start: nothing to change, no write lock taken, no Alembic
        # Alembic names each of its plugins at INFO when imported; the upgrades still log.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        from alembic import command  # noqa: F401  (imported outside the lock: it is slow)

        deadline = time.monotonic() + MIGRATION_WAIT_SECONDS
        while True:
            try:
                with self._write() as conn:
                    if self.backend == "postgresql":
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:id)"), {"id": _SCHEMA_LOCK_ID}
                        )
                    _upgrade(conn)
                return
            except DatabaseUnavailable:
                # Another process holds the lock while it migrates (copying a table can take
                # a while): wait for it rather than fail this start.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _at_head(self) -> bool:
        try:
            with self._read() as conn:
                tables = set(inspect(conn).get_table_names())
                if not {"alembic_version", schema_version.name} <= tables:
                    return False
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                stamped = conn.execute(select(schema_version.c.version)).scalar()
        except DatabaseUnavailable:
            return False
        return current == HEAD_REVISION and stamped == SCHEMA_VERSION

    # -- standups ----------------------------------------------------------------

    def save_standup(
        self,
        user_id: str,
        user_name: str,
        local_date: date,
        text: str,
        submitted_at: datetime,
        source: StandupSource,
        program: str = "",
    ) -> tuple[StandupRecord, bool]:
        """Store a person's update for a day; returns (record, replaced).

        Answering again the same day replaces text and time but keeps channel/ts, so
        the edge can ``chat.update`` the message it already posted instead of
        posting a second one.
        """
        if source not in STANDUP_SOURCES:
            raise ValueError(f"unknown standup source {source!r}")
        values = {"user_name": user_name, "text": text, "submitted_at": submitted_at}
        key = {"user_id": user_id, "local_date": local_date, "program": program}
        where = _standup_key(user_id, local_date, program)
        with self._write() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(insert(standups).values(**key, **values, source=source))
                replaced = False
            except IntegrityError:
                conn.execute(update(standups).where(*where).values(**values, source=source))
                replaced = True
            row = conn.execute(select(standups).where(*where)).one()
        return _record(StandupRecord, row), replaced

    def set_standup_post(
        self, user_id: str, local_date: date, channel: str, ts: str, program: str = ""
    ) -> bool:
        """Remember where an update was posted; False if there is no such update."""
        with self._write() as conn:
            result = conn.execute(
                update(standups)
                .where(*_standup_key(user_id, local_date, program))
                .values(channel=channel, ts=ts)
            )
        return result.rowcount == 1

    def get_standup(
        self, user_id: str, local_date: date, program: str = ""
    ) -> StandupRecord | None:
        """One person's update for one day, if they gave one."""
        with self._read() as conn:
            row = conn.execute(
                select(standups).where(*_standup_key(user_id, local_date, program))
            ).one_or_none()
        return None if row is None else _record(StandupRecord, row)

    def standups_between(
        self, start: date, end: date, user_id: str | None = None, program: str = ""
    ) -> list[StandupRecord]:
        """Updates from ``start`` to ``end`` inclusive, by date then person.

        This is the weekly-report query; ix_standups_local_date_user serves it.
        """
        query = select(standups).where(
            standups.c.local_date.between(start, end), standups.c.program == program
        )
        if user_id is not None:
            query = query.where(standups.c.user_id == user_id)
        query = query.order_by(standups.c.local_date, standups.c.user_id)
        with self._read() as conn:
            return [_record(StandupRecord, row) for row in conn.execute(query)]

    def standup_dates(self, user_id: str, limit: int = 30, program: str = "") -> list[date]:
        """The most recent days a person answered, newest first (for streaks/history)."""
        query = (
            select(standups.c.local_date)
            .where(standups.c.user_id == user_id, standups.c.program == program)
            .order_by(standups.c.local_date.desc())
            .limit(limit)
        )
        with self._read() as conn:
            return list(conn.execute(query).scalars())

    # -- claims ------------------------------------------------------------------

    def claim(
        self,
        job: str,
        key: str,
        fire_time: datetime,
        now: datetime,
        owner: str,
        program: str = "",
    ) -> bool:
        """Take (job, key) for this process; False if anyone already took it.

        This is the once-only guarantee for scheduled work: the insert either wins
        the primary key or fails with IntegrityError, atomically, across threads,
        processes and hosts, on both backends.
        """
        try:
            with self._write() as conn:
                conn.execute(
                    insert(claims).values(
                        job=job,
                        key=key,
                        fire_time=fire_time,
                        claimed_at=now,
                        claimed_by=owner,
                        status="claimed",
                        detail="",
                        program=program,
                    )
                )
        except IntegrityError:
            return False
        return True

    def finish(
        self, job: str, key: str, status: ClaimStatus, detail: str = "", program: str = ""
    ) -> bool:
        """Record how claimed work ended ('done' or 'failed'); False if not claimed."""
        if status not in CLAIM_STATUSES:
            raise ValueError(f"unknown claim status {status!r}")
        with self._write() as conn:
            result = conn.execute(
                update(claims)
                .where(*_claim_key(job, key, program))
                .values(status=status, detail=detail)
            )
        return result.rowcount == 1

    def get_claim(self, job: str, key: str, program: str = "") -> ClaimRecord | None:
        """The claim row for (job, key), if any."""
        with self._read() as conn:
            row = conn.execute(select(claims).where(*_claim_key(job, key, program))).one_or_none()
        return None if row is None else _record(ClaimRecord, row)

    def release(self, job: str, key: str, program: str = "") -> bool:
        """Forget a claim so the work can run again (``--force``, or a failed post)."""
        with self._write() as conn:
            result = conn.execute(delete(claims).where(*_claim_key(job, key, program)))
        return result.rowcount == 1

    # -- skips -------------------------------------------------------------------

    def add_skip(self, user_id: str, start: date, end: date, created_at: datetime) -> SkipRecord:
        """Mark a person away from ``start`` to ``end`` inclusive (vacation, sick day)."""
        if end < start:
            raise ValueError(f"skip ends ({end}) before it starts ({start})")
        with self._write() as conn:
            row = conn.execute(
                insert(standup_skips)
                .values(user_id=user_id, start_date=start, end_date=end, created_at=created_at)
                .returning(*standup_skips.c)
            ).one()
        return _record(SkipRecord, row)

    def away_users(self, day: date, program: str = "") -> set[str]:
        """Everyone away on ``day``: one query for the morning prompt round. A skip of
        program "" holds everywhere (time off applies to the person, not to one program)."""
        query = select(standup_skips.c.user_id).where(
            standup_skips.c.start_date <= day,
            standup_skips.c.end_date >= day,
            standup_skips.c.program.in_(("", program)),
        )
        with self._read() as conn:
            return set(conn.execute(query).scalars())

    # -- users cache -------------------------------------------------------------

    def upsert_user(
        self,
        user_id: str,
        name: str,
        real_name: str,
        tz: str,
        fetched_at: datetime,
        display_name: str = "",
    ) -> UserRecord:
        """Cache a Slack profile so prompts and names need no users.info call per person."""
        values = {
            "name": name,
            "real_name": real_name,
            "tz": tz,
            "fetched_at": fetched_at,
            "display_name": display_name,
        }
        with self._write() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(insert(users).values(user_id=user_id, **values))
            except IntegrityError:
                conn.execute(update(users).where(users.c.user_id == user_id).values(**values))
            row = conn.execute(select(users).where(users.c.user_id == user_id)).one()
        return _record(UserRecord, row)

    def get_user(self, user_id: str) -> UserRecord | None:
        """The cached profile, if fetched before; the caller decides if it is stale."""
        with self._read() as conn:
            row = conn.execute(select(users).where(users.c.user_id == user_id)).one_or_none()
        return None if row is None else _record(UserRecord, row)

    def get_users(self, user_ids: Iterable[str]) -> dict[str, UserRecord]:
        """Cached profiles of several people in one query (a reply names them all at once)."""
        wanted = sorted(set(user_ids))
        if not wanted:
            return {}
        with self._read() as conn:
            rows = conn.execute(select(users).where(users.c.user_id.in_(wanted)))
            return {row.user_id: _record(UserRecord, row) for row in rows}

    # -- day threads -------------------------------------------------------------

    def get_day_thread(self, local_date: date, channel: str, program: str = "") -> str | None:
        """The ts of the day's parent message in ``channel``, if it was posted."""
        query = select(day_threads.c.ts).where(
            day_threads.c.local_date == local_date,
            day_threads.c.channel == channel,
            day_threads.c.program == program,
        )
        with self._read() as conn:
            return conn.execute(query).scalar_one_or_none()

    def set_day_thread(self, local_date: date, channel: str, ts: str, program: str = "") -> None:
        """Remember the day's parent message (replacing a previous one, e.g. reposted).

        Creating it exactly once is the caller's job, via ``claim()``.
        """
        with self._write() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(day_threads).values(
                            local_date=local_date, channel=channel, ts=ts, program=program
                        )
                    )
            except IntegrityError:
                conn.execute(
                    update(day_threads)
                    .where(
                        day_threads.c.local_date == local_date,
                        day_threads.c.channel == channel,
                        day_threads.c.program == program,
                    )
                    .values(ts=ts)
                )

    # -- the plan's tip -----------------------------------------------------------

    def set_plan_tip(self, plan: str, sha: str, pushed_at: datetime) -> None:
        """Record the commit just pushed as the tip of `plan` (replacing the one before)."""
        with self._write() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(insert(plan_tips).values(plan=plan, sha=sha, pushed_at=pushed_at))
            except IntegrityError:
                conn.execute(
                    update(plan_tips)
                    .where(plan_tips.c.plan == plan)
                    .values(sha=sha, pushed_at=pushed_at)
                )

    def plan_tip(self, plan: str) -> str | None:
        """The tip of `plan` as last pushed by any instance; None before the first push."""
        query = select(plan_tips.c.sha).where(plan_tips.c.plan == plan)
        with self._read() as conn:
            sha = conn.execute(query).scalar_one_or_none()
        return None if sha is None else str(sha)

    # -- write turns -------------------------------------------------------------

    def queue_turn(self, holder: str, expires_at: datetime) -> int:
        """Join the queue of plan writers; the turn's id (turns are served in id order)."""
        with self._write() as conn:
            result = conn.execute(insert(write_turns).values(holder=holder, expires_at=expires_at))
        key = result.inserted_primary_key
        if key is None or key[0] is None:  # pragma: no cover - both backends return it
            raise DatabaseUnavailable("the database did not number the write turn")
        return int(key[0])

    def turns_ahead(self, turn: int, now: datetime) -> int:
        """How many live turns are queued before `turn` (0: it is this turn's go)."""
        query = select(func.count()).where(write_turns.c.id < turn, write_turns.c.expires_at > now)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def renew_turn(self, turn: int, expires_at: datetime) -> bool:
        """Keep a turn alive while it waits or works; False if it had already been ended."""
        with self._write() as conn:
            result = conn.execute(
                update(write_turns).where(write_turns.c.id == turn).values(expires_at=expires_at)
            )
        return result.rowcount == 1

    def end_turn(self, turn: int, now: datetime) -> None:
        """Leave the queue, and sweep the turns of processes that died holding one."""
        with self._write() as conn:
            conn.execute(
                delete(write_turns).where(
                    (write_turns.c.id == turn) | (write_turns.c.expires_at <= now)
                )
            )
