"""Issue 19: every request answered, at any load a team can make — through the real
`batchbot serve` process, the fake Slack Web API on loopback, requests signed as Slack signs.
"""

from __future__ import annotations

import json
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
