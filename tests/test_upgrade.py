"""The upgrade, whole: a database and a plan made by the previous release (its own database
code, `tests/legacy_db_v4.py`) with the team in environment variables → this release starts
on them with nothing lost and the same behaviour, and `settings import` moves the team into
the plan as one commit without changing what the bot does."""

from __future__ import annotations

import datetime as dt
import io
import tomllib
from pathlib import Path

from bot.commands import Command, handle
from bot.jobs import run_job
from bot.messenger import ConsoleMessenger
from bot.plan.store import Actor
from bot.runtime import build_runtime
from bot.settings import Settings
from tests import legacy_db_v4 as legacy
from tests.conftest import git

FRIDAY = dt.datetime(2026, 12, 4, 15, 5, tzinfo=dt.UTC)
MONDAY_0935 = dt.datetime(2026, 12, 7, 9, 35, tzinfo=dt.UTC)
ENV = {
    "team": "U0ANA,U0BOB",
    "editors": "U0ANA",
    "lead": "U0ANA",
    "standup_channel": "C0STAND",
    "report_channel": "C0REPORT",
}


def test_the_previous_releases_database_plan_and_environment_keep_working(
    plan_file: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    old = legacy.Database(url)  # what the running release wrote this week
    old.save_standup("U0ANA", "Ana", dt.date(2026, 12, 4), "Shipped A. Next B.", FRIDAY, "dm")
    old.claim("weekly-report", "2026-12-04T15:00:00+00:00", FRIDAY, FRIDAY, "old:1")
    old.finish("weekly-report", "2026-12-04T15:00:00+00:00", "done", "posted to C0REPORT")
    old.close()
    plan_before = plan_file.read_text()

    clock = {"now": FRIDAY}
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, execution_plan_path=plan_file, database_url=url, **ENV
    )
    messenger = ConsoleMessenger(out=io.StringIO())
    rt = build_runtime(settings, messenger, clock=lambda: clock["now"])

    # Same behaviour: the week's report was posted by the old release, so not again.
    again = run_job(rt, "weekly-report", FRIDAY)
    assert again.sent == 0 and "already posted" in again.summary
    # Nothing lost: the standup is there, and the environment's editors still rule.
    assert [s.text for s in rt.db.standups_between(dt.date(2026, 12, 1), dt.date(2026, 12, 4))] == [
        "Shipped A. Next B."
    ]
    bob = Actor("Bob", slack_id="U0BOB")
    refused = handle(Command.from_text(bob, "update batch-1 progress=5", "slack"), rt.ctx)
    assert not refused.ok
    assert plan_file.read_text() == plan_before  # starting changed nothing in the plan

    # The team moves into the plan: one commit, by the lead, and the bot acts the same.
    ana = Actor("Ana", "ana@example.com", slack_id="U0ANA")
    commits = int(git(plan_file.parent, "rev-list", "--count", "HEAD").strip())
    imported = handle(Command.from_text(ana, "settings import", "slack"), rt.ctx)
    assert imported.ok, imported
    assert int(git(plan_file.parent, "rev-list", "--count", "HEAD").strip()) == commits + 1
    team = tomllib.loads(plan_file.read_text())["team"]
    assert team["editors"] == ["U0ANA"] and team["standup_channel"] == "C0STAND"
    assert not handle(Command.from_text(bob, "update batch-1 progress=5", "slack"), rt.ctx).ok
    clock["now"] = MONDAY_0935
    prompts = run_job(rt, "standup-prompts", MONDAY_0935)
    assert prompts.sent == 2, prompts.summary  # Ana and Bob, at 09:30 as before
    assert run_job(rt, "weekly-report", FRIDAY).sent == 0
    rt.db.close()


def test_every_teammate_due_is_prompted_and_reminded_in_one_round(
    plan_file: Path, tmp_path: Path
) -> None:
    """A `break` ended each round after the first person due: in a team sharing a zone one
    person was prompted per tick, and once they were "already prompted" nobody after them."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        execution_plan_path=plan_file,
        database_url=f"sqlite:///{tmp_path / 'b.db'}",
        team="U0ANA,U0BOB,U0CY",
    )
    messenger = ConsoleMessenger(out=io.StringIO())
    rt = build_runtime(settings, messenger, clock=lambda: MONDAY_0935)
    assert run_job(rt, "standup-prompts", MONDAY_0935).sent == 3
    assert run_job(rt, "standup-prompts", MONDAY_0935 + dt.timedelta(minutes=1)).sent == 0
    later = MONDAY_0935 + dt.timedelta(hours=2)
    assert run_job(rt, "standup-reminders", later).sent == 3
    assert sorted(who for kind, who, _ in messenger.sent if kind == "dm") == [
        "U0ANA", "U0ANA", "U0BOB", "U0BOB", "U0CY", "U0CY"
    ]  # fmt: skip
    rt.db.close()
