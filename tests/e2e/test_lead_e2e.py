"""The lead's week end to end: the real `batchbot serve` and `batchbot jobs` processes against
the fake Slack — chart upload (the PNG decoded), blocker DMs, the Track it button and form,
the Friday risk review buttons and form, and the Mermaid gantt in the archived report."""

from __future__ import annotations

import io
import json
import subprocess
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.db import Database
from tests.conftest import clean_env, git
from tests.e2e.test_slack_e2e import SECRET, TOKEN, Bot, running, start_bot
from tests.fakeslack import FORM, JSON, FakeSlack, event_body, interactive_body, post_signed
from tests.serveproc import run_batchbot

pytestmark = pytest.mark.e2e


@pytest.fixture
def bot(tmp_path: Path, fake: FakeSlack) -> Iterator[Bot]:
    env = {"BATCHBOT_TEAM": "U0ALICE,U0BOB", "BATCHBOT_STANDUP_CHANNEL": "C0STAND"}
    with running(start_bot(tmp_path, fake, extra_env=env)) as b:
        yield b


def click(bot: Bot, action_id: str, value: str, user: str = "U0ALICE") -> None:
    action = {
        "type": "block_actions",
        "team": {"id": "T0TEAM"},
        "user": {"id": user, "name": user.lower()},
        "api_app_id": "A0APP",
        "trigger_id": f"trig-{action_id}",
        "channel": {"id": f"D{user}"},
        "message": {"ts": "1700000000.000100"},
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": value}],
    }
    status, _, _ = post_signed(bot.url, interactive_body(action), SECRET, FORM)
    assert status == 200


def submit(bot: Bot, view: dict[str, Any], state: dict[str, Any], user: str = "U0ALICE") -> bytes:
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": user, "name": user.lower()},
        "api_app_id": "A0APP",
        "view": {**view, "id": "V1", "state": {"values": state}},
    }
    status, _, out = post_signed(bot.url, interactive_body(payload), SECRET, FORM)
    assert status == 200
    return out


