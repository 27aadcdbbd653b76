"""Issue 19: every request answered, at any load a team can make — through the real
`batchbot serve` process, the fake Slack Web API on loopback, requests signed as Slack signs.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
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
    with running(start_bot(tmp_path, fake)) as bot:
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
