"""Standups across two programs, end to end: the real `batchbot serve` over signed HTTP and
the real `batchbot jobs` process, both on one SQLite file, with the fake Slack Web API.

The first program takes the environment's team (Alice, Eve; channel C0ALPHA; prompt 09:30,
digest 11:30); `plan/beta.toml` has its own (Bob, Eve; C0BETA; prompt 08:00, digest 10:00).
Eve is in both: prompted once, answers once, and counts in both programs.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.e2e.test_slack_e2e import (
    SECRET,
    SHIPPED_PLAN,
    TOKEN,
    USERS,
    Bot,
    running,
    start_bot,
)
from tests.fakeslack import JSON, FakeSlack, event_body, post_signed
from tests.serveproc import run_batchbot

pytestmark = pytest.mark.e2e

BETA_TEAM = """
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
ENV = {"BATCHBOT_TEAM": "U0ALICE,U0EVE", "BATCHBOT_STANDUP_CHANNEL": "C0ALPHA"}
USERS_UTC = {uid: {**info, "tz": "UTC"} for uid, info in USERS.items()}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, team_id="T0TEAM", users=USERS_UTC) as f:
        yield f


@pytest.fixture
def bot(tmp_path: Path, fake: FakeSlack) -> Iterator[Bot]:
    beta = SHIPPED_PLAN.read_text().replace('name = "', 'name = "Beta: ', 1) + BETA_TEAM
    with running(
        start_bot(tmp_path, fake, extra_env=ENV, extra_files={"plan/beta.toml": beta})
    ) as b:
        yield b


def jobs(bot: Bot, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`batchbot jobs …` as an operator runs it, on the server's database."""
    env = clean_env()
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": bot.fake.url,
            "EXECUTION_PLAN_PATH": str(bot.plan),
            "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
            **ENV,
        }
    )
    done = run_batchbot(["jobs", *args], cwd=tmp, env=env)
    assert done.returncode == 0, done.stderr + done.stdout
    return done


def dms(fake: FakeSlack, user: str) -> list[str]:
    return [
        json.dumps(c.args)
        for c in fake.calls_to("chat.postMessage")
        if c.args.get("channel") in (user, f"D{user}", f"D{user[1:]}")  # prompt, or reply
    ]


def threaded(fake: FakeSlack, channel: str) -> str:
    return json.dumps([m for m in fake.messages(channel) if m.get("thread_ts")])


def test_a_person_in_two_programs_is_prompted_once_and_answers_into_both_threads(
    bot: Bot, tmp_path: Path
) -> None:
    fake = bot.fake
    early = jobs(bot, tmp_path, "run", "standup-prompts", "--at", "2026-12-07T08:05:00+00:00")
    assert "2 sent" in early.stdout, early.stdout  # Bob and Eve, at beta's 08:00
    assert len(dms(fake, "U0EVE")) == 1 and len(dms(fake, "U0BOB")) == 1
    assert dms(fake, "U0ALICE") == []
    later = jobs(bot, tmp_path, "run", "standup-prompts", "--at", "2026-12-07T09:35:00+00:00")
    assert "1 sent" in later.stdout, later.stdout  # Alice at 09:30; Eve not again
    assert len(dms(fake, "U0EVE")) == 1

    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0EVE",
        "user": "U0EVE",
        "text": "Merged the search index. Next I tune the ranking.",
        "ts": "1.0",
    }
    status, _, _ = post_signed(bot.url, event_body(event), SECRET, JSON)
    assert status == 200
    fake.wait_for("chat.postMessage", 3 + 5, timeout=10)  # 3 prompts, 2 threads, 2 posts, 1 DM
    assert "Merged the search index" in threaded(fake, "C0ALPHA")
    assert "Merged the search index" in threaded(fake, "C0BETA")
    confirmation = dms(fake, "U0EVE")[-1]
    assert "execution-plan: Posted in the" in confirmation, confirmation
    assert "beta: Posted in the" in confirmation, confirmation

    # One answer, filed once in each program, under the same day.
    with sqlite3.connect(tmp_path / "bot.db") as db:
        rows = db.execute(
            "SELECT program, local_date FROM standups WHERE user_id='U0EVE'"
        ).fetchall()
    assert sorted(p for p, _ in rows) == ["", "beta"] and len({d for _, d in rows}) == 1
    day = rows[0][1]

    # Each program's digest in its own thread, counting Eve.
    digest = jobs(bot, tmp_path, "run", "standup-digest", "--at", f"{day}T12:00:00+00:00")
    assert f"execution-plan: {day}: answered 1 of 2" in digest.stdout, digest.stdout
    assert f"beta: {day}: answered 1 of 2" in digest.stdout, digest.stdout
    assert "Missing: Alice" in threaded(fake, "C0ALPHA")
    assert "Missing: Bob" in threaded(fake, "C0BETA")

    # `/batch beta standup list` reads beta's rows; the typed answer fans out too.
    bot.slash("beta standup list", user="U0EVE", name="eve", key="list", channel="D0EVE")
    assert "Merged the search index" in json.dumps(bot.reply("list"))
    bot.slash(
        "standup Merged the search index. Next I tune the ranking with Bob.",
        user="U0EVE",
        name="eve",
        key="typed",
        channel="C0BETA",
    )
    typed = json.dumps(bot.reply("typed"))
    assert "Replaced your standup" in typed and "execution-plan: Updated your post" in typed
    assert "beta: Updated your post" in typed


