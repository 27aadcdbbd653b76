"""Standups across programs, with real parts: the composition root, two plan files in one git
repository, SQLite, and the production Slack adapter talking to the fake Slack on loopback.

The first program (`execution-plan`) takes the environment's team: Ana and Eve, channel
C0ALPHA, prompt 09:30, digest 11:30. `beta` has its own in its plan: Bob and Eve, channel
C0BETA, prompt 08:00, digest 10:00. Eve is in both; everyone sits in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.commands import Command, handle
from bot.jobs import run_job
from bot.plan.store import Actor
from bot.replies import TextView
from bot.report.job import build_draft
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.slack.messenger import SlackMessenger, make_client
from tests import legacy_db_v4 as legacy
from tests.conftest import git
from tests.fakeslack import FakeSlack

TOKEN = "xoxb-test"
USERS = {
    "U0ANA": {"name": "ana", "real_name": "Ana", "tz": "UTC"},
    "U0BOB": {"name": "bob", "real_name": "Bob", "tz": "UTC"},
    "U0EVE": {"name": "eve", "real_name": "Eve", "tz": "UTC"},
}
BETA = """
[team]
standup_channel = "C0BETA"

[[team.people]]
id = "U0BOB"

[[team.people]]
id = "U0EVE"

[schedule]
prompt_time = "08:00"
digest_time = "10:00"
"""
MONDAY = dt.date(2026, 12, 7)


def at(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=dt.UTC)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, users=USERS) as f:
        yield f


class Two:
    """The deployment, its clock and the fake Slack it talks to."""

    def __init__(self, rt: Runtime, fake: FakeSlack, clock: dict[str, dt.datetime]) -> None:
        self.rt, self.fake, self.clock = rt, fake, clock

    def job(self, name: str, when: dt.datetime) -> Any:
        self.clock["now"] = when
        return run_job(self.rt, name, when)

    def dms_to(self, user: str) -> list[str]:
        return [
            str(c.args.get("text", ""))
            for c in self.fake.calls_to("chat.postMessage")
            if c.args.get("channel") in (user, f"D{user}")
        ]

    def thread_texts(self, channel: str) -> list[str]:
        """What was posted in `channel` inside a thread (answers and digests)."""
        return [str(m.get("text", "")) for m in self.fake.messages(channel) if m.get("thread_ts")]

    def answer(self, user: str, text: str) -> Any:
        """The DM reply path: the Slack edge hands every DM to the runtime's standups."""
        return self.rt.standups.submit(user, "", text, "dm")


def two_programs(
    plan_file: Path, tmp: Path, fake: FakeSlack, beta_extra: str = "", db_url: str = ""
) -> Two:
    beta = plan_file.with_name("beta.toml")
    beta.write_text(
        plan_file.read_text().replace('name = "', 'name = "Beta ', 1) + BETA + beta_extra
    )
    git(plan_file.parent.parent, "add", ".")
    git(plan_file.parent.parent, "commit", "-qm", "beta")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        execution_plan_path=plan_file,
        database_url=db_url or f"sqlite:///{tmp / 'b.db'}",
        team="U0ANA,U0EVE",
        standup_channel="C0ALPHA",
    )
    clock = {"now": at(MONDAY, "07:00")}
    messenger = SlackMessenger(make_client(TOKEN, fake.url))
    rt = build_runtime(settings, messenger, clock=lambda: clock["now"])
    assert list(rt.programs) == ["execution-plan", "beta"]
    return Two(rt, fake, clock)


def lines(reply: Any) -> str:
    view = reply.view
    assert isinstance(view, TextView), view
    return "\n".join((view.title, *view.lines))