def dms_to(fake: FakeSlack, user: str, wait: float = 10.0) -> list[dict[str, Any]]:
    """Messages posted in the DM with `user`, waiting up to `wait` s for the first one."""
    deadline = time.monotonic() + wait
    while True:
        channels = {
            c.response["channel"]["id"]
            for c in fake.calls_to("conversations.open")
            if c.ok and c.args.get("users") == user
        }
        found = [c.args for c in fake.calls_to("chat.postMessage") if c.args["channel"] in channels]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_batch_chart_uploads_a_real_png_through_the_upload_v2_flow(bot: Bot) -> None:
    bot.slash("update batch-1 status=in-progress progress=30", key="u")
    bot.reply("u")
    bot.slash("chart", key="c")
    assert "Burn-up: 5 batches" in json.dumps(bot.reply("c"))
    (done,) = bot.fake.wait_for("files.completeUploadExternal", timeout=20)
    assert done.ok, done.response
    assert bot.fake.calls_to("files.getUploadURLExternal")[0].args["filename"] == "burnup.png"
    [file] = [f for f in bot.fake.files.values() if f.completed]
    assert file.channel_id == "C0PLAN"
    image = Image.open(io.BytesIO(file.content or b""))
    assert image.format == "PNG" and image.size == (1000, 550)
    assert len(image.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 50


def test_a_new_blocker_is_committed_and_the_batch_owner_gets_a_dm(bot: Bot) -> None:
    bot.slash("update batch-2 owner=<@U0BOB|bob>", key="o")
    bot.reply("o")
    before = bot.commits()
    bot.slash(
        "blocker add batch-2 Staging DB access missing resolution=Ops grants a read role",
        key="b",
    )
    reply = bot.reply("b")
    assert reply["response_type"] == "in_channel"
    assert "Blocker #1 on batch-2" in json.dumps(reply)
    assert bot.commits() == before + 1
    [dm] = dms_to(bot.fake, "U0BOB")  # waits: the DM follows the reply on the reply queue
    assert "New blocker #1 on Infrastructure (batch-2), raised by alice" in dm["text"]
    plan = tomllib.loads(bot.plan.read_text())
    assert plan["blockers"][0]["resolution"] == "Ops grants a read role"


def test_a_blocker_in_a_standup_gets_track_it_whose_form_tracks_it(
    bot: Bot, fake: FakeSlack
) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0ALICE",
        "user": "U0ALICE",
        "text": "Blocked on staging database access. Next I pair with ops on it.",
        "ts": "1.0",
    }
    post_signed(bot.url, event_body(event), SECRET, JSON)
    posts = fake.wait_for("chat.postMessage", 3, timeout=10)
    [confirmation] = [p for p in posts if p.args["channel"] == "D0ALICE"]
    [actions] = [b for b in confirmation.args["blocks"] if b["type"] == "actions"]
    button = actions["elements"][0]
    assert (button["text"]["text"], button["action_id"]) == ("Track it", "blocker_track")
    click(bot, "blocker_track", button["value"])
    (opened,) = fake.wait_for("views.open", timeout=10)
    assert opened.ok, opened.response
    view = opened.args["view"]
    assert view["callback_id"] == "blocker_add"
    text_block = next(b for b in view["blocks"] if b["block_id"] == "text")
    assert text_block["element"]["initial_value"].startswith("Blocked on staging database")
    # A form without a batch is refused on the field; nothing is committed.
    before = bot.commits()
    out = submit(bot, view, {"text": {"value": {"type": "plain_text_input", "value": "x"}}})
    assert json.loads(out)["errors"] == {"batch": "choose a batch"}
    state = {
        "batch": {"value": {"type": "static_select", "selected_option": {"value": "batch-1"}}},
        "text": {"value": {"type": "plain_text_input", "value": "Staging DB access"}},
        "resolution": {"value": {"type": "plain_text_input", "value": "Ask ops for a role"}},
        "owner": {"value": {"type": "users_select", "selected_user": "U0BOB"}},
    }
    assert submit(bot, view, state) in (b"", b"{}")
    fake.wait_for("chat.postMessage", 4, timeout=10)
    assert bot.commits() == before + 1
    blocker = tomllib.loads(bot.plan.read_text())["blockers"][0]
    assert (blocker["batch"], blocker["owner"], blocker["resolution"]) == (
        "batch-1",
        "U0BOB",  # kept as the user id (issue 18 item 11)
        "Ask ops for a role",
    )


def _jobs(
    tmp: Path, bot: Bot, fake: FakeSlack, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    extra = env or {}
    env = clean_env()
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake.url,
            "EXECUTION_PLAN_PATH": str(bot.plan),
            "DATABASE_URL": f"sqlite:///{tmp / 'jobs.db'}",
            "BATCHBOT_REPORT_CHANNEL": "C0REPORT",
            "BATCHBOT_TIMEZONE": "Europe/Berlin",
            "BATCHBOT_LEAD": "U0ALICE",
            **extra,
        }
    )
    return run_batchbot(["jobs", *args], cwd=tmp, env=env, timeout=60)


def test_the_friday_risk_review_buttons_mark_reviewed_and_open_the_update_form(
    bot: Bot, fake: FakeSlack, tmp_path: Path
) -> None:
    at = "2026-11-27T15:00:00+01:00"
    first = _jobs(tmp_path, bot, fake, "run", "risk-review", "--at", at)
    assert first.returncode == 0 and "risk review sent to U0ALICE" in first.stdout, first
    again = _jobs(tmp_path, bot, fake, "run", "risk-review", "--at", at)
    assert "already sent" in again.stdout
    [review] = dms_to(fake, "U0ALICE")
    assert "Friday risk review" in json.dumps(review["blocks"])
    before = bot.commits()
    click(bot, "risk_reviewed", "2")
    fake.wait_for("chat.postMessage", 2, timeout=10)
    assert bot.commits() == before + 1
    risks = tomllib.loads(bot.plan.read_text())["risks"]
    assert "reviewed" in risks[1] and "reviewed" not in risks[0]
    click(bot, "risk_update_open", "1")
    (opened,) = fake.wait_for("views.open", timeout=10)
    view = opened.args["view"]
    assert view["callback_id"] == "risk_update"
    state = {
        "title": {"value": {"type": "plain_text_input", "value": "Batch 1 CI fixes incomplete"}},
        "probability": {"value": {"type": "static_select", "selected_option": {"value": "low"}}},
        "impact": {"value": {"type": "static_select", "selected_option": {"value": "high"}}},
        "mitigation": {"value": {"type": "plain_text_input", "value": "Fixed forward"}},
    }
    assert submit(bot, view, state) in (b"", b"{}")
    fake.wait_for("chat.postMessage", 3, timeout=10)
    risk = tomllib.loads(bot.plan.read_text())["risks"][0]
    assert (risk["probability"], risk["impact"], risk["mitigation"]) == (
        "Low",
        "High",
        "Fixed forward",
    )


