"""Specs for Standups against a real database file and the fake Slack Web API.

Each test runs on a SQLite file and (with BATCHBOT_TEST_POSTGRES_URL) on PostgreSQL. Chat
goes through a real ``slack_sdk.WebClient`` over loopback HTTP to ``tests/fakeslack``,
behind ``WebClientMessenger`` below (the same protocol as the production adapter). Time
is a ``FakeClock``; nothing reads the wall clock. 2026-11-24 is a Tuesday.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, cast

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.commands import Command, Context, handle
from bot.db import PROMPT_JOB, REMINDER_JOB, Database, prompt_key
from bot.messenger import MessengerError, Posted, UserInfo
from bot.people.names import UNKNOWN
from bot.plan.store import Actor, PlanStore
from bot.render.standup_blocks import modal_date, standup_modal
from bot.replies import ErrorView, OpenModal, Reply, StandupListView, TextView
from bot.runtime import standup_config
from bot.settings import Settings
from bot.standup.answers import THREAD_JOB
from bot.standup.schedule import next_prompt_instants
from bot.standup.service import Standups, build_standups
from tests.conftest_db import database_fixture, db_url_fixture  # noqa: F401
from tests.fakeslack import FakeSlack

TOKEN = "xoxb-test"
NY_USER = "UNEWYORK1"
TOKYO_USER = "UTOKYO001"
USERS = {
    NY_USER: {"name": "alice", "real_name": "Alice Adams", "tz": "America/New_York"},
    TOKYO_USER: {"name": "kenji", "real_name": "Kenji Kato", "tz": "Asia/Tokyo"},
}
CHANNEL = "CSTANDUP"
TWO_SENTENCES = "Finished the CSV importer. Next I will wire it into the nightly job."
THREE_SENTENCES = "Fixed the login bug. Reviewed two PRs. Tomorrow I start on exports."


# --------------------------------------------------------------------------- plumbing


class WebClientMessenger:
    """A minimal Messenger over slack_sdk, as the production adapter does it."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self.bot_user_id = str(client.auth_test()["user_id"])

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return self.client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            raise MessengerError(f"{method}: {exc.response.get('error')}") from exc

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> Posted:
        args: dict[str, Any] = {"channel": channel, "text": text}
        if blocks is not None:
            args["blocks"] = blocks
        if thread_ts is not None:
            args["thread_ts"] = thread_ts
        resp = self._call("chat.postMessage", **args)
        return Posted(str(resp["channel"]), str(resp["ts"]))

    def update(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        args: dict[str, Any] = {"channel": channel, "ts": ts, "text": text}
        if blocks is not None:
            args["blocks"] = blocks
        self._call("chat.update", **args)

    def dm(self, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> Posted:
        return self.post(user_id, text, blocks)

    def upload(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def user_info(self, user_id: str) -> UserInfo | None:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            if exc.response.get("error") == "user_not_found":
                return None
            raise MessengerError(f"users.info: {exc.response.get('error')}") from exc
        if user.get("is_bot") or user.get("deleted"):
            return None
        return UserInfo(user["id"], user["name"], user.get("real_name", ""), user["tz"])

    def channel_members(self, channel: str) -> list[str]:
        members: list[str] = []
        cursor = ""
        while True:
            resp = self._call("conversations.members", channel=channel, cursor=cursor, limit=100)
            members += resp["members"]
            cursor = resp.get("response_metadata", {}).get("next_cursor") or ""
            if not cursor:
                return members


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "BATCHBOT_TEAM": f"{NY_USER},{TOKYO_USER}",
        "BATCHBOT_STANDUP_CHANNEL": CHANNEL,
        "BATCHBOT_TIMEZONE": "America/New_York",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def make_service(db: Database, messenger: Any, clock: FakeClock, settings: Settings) -> Standups:
    """The standup core as the runtime wires it, from these settings."""
    return build_standups(db=db, messenger=messenger, config=standup_config(settings), clock=clock)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, users=USERS) as f:
        yield f


def make_client(fake: FakeSlack) -> WebClient:
    return WebClient(
        token=TOKEN,
        base_url=fake.url,
        retry_handlers=[
            ConnectionErrorRetryHandler(),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


@pytest.fixture
def messenger(fake: FakeSlack) -> WebClientMessenger:
    return WebClientMessenger(make_client(fake))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc(2026, 11, 24, 12, 0))


@pytest.fixture
def service(database: Database, messenger: WebClientMessenger, clock: FakeClock) -> Standups:
    return make_service(database, messenger, clock, make_settings())


def dms(fake: FakeSlack) -> list[str]:
    """User ids that received a DM (chat.postMessage to a user id), in order."""
    return [
        str(c.args["channel"])
        for c in fake.calls_to("chat.postMessage")
        if c.ok and str(c.args["channel"]).startswith("U")
    ]


def tick(
    service: Standups, clock: FakeClock, start: datetime, end: datetime, step_min: int = 1
) -> dict[str, list[datetime]]:
    """Run both jobs every ``step_min`` minutes in [start, end), as the scheduler does.

    Returns who got a DM at which instant.
    """
    got: dict[str, list[datetime]] = {}
    at = start
    while at < end:
        clock.now = at
        for result in (service.prompts.run_prompts(at), service.prompts.run_reminders(at)):
            if result.sent:
                got.setdefault(result.job, []).append(at)
        at += timedelta(minutes=step_min)
    return got


def prompts_by_user(
    fake: FakeSlack, service: Standups, clock: FakeClock, start: datetime, end: datetime
) -> dict[str, list[datetime]]:
    """Tick prompts only, minute by minute, recording which user got a DM at which instant."""
    got: dict[str, list[datetime]] = {}
    at = start
    seen = len(dms(fake))
    while at < end:
        clock.now = at
        service.prompts.run_prompts(at)
        now_dms = dms(fake)
        for user in now_dms[seen:]:
            got.setdefault(user, []).append(at)
        seen = len(now_dms)
        at += timedelta(minutes=1)
    return got


def thread_parents(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake.messages(CHANNEL) if "thread_ts" not in m]


def thread_replies(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake.messages(CHANNEL) if "thread_ts" in m]


def slash(actor: Actor, text: str, service: Standups, origin: str = "slack") -> Reply:
    """Run `/batch <text>` through the real /batch grammar into the service."""
    ctx = Context(
        store=cast(PlanStore, None),
        clock=service.clock,
        standups=service,
    )
    return handle(Command.from_text(actor, text, origin, channel="CANY"), ctx)  # type: ignore[arg-type]


ALICE = Actor("Alice Adams", slack_id=NY_USER)
KENJI = Actor("Kenji Kato", slack_id=TOKYO_USER)


# --------------------------------------------------------------------------- prompts


def test_prompts_reach_new_york_and_tokyo_at_0930_local_which_is_1430_and_0030_utc(
    fake: FakeSlack, service: Standups, clock: FakeClock
) -> None:
    got = prompts_by_user(fake, service, clock, utc(2026, 11, 24, 0, 0), utc(2026, 11, 25, 0, 0))
    assert got == {TOKYO_USER: [utc(2026, 11, 24, 0, 30)], NY_USER: [utc(2026, 11, 24, 14, 30)]}
    # The DM carries the "Write standup" button for that local date.
    call = next(c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == NY_USER)
    buttons = [e for b in call.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("standup_open", "2026-11-24")]
    assert fake.messages(f"D{NY_USER}")  # landed in the DM channel


def test_the_dst_week_in_new_york_still_prompts_at_0930_local(
    fake: FakeSlack, database: Database, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    settings = make_settings(BATCHBOT_TEAM=NY_USER)
    service = make_service(database, messenger, clock, settings)
    got: dict[date, datetime] = {}
    for day in range(5, 11):  # Thu 5 .. Tue 10 March 2026; DST starts Sun 8 March
        start = utc(2026, 3, day, 12, 0)
        for user, times in prompts_by_user(
            fake, service, clock, start, start + timedelta(hours=4)
        ).items():
            assert user == NY_USER
            for t in times:
                got[t.date()] = t
    assert got == {
        date(2026, 3, 5): utc(2026, 3, 5, 14, 30),
        date(2026, 3, 6): utc(2026, 3, 6, 14, 30),
        date(2026, 3, 9): utc(2026, 3, 9, 13, 30),
        date(2026, 3, 10): utc(2026, 3, 10, 13, 30),
    }


def test_no_prompts_on_the_weekend(fake: FakeSlack, service: Standups, clock: FakeClock) -> None:
    # Sat 00:00 UTC .. Mon 00:00 UTC covers both people's whole Saturday and Sunday mornings.
    got = prompts_by_user(fake, service, clock, utc(2026, 11, 28, 0, 0), utc(2026, 11, 30, 0, 0))
    assert got == {}
    got = prompts_by_user(fake, service, clock, utc(2026, 11, 30, 0, 0), utc(2026, 11, 30, 1, 0))
    assert got == {TOKYO_USER: [utc(2026, 11, 30, 0, 30)]}  # Monday morning in Tokyo


def test_no_prompts_on_configured_holidays(
    fake: FakeSlack, database: Database, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    settings = make_settings(BATCHBOT_HOLIDAYS="2026-11-26")
    service = make_service(database, messenger, clock, settings)
    assert prompts_by_user(fake, service, clock, utc(2026, 11, 26), utc(2026, 11, 27)) == {}
    friday = prompts_by_user(fake, service, clock, utc(2026, 11, 27), utc(2026, 11, 28))
    assert set(friday) == {NY_USER, TOKYO_USER}


def test_no_prompts_or_reminders_on_skipped_days(
    fake: FakeSlack, service: Standups, clock: FakeClock
) -> None:
    clock.now = utc(2026, 11, 24, 12, 0)  # Tue 07:00 in New York
    reply = slash(ALICE, "standup skip until 2026-11-25", service)
    assert reply.ok, reply
    assert isinstance(reply.view, TextView) and "Wed 25 Nov" in reply.view.title
    got = prompts_by_user(fake, service, clock, utc(2026, 11, 24), utc(2026, 11, 27))
    assert got == {
        TOKYO_USER: [utc(2026, 11, 24, 0, 30), utc(2026, 11, 25, 0, 30), utc(2026, 11, 26, 0, 30)],
        NY_USER: [utc(2026, 11, 26, 14, 30)],  # back on Thursday
    }


def test_skipping_today_after_the_prompt_cancels_the_reminder(
    fake: FakeSlack, service: Standups, clock: FakeClock
) -> None:
    sent = tick(service, clock, utc(2026, 11, 24, 14, 0), utc(2026, 11, 24, 15, 0))
    assert sent == {"standup-prompts": [utc(2026, 11, 24, 14, 30)]}
    assert slash(ALICE, "standup skip", service).ok
    assert tick(service, clock, utc(2026, 11, 24, 15, 0), utc(2026, 11, 24, 20, 0)) == {}


def test_skip_refuses_past_dates_and_more_than_60_days(service: Standups) -> None:
    past = slash(ALICE, "standup skip until 2026-11-23", service)
    assert past.exit_code == 1
    assert isinstance(past.view, ErrorView) and "past" in past.view.message
    far = slash(ALICE, "standup skip until 2027-01-24", service)  # 61 days ahead
    assert far.exit_code == 1
    assert isinstance(far.view, ErrorView) and "60 days" in far.view.message
    assert slash(ALICE, "standup skip until 2027-01-23", service).ok  # exactly 60
    bad = slash(ALICE, "standup skip until 2026-13-01", service)
    assert bad.exit_code == 2
    assert NY_USER in service.db.away_users(date(2027, 1, 23))
    assert NY_USER not in service.db.away_users(date(2027, 1, 24))


# --------------------------------------------------------------------------- restarts


def test_a_restart_mid_day_neither_repeats_nor_drops_a_prompt(
    fake: FakeSlack, db_url: str, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    first = Database(db_url)
    a = make_service(first, messenger, clock, make_settings())
    before = prompts_by_user(fake, a, clock, utc(2026, 11, 24, 0, 0), utc(2026, 11, 24, 14, 40))
    first.close()  # the process dies at 09:40 New York time
    second = Database(db_url)
    try:
        b = make_service(second, messenger, clock, make_settings())
        after = prompts_by_user(fake, b, clock, utc(2026, 11, 24, 14, 40), utc(2026, 11, 25, 0, 0))
    finally:
        second.close()
    assert before == {TOKYO_USER: [utc(2026, 11, 24, 0, 30)], NY_USER: [utc(2026, 11, 24, 14, 30)]}
    assert after == {}
    assert dms(fake) == [TOKYO_USER, NY_USER]


def test_down_at_0930_and_back_at_1015_still_sends_the_prompt_once(
    fake: FakeSlack, database: Database, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    settings = make_settings(BATCHBOT_TEAM=NY_USER)
    service = make_service(database, messenger, clock, settings)
    got = prompts_by_user(fake, service, clock, utc(2026, 11, 24, 15, 15), utc(2026, 11, 24, 18))
    assert got == {NY_USER: [utc(2026, 11, 24, 15, 15)]}


def test_back_at_noon_with_120_minutes_grace_sends_nothing_and_logs_it_once(
    fake: FakeSlack,
    database: Database,
    messenger: WebClientMessenger,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(BATCHBOT_TEAM=NY_USER, BATCHBOT_PROMPT_GRACE_MINUTES="120")
    service = make_service(database, messenger, clock, settings)
    with caplog.at_level(logging.WARNING, logger="batchbot.standup"):
        got = prompts_by_user(fake, service, clock, utc(2026, 11, 24, 17), utc(2026, 11, 24, 20))
    assert got == {}
    missed = [r for r in caplog.records if "not sent" in r.getMessage()]
    assert len(missed) == 1 and NY_USER in missed[0].getMessage()
    claim = database.get_claim(PROMPT_JOB, prompt_key(NY_USER, date(2026, 11, 24)))
    assert claim is not None and claim.status == "failed" and claim.detail.startswith("missed")
    # ... and no reminder for a prompt that never went out.
    assert tick(service, clock, utc(2026, 11, 24, 16), utc(2026, 11, 24, 20)) == {}


def test_running_the_job_twice_at_the_same_instant_sends_nothing_twice_unless_forced(
    fake: FakeSlack, service: Standups
) -> None:
    at = utc(2026, 11, 24, 14, 45)
    first = service.prompts.run_prompts(at)
    again = service.prompts.run_prompts(at)
    assert (first.sent, again.sent, again.skipped) == (1, 0, 1)
    assert "already prompted" in again.summary
    forced = service.prompts.run_prompts(at, force=True)
    # --force sends today's prompt even after its window closed: Tokyo's (23:45 there) too.
    # (A `break` used to end the round after New York, so Tokyo was never looked at.)
    assert forced.sent == 2
    assert sorted(dms(fake)) == sorted([NY_USER, NY_USER, TOKYO_USER])


def test_forcing_the_prompt_job_after_an_outage_sends_the_missed_prompt(
    fake: FakeSlack, database: Database, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    settings = make_settings(BATCHBOT_TEAM=NY_USER, BATCHBOT_PROMPT_GRACE_MINUTES="120")
    service = make_service(database, messenger, clock, settings)
    late = utc(2026, 11, 24, 20)  # 15:00 in New York: the 09:30 window closed at 11:30
    assert service.prompts.run_prompts(late).sent == 0  # recorded as missed, not sent
    forced = service.prompts.run_prompts(late, force=True)
    assert forced.sent == 1
    assert dms(fake) == [NY_USER]
    claim = database.get_claim(PROMPT_JOB, prompt_key(NY_USER, date(2026, 11, 24)))
    assert claim is not None and claim.status == "done"
    assert service.prompts.run_prompts(late).sent == 0  # and only once without --force


def test_a_failed_dm_is_logged_released_and_retried_on_the_next_tick(
    fake: FakeSlack,
    service: Standups,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.fail_next("chat.postMessage", error="channel_not_found")
    with caplog.at_level(logging.ERROR, logger="batchbot.standup"):
        failed = service.prompts.run_prompts(utc(2026, 11, 24, 14, 30))
    assert (failed.sent, failed.failed) == (0, 1)
    assert any("failed" in r.getMessage() and NY_USER in r.getMessage() for r in caplog.records)
    assert database.get_claim(PROMPT_JOB, prompt_key(NY_USER, date(2026, 11, 24))) is None
    retried = service.prompts.run_prompts(utc(2026, 11, 24, 14, 31))
    assert (retried.sent, retried.failed) == (1, 0)
    claim = database.get_claim(PROMPT_JOB, prompt_key(NY_USER, date(2026, 11, 24)))
    assert claim is not None and claim.status == "done" and claim.detail.startswith("D")


def test_two_processes_ticking_together_prompt_each_person_once(
    fake: FakeSlack, db_url: str, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    dbs = [Database(db_url), Database(db_url)]
    services = [make_service(d, messenger, clock, make_settings()) for d in dbs]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def run(s: Standups) -> None:
        barrier.wait()
        results.append(s.prompts.run_prompts(utc(2026, 11, 24, 14, 30)).sent)

    try:
        threads = [threading.Thread(target=run, args=(s,)) for s in services]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        for d in dbs:
            d.close()
    assert sorted(results) == [0, 1]
    assert dms(fake) == [NY_USER]


# --------------------------------------------------------------------------- reminders


def test_one_reminder_two_hours_after_the_prompt_and_only_one(
    fake: FakeSlack, service: Standups, clock: FakeClock
) -> None:
    got = tick(service, clock, utc(2026, 11, 24, 14, 0), utc(2026, 11, 24, 23, 0))
    assert got == {
        "standup-prompts": [utc(2026, 11, 24, 14, 30)],
        "standup-reminders": [utc(2026, 11, 24, 16, 30)],
    }
    assert dms(fake) == [NY_USER, NY_USER]
    reminder = fake.calls_to("chat.postMessage")[-1]
    assert "Reminder" in reminder.args["text"]
    claim = service.db.get_claim(REMINDER_JOB, prompt_key(NY_USER, date(2026, 11, 24)))
    assert claim is not None and claim.status == "done"


def test_the_reminder_is_not_repeated_after_a_restart(
    fake: FakeSlack, db_url: str, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    settings = make_settings(BATCHBOT_TEAM=NY_USER)
    first = Database(db_url)
    a = make_service(first, messenger, clock, settings)
    got = tick(a, clock, utc(2026, 11, 24, 14, 0), utc(2026, 11, 24, 16, 35))
    first.close()
    second = Database(db_url)
    try:
        b = make_service(second, messenger, clock, settings)
        again = tick(b, clock, utc(2026, 11, 24, 16, 35), utc(2026, 11, 24, 19, 0))
    finally:
        second.close()
    assert got["standup-reminders"] == [utc(2026, 11, 24, 16, 30)]
    assert again == {}
    assert dms(fake) == [NY_USER, NY_USER]


def test_no_reminder_for_someone_who_answered(
    fake: FakeSlack, service: Standups, clock: FakeClock
) -> None:
    tick(service, clock, utc(2026, 11, 24, 14, 0), utc(2026, 11, 24, 15, 0))
    clock.now = utc(2026, 11, 24, 15, 0)
    assert service.submit(NY_USER, "Alice Adams", TWO_SENTENCES, "dm").ok
    assert tick(service, clock, utc(2026, 11, 24, 15, 0), utc(2026, 11, 24, 23, 0)) == {}


# --------------------------------------------------------------------------- answering


def test_slash_command_submits_for_today_in_the_callers_zone_and_posts_in_the_day_thread(
    fake: FakeSlack, service: Standups, clock: FakeClock, database: Database
) -> None:
    clock.now = utc(2026, 11, 25, 3, 0)  # Tue 22:00 in New York, Wed 12:00 in Tokyo
    reply = slash(ALICE, f"standup {TWO_SENTENCES}", service)
    assert reply.ok, reply
    assert isinstance(reply.view, TextView) and "Tue 24 Nov" in reply.view.title
    record = database.get_standup(NY_USER, date(2026, 11, 24))
    assert record is not None
    assert (record.text, record.source, record.user_name) == (TWO_SENTENCES, "slash", "Alice Adams")
    reply = slash(KENJI, f"standup {THREE_SENTENCES}", service)
    assert isinstance(reply.view, TextView) and "Wed 25 Nov" in reply.view.title
    parents = sorted(m["text"] for m in thread_parents(fake))
    assert parents == ["Daily standup — Tue 24 Nov", "Daily standup — Wed 25 Nov"]
    stored = database.get_standup(NY_USER, date(2026, 11, 24))
    assert stored is not None and stored.channel == CHANNEL and stored.ts


@pytest.mark.parametrize("source", ["dm", "modal"])
def test_dm_and_modal_answers_are_stored_with_their_source_and_posted(
    fake: FakeSlack, service: Standups, database: Database, source: str
) -> None:
    reply = service.submit(NY_USER, "Alice Adams", THREE_SENTENCES, source)
    assert reply.ok
    record = database.get_standup(NY_USER, date(2026, 11, 24))
    assert record is not None and record.source == source
    (post,) = thread_replies(fake)
    (parent,) = thread_parents(fake)
    assert post["thread_ts"] == parent["ts"] and post["ts"] == record.ts
    assert post["blocks"][0]["text"]["text"] == f"*Alice Adams*: {THREE_SENTENCES}"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Fixed the login bug on the release branch", "1 sentence"),
        ("Fixed it. Reviewed PRs. Wrote docs. Planned the sprint.", "4 sentences"),
    ],
)
def test_one_or_four_sentences_are_refused_quoting_the_text_and_storing_nothing(
    fake: FakeSlack, service: Standups, database: Database, text: str, count: str
) -> None:
    for reply in (
        service.submit(NY_USER, "Alice Adams", text, "modal"),
        slash(ALICE, f"standup {text}", service),
    ):
        assert reply.exit_code == 1
        assert isinstance(reply.view, ErrorView)
        assert count in reply.view.message
        assert text in reply.view.hint
    assert database.get_standup(NY_USER, date(2026, 11, 24)) is None
    assert fake.calls_to("chat.postMessage") == []


def test_resubmitting_replaces_the_update_and_edits_the_channel_post(
    fake: FakeSlack, service: Standups, database: Database
) -> None:
    service.submit(NY_USER, "Alice Adams", TWO_SENTENCES, "dm")
    reply = service.submit(NY_USER, "Alice Adams", THREE_SENTENCES, "modal")
    assert isinstance(reply.view, TextView) and reply.view.title.startswith("Replaced")
    records = database.standups_between(date(2026, 11, 24), date(2026, 11, 24))
    assert [(r.text, r.source) for r in records] == [(THREE_SENTENCES, "modal")]
    (post,) = thread_replies(fake)
    assert THREE_SENTENCES in post["text"] and "edited" in post
    assert len(fake.calls_to("chat.update")) == 1
    assert len(fake.calls_to("chat.postMessage")) == 2  # the day's parent + one reply


def test_text_shown_in_slack_is_escaped(fake: FakeSlack, service: Standups) -> None:
    text = "Paged <!channel> & <@U999> about <https://x.io|the outage>. Next I write it up."
    service.people.names.remember(  # a name is user text too
        UserInfo(NY_USER, "alice", "Alice Adams", "America/New_York", display_name="Alice <Admin>")
    )
    assert service.submit(NY_USER, "alice", text, "dm").ok
    (post,) = thread_replies(fake)
    shown = post["blocks"][0]["text"]["text"]
    assert "<" not in shown and ">" not in shown
    assert "&lt;!channel&gt; &amp; &lt;@U999&gt;" in shown
    assert shown.startswith("*Alice &lt;Admin&gt;*: ")


def test_without_a_standup_channel_the_update_is_stored_and_the_reply_says_so(
    fake: FakeSlack, database: Database, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    settings = make_settings(BATCHBOT_STANDUP_CHANNEL="")
    service = make_service(database, messenger, clock, settings)
    reply = service.submit(NY_USER, "Alice Adams", TWO_SENTENCES, "slash")
    assert reply.ok and isinstance(reply.view, TextView)
    assert "no standup channel" in reply.view.lines[0]
    assert database.get_standup(NY_USER, date(2026, 11, 24)) is not None
    assert fake.calls_to("chat.postMessage") == []


def test_a_failed_channel_post_keeps_the_update_and_says_so(
    fake: FakeSlack, service: Standups, database: Database
) -> None:
    fake.fail_next("chat.postMessage", error="not_in_channel")
    reply = service.submit(NY_USER, "Alice Adams", TWO_SENTENCES, "dm")
    assert isinstance(reply.view, TextView) and "failed" in reply.view.lines[0]
    assert database.get_standup(NY_USER, date(2026, 11, 24)) is not None
    # Sending again posts it (and creates the day's thread now).
    assert (
        "Posted" in cast(TextView, service.submit(NY_USER, "A", TWO_SENTENCES, "dm").view).lines[0]
    )
    assert len(thread_parents(fake)) == 1 and len(thread_replies(fake)) == 1


def test_standup_without_text_opens_the_modal_in_slack_and_explains_elsewhere(
    fake: FakeSlack, service: Standups, messenger: WebClientMessenger
) -> None:
    in_slack = slash(ALICE, "standup", service)
    assert in_slack.modal == OpenModal("standup")
    in_shell = slash(Actor("Local Person"), "standup", service, origin="shell")
    assert in_shell.exit_code == 2 and in_shell.modal is None
    # The modal passes Slack's view checks (title ≤ 24 chars, one multiline input).
    view = standup_modal(service.local_today(NY_USER))
    messenger.client.views_open(trigger_id="12345.98765.abcd", view=view)
    (opened,) = fake.calls_to("views.open")
    assert opened.ok, opened.response
    (block,) = view["blocks"]
    assert (view["callback_id"], block["block_id"], block["element"]["action_id"]) == (
        "standup_submit",
        "standup",
        "text",
    )
    assert block["element"]["multiline"] is True and block["element"]["max_length"] == 1000


def test_the_shell_user_submits_and_lists_as_local(
    fake: FakeSlack, service: Standups, database: Database
) -> None:
    me = Actor("Local Person")
    assert slash(me, f"standup {TWO_SENTENCES}", service, origin="shell").ok
    record = database.get_standup("local", date(2026, 11, 24))
    assert record is not None and record.source == "shell" and record.user_name == "Local Person"
    listed = slash(me, "standup list", service, origin="shell")
    assert isinstance(listed.view, StandupListView)
    assert listed.view.rows == (("2026-11-24", "Local Person", TWO_SENTENCES),)


def test_a_standup_starting_with_skip_or_list_is_a_standup(
    service: Standups, database: Database
) -> None:
    text = "Skip tests are gone from CI. Next I delete the flaky ones."
    assert slash(ALICE, f"standup {text}", service).ok
    record = database.get_standup(NY_USER, date(2026, 11, 24))
    assert record is not None and record.text == text
    assert NY_USER not in database.away_users(date(2026, 11, 24))


# --------------------------------------------------------------------------- list


def test_list_shows_my_last_ten_by_default_newest_first(
    service: Standups, clock: FakeClock
) -> None:
    day = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    workdays = [d for d in (day + timedelta(days=n) for n in range(16)) if d.weekday() < 5]
    for n, when in enumerate(workdays[:12]):  # (a weekend answer is Monday's standup)
        clock.now = when
        assert service.submit(NY_USER, "Alice Adams", f"Day {n} done. More tomorrow.", "dm").ok
    reply = slash(ALICE, "standup list", service)
    assert isinstance(reply.view, StandupListView)
    assert len(reply.view.rows) == 10
    assert reply.view.rows[0] == ("2026-11-17", "Alice Adams", "Day 11 done. More tomorrow.")
    assert reply.view.rows[-1][0] == "2026-11-04"


def test_list_by_person_or_by_date(service: Standups, clock: FakeClock) -> None:
    service.submit(NY_USER, "Alice Adams", TWO_SENTENCES, "dm")
    clock.now = utc(2026, 11, 24, 16)  # 01:00 Wed 25 in Tokyo
    service.submit(TOKYO_USER, "Kenji Kato", THREE_SENTENCES, "dm")
    by_mention = slash(ALICE, f"standup list <@{TOKYO_USER}|kenji>", service)
    by_name = slash(ALICE, "standup list @kenji", service)
    for reply in (by_mention, by_name):
        assert isinstance(reply.view, StandupListView), reply
        assert reply.view.rows == (("2026-11-25", "Kenji Kato", THREE_SENTENCES),)
    by_date = slash(KENJI, "standup list 2026-11-24", service)
    assert isinstance(by_date.view, StandupListView)
    assert by_date.view.rows == (("2026-11-24", "Alice Adams", TWO_SENTENCES),)
    unknown = slash(ALICE, "standup list @nobody", service)
    assert unknown.exit_code == 2


# --------------------------------------------------------------------------- day thread


def test_the_day_thread_is_created_once_even_after_a_restart(
    fake: FakeSlack, db_url: str, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    first = Database(db_url)
    a = make_service(first, messenger, clock, make_settings())
    a.submit(NY_USER, "Alice Adams", TWO_SENTENCES, "dm")
    first.close()
    second = Database(db_url)
    try:
        b = make_service(second, messenger, clock, make_settings())
        clock.now = utc(2026, 11, 24, 14, 0)  # 23:00 in Tokyo, still Tue 24 there
        b.submit(TOKYO_USER, "Kenji Kato", THREE_SENTENCES, "dm")
        assert second.get_claim(THREAD_JOB, f"{CHANNEL}:2026-11-24") is not None
    finally:
        second.close()
    (parent,) = thread_parents(fake)
    assert parent["text"] == "Daily standup — Tue 24 Nov"
    assert [r["thread_ts"] for r in thread_replies(fake)] == [parent["ts"], parent["ts"]]


class SlowParents:
    """Delays posting a thread parent so two racing processes overlap for sure."""

    def __init__(self, inner: WebClientMessenger, delay: float) -> None:
        self.inner, self.delay = inner, delay
        self.bot_user_id = inner.bot_user_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def post(self, channel: str, text: str, blocks: Any = None, thread_ts: Any = None) -> Posted:
        if thread_ts is None:
            time.sleep(self.delay)
        return self.inner.post(channel, text, blocks, thread_ts)


def test_two_services_on_one_database_in_two_threads_create_one_day_thread(
    fake: FakeSlack, db_url: str, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    slow = SlowParents(messenger, delay=0.5)
    dbs = [Database(db_url), Database(db_url)]
    services = [
        make_service(d, slow, clock, make_settings())  # type: ignore[arg-type]
        for d in dbs
    ]
    clock.now = utc(2026, 11, 24, 14, 0)
    barrier = threading.Barrier(2)
    replies: list[Reply] = []

    def run(s: Standups, user: str) -> None:
        barrier.wait()
        replies.append(s.submit(user, user, TWO_SENTENCES, "dm"))

    try:
        threads = [
            threading.Thread(target=run, args=(services[0], NY_USER)),
            threading.Thread(target=run, args=(services[1], TOKYO_USER)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        for d in dbs:
            d.close()
    assert [cast(TextView, r.view).lines[0].startswith("Posted") for r in replies] == [True, True]
    (parent,) = thread_parents(fake)
    assert [r["thread_ts"] for r in thread_replies(fake)] == [parent["ts"], parent["ts"]]


# --------------------------------------------------------------------------- team, report


def test_a_team_channel_prompts_its_people_but_not_the_bot(
    database: Database, clock: FakeClock
) -> None:
    users = {**USERS, "UBERLIN01": {"name": "bea", "tz": "Europe/Berlin"}}
    with FakeSlack(token=TOKEN, users=users, channels={"CTEAM": [NY_USER, "UBOT"]}) as fake:
        messenger = WebClientMessenger(make_client(fake))
        settings = make_settings(BATCHBOT_TEAM="", BATCHBOT_TEAM_CHANNEL="CTEAM")
        service = make_service(database, messenger, clock, settings)
        got = prompts_by_user(fake, service, clock, utc(2026, 11, 24), utc(2026, 11, 25))
        assert got == {NY_USER: [utc(2026, 11, 24, 14, 30)]}
        # users.info is cached for a day: one call for Alice (and one for the bot), not 1,440.
        assert len(fake.calls_to("users.info")) <= 2
        assert len(fake.calls_to("conversations.members")) <= 1440 // 10 + 1


def test_week_standups_and_display_names_feed_the_report(
    service: Standups, clock: FakeClock
) -> None:
    service.submit(NY_USER, "Alice Adams", TWO_SENTENCES, "dm")
    clock.now = utc(2026, 11, 26, 15)
    service.submit(NY_USER, "Alice Adams", "Blocked on the vendor API. Waiting for keys.", "dm")
    week = service.standups_between(date(2026, 11, 23), date(2026, 11, 27))
    assert [r.local_date for r in week] == [date(2026, 11, 24), date(2026, 11, 26)]
    assert service.display_name(NY_USER) == "Alice Adams"
    assert service.display_name("UNKNOWN1") == UNKNOWN  # never the raw id


def test_next_prompt_and_reminder_instants_for_the_known_zones() -> None:
    zones = ["America/New_York", "Asia/Tokyo"]
    after = utc(2026, 11, 24, 12)
    prompts = next_prompt_instants(after, clock_time(9, 30), zones, (0, 1, 2, 3, 4), count=2)
    assert prompts == [utc(2026, 11, 24, 14, 30), utc(2026, 11, 25, 0, 30)]
    reminders = next_prompt_instants(
        after, clock_time(9, 30), zones, (0, 1, 2, 3, 4), count=2, offset=timedelta(hours=2)
    )
    assert reminders == [utc(2026, 11, 24, 16, 30), utc(2026, 11, 25, 2, 30)]


def test_naive_instants_are_refused(service: Standups) -> None:
    with pytest.raises(ValueError, match="aware"):
        service.prompts.run_prompts(datetime(2026, 11, 24, 14, 30))


def test_the_modal_keeps_the_edges_metadata_and_adds_the_date(
    fake: FakeSlack, messenger: WebClientMessenger
) -> None:
    view = standup_modal("2026-11-24", json.dumps({"channel": "C1", "response_url": "u"}))
    assert json.loads(view["private_metadata"]) == {
        "channel": "C1",
        "response_url": "u",
        "date": "2026-11-24",
    }
    assert modal_date(view["private_metadata"]) == date(2026, 11, 24)
    assert modal_date("not json") is None and modal_date(None) is None
    huge = standup_modal(date(2026, 11, 24), json.dumps({"x": "y" * 4000}), initial_text="z")
    assert json.loads(huge["private_metadata"]) == {"date": "2026-11-24"}
    for v in (view, huge):
        messenger.client.views_open(trigger_id="1.2.3", view=v)
    assert all(c.ok for c in fake.calls_to("views.open"))


def test_a_known_person_keeps_their_zone_when_a_profile_lookup_fails(
    fake: FakeSlack, database: Database, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    settings = make_settings(BATCHBOT_TEAM=TOKYO_USER, BATCHBOT_TIMEZONE="America/New_York")
    service = make_service(database, messenger, clock, settings)
    assert service.prompts.run_prompts(utc(2026, 11, 24, 0, 30)).sent == 1  # caches Tokyo
    # users.info now answers user_not_found (the adapter gives None), then fails outright.
    fake.fail_next("users.info", error="user_not_found", times=30)
    fake.fail_next("users.info", error="internal_error", times=30)
    # A day later the cache is stale; the lookup fails; Tokyo's morning is still used.
    got = prompts_by_user(fake, service, clock, utc(2026, 11, 25, 0, 0), utc(2026, 11, 25, 1, 0))
    assert got == {TOKYO_USER: [utc(2026, 11, 25, 0, 30)]}
    # A fresh process: the stale DB row is all there is.
    service = make_service(database, messenger, clock, settings)
    got = prompts_by_user(fake, service, clock, utc(2026, 11, 26, 0, 0), utc(2026, 11, 26, 1, 0))
    assert got == {TOKYO_USER: [utc(2026, 11, 26, 0, 30)]}
    # Failed lookups are retried every 15 minutes, not every tick.
    assert 3 <= len(fake.calls_to("users.info")) <= 1 + 2 * (60 // 15 + 1)


# --------------------------------------------------------------------------- issue 18 item 13
def test_a_saturday_dm_is_mondays_standup_and_opens_no_weekend_thread(
    fake: FakeSlack, service: Standups, clock: FakeClock, database: Database
) -> None:
    clock.now = utc(2026, 12, 5, 15, 0)  # Sat 5 Dec, 10:00 in New York
    reply = service.submit(NY_USER, "Alice Adams", THREE_SENTENCES, "dm")
    assert reply.ok and isinstance(reply.view, TextView)
    assert reply.view.title == "Saved your standup for Mon 7 Dec"
    assert database.get_standup(NY_USER, date(2026, 12, 5)) is None
    record = database.get_standup(NY_USER, date(2026, 12, 7))
    assert record is not None and record.text == THREE_SENTENCES
    assert [m["text"] for m in thread_parents(fake)] == ["Daily standup — Mon 7 Dec"]


def test_a_holiday_answer_belongs_to_the_next_workday(
    fake: FakeSlack, database: Database, messenger: WebClientMessenger, clock: FakeClock
) -> None:
    svc = make_service(
        database, messenger, clock, make_settings(BATCHBOT_HOLIDAYS="2026-11-26,2026-11-27")
    )
    clock.now = utc(2026, 11, 26, 15, 0)  # Thu 26 Nov (a holiday), Friday too
    reply = svc.submit(NY_USER, "Alice Adams", THREE_SENTENCES, "dm")
    assert isinstance(reply.view, TextView) and "Mon 30 Nov" in reply.view.title
    assert [m["text"] for m in thread_parents(fake)] == ["Daily standup — Mon 30 Nov"]
