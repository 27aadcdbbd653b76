"""A standup that cannot be stored is never lost silently: with the SQLite file locked by
another process, the person is told "not saved, try again" with their text quoted back,
promptly, and nothing half-saved is left behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import cast

import pytest

from bot.commands import Command, Context, handle
from bot.db import Database
from bot.messenger import ConsoleMessenger
from bot.plan.store import Actor, PlanStore
from bot.replies import ErrorView, Reply
from bot.standup.config import StandupConfig
from bot.standup.service import Standups, build_standups
from tests.sqlite_lock import write_lock_held

TEXT = "Finished the CSV importer. Next I wire it into the nightly job."
ALICE = Actor("Alice Adams", slack_id="U0ALICE")
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "batchbot.db"


@pytest.fixture
def core(db_path: Path) -> Iterator[Standups]:
    db = Database(f"sqlite:///{db_path}")
    messenger = ConsoleMessenger(out=open("/dev/null", "w"))  # noqa: SIM115
    try:
        yield build_standups(
            db=db,
            messenger=messenger,
            config=StandupConfig(team=("U0ALICE",), standup_channel="C0STAND"),
            clock=lambda: NOW,
        )
    finally:
        db.close()
        messenger.out.close()


def slash(core: Standups, text: str) -> Reply:
    ctx = Context(store=cast(PlanStore, None), clock=lambda: NOW, standups=core)
    return handle(Command.from_text(ALICE, text, "slack", channel="C0PLAN"), ctx)


def assert_not_saved_and_quoted(reply: Reply) -> None:
    assert reply.exit_code == 1
    assert isinstance(reply.view, ErrorView)
    assert "not saved, try again" in reply.view.message
    assert TEXT in reply.view.hint


def test_slash_standup_with_the_database_locked_says_not_saved_and_quotes_the_text(
    core: Standups, db_path: Path
) -> None:
    with write_lock_held(db_path):
        started = time.monotonic()
        reply = slash(core, f"standup {TEXT}")
        waited = time.monotonic() - started
    assert_not_saved_and_quoted(reply)
    assert waited < 4, f"the answer took {waited:.1f}s"
    assert core.db.get_standup("U0ALICE", date(2026, 11, 24)) is None
    # Once the lock is gone, the same text is saved.
    assert slash(core, f"standup {TEXT}").ok
    assert core.db.get_standup("U0ALICE", date(2026, 11, 24)) is not None


def test_a_dm_answer_with_the_database_locked_is_quoted_back_not_saved(
    core: Standups, db_path: Path
) -> None:
    with write_lock_held(db_path):
        reply = core.submit("U0ALICE", core.display_name("U0ALICE"), TEXT, "dm")
    assert_not_saved_and_quoted(reply)
    assert core.db.get_standup("U0ALICE", date(2026, 11, 24)) is None


def test_skip_with_the_database_locked_says_nothing_was_saved(
    core: Standups, db_path: Path
) -> None:
    with write_lock_held(db_path):
        reply = slash(core, "standup skip")
    assert reply.exit_code == 1
    assert isinstance(reply.view, ErrorView) and "not saved, try again" in reply.view.message
    assert core.db.away_users(date(2026, 11, 24)) == set()