def test_the_archived_report_carries_a_mermaid_gantt(
    bot: Bot, fake: FakeSlack, tmp_path: Path
) -> None:
    at = "2026-11-27T15:00:00+01:00"
    png = {"BATCHBOT_REPORT_PNG": "true"}
    result = _jobs(tmp_path, bot, fake, "run", "weekly-report", "--at", at, env=png)
    assert result.returncode == 0, result.stderr
    archived = git(bot.repo, "show", "HEAD:plan/reports/2026-W48.md")
    gantt = archived[archived.index("### 🗓️ Timeline") :]
    assert gantt.splitlines()[1:3] == ["```mermaid", "gantt"]
    assert "    Critical Blockers :batch_1, 2026-11-23, 2026-12-04" in gantt
    pngs = [f for f in fake.files.values() if f.completed and f.filename.endswith(".png")]
    assert [f.filename for f in pngs] == ["burnup-2026-W48.png"]


def test_a_blocker_past_due_nudges_its_owner_once_and_on_track_keeps_the_lead_out(
    bot: Bot, fake: FakeSlack, tmp_path: Path
) -> None:
    """`batchbot jobs run nudges` and the serving bot share one database: the owner's **On
    track** click, handled by the server, is what the next day's job reads."""
    status, _ = bot.slash("blocker add batch-2 Vendor keys due=2099-12-01 owner=<@U0BOB|bob>")
    assert status == 200
    bot.reply()
    shared = {"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    monday, tuesday = "2099-12-07T10:00:00+01:00", "2099-12-08T10:00:00+01:00"
    first = _jobs(tmp_path, bot, fake, "run", "nudges", "--at", monday, env=shared)
    assert first.returncode == 0 and "nudged: blocker batch-2" in first.stdout, first
    again = _jobs(tmp_path, bot, fake, "run", "nudges", "--at", monday, env=shared)
    assert "nothing new" in again.stdout, again
    [nudge] = dms_to(fake, "U0BOB")
    assert "Blocker #1 on Infrastructure was to be resolved by Tue 01 Dec" in nudge["text"]
    buttons = nudge["blocks"][-1]["elements"]
    assert [b["action_id"] for b in buttons] == ["nudge_update", "nudge_ontrack", "nudge_snooze"]
    click(bot, "nudge_ontrack", buttons[1]["value"], user="U0BOB")
    db = Database(shared["DATABASE_URL"])
    deadline = time.monotonic() + 10
    # The click is handled after its ack, on the server's work queue.
    while db.get_claim("nudge-ack", buttons[1]["value"]) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    done = _jobs(tmp_path, bot, fake, "run", "nudges", "--at", tuesday, env=shared)
    assert "nothing new" in done.stdout, done  # the lead is not told: Bob said on track
    assert dms_to(fake, "U0ALICE", wait=0) == []


def test_mark_done_under_a_nudge_commits_status_done_as_the_clicker(
    bot: Bot, fake: FakeSlack
) -> None:
    before = bot.commits()
    click(bot, "nudge_done", "batch-2", user="U0BOB")
    deadline = time.monotonic() + 10
    while bot.commits() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bot.commits() == before + 1
    # the commit, not the working file: the store moves the branch before it rewrites the file
    committed = git(bot.repo, "show", "HEAD:plan/execution-plan.toml")
    b2 = next(b for b in tomllib.loads(committed)["batches"] if b["id"] == "batch-2")
    assert (b2["status"], b2["progress"]) == ("done", 100)
    author = git(bot.repo, "log", "-1", "--format=%an").strip()
    assert "U0BOB" in author or "bob" in author.lower(), author  # the clicker, not the bot
