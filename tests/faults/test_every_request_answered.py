"""Issue 19: every request answered, at any load a team can make — through the real
`batchbot serve` process, the fake Slack Web API on loopback, requests signed as Slack signs.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.test_slack_e2e import TOKEN, USERS, Bot, running, start_bot
from tests.fakeslack import FakeSlack

pytestmark = pytest.mark.e2e
STANDUP = "Fixed the flaky CI job. Next I review the OWASP list."


@pytest.fixture
def fake() -> FakeSlack:
    with FakeSlack(token=TOKEN, team_id="T0TEAM", users=USERS) as f:
        yield f  # type: ignore[misc]


def healthz(bot: Bot) -> tuple[int, dict]:  # type: ignore[type-arg]
    try:
        with urllib.request.urlopen(bot.url.replace("/slack/events", "/healthz")) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_deleted_database_refuses_writes_and_fails_healthz(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Item 7: `rm batchbot.db*` while serving was answered "Saved" and /healthz stayed ok."""
    env = {"BATCHBOT_TEAM": "U0ALICE,U0BOB", "BATCHBOT_STANDUP_CHANNEL": "C0STAND"}
    with running(start_bot(tmp_path, fake, extra_env=env)) as bot:
        bot.slash(f"standup {STANDUP}", key="before")
        assert "Saved your standup" in json.dumps(bot.reply("before"))
        assert healthz(bot)[0] == 200
        for path in tmp_path.glob("bot.db*"):
            path.unlink()
        bot.slash(f"standup {STANDUP}", key="after")
        answer = json.dumps(bot.reply("after"), ensure_ascii=False)
        assert "Saved" not in answer
        assert "not saved" in answer and "was deleted" in answer and "restart" in answer
        status, data = healthz(bot)
        assert status == 503 and data["ok"] is False and "was deleted" in data["database"]
        assert not list(tmp_path.glob("bot.db*"))  # and no empty database made in its place


def test_a_slow_response_url_does_not_delay_anyone_elses_reply(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Item 2: with 24 response_urls answering in 25 s, others' replies came 24 s late (replies
    shared a 16-thread pool with blocking HTTP calls)."""
    fake.response_delays["slow"] = 25.0
    # The 24 slow replies are still pending when the test ends; the stop need not give them
    # the default 8 s (the shutdown test below checks that budget).
    quick_stop = {"BATCHBOT_SHUTDOWN_SECONDS": "2"}
    with running(start_bot(tmp_path, fake, extra_env=quick_stop)) as bot:
        for i in range(24):
            assert bot.slash("status", key=f"slow{i}")[0] == 200
        time.sleep(1.0)  # the slow posts are in flight now
        late = []
        for i in range(6):
            acked = time.time()
            assert bot.slash("status batch-2", key=f"fast{i}")[0] == 200
            (reply,) = fake.wait_for_response(f"fast{i}", 1, timeout=30)
            late.append(reply.time - acked)
        # the bench's goal is ≤ 1 s (bench/bench_faults.py slow); a loaded CI host gets room
        assert max(late) < 3.0, late


def test_sigterm_with_slow_replies_pending_exits_within_ten_seconds_writes_committed(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Item 4: SIGTERM with slow replies pending took 36 s; hosts kill at 30 s."""
    fake.response_delay = 25.0
    bot = start_bot(tmp_path, fake)
    before = bot.commits()
    with running(bot):
        for i in range(24):
            assert bot.slash("status", key=f"s{i}")[0] == 200
        for i in range(4):
            assert bot.slash(f"update batch-{i + 1} notes=term{i}", key=f"u{i}")[0] == 200
        time.sleep(0.5)
        started = time.monotonic()
        bot.proc.send_signal(signal.SIGTERM)
        assert bot.proc.wait(30) == 0
        took = time.monotonic() - started
    log = bot.logs()
    assert took <= 10.5, (took, log[-3000:])
    assert bot.commits() == before + 4  # every acknowledged write landed
    assert "not sent" in log and "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize(
    ("text", "failure", "said", "typed"),
    [
        (
            "update batch-1",
            {"status": 429, "retry_after": 30},
            "ratelimited",
            "/batch update batch-1 status=… progress=…",
        ),
        ("update batch-2", {"status": 500}, "internal_error", "/batch update batch-2 status="),
        ("standup", {"error": "expired_trigger_id"}, "expired_trigger_id", "/batch standup <2–3"),
    ],
)
def test_a_form_that_cannot_open_is_answered_at_once_with_the_typed_command(
    tmp_path: Path,
    fake: FakeSlack,
    text: str,
    failure: dict[str, object],
    said: str,
    typed: str,
) -> None:
    """Item 3: when views.open failed, `/batch update batch-1` and `/batch standup` got an ack
    and then nothing for as long as the retries slept (a 429 with Retry-After: 30)."""
    with running(start_bot(tmp_path, fake)) as bot:
        fake.fail_next("views.open", times=5, **failure)  # type: ignore[arg-type]
        acked = time.time()
        assert bot.slash(text, key="form")[0] == 200
        (reply,) = fake.wait_for_response("form", 1, timeout=30)
        assert reply.time - acked < 3.0
        shown = json.dumps(reply.body, ensure_ascii=False)
        assert f"The form could not open (Slack said {said})" in shown
        assert typed.replace("<", "&lt;") in shown
        assert len(fake.calls_to("views.open")) == 1  # no retry: the trigger would be stale


def test_a_burst_of_a_thousand_commands_is_absorbed_not_refused(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Item 1: 1,000 signed commands at concurrency 16, every fifth an update: 63 of the 200
    updates were answered "batchbot is busy right now; nothing was done — try again"."""
    with running(start_bot(tmp_path, fake)) as bot:
        before = bot.commits()
        items = [
            (f"update batch-{i // 5 % 5 + 1} notes=burst-{i}" if i % 5 == 4 else "status", f"b{i}")
            for i in range(1000)
        ]
        with ThreadPoolExecutor(16) as pool:
            acks = list(pool.map(lambda item: bot.slash(item[0], key=item[1]), items))
        assert all(status == 200 for status, _ in acks)
        busy = [body for _, body in acks if b"busy" in body]
        assert busy == [], f"{len(busy)} of 1000 refused"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and len(fake.responses) < 1000:
            time.sleep(0.5)
        answered = Counter(r.name for r in fake.responses)
        assert all(answered[key] == 1 for _, key in items), "lost or answered twice"
        assert bot.commits() == before + 200  # every update committed, once


def test_a_button_whose_form_cannot_open_answers_in_its_dm_with_the_typed_command(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Item 3 for buttons: **Track it** under a standup opened nothing and said nothing when
    views.open failed."""
    from bot.render.lead_blocks import BLOCKER_TRACK
    from tests.e2e.test_lead_e2e import click

    with running(start_bot(tmp_path, fake)) as bot:
        fake.fail_next("views.open", error="expired_trigger_id")
        click(bot, BLOCKER_TRACK, "Blocked on the vendor's API keys.")
        (said,) = fake.wait_for("chat.postMessage", 1, timeout=15)
        assert said.args["channel"] == "DU0ALICE"
        shown = json.dumps(said.args, ensure_ascii=False)
        assert "The form could not open (Slack said expired_trigger_id)" in shown
        assert "/batch blocker add &lt;batch-id&gt;" in shown
