"""Specs for time off, holidays, edited DM answers and the daily digest.

Real parts: the plan in a real git repository (time off and holidays are commits in it), a
SQLite file, the fake Slack Web API over loopback, and an injected clock. 2026-11-24 is a
Tuesday; the team's zone is New York (see tests/test_standup_service.py for the people).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.commands import Command, Context, handle
from bot.commands.plan import weekly
from bot.db import Database
from bot.plan.store import Actor, PlanStore
from bot.plan.team import Person, TeamSettings
from bot.replies import ChangeView, ErrorView, Reply, TextView, WeeklyView
from bot.runtime import standup_config
from bot.settings import Settings
from bot.standup.service import Standups, build_standups
from tests.conftest import git, run_cli
from tests.conftest_db import database_fixture, db_url_fixture  # noqa: F401
from tests.fakeslack import FakeSlack
from tests.test_standup_service import (
    CHANNEL,
    NY_USER,
    THREE_SENTENCES,
    TOKEN,
    TOKYO_USER,
    TWO_SENTENCES,
    USERS,
    FakeClock,
    WebClientMessenger,
    dms,
    make_client,
    make_settings,
    prompts_by_user,
    thread_replies,
    utc,
)

BERLIN_USER = "UBERLIN01"
PEOPLE = {**USERS, BERLIN_USER: {"name": "bea", "real_name": "Bea Braun", "tz": "Europe/Berlin"}}
ALICE = Actor("Alice Adams", "alice@example.com", slack_id=NY_USER)
KENJI = Actor("Kenji Kato", "kenji@example.com", slack_id=TOKYO_USER)
LEAD = Actor("Lee Lead", "lee@example.com", slack_id="ULEAD0001")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, users=PEOPLE) as f:
        yield f


@pytest.fixture
def messenger(fake: FakeSlack) -> WebClientMessenger:
    return WebClientMessenger(make_client(fake))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc(2026, 11, 24, 12, 0))


@pytest.fixture
def store(plan_file: Path) -> PlanStore:
    return PlanStore(plan_file)


def make_core(
    database: Database,
    messenger: WebClientMessenger,
    clock: FakeClock,
    store: PlanStore,
    settings: Settings | None = None,
) -> Standups:
    """The standup core as the runtime wires it: time off and holidays read from the plan."""
    return build_standups(
        db=database,
        messenger=messenger,
        config=standup_config(settings or make_settings()),
        clock=clock,
        calendar=lambda: store.load().calendar,
    )


@pytest.fixture
def core(
    database: Database, messenger: WebClientMessenger, clock: FakeClock, store: PlanStore
) -> Standups:
    return make_core(database, messenger, clock, store)


def run(
    actor: Actor, text: str, store: PlanStore, core: Standups, editors: tuple[str, ...] = ()
) -> Reply:
    """`/batch <text>` from Slack, through the one command path."""
    ctx = Context(
        store=store,
        clock=core.clock,
        team_defaults=TeamSettings(editors=editors, people=(Person(NY_USER), Person(TOKYO_USER))),
        standups=core,
        standups_between=core.standups_between,
        name_of=core.display_name,
        expected_on=core.expected,
    )
    return handle(Command.from_text(actor, text, "slack", channel="C0PLAN"), ctx)


def commits(store: PlanStore) -> int:
    return int(git(store.path.parent.parent, "rev-list", "--count", "HEAD").strip())


# --------------------------------------------------------------------------- time off


def test_time_off_in_the_plan_stops_prompts_and_reminders_for_those_days(
    fake: FakeSlack, core: Standups, clock: FakeClock, store: PlanStore
) -> None:
    reply = run(ALICE, "timeoff me from 2026-11-24 until 2026-11-25", store, core)
    assert isinstance(reply.view, ChangeView), reply
    got = prompts_by_user(fake, core, clock, utc(2026, 11, 24), utc(2026, 11, 27))
    assert got == {
        TOKYO_USER: [utc(2026, 11, 24, 0, 30), utc(2026, 11, 25, 0, 30), utc(2026, 11, 26, 0, 30)],
        NY_USER: [utc(2026, 11, 26, 14, 30)],  # back on Thursday
    }
    for at in (utc(2026, 11, 24, 16, 30), utc(2026, 11, 25, 16, 30)):
        assert core.prompts.run_reminders(at).sent == 0


def test_time_off_is_one_commit_and_editors_may_record_anyones_but_others_only_their_own(
    core: Standups, store: PlanStore
) -> None:
    editors = (LEAD.slack_id or "",)
    before = commits(store)
    refused = run(ALICE, f"timeoff <@{TOKYO_USER}> from 2026-12-01", store, core, editors)
    assert refused.exit_code == 1 and isinstance(refused.view, ErrorView)
    assert "not allowed" in refused.view.message
    assert commits(store) == before
    own = run(ALICE, "timeoff me from 2026-12-01 until 2026-12-03", store, core, editors)
    assert own.ok and commits(store) == before + 1
    lead = run(LEAD, f"timeoff <@{TOKYO_USER}|kenji> from 2026-12-02", store, core, editors)
    assert lead.ok and commits(store) == before + 2
    subject = git(store.path.parent.parent, "log", "-1", "--format=%s%n%an").splitlines()
    assert subject == [f'timeoff: {TOKYO_USER} "" → 2026-12-02', "Lee Lead"]
    calendar = store.load().calendar
    assert [(t.user, t.start, t.end) for t in calendar.timeoff] == [
        (NY_USER, date(2026, 12, 1), date(2026, 12, 3)),
        (TOKYO_USER, date(2026, 12, 2), date(2026, 12, 2)),
    ]
    listed = run(KENJI, "timeoff list", store, core)
    assert isinstance(listed.view, TextView)
    assert listed.view.lines == (  # by name, though neither was ever prompted
        "Alice Adams: 2026-12-01 until 2026-12-03",
        "Kenji Kato: 2026-12-02",
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("timeoff me from 2026-12-05 until 2026-12-01", "before it starts"),
        ("timeoff me from 2026-13-01", "not a date"),
        ("timeoff me from tomorrow", "must be a date"),
        ("timeoff me 2026-12-01", "timeoff @user from"),
        ("timeoff @nobody from 2026-12-01", "who is"),
        ("holiday add 2026-02-30", "not a date"),
        ("holiday remove 2026-12-24", "not a holiday"),
        ("holiday move 2026-12-24", "add, list or remove"),
        ("holiday add 2026-12-24 Christ\x07mas", "control characters"),
        ("holiday add 2026-12-24 " + "x" * 101, "at most 100"),
    ],
)
def test_bad_time_off_and_holiday_words_are_refused_and_change_nothing(
    core: Standups, store: PlanStore, text: str, needle: str
) -> None:
    before = (commits(store), store.path.read_text())
    reply = run(ALICE, text, store, core)
    assert not reply.ok and isinstance(reply.view, ErrorView)
    assert needle in reply.view.message + reply.view.hint, reply.view
    assert (commits(store), store.path.read_text()) == before


# --------------------------------------------------------------------------- holidays


def test_a_holiday_in_the_plan_stops_every_prompt_and_only_editors_set_it(
    fake: FakeSlack, core: Standups, clock: FakeClock, store: PlanStore
) -> None:
    editors = (LEAD.slack_id or "",)
    assert not run(ALICE, "holiday add 2026-11-25 Team day", store, core, editors).ok
    assert run(LEAD, "holiday add 2026-11-25 Team day", store, core, editors).ok
    assert prompts_by_user(fake, core, clock, utc(2026, 11, 25), utc(2026, 11, 26)) == {}
    listed = run(ALICE, "holiday list", store, core)
    assert isinstance(listed.view, TextView)
    assert listed.view.lines == ("2026-11-25 Wed — Team day",)
    assert run(LEAD, "holiday remove 2026-11-25", store, core, editors).ok
    assert store.load().calendar.holidays == ()


@pytest.mark.parametrize(
    ("country", "day", "prompted"),
    [
        ("US", date(2026, 11, 26), False),  # Thanksgiving
        ("DE", date(2026, 11, 26), True),
        ("DE", date(2026, 4, 6), False),  # Easter Monday
        ("US", date(2026, 4, 6), True),
    ],
)
def test_the_holiday_country_adds_that_countrys_public_holidays(
    fake: FakeSlack,
    database: Database,
    messenger: WebClientMessenger,
    clock: FakeClock,
    store: PlanStore,
    country: str,
    day: date,
    prompted: bool,
) -> None:
    settings = make_settings(BATCHBOT_TEAM=NY_USER, BATCHBOT_HOLIDAY_COUNTRY=country)
    core = make_core(database, messenger, clock, store, settings)
    start = datetime.combine(day, datetime.min.time(), tzinfo=utc(2026, 1, 1).tzinfo)
    got = prompts_by_user(fake, core, clock, start.replace(hour=12), start.replace(hour=16))
    assert (NY_USER in got) is prompted


def test_an_unknown_holiday_country_stops_the_start_naming_the_setting() -> None:
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="BATCHBOT_HOLIDAY_COUNTRY"):
        load_settings(_env_file=None, BATCHBOT_HOLIDAY_COUNTRY="XX")


def test_the_old_holidays_setting_still_stops_prompts(
    fake: FakeSlack,
    database: Database,
    messenger: WebClientMessenger,
    clock: FakeClock,
    store: PlanStore,
) -> None:
    settings = make_settings(BATCHBOT_HOLIDAYS="2026-11-25")
    core = make_core(database, messenger, clock, store, settings)
    assert prompts_by_user(fake, core, clock, utc(2026, 11, 25), utc(2026, 11, 26)) == {}


# --------------------------------------------------------------------------- participation


def test_participation_counts_only_the_days_a_person_was_expected(
    core: Standups, clock: FakeClock, store: PlanStore
) -> None:
    # Alice is off Wed and Thu; Thursday is a team holiday for everyone.
    assert run(ALICE, "timeoff me from 2026-11-25 until 2026-11-26", store, core).ok
    assert run(ALICE, "holiday add 2026-11-27 Day after", store, core).ok
    for day, user in ((23, NY_USER), (24, NY_USER), (23, TOKYO_USER)):
        clock.now = utc(2026, 11, day, 15)  # 10:00 in New York, 00:00 next day in Tokyo
        who = "Kenji Kato" if user == TOKYO_USER else "Alice Adams"
        if user == TOKYO_USER:
            clock.now = utc(2026, 11, day, 3)  # 12:00 in Tokyo
        assert core.submit(user, who, TWO_SENTENCES, "dm").ok
    clock.now = utc(2026, 11, 28, 12)  # Saturday: the whole week is behind us
    ctx = Context(
        store=store,
        clock=clock,
        standups=core,
        standups_between=core.standups_between,
        team_defaults=TeamSettings(people=(Person(NY_USER), Person(TOKYO_USER))),
        name_of=core.display_name,
        expected_on=core.expected,
    )
    reply = weekly(ctx, None, now=clock.now)
    assert isinstance(reply.view, WeeklyView)
    rows = [item.text for item in reply.view.report.participation]
    assert rows == ["Alice Adams: 2 of 2 days", "Kenji Kato: 1 of 4 days"]


# --------------------------------------------------------------------------- DM edits


def dm_ts(at: datetime) -> str:
    return f"{at.timestamp():.6f}"


def test_an_edited_dm_answer_replaces_the_stored_one_and_updates_the_post(
    fake: FakeSlack, core: Standups, clock: FakeClock, database: Database
) -> None:
    sent = clock.now
    assert core.submit(NY_USER, "Alice Adams", TWO_SENTENCES, "dm").ok
    clock.now = utc(2026, 11, 24, 13)
    reply = core.edit_dm(NY_USER, THREE_SENTENCES, TWO_SENTENCES, dm_ts(sent))
    assert reply is not None and isinstance(reply.view, TextView), reply
    assert reply.view.title == "Updated your standup for Tue 24 Nov"
    record = database.get_standup(NY_USER, date(2026, 11, 24))
    assert record is not None and record.text == THREE_SENTENCES
    (post,) = thread_replies(fake)
    assert THREE_SENTENCES in post["text"] and post["ts"] == record.ts
    assert len(fake.calls_to("chat.update")) == 1
    # Slack also sends message_changed when it only adds a link preview: nothing to say.
    assert core.edit_dm(NY_USER, THREE_SENTENCES, THREE_SENTENCES, dm_ts(sent)) is None


def test_an_edit_that_breaks_the_rules_is_refused_and_the_old_answer_stays(
    fake: FakeSlack, core: Standups, clock: FakeClock, database: Database
) -> None:
    sent = clock.now
    assert core.submit(NY_USER, "Alice Adams", TWO_SENTENCES, "dm").ok
    reply = core.edit_dm(NY_USER, "Did stuff", TWO_SENTENCES, dm_ts(sent))
    assert reply is not None and reply.exit_code == 1 and isinstance(reply.view, ErrorView)
    assert "not saved" in reply.view.message and "sentence" in reply.view.message
    assert TWO_SENTENCES in reply.view.hint and "Did stuff" in reply.view.hint
    record = database.get_standup(NY_USER, date(2026, 11, 24))
    assert record is not None and record.text == TWO_SENTENCES
    assert fake.calls_to("chat.update") == []


def test_editing_a_refused_dm_into_a_good_one_answers_that_day(
    core: Standups, clock: FakeClock, database: Database
) -> None:
    sent = clock.now
    assert not core.submit(NY_USER, "Alice Adams", "Did stuff", "dm").ok
    reply = core.edit_dm(NY_USER, TWO_SENTENCES, "Did stuff", dm_ts(sent))
    assert reply is not None and reply.ok
    assert database.get_standup(NY_USER, date(2026, 11, 24)) is not None


def test_editing_a_dm_that_was_replaced_since_changes_nothing(
    core: Standups, clock: FakeClock, database: Database
) -> None:
    sent = clock.now
    core.submit(NY_USER, "Alice Adams", TWO_SENTENCES, "dm")
    core.submit(NY_USER, "Alice Adams", THREE_SENTENCES, "modal")
    reply = core.edit_dm(NY_USER, "New text here. And more.", TWO_SENTENCES, dm_ts(sent))
    assert reply is not None and reply.exit_code == 1
    record = database.get_standup(NY_USER, date(2026, 11, 24))
    assert record is not None and record.text == THREE_SENTENCES


# --------------------------------------------------------------------------- digest


def digest_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in thread_replies(fake) if str(m["text"]).startswith("Standup digest")]


def test_the_digest_posts_once_a_day_with_who_answered_is_missing_and_blocked(
    fake: FakeSlack,
    database: Database,
    messenger: WebClientMessenger,
    clock: FakeClock,
    store: PlanStore,
) -> None:
    settings = make_settings(BATCHBOT_TEAM=f"{NY_USER},{TOKYO_USER},{BERLIN_USER}")
    core = make_core(database, messenger, clock, store, settings)
    assert run(LEAD, f"timeoff <@{BERLIN_USER}> from 2026-11-23 until 2026-11-27", store, core).ok
    blocked = "Blocked on the vendor API keys. Next I mock the client."
    assert core.submit(NY_USER, "Alice Adams", blocked, "dm").ok
    core.people.profile(TOKYO_USER)  # the users cache knows Kenji's name
    early = core.digest.run(utc(2026, 11, 24, 16, 29))  # 11:29 in New York
    assert early.sent == 0 and "not due" in early.summary
    results = [core.digest.run(utc(2026, 11, 24, 16, m)) for m in (30, 35, 40)]
    assert [r.sent for r in results] == [1, 0, 0]
    (post,) = digest_posts(fake)
    assert post["text"] == (
        "Standup digest Tue 24 Nov: answered 1 of 2 — missing: Kenji Kato — 1 new blocker"
    )
    shown = post["blocks"][0]["text"]["text"]
    assert "(1 on time off)" in shown and "Bea" not in shown
    assert "*Alice Adams*: Blocked on the vendor API keys." in shown
    parent = next(m for m in fake.messages(CHANNEL) if "thread_ts" not in m)
    assert post["thread_ts"] == parent["ts"]
    # A restarted process (a fresh core on the same database) does not post it again.
    again = make_core(database, messenger, clock, store, settings)
    assert again.digest.run(utc(2026, 11, 24, 17)).sent == 0
    assert len(digest_posts(fake)) == 1
    assert again.digest.run(utc(2026, 11, 25, 16, 30)).sent == 1  # the next day's


def test_no_digest_on_a_holiday_or_a_weekend(
    fake: FakeSlack, core: Standups, store: PlanStore
) -> None:
    assert run(ALICE, "holiday add 2026-11-25", store, core).ok
    assert core.digest.run(utc(2026, 11, 25, 17)).sent == 0
    assert core.digest.run(utc(2026, 11, 28, 17)).sent == 0
    assert digest_posts(fake) == [] and dms(fake) == []


# --------------------------------------------------------------------------- other edges


def test_the_calendar_words_work_on_the_command_line(plan_file: Path, tmp_path: Path) -> None:
    env = {
        "EXECUTION_PLAN_PATH": str(plan_file),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "BATCHBOT_HOLIDAY_COUNTRY": "US",
    }
    added = run_cli("holiday", "add", "2026-12-24", "Christmas", "Eve", env=env, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "commit " in added.stdout
    off = run_cli("timeoff", f"<@{NY_USER}>", "from", "2026-12-01", env=env, cwd=tmp_path)
    assert off.returncode == 0, off.stderr
    listed = run_cli("holiday", "list", env=env, cwd=tmp_path)
    assert "2026-12-24 Thu — Christmas Eve" in listed.stdout
    assert "2026-12-25 Fri — Christmas Day (US)" in listed.stdout
    bad = run_cli("timeoff", "me", "from", "2026-12-01", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "no Slack id" in bad.stderr
    assert "timeoff" in run_cli("help").stdout


def test_the_calendar_words_work_in_the_shell() -> None:
    script = "/batch timeoff from 2026-12-07 until 2026-12-08\n/batch timeoff list\n"
    result = run_cli("shell", "--demo", stdin=script)
    assert result.returncode == 0, result.stderr
    assert "ULOCALUSER" not in result.stdout  # the person at the terminal, by their git name
    assert "Time off ahead" in result.stdout and ": 2026-12-07 until 2026-12-08" in result.stdout
    assert "unknown user" not in result.stdout


def test_the_digest_runs_from_the_command_line_once_and_is_listed(
    plan_file: Path, tmp_path: Path
) -> None:
    env = {
        "EXECUTION_PLAN_PATH": str(plan_file),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
        "BATCHBOT_TEAM": NY_USER,
        "BATCHBOT_STANDUP_CHANNEL": CHANNEL,
        "BATCHBOT_TIMEZONE": "America/New_York",
    }
    at = "2026-11-24T11:30:00-05:00"
    first = run_cli("jobs", "run", "standup-digest", "--at", at, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "standup-digest: 2026-11-24: answered 0 of 1" in first.stdout
    assert "missing: unknown user" in first.stdout  # no Slack to name them: never the id
    again = run_cli("jobs", "run", "standup-digest", "--at", at, env=env, cwd=tmp_path)
    assert "already posted" in again.stdout
    listed = run_cli("jobs", "list", env=env, cwd=tmp_path)
    assert "standup-digest" in listed.stdout and "11:30 America/New_York" in listed.stdout
