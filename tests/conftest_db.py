"""Pytest fixtures that run database tests on SQLite *and* PostgreSQL.

Why both: the bot ships with SQLite for one host and PostgreSQL for several, and
the once-only claims, upserts and time zones must behave identically. The main
tests/conftest.py loads this module with ``pytest_plugins = ["tests.conftest_db"]``.

PostgreSQL needs ``BATCHBOT_TEST_POSTGRES_URL`` (an admin URL; ``.ci/postgres.sh
start`` prints one). Each test gets an empty database: its test process's, emptied.

The fixtures are named via ``name=`` so a test module can import them without
shadowing the parameter names (ruff F811):
``from tests.conftest_db import database_fixture, db_url_fixture  # noqa: F401``.
"""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.db import Database, normalize_url

POSTGRES_ENV = "BATCHBOT_TEST_POSTGRES_URL"
POSTGRES_SKIP_REASON = f"PostgreSQL not available: set {POSTGRES_ENV} (.ci/run starts one)"


@pytest.fixture(
    name="db_url",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def db_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or this test process's PostgreSQL database
    emptied for the test.

    Why one PostgreSQL database per test process, emptied, rather than one per test: each
    CREATE DATABASE copies a template through the WAL and each DROP DATABASE forces a
    checkpoint, ~150 ms of the server's CPU per test; dropping and re-creating the `public`
    schema (every table, sequence and type the bot makes) is a catalog change of a few ms.
    Backends a previous test left connected are ended first, so none holds a lock."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'batchbot.db'}"
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(POSTGRES_SKIP_REASON)
    url = make_url(normalize_url(admin_url)).set(database=_worker_database(admin_url))
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    yield url.render_as_string(hide_password=False)


_WORKER_DATABASE: list[str] = []


def _worker_database(admin_url: str) -> str:
    """This test process's database, created on first use and dropped at its exit."""
    if not _WORKER_DATABASE:
        name = f"batchbot_test_{uuid.uuid4().hex[:16]}"
        engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        atexit.register(_drop_database, admin_url, name)
        _WORKER_DATABASE.append(name)
    return _WORKER_DATABASE[0]


def _drop_database(admin_url: str, name: str) -> None:
    engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            # FORCE (PostgreSQL 13+): a test that leaked a connection must not leak a DB.
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except Exception:  # the server already stopped (.ci/run stops it after the tests)
        pass
    finally:
        engine.dispose()


@pytest.fixture(name="database")
def database_fixture(db_url: str) -> Iterator[Database]:
    """An open Database on the parametrized backend, closed after the test."""
    db = Database(db_url)
    try:
        yield db
    finally:
        db.close()
