"""Issue 12 item 12 (all but /healthz): what a reply may show, and a CLI verb that must not
leave files behind.

- Error replies in Slack (response_url answers, form errors, the Home tab) never show the
  server's absolute file paths: a path inside the plan's repository is shown relative to it,
  any other path by its file name.
- A batch or program name holding `<!channel>` is escaped in a reply's fallback `text` too
  (the text a notification shows), not only in its blocks.
- `batchbot jobs run bogus` refuses before opening the database: no batchbot.db appears.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git, run_cli
from tests.fakeslack import JSON, event_body, interactive_body, slash_command_body
from tests.faults.conftest import TEAM, EdgeUnderTest


def slash(edge: EdgeUnderTest, text: str) -> dict[str, Any]:
    key = edge.key()
    body = slash_command_body(
        text=text, user_id="U0ALICE", response_url=edge.fake.response_url(key)
    )
    status, _ = edge.post(body)
    assert status == 200
    return edge.answer(key)


def server_paths(edge: EdgeUnderTest) -> list[str]:
    """Absolute paths that must not reach Slack: the repo, its parents, the temp root."""
    repo = edge.repo.resolve()
    return [str(repo), str(repo.parent), str(edge.plan.resolve())]


def assert_no_server_paths(edge: EdgeUnderTest, shown: Any) -> None:
    text = json.dumps(shown, ensure_ascii=False)
    for path in server_paths(edge):
        assert path not in text, (path, text)


@contextmanager
def plan_replaced(edge: EdgeUnderTest, text: str | None) -> Iterator[None]:
    """Hand-break the plan file (None: remove it), and put it back afterwards."""
    saved = edge.plan.read_bytes()
    try:
        if text is None:
            edge.plan.unlink()
        else:
            edge.plan.write_text(text)
        yield
    finally:
        edge.plan.write_bytes(saved)
        git(edge.repo, "checkout", "--", "plan/execution-plan.toml")


@pytest.mark.parametrize(
    ("broken", "command", "needle"),
    [
        ("garbage = [", "status", "plan/execution-plan.toml"),
        ('[[batches]]\nid = "b"\nprogress = 400\n', "status b", "plan/execution-plan.toml"),
        (None, "status", "execution-plan.toml"),
        ("garbage = [", "update batch-1 progress=5", "plan/execution-plan.toml"),
    ],
    ids=["unreadable", "invalid", "missing", "update-on-unreadable"],
)
def test_error_replies_name_the_plan_without_the_servers_folders(
    slack_edge: EdgeUnderTest, broken: str | None, command: str, needle: str
) -> None:
    with plan_replaced(slack_edge, broken):
        reply = slash(slack_edge, command)
    assert_no_server_paths(slack_edge, reply)
    assert needle in json.dumps(reply, ensure_ascii=False)


def test_a_git_failure_reply_shows_no_server_paths(slack_edge: EdgeUnderTest) -> None:
    lock = slack_edge.repo / ".git" / "index.lock"
    lock.write_text("")
    try:
        reply = slash(slack_edge, "update batch-1 notes=locked out")
    finally:
        lock.unlink()
    text = json.dumps(reply, ensure_ascii=False)
    assert ".git/index.lock" in text  # an error or a warning, naming the file git names
    assert_no_server_paths(slack_edge, reply)


def test_the_home_tab_of_a_broken_plan_shows_no_server_paths(slack_edge: EdgeUnderTest) -> None:
    before = len(slack_edge.fake.calls_to("views.publish"))
    with plan_replaced(slack_edge, "garbage = ["):
        body = event_body(
            {"type": "app_home_opened", "user": "U0ALICE", "tab": "home", "channel": "D0A"},
            team_id=TEAM,
        )
        status, _ = slack_edge.post(body, JSON)
        assert status == 200
        calls = slack_edge.fake.wait_for("views.publish", before + 1, timeout=10)
    view = calls[before].args["view"]
    assert "execution-plan.toml" in json.dumps(view)
    assert_no_server_paths(slack_edge, view)


def test_update_form_errors_show_no_server_paths(slack_edge: EdgeUnderTest) -> None:
    meta = {"response_url": slack_edge.fake.response_url("f"), "batch": "batch-1"}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": "U0ALICE", "name": "alice"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "batch_update",
            "private_metadata": json.dumps(meta),
            "state": {"values": {"notes": {"value": {"type": "plain_text_input", "value": "x"}}}},
        },
    }
    with plan_replaced(slack_edge, "garbage = ["):
        status, out = slack_edge.post(interactive_body(payload))
    assert status == 200
    answer = json.loads(out)
    assert answer["response_action"] == "errors"
    assert_no_server_paths(slack_edge, answer)


def test_channel_mention_in_a_batch_name_is_escaped_in_the_fallback_text(
    slack_edge: EdgeUnderTest,
) -> None:
    changed = slash(slack_edge, "update batch-5 name=<!channel> Launch")
    assert "<!channel>" not in changed["text"]
    reply = slash(slack_edge, "status batch-5")
    assert "<!channel>" not in reply["text"], reply["text"]
    assert "&lt;!channel&gt; Launch" in reply["text"]


def test_fallback_texts_escape_every_name(tmp_path: Path) -> None:
    """Every view's fallback text, rendered directly, with mentions in every name."""
    from bot.plan.model import Batch, Plan, Program
    from bot.render.blocks import render
    from bot.replies import BatchView, Reply, StandupListView, StatusView

    batch = Batch(id="b", name="<!here> B")
    plan = Plan(program=Program(name="<!channel> P"), batches=(batch,))
    views = [
        StatusView(plan),
        BatchView(plan, batch),
        StandupListView("Standups of <!everyone>", ()),
    ]
    for view in views:
        text, _blocks = render(Reply(view))
        assert "<!" not in text, (type(view).__name__, text)


def test_jobs_run_bogus_creates_no_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["HOME"] = str(tmp_path)
    shutil.copytree(Path(__file__).resolve().parents[2] / "plan", tmp_path / "plan")
    result = run_cli("jobs", "run", "bogus", cwd=tmp_path, env=env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "bogus" in result.stderr and "weekly-report" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "batchbot.db").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]
