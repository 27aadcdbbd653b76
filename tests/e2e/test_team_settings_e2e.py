"""Team settings edited from Slack, end to end: the real `batchbot serve` over signed HTTP with
the fake Slack Web API, then the real `batchbot jobs` process reading the same plan — the
change is one commit by the lead, and the next standup prompt follows it."""

from __future__ import annotations

import json
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import clean_env, git
from tests.e2e.test_slack_e2e import TOKEN, Bot, running, start_bot
from tests.fakeslack import FakeSlack
from tests.serveproc import run_batchbot

pytestmark = pytest.mark.e2e

ENV = {
    "BATCHBOT_TEAM": "U0ALICE",
    "BATCHBOT_LEAD": "U0BOB",
    "BATCHBOT_STANDUP_CHANNEL": "C0STAND",
}


@pytest.fixture
def bot(tmp_path: Path, fake: FakeSlack) -> Iterator[Bot]:
    with running(start_bot(tmp_path, fake, extra_env=ENV)) as b:
        yield b


def prompts_at(bot: Bot, tmp: Path, at: str) -> subprocess.CompletedProcess[str]:
    env = clean_env()
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": bot.fake.url,
            "EXECUTION_PLAN_PATH": str(bot.plan),
            "DATABASE_URL": f"sqlite:///{tmp / 'jobs.db'}",
            **ENV,
        }
    )
    return run_batchbot(
        ["jobs", "run", "standup-prompts", "--at", at], cwd=tmp, env=env, timeout=60
    )


def test_a_lead_sets_the_prompt_time_from_slack_and_the_next_prompt_follows_it(
    bot: Bot, tmp_path: Path
) -> None:
    # Alice is in New York; Monday 2026-12-07 08:05 there. The environment says 09:30.
    at = "2026-12-07T08:05:00-05:00"
    early = prompts_at(bot, tmp_path, at)
    assert early.returncode == 0, early.stderr
    assert ": 0 sent" in early.stdout, early.stdout

    before = bot.commits()
    bot.slash("settings prompt_time=08:00", user="U0ALICE", name="alice", key="refused")
    assert "only a lead of this plan can change it" in json.dumps(bot.reply("refused"))
    assert bot.commits() == before

    bot.slash("settings prompt_time=08:00", user="U0BOB", name="bob", key="lead")
    assert "Settings saved: prompt_time=08:00" in json.dumps(bot.reply("lead"))
    assert bot.commits() == before + 1
    assert git(bot.repo, "log", "-1", "--format=%an").strip() == "bob (U0BOB)"
    assert tomllib.loads(bot.plan.read_text())["schedule"] == {"prompt_time": "08:00"}

    bot.slash("settings", user="U0ALICE", name="alice", key="show")
    assert "prompt_time = 08:00  (plan)" in json.dumps(bot.reply("show"))

    now = prompts_at(bot, tmp_path, at)
    assert now.returncode == 0, now.stderr
    assert ": 1 sent" in now.stdout, now.stdout
    assert [d.args["users"] for d in bot.fake.calls_to("conversations.open")] == ["U0ALICE"]