def test_track_it_under_a_standup_acts_on_the_program_it_was_filed_in(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Bob is only in beta (and its only editor): his blocker's Track it tracks it in
    plan/beta.toml. A button whose value is forged to name beta, clicked by Alice (not beta's
    editor), opens beta's form and its save is refused as any edit of beta by Alice is."""
    import tomllib

    from tests.e2e.test_lead_e2e import click, submit

    team = BETA_TEAM.replace("[team]\n", '[team]\neditors = ["U0BOB"]\n', 1)
    beta = SHIPPED_PLAN.read_text().replace('name = "', 'name = "Beta: ', 1) + team
    with running(
        start_bot(tmp_path, fake, extra_env=ENV, extra_files={"plan/beta.toml": beta})
    ) as bot:
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": "D0BOB",
            "user": "U0BOB",
            "text": "Blocked on staging database access. Next I pair with ops on it.",
            "ts": "1.0",
        }
        post_signed(bot.url, event_body(event), SECRET, JSON)
        fake.wait_for("chat.postMessage", 3, timeout=20)
        [confirmation] = [
            c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "D0BOB"
        ]
        [actions] = [b for b in confirmation.args["blocks"] if b["type"] == "actions"]
        [button] = actions["elements"]
        assert button["text"]["text"] == "Track it"
        click(bot, "blocker_track", button["value"], user="U0BOB")
        (opened,) = fake.wait_for("views.open", timeout=10)
        view = opened.args["view"]
        assert json.loads(view["private_metadata"])["program"] == "beta"
        state = {
            "batch": {"value": {"type": "static_select", "selected_option": {"value": "batch-1"}}},
            "text": {"value": {"type": "plain_text_input", "value": "Staging DB access"}},
        }
        refused = submit(bot, view, state, user="U0ALICE")  # the forged click's form
        assert "not allowed" in json.loads(refused)["errors"]["batch"]
        assert submit(bot, view, state, user="U0BOB") in (b"", b"{}")
        beta_file = bot.plan.with_name("beta.toml")
        deadline = time.monotonic() + 10
        while not tomllib.loads(beta_file.read_text()).get("blockers"):
            assert time.monotonic() < deadline, "beta's blocker was not saved"
            time.sleep(0.05)
        assert tomllib.loads(beta_file.read_text())["blockers"][0]["batch"] == "batch-1"
        assert not tomllib.loads(bot.plan.read_text()).get("blockers")


def test_a_nudge_from_beta_marks_done_and_opens_the_form_of_betas_batch(
    bot: Bot, fake: FakeSlack
) -> None:
    """The nudge job of beta puts `beta:batch-2` on its buttons; both programs have a batch-2."""
    import tomllib

    from tests.conftest import git
    from tests.e2e.test_lead_e2e import click

    click(bot, "nudge_update", "beta:batch-2", user="U0BOB")
    (opened,) = fake.wait_for("views.open", timeout=10)
    assert json.loads(opened.args["view"]["private_metadata"])["program"] == "beta"
    before = bot.commits()
    click(bot, "nudge_done", "beta:batch-2", user="U0BOB")
    deadline = time.monotonic() + 10
    while bot.commits() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bot.commits() == before + 1
    beta = tomllib.loads(git(bot.repo, "show", "HEAD:plan/beta.toml"))
    assert next(b for b in beta["batches"] if b["id"] == "batch-2")["status"] == "done"
    first = tomllib.loads(git(bot.repo, "show", "HEAD:plan/execution-plan.toml"))
    assert next(b for b in first["batches"] if b["id"] == "batch-2")["status"] != "done"


def test_a_draft_of_a_removed_program_neither_edits_nor_publishes_the_first_programs_report(
    bot: Bot, fake: FakeSlack
) -> None:
    """plan/gamma.toml was removed after its Friday draft was posted: its buttons say so."""
    from tests.fakeslack import FORM, interactive_body

    for action in ("report_edit", "report_publish"):
        body = {
            "type": "block_actions",
            "team": {"id": "T0TEAM"},
            "user": {"id": "U0ALICE", "name": "alice"},
            "api_app_id": "A0APP",
            "trigger_id": f"trig-{action}",
            "channel": {"id": "C0ALPHAREP"},
            "message": {"ts": "1700000000.000100"},
            "response_url": fake.response_url(action),
            "actions": [{"action_id": action, "type": "button", "value": "gamma/2026-W49"}],
        }
        assert post_signed(bot.url, interactive_body(body), SECRET, FORM)[0] == 200
        (said,) = fake.wait_for_response(action, timeout=10)
        assert "no program 'gamma' here any more" in json.dumps(said.body), said.body
    assert not fake.calls_to("views.open")
