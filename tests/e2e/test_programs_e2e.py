"""Two programs in one workspace, end to end: the real `batchbot serve` over signed HTTP with
the fake Slack Web API, one git repository holding `plan/execution-plan.toml` (the first
program, whose defaults are the environment's) and `plan/beta.toml` (its own team), and the
real `batchbot jobs` process posting each program's Friday report once."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import clean_env, git
from tests.e2e.test_slack_e2e import SECRET, SHIPPED_PLAN, TOKEN, Bot, running, start_bot
from tests.fakeslack import FakeSlack
from tests.serveproc import run_batchbot

pytestmark = pytest.mark.e2e

BETA_TEAM = """
[team]
editors = ["U0BOB"]
standup_channel = "C0BETA"
report_channel = "C0BETAREP"

[[team.people]]
id = "U0BOB"

[[team.people]]
id = "U0EVE"
"""
ENV = {
    "BATCHBOT_EDITORS": "U0ALICE,U0EVE",
    "BATCHBOT_REPORT_CHANNEL": "C0ALPHAREP",
    "BATCHBOT_STANDUP_CHANNEL": "C0ALPHA",
}


@pytest.fixture
def bot(tmp_path: Path, fake: FakeSlack) -> Iterator[Bot]:
    shipped = SHIPPED_PLAN.read_text()
    beta = shipped.replace('name = "', 'name = "Beta: ', 1) + BETA_TEAM
    with running(
        start_bot(tmp_path, fake, extra_env=ENV, extra_files={"plan/beta.toml": beta})
    ) as b:
        yield b


def said(bot: Bot, key: str) -> str:
    return json.dumps(bot.reply(key))


def test_a_channel_linked_to_a_program_acts_on_that_program(bot: Bot) -> None:
    bot.slash("status", user="U0BOB", name="bob", key="s", channel="C0BETA")
    assert "Beta: " in said(bot, "s")
    bot.slash("status", user="U0BOB", name="bob", key="a", channel="C0ALPHA")
    assert "Beta: " not in said(bot, "a")


def test_a_program_named_first_wins_and_an_editor_of_one_is_nobody_in_the_other(
    bot: Bot,
) -> None:
    before = bot.commits()
    bot.slash("beta update batch-1 progress=10", user="U0ALICE", name="alice", key="no")
    assert "not allowed" in said(bot, "no")
    assert bot.commits() == before
    bot.slash("beta update batch-1 progress=10", user="U0BOB", name="bob", key="yes")
    assert "progress" in said(bot, "yes")
    assert bot.commits() == before + 1
    changed = git(bot.repo, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["plan/beta.toml"]
    bot.slash(
        "update batch-1 progress=20", user="U0BOB", name="bob", key="first", channel="C0ALPHA"
    )
    assert "not allowed" in said(bot, "first")


def test_a_dm_goes_to_the_persons_only_program_and_asks_when_they_have_two(bot: Bot) -> None:
    bot.slash("status", user="U0BOB", name="bob", key="bob", channel="D0BOB")
    assert "Beta: " in said(bot, "bob")
    bot.slash("status", user="U0EVE", name="eve", key="eve", channel="D0EVE")
    text = said(bot, "eve")
    assert "which program?" in text and "/batch beta status" in text
    bot.slash("beta settings", user="U0EVE", name="eve", key="named", channel="D0EVE")
    assert "[beta] Team settings" in said(bot, "named")


def _jobs(bot: Bot, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
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
    return run_batchbot(["jobs", *args], cwd=tmp, env=env, timeout=120)


def test_each_program_posts_its_own_friday_report_once_and_archives_it_apart(
    bot: Bot, tmp_path: Path
) -> None:
    at = "2026-12-04T15:00:00+00:00"
    first = _jobs(bot, tmp_path, "run", "weekly-report", "--at", at)
    assert first.returncode == 0, first.stderr
    posts = [c.args["channel"] for c in bot.fake.calls_to("chat.postMessage")]
    assert sorted(c for c in posts if c.endswith("REP")) == ["C0ALPHAREP", "C0BETAREP"]
    again = _jobs(bot, tmp_path, "run", "weekly-report", "--at", at)
    assert again.returncode == 0 and "already posted" in again.stdout, again.stdout
    assert "archived plan/reports/beta/2026-W49.md" in first.stdout, first.stdout
    posts = [c.args["channel"] for c in bot.fake.calls_to("chat.postMessage")]
    assert sorted(c for c in posts if c.endswith("REP")) == ["C0ALPHAREP", "C0BETAREP"]
    files = git(bot.repo, "ls-files", "plan/reports").split()
    assert files == ["plan/reports/2026-W49.md", "plan/reports/beta/2026-W49.md"]


def test_the_update_form_of_a_batch_in_beta_reads_and_saves_beta(bot: Bot) -> None:
    """`/batch beta update batch-1` with no pairs opens the form: it shows beta's batch and its
    Save commits to `plan/beta.toml`, under beta's access rule (Bob edits beta only)."""
    from tests.fakeslack import FORM, interactive_body, post_signed

    beta = bot.repo / "plan" / "beta.toml"
    beta.write_text(beta.read_text().replace("progress = 0", "progress = 7", 1))
    git(bot.repo, "commit", "-qam", "beta's batch-1 at 7 %")
    bot.slash("beta update batch-1", user="U0BOB", name="bob", key="form", channel="C0X")
    (opened,) = bot.fake.wait_for("views.open", timeout=10)
    view = opened.args["view"]
    assert '"initial_value": "7"' in json.dumps(view)  # beta's batch, not the first program's
    state = {
        "status": {"value": {"type": "static_select", "selected_option": {"value": "queued"}}},
        "progress": {"value": {"type": "plain_text_input", "value": "33"}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": "U0BOB", "name": "bob"},
        "api_app_id": "A0APP",
        "view": {**view, "id": "V1", "state": {"values": state}},
    }
    before = bot.commits()
    status, _, out = post_signed(bot.url, interactive_body(payload), SECRET, FORM)
    assert status == 200 and b"errors" not in out, out
    bot.reply("form")
    assert bot.commits() == before + 1
    changed = git(bot.repo, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["plan/beta.toml"]
    assert "progress = 33" in beta.read_text()


def test_the_risk_review_buttons_of_beta_act_on_beta(bot: Bot) -> None:
    """Beta's Friday risk review DM carries `beta:<n>` on its buttons: **Update** opens beta's
    risk and saves to `plan/beta.toml`; **Still accurate** marks beta's risk reviewed there."""
    from bot.plan.codec import read
    from bot.render.lead_blocks import RISK_REVIEWED, RISK_UPDATE, risk_review_blocks
    from tests.fakeslack import FORM, interactive_body, post_signed

    beta = bot.repo / "plan" / "beta.toml"
    beta.write_text(beta.read_text().replace('risk = "Batch 1', 'risk = "Beta only: Batch 1', 1))
    git(bot.repo, "commit", "-qam", "beta's own first risk")
    _, blocks = risk_review_blocks(read(beta), "beta")
    values = {e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert "beta:1" in values

    def click(action_id: str, user: str, value: str = "beta:1") -> None:
        action = {
            "type": "block_actions",
            "team": {"id": "T0TEAM"},
            "user": {"id": user, "name": user[2:].lower()},
            "api_app_id": "A0APP",
            "trigger_id": f"trig-{action_id}",
            "channel": {"id": f"D{user}"},
            "message": {"ts": "1700000000.000100"},
            "actions": [
                {"action_id": action_id, "block_id": "b", "type": "button", "value": value}
            ],
        }
        assert post_signed(bot.url, interactive_body(action), SECRET, FORM)[0] == 200

    click(RISK_UPDATE, "U0BOB")
    (opened,) = bot.fake.wait_for("views.open", timeout=10)
    view = opened.args["view"]
    assert "Beta only: Batch 1" in json.dumps(view)
    state = {
        "title": {"value": {"type": "plain_text_input", "value": "Beta only: Batch 1 late"}},
        "probability": {"value": {"type": "static_select", "selected_option": {"value": "low"}}},
        "impact": {"value": {"type": "static_select", "selected_option": {"value": "high"}}},
        "mitigation": {"value": {"type": "plain_text_input", "value": "pair on it"}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": "U0BOB", "name": "bob"},
        "api_app_id": "A0APP",
        "view": {**view, "id": "V1", "state": {"values": state}},
    }
    before = bot.commits()
    status, _, out = post_signed(bot.url, interactive_body(payload), SECRET, FORM)
    assert status == 200 and b"errors" not in out, out
    deadline = time.monotonic() + 10
    while bot.commits() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bot.commits() == before + 1
    assert git(bot.repo, "show", "--name-only", "--format=", "HEAD").split() == ["plan/beta.toml"]
    assert "Beta only: Batch 1 late" in beta.read_text()
    # The update above marked risk 1 reviewed today; the second risk has never been.
    before = bot.commits()
    click(RISK_REVIEWED, "U0BOB", "beta:2")
    deadline = time.monotonic() + 10
    while bot.commits() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bot.commits() == before + 1
    assert git(bot.repo, "show", "--name-only", "--format=", "HEAD").split() == ["plan/beta.toml"]
    assert git(bot.repo, "log", "-1", "--format=%s").startswith("risk-2: reviewed unset → ")
