"""Pytest fixtures that run database tests on SQLite *and* PostgreSQL.

Why both: the bot ships with SQLite for one host and PostgreSQL for several, and
the once-only claims, upserts and time zones must behave identically. The main
tests/conftest.py loads this module with ``pytest_plugins = ["tests.conftest_db"]``.

PostgreSQL needs ``BATCHBOT_TEST_POSTGRES_URL`` (an admin URL; ``.ci/postgres.sh
start`` prints one). Each test gets its own freshly created database, dropped after.

The fixtures are named via ``name=`` so a test module can import them without
shadowing the parameter names (ruff F811):
``from tests.conftest_db import database_fixture, db_url_fixture  # noqa: F401``.
"""

from __future__ import annotations

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
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'batchbot.db'}"
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(POSTGRES_SKIP_REASON)
    admin = normalize_url(admin_url)
    name = f"batchbot_test_{uuid.uuid4().hex[:16]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
        with engine.connect() as conn:
            # FORCE (PostgreSQL 13+): a test that leaked a connection must not leak a DB.
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
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
