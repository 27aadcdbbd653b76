"""People by name, end to end: the real `batchbot serve` and `batchbot jobs` against the fake
Slack. Omar owns work but is not on the team and was never prompted; Bob is on the team and
was never prompted either. Every reply that shows them says their name — never `U0OMAR`, never
an escaped `&lt;@U0OMAR&gt;` — and a profile change reaches the next reply without a lookup."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import clean_env
from tests.e2e.test_slack_e2e import SECRET, TOKEN, Bot, running, start_bot
from tests.fakeslack import JSON, FakeSlack, event_body, post_signed
from tests.serveproc import run_batchbot

pytestmark = pytest.mark.e2e

USERS = {
    "U0ALICE": {"name": "alice", "real_name": "Alice Doe", "tz": "UTC"},
    "U0BOB": {"name": "bob", "real_name": "Bob Roe", "tz": "UTC"},
    "U0OMAR": {"name": "omar", "real_name": "Omar Out", "display_name": "omar.o", "tz": "UTC"},
}
RAW = ("U0OMAR", "U0BOB", "&lt;@", "<@")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, team_id="T0TEAM", users=USERS) as f:
        yield f


@pytest.fixture
def bot(tmp_path: Path, fake: FakeSlack) -> Iterator[Bot]:
    env = {
        "BATCHBOT_TEAM": "U0ALICE,U0BOB",
        "BATCHBOT_EDITORS": "U0ALICE",
        "BATCHBOT_STANDUP_CHANNEL": "C0STAND",
        "BATCHBOT_TIMEZONE": "UTC",
    }
    with running(start_bot(tmp_path, fake, extra_env=env)) as b:
        yield b


def said(bot: Bot, text: str, key: str, user: str = "U0ALICE", name: str = "alice") -> str:
    """The reply to `/batch text` as a person sees it: fallback text and blocks."""
    status, _ = bot.slash(text, user=user, name=name, key=key)
    assert status == 200
    reply = bot.reply(key)
    return json.dumps([reply.get("text", ""), reply.get("blocks", [])], ensure_ascii=False)


def no_raw_ids(shown: str) -> None:
    for raw in RAW:
        assert raw not in shown, f"{raw!r} reached a person: {shown[:400]}"


def test_a_person_never_prompted_is_named_in_every_reply(bot: Bot, fake: FakeSlack) -> None:
    changed = said(bot, "update batch-1 owner=<@U0OMAR|omar>", "own")
    assert "omar.o" in changed
    no_raw_ids(changed)

    status = said(bot, "status", "status")
    assert "omar.o" in status
    no_raw_ids(status)

    one = said(bot, "status batch-1", "one")
    assert "Owner*\\nomar.o" in one and 'owner \\"\\" → omar.o' in one
    no_raw_ids(one)

    history = said(bot, "history", "history")
    assert 'owner \\"\\" → omar.o' in history
    no_raw_ids(history)

    said(bot, "blocker add batch-1 vendor keys missing owner=<@U0OMAR|omar>", "b1")
    blockers = said(bot, "blockers", "blockers")
    assert "(omar.o, 0 days)" in blockers
    no_raw_ids(blockers)

    said(
        bot,
        "risk add Vendor slips probability=high impact=high mitigation=escalate owner=<@U0OMAR>",
        "r1",
    )
    risks = said(bot, "risks", "risks")
    assert "owner omar.o" in risks
    no_raw_ids(risks)

    start, end = dt.date.today() + dt.timedelta(days=2), dt.date.today() + dt.timedelta(days=4)
    off = said(bot, f"timeoff <@U0BOB|bob> from {start} until {end}", "off")
    assert "Time off of Bob Roe" in off
    no_raw_ids(off)
    timeoff = said(bot, "timeoff list", "offlist")
    assert f"Bob Roe: {start} until {end}" in timeoff
    no_raw_ids(timeoff)
    no_raw_ids(said(bot, "history", "history2"))


def test_thread_posts_name_a_person_the_same_way_from_a_dm_and_a_command(
    bot: Bot, fake: FakeSlack
) -> None:
    dm = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0BOB",
        "user": "U0BOB",
        "text": "Fixed the flaky CI job. Next I review the OWASP list.",
        "ts": f"{time.time():.6f}",
    }
    assert post_signed(bot.url, event_body(dm), SECRET, JSON)[0] == 200
    said(bot, "standup Paired on the vendor API. Next the retry budget.", "su", "U0BOB", "bob")
    posts = [c for c in fake.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    updates = fake.calls_to("chat.update")
    texts = [c.args["text"] for c in posts + updates]
    assert texts and all(t.startswith("*Bob Roe*") or "Bob Roe" in t for t in texts), texts
    for t in texts:
        no_raw_ids(t)


def test_a_profile_change_reaches_the_next_reply_without_a_lookup(
    bot: Bot, fake: FakeSlack
) -> None:
    said(bot, "update batch-1 owner=<@U0OMAR|omar>", "own")
    asked = len(fake.calls_to("users.info"))
    user = {
        "id": "U0OMAR",
        "team_id": "T0TEAM",
        "name": "omar",
        "deleted": False,
        "real_name": "Omar Out",
        "tz": "UTC",
        "profile": {"real_name": "Omar Out", "display_name": "Omar the Great"},
    }
    event = {"type": "user_change", "user": user, "event_ts": "1.0", "cache_ts": 1}
    assert post_signed(bot.url, event_body(event), SECRET, JSON)[0] == 200
    deadline = time.monotonic() + 10
    while "Omar the Great" not in (status := said(bot, "status", f"s{time.monotonic()}")):
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    assert len(fake.calls_to("users.info")) == asked, "the event carried the name"


def test_a_rate_limited_lookup_still_answers_at_once_with_a_neutral_name(
    bot: Bot, fake: FakeSlack
) -> None:
    fake.fail_next("users.info", status=429, retry_after=30, times=5)
    started = time.monotonic()
    changed = said(bot, "update batch-1 owner=<@U0OMAR>", "own")
    assert time.monotonic() - started < 5, "a reply never waits out Retry-After for a name"
    assert "unknown user" in changed
    no_raw_ids(changed)
    status = said(bot, "status", "status")  # within Retry-After: no lookup, still an answer
    assert "unknown user" in status
    no_raw_ids(status)
    assert len(fake.calls_to("users.info")) == 1, "paused after the 429, not hammered"


def test_the_digest_names_missing_people_never_prompted(
    bot: Bot, fake: FakeSlack, tmp_path: Path
) -> None:
    today = dt.date.today()
    workday = today - dt.timedelta(days=max(0, today.weekday() - 4))  # this week's Mon–Fri
    at = dt.datetime.combine(workday, dt.time(12, 0), dt.UTC).isoformat()
    result = _jobs(bot, tmp_path, "run", "standup-digest", "--at", at, "--force")
    assert result.returncode == 0, result.stdout + result.stderr
    digest = [c for c in fake.calls_to("chat.postMessage") if "issing" in json.dumps(c.args)]
    assert digest, [c.args for c in fake.calls_to("chat.postMessage")]
    shown = json.dumps(digest[-1].args, ensure_ascii=False)
    assert "Alice Doe" in shown and "Bob Roe" in shown
    no_raw_ids(shown)


def _jobs(bot: Bot, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env: dict[str, Any] = clean_env()
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": bot.fake.url,
            "EXECUTION_PLAN_PATH": str(bot.plan),
            "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
            "BATCHBOT_TEAM": "U0ALICE,U0BOB",
            "BATCHBOT_STANDUP_CHANNEL": "C0STAND",
            "BATCHBOT_TIMEZONE": "UTC",
        }
    )
    return run_batchbot(["jobs", *args], cwd=tmp, env=env, timeout=60)


def test_a_refusal_says_whom_to_ask_by_name(bot: Bot) -> None:
    refused = said(bot, "update batch-2 progress=5", "no", "U0BOB", "bob")
    assert "only an editor of this plan or the batch" in refused
    assert "ask Alice Doe" in refused
    assert "BATCHBOT_" not in refused
    no_raw_ids(refused)
