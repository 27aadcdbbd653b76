"""Read-your-write across instances (issue 19 item 5): two stores share one database and one
bare remote; a write acked on one is read on the other at once, without fetching on every
read. Before the fix the second instance served the old plan until its next sync (30 s)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.db import Database
from bot.plan.remote import RemotePlanStore
from bot.plantips import DatabaseTips
from tests.conftest import git
from tests.conftest_db import database_fixture, db_url_fixture  # noqa: F401
from tests.test_remote_store import make_store, progress, set_progress, upstream_commit


@pytest.fixture
def remote(plan_repo: Path, tmp_path: Path) -> Path:
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(plan_repo), str(bare))
    return bare


def instances(remote: Path, tmp_path: Path, db: Database) -> tuple[RemotePlanStore, ...]:
    stores = tuple(make_store(remote, tmp_path / f"work-{n}") for n in "ab")
    for store in stores:
        store.tips = DatabaseTips(db)
    return stores


def test_a_write_acked_on_one_instance_is_read_on_the_other_at_once(
    remote: Path, tmp_path: Path, database: Database
) -> None:
    a, b = instances(remote, tmp_path, database)
    assert progress(b) == 0
    set_progress(a, 77)
    t0 = time.monotonic()
    assert progress(b) == 77
    assert time.monotonic() - t0 < 1.0
    set_progress(b, 78)
    assert progress(a) == 78


def test_reads_with_no_new_tip_do_not_fetch(
    remote: Path, tmp_path: Path, database: Database
) -> None:
    a, b = instances(remote, tmp_path, database)
    set_progress(a, 40)
    assert progress(b) == 40
    synced = b.state().synced_at
    for _ in range(20):
        assert progress(b) == 40
    assert b.state().synced_at == synced, "a read fetched though nobody had pushed"


def test_a_tip_the_database_has_not_heard_of_waits_for_the_sync(
    remote: Path, tmp_path: Path, database: Database
) -> None:
    """A commit pushed outside the bot (a merged pull request) is not in the database: the
    sync interval or the webhook brings it, as before; reads never fetch for it."""
    a, _ = instances(remote, tmp_path, database)
    upstream_commit(remote, tmp_path, 'owner = ""->owner = "Merged Upstream"')
    assert a.load().batch("batch-1").owner == ""  # type: ignore[union-attr]
    a.sync()
    assert a.load().batch("batch-1").owner == "Merged Upstream"  # type: ignore[union-attr]


def test_a_database_that_is_gone_only_makes_reads_wait_for_the_sync(
    remote: Path, tmp_path: Path, database: Database
) -> None:
    a, b = instances(remote, tmp_path, database)
    database.engine.dispose()
    with database.engine.begin() as conn:  # the table goes: every query fails
        conn.exec_driver_sql("DROP TABLE plan_tips")
    set_progress(a, 12)  # saved all the same
    assert progress(b) == 0
    b.sync()
    assert progress(b) == 12