def test_a_person_in_two_programs_is_prompted_once_answers_once_and_counts_in_both(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    two = two_programs(plan_file, tmp_path, fake)
    early = two.job("standup-prompts", at(MONDAY, "08:05"))
    assert early.sent == 2, early.summary  # Bob and Eve at beta's 08:00; Ana not yet
    assert len(two.dms_to("U0EVE")) == 1 and len(two.dms_to("U0BOB")) == 1
    assert two.dms_to("U0ANA") == []
    blocks = {
        str(c.args.get("channel")): str(c.args.get("blocks"))
        for c in fake.calls_to("chat.postMessage")
    }
    each = "One answer goes to each of your programs: beta and execution-plan."
    assert each in blocks["DU0EVE"] and "each of your programs" not in blocks["DU0BOB"]
    later = two.job("standup-prompts", at(MONDAY, "09:35"))
    assert later.sent == 1, later.summary  # Ana at 09:30; Eve is not asked a second time
    assert len(two.dms_to("U0EVE")) == 1

    two.clock["now"] = at(MONDAY, "09:40")
    reply = two.answer("U0EVE", "Shipped the importer. Next the export.")
    assert reply.ok, reply
    said = lines(reply)
    assert "execution-plan: Posted in the Mon 7 Dec standup thread." in said
    assert "beta: Posted in the Mon 7 Dec standup thread." in said
    for channel in ("C0ALPHA", "C0BETA"):
        assert any("Shipped the importer" in t for t in two.thread_texts(channel)), channel
    first, beta = two.rt.ctx, two.rt.programs["beta"]
    assert first.standups_between and beta.standups_between
    assert [s.user_id for s in first.standups_between(MONDAY, MONDAY)] == ["U0EVE"]
    assert [s.user_id for s in beta.standups_between(MONDAY, MONDAY)] == ["U0EVE"]

    # One reminder per person: Bob at 10:00 (beta), Ana at 11:30 (first); Eve answered.
    assert two.job("standup-reminders", at(MONDAY, "10:05")).sent == 1
    assert two.job("standup-reminders", at(MONDAY, "11:35")).sent == 1
    assert len(two.dms_to("U0BOB")) == 2 and len(two.dms_to("U0ANA")) == 2
    assert len(two.dms_to("U0EVE")) == 1

    # Each program's digest in its own thread, counting Eve's one answer.
    beta_digest = two.job("standup-digest", at(MONDAY, "10:05"))
    assert "beta: 2026-12-07: answered 1 of 2" in beta_digest.summary, beta_digest.summary
    assert "execution-plan: not due" in beta_digest.summary
    alpha_digest = two.job("standup-digest", at(MONDAY, "11:35"))
    assert "execution-plan: 2026-12-07: answered 1 of 2" in alpha_digest.summary
    assert "beta: 2026-12-07: already posted" in alpha_digest.summary
    assert any("missing: Bob" in t for t in two.thread_texts("C0BETA"))
    assert any("missing: Ana" in t for t in two.thread_texts("C0ALPHA"))

    # The Friday job's draft of each program (it runs through `for_program`) counts it.
    two.clock["now"] = at(MONDAY, "12:00")
    assert two.answer("U0BOB", "Late but here. Fixing the login bug.").ok  # beta only
    friday = at(MONDAY + dt.timedelta(days=4), "15:00")
    two.clock["now"] = friday
    alpha_draft = build_draft(two.rt.for_program("execution-plan"), friday, friday).markdown
    beta_draft = build_draft(two.rt.for_program("beta"), friday, friday).markdown
    assert "Eve: 1 of 5 days" in alpha_draft and "Eve: 1 of 5 days" in beta_draft
    assert "Bob: 1 of 5 days" in beta_draft and "Bob:" not in alpha_draft

    # Trends and the weekly draft of each program count the answer.
    eve = Actor("Eve", slack_id="U0EVE")
    for ctx in (first, beta):
        weekly = handle(Command.from_text(eve, "weekly", "slack"), ctx)
        assert "Eve: 1 of 5 days" in str(weekly.view), weekly
        trends = handle(Command.from_text(eve, "standups", "slack"), ctx)
        assert trends.ok and "Eve" in str(trends.view), trends


def test_a_person_only_in_beta_is_prompted_at_betas_time_into_betas_thread(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    two = two_programs(plan_file, tmp_path, fake)
    assert two.job("standup-prompts", at(MONDAY, "07:59")).sent == 0
    two.job("standup-prompts", at(MONDAY, "08:00"))
    assert len(two.dms_to("U0BOB")) == 1
    two.clock["now"] = at(MONDAY, "08:10")
    reply = two.answer("U0BOB", "Fixed the login bug. Reviewing the API next.")
    assert lines(reply) == (
        "Saved your standup for Mon 7 Dec\nPosted in the Mon 7 Dec standup thread."
    )
    assert any("Fixed the login bug" in t for t in two.thread_texts("C0BETA"))
    assert not any("Fixed the login bug" in t for t in two.thread_texts("C0ALPHA"))
    assert two.rt.db.standups_between(MONDAY, MONDAY) == []  # not the first program's
    assert [s.user_id for s in two.rt.db.standups_between(MONDAY, MONDAY, program="beta")] == [
        "U0BOB"
    ]
    # `/batch standup list` reads the program it is routed to.
    bob = Actor("Bob", slack_id="U0BOB")
    beta_list = handle(Command.from_text(bob, "standup list", "slack"), two.rt.programs["beta"])
    first_list = handle(Command.from_text(bob, "standup list", "slack"), two.rt.ctx)
    assert "Fixed the login bug" in str(beta_list.view)
    assert "Fixed the login bug" not in str(first_list.view)


def test_a_programs_holiday_is_its_own_but_time_off_holds_everywhere(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    tuesday, wednesday = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)
    calendar = f"""
[[calendar.holidays]]
day = {tuesday.isoformat()}
name = "Beta offsite"

[[calendar.timeoff]]
user = "U0EVE"
start = {wednesday.isoformat()}
end = {wednesday.isoformat()}
"""
    two = two_programs(plan_file, tmp_path, fake, beta_extra=calendar)
    # Tuesday is beta's holiday: Bob is not asked; Eve is asked at the first program's time.
    assert two.job("standup-prompts", at(tuesday, "08:05")).sent == 0
    assert two.job("standup-prompts", at(tuesday, "09:35")).sent == 2  # Ana and Eve
    assert len(two.dms_to("U0BOB")) == 0
    two.clock["now"] = at(tuesday, "09:40")
    lines(two.answer("U0EVE", "Planned the offsite. Writing the notes now."))
    assert any("Planned the offsite" in t for t in two.thread_texts("C0ALPHA"))
    assert not any("Planned the offsite" in t for t in two.thread_texts("C0BETA"))
    assert two.rt.db.standups_between(tuesday, tuesday, program="beta") == []
    assert (
        "beta: 2026-12-08 is not a workday"
        in two.job("standup-digest", at(tuesday, "12:00")).summary
    )

    # Eve's time off, written in beta's plan, holds in the first program too.
    prompts = two.job("standup-prompts", at(wednesday, "09:35"))
    assert prompts.sent == 2, prompts.summary  # Bob (08:00 window still open) and Ana
    assert len(two.dms_to("U0EVE")) == 1  # only Tuesday's
    digest = two.job("standup-digest", at(wednesday, "11:35"))
    assert "execution-plan: 2026-12-09: answered 0 of 1" in digest.summary, digest.summary
    assert two.rt.ctx.expected_on is not None and not two.rt.ctx.expected_on("U0EVE", wednesday)


def test_standups_of_the_previous_release_stay_the_first_programs(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = legacy.Database(url)  # rows written before programs existed (program "")
    monday_0935 = at(MONDAY, "09:35")
    old.save_standup("U0EVE", "Eve", MONDAY, "Wrote the old way. Still here.", monday_0935, "dm")
    old.close()
    two = two_programs(plan_file, tmp_path, fake, db_url=url)
    first, beta = two.rt.ctx, two.rt.programs["beta"]
    assert first.standups_between and beta.standups_between
    assert [s.text for s in first.standups_between(MONDAY, MONDAY)] == [
        "Wrote the old way. Still here."
    ]
    assert beta.standups_between(MONDAY, MONDAY) == []
    # Eve answered Monday already (in the first program): she is not prompted again.
    result = two.job("standup-prompts", at(MONDAY, "08:05"))
    assert result.sent == 1 and two.dms_to("U0EVE") == [], result.summary
    two.rt.db.close()
