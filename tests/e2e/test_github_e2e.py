"""End to end with GitHub: `batchbot metrics collect`, `batchbot report publish`, and the Friday
draft's Publish / Edit buttons through the real `batchbot serve` process — the fake Slack and
the fake GitHub on loopback, PyGithub and slack_sdk over HTTP, real git, real SQLite."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.report.publish import marker
from tests.conftest import clean_env, git, run_cli, without_package
from tests.e2e.test_slack_e2e import SECRET, TOKEN, USERS, running, start_bot
from tests.fakegithub import FakeGitHub
from tests.fakeslack import FORM, FakeSlack, interactive_body, post_signed
from tests.github_week import BERLIN, EXPECTED, REPO, script_week
from tests.github_week import TOKEN as GH_TOKEN
from tests.serveproc import run_batchbot

pytestmark = pytest.mark.e2e

MONDAY = dt.datetime(2026, 11, 16, 0, 0, tzinfo=BERLIN)  # a week already past
WEEK = "2026-W47"
AT = "2026-11-20T15:00:00+01:00"
REPORT = "C0REPORT"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub({GH_TOKEN: {"issues:write"}}) as gh:
        script_week(gh, MONDAY)
        yield gh


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, team_id="T0TEAM", users=USERS) as f:
        yield f


def gh_env(github: FakeGitHub, tmp: Path, **extra: str) -> dict[str, str]:
    return {
        "BATCHBOT_GITHUB_TOKEN": GH_TOKEN,
        "BATCHBOT_GITHUB_REPO": REPO,
        "BATCHBOT_GITHUB_API_URL": github.url,
        "BATCHBOT_GITHUB_CI_WORKFLOW": "ci.yml",
        "BATCHBOT_GITHUB_DEPLOY_WORKFLOW": "deploy.yml",
        "BATCHBOT_TIMEZONE": "Europe/Berlin",
        "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
        **extra,
    }


def cli(plan: Path, env: dict[str, str], *args: str) -> Any:
    clean = clean_env()
    return run_cli("--plan", str(plan), *args, env={**clean, **env}, cwd=plan.parent.parent)


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD").strip())


def reports(github: FakeGitHub) -> list[dict[str, Any]]:
    return [i for i in github.issues_in(REPO) if marker(WEEK) in i["body"]]


def test_metrics_collect_prints_each_value_with_its_source_and_commits_once(
    plan_repo: Path, plan_file: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    before = commits(plan_repo)
    out = cli(plan_file, gh_env(github, tmp_path), "metrics", "collect", "--at", AT)
    assert out.returncode == 0, out.stderr
    assert "prsMerged: 14 — GitHub search: pull requests merged this week" in out.stdout
    assert "ciPassRate: 85.8% — GitHub Actions ci.yml: completed runs on main" in out.stdout
    assert "openCriticalVulns: 10 — GitHub Dependabot" in out.stdout
    for name in EXPECTED:
        assert f"{name}: " in out.stdout
    assert commits(plan_repo) == before + 1  # one change for all seven metrics
    assert "[measured.ciPassRate]" in plan_file.read_text()
    again = cli(plan_file, gh_env(github, tmp_path), "metrics", "collect", "--at", AT)
    assert again.returncode == 0 and commits(plan_repo) == before + 1


def test_metrics_collect_with_a_bad_token_is_one_line_and_changes_nothing(
    plan_repo: Path, plan_file: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    before = commits(plan_repo)
    env = gh_env(github, tmp_path, BATCHBOT_GITHUB_TOKEN="ghp_wrong_token")
    out = cli(plan_file, env, "metrics", "collect", "--at", AT)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "nothing collected from GitHub; the plan is unchanged" in out.stderr
    assert "GitHub refused the token (401 Bad credentials)" in out.stderr
    assert "ghp_wrong_token" not in out.stderr + out.stdout
    assert commits(plan_repo) == before


def test_metrics_collect_without_a_token_says_which_setting(
    plan_repo: Path, plan_file: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    env = gh_env(github, tmp_path)
    del env["BATCHBOT_GITHUB_TOKEN"]
    out = cli(plan_file, env, "metrics", "collect")
    assert out.returncode == 1 and "set BATCHBOT_GITHUB_TOKEN" in out.stderr


def test_metrics_collect_without_the_github_extra_says_how_to_install_it(
    plan_repo: Path, plan_file: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    """PyGithub is the optional `github` extra; without it the answer is the line to run."""
    before = commits(plan_repo)
    env = gh_env(github, tmp_path, PYTHONPATH=without_package(tmp_path, "github"))
    clean = clean_env()
    out = run_cli(
        "--plan",
        str(plan_file),
        "metrics",
        "collect",
        env={**clean, **env},
        cwd=plan_repo,
        process=True,  # the missing package is the process's import path
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "GitHub needs the github extra (PyGithub)" in out.stderr
    assert "pip install './batchbot[github]'" in out.stderr
    assert commits(plan_repo) == before and github.calls == []


def test_metrics_collect_refuses_a_bad_at(
    plan_repo: Path, plan_file: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    out = cli(plan_file, gh_env(github, tmp_path), "metrics", "collect", "--at", "friday")
    assert out.returncode == 2 and "is not an ISO-8601 time" in out.stderr
    assert github.calls == []


def test_report_publish_from_the_cli_creates_one_issue(
    plan_repo: Path, plan_file: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    env = gh_env(github, tmp_path)
    first = cli(plan_file, env, "report", "publish", "--week", WEEK)
    assert first.returncode == 0, first.stderr
    [issue] = reports(github)
    assert issue["title"].startswith("Weekly Progress Report - Week ")
    assert issue["title"].endswith(f"({WEEK})")
    url = f"{github.url}/{REPO}/issues/{issue['number']}"
    assert f"published {issue['title']}: {url}" in first.stdout
    second = cli(plan_file, env, "report", "publish", "--week", WEEK)
    assert second.returncode == 0 and "already published" in second.stdout
    assert len(reports(github)) == 1
    bad = cli(plan_file, env, "report", "publish", "--week", "W47")
    assert bad.returncode == 2 and "give YYYY-Www" in bad.stderr


def _jobs_run(bot: Any, env: dict[str, str]) -> Any:
    full = clean_env()
    full.update(env)
    return run_batchbot(["jobs", "run", "weekly-report", "--at", AT], cwd=bot.repo, env=full)


def click(bot: Any, action_id: str, post: Any, user: str = "U0ALICE") -> int:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM"},
        "user": {"id": user, "name": "alice"},
        "api_app_id": "A0APP",
        "trigger_id": f"trig-{action_id}",
        "container": {
            "type": "message",
            "channel_id": post.response["channel"],
            "message_ts": post.response["ts"],
        },
        "channel": {"id": post.response["channel"]},
        "message": {
            "ts": post.response["ts"],
            "text": post.args["text"],
            "blocks": post.args["blocks"],
        },
        "response_url": bot.fake.response_url(action_id),
        "actions": [
            {
                "action_id": action_id,
                "block_id": "report_actions",
                "type": "button",
                "value": WEEK,
            }
        ],
    }
    status, _, _ = post_signed(bot.url, interactive_body(payload), SECRET, FORM)
    return status


def test_the_draft_buttons_edit_then_publish_once_and_the_post_links_the_issue(
    tmp_path: Path, slack: FakeSlack, github: FakeGitHub
) -> None:
    env = gh_env(github, tmp_path, BATCHBOT_REPORT_CHANNEL=REPORT)
    with running(start_bot(tmp_path, slack, extra_env=env)) as bot:
        job_env = {
            **env,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": slack.url,
            "EXECUTION_PLAN_PATH": str(bot.plan),
        }
        job = _jobs_run(bot, job_env)
        assert job.returncode == 0, job.stdout + job.stderr
        [post] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == REPORT]
        assert any(b.get("block_id") == "report_actions" for b in post.args["blocks"])

        # Edit: the modal holds the archived markdown; the saved text goes back to the archive.
        assert click(bot, "report_edit", post) == 200
        (opened,) = slack.wait_for("views.open", timeout=15)
        assert opened.ok, opened.response
        view = opened.args["view"]
        first = next(b for b in view["blocks"] if b["type"] == "input")
        text = first["element"]["initial_value"]
        assert text.startswith("## Weekly Progress Report - Week")
        edited = text + "\n\nEdited in Slack: the demo moved to Thursday."
        state = {first["block_id"]: {"text": {"type": "plain_text_input", "value": edited}}}
        submit = {
            "type": "view_submission",
            "team": {"id": "T0TEAM"},
            "user": {"id": "U0ALICE", "name": "alice"},
            "api_app_id": "A0APP",
            "view": {**view, "state": {"values": state}},
        }
        status, _, out = post_signed(bot.url, interactive_body(submit), SECRET, FORM)
        assert status == 200 and out in (b"", b"{}")
        archive = bot.repo / "plan" / "reports" / f"{WEEK}.md"
        slack.wait_for("chat.postMessage", 2, timeout=15)  # the "saved" note in the thread
        assert "the demo moved to Thursday" in archive.read_text()

        # Publish, twice: one issue, and the post is updated with its link.
        assert click(bot, "report_publish", post) == 200
        slack.wait_for("chat.update", timeout=20)  # the first click links the post
        assert click(bot, "report_publish", post) == 200
        updates = slack.wait_for("chat.update", 2, timeout=20)
        assert len(reports(github)) == 1
        [issue] = reports(github)
        assert "the demo moved to Thursday" in issue["body"]  # the edited text is published
        for u in updates:
            assert u.ok and u.args["ts"] == post.response["ts"]
            assert f"issue #{issue['number']}" in json.dumps(u.args["blocks"])
        replies = slack.wait_for_response("report_publish", 2, timeout=15)
        assert "already published" in json.dumps(replies[1].body)


def test_edit_on_a_linked_archive_tells_the_clicker_why_instead_of_silence(
    tmp_path: Path, slack: FakeSlack, github: FakeGitHub
) -> None:
    env = gh_env(github, tmp_path, BATCHBOT_REPORT_CHANNEL=REPORT)
    with running(start_bot(tmp_path, slack, extra_env=env)) as bot:
        rel = f"plan/reports/{WEEK}.md"
        (bot.repo / "plan" / "reports").mkdir()
        os.symlink("../execution-plan.toml", bot.repo / rel)
        git(bot.repo, "add", rel)
        git(bot.repo, "commit", "-qm", "a link where the report goes")
        post = type(
            "Post",
            (),
            {
                "response": {"channel": REPORT, "ts": "1700000000.000100"},
                "args": {"text": "r", "blocks": []},
            },
        )()
        assert click(bot, "report_edit", post) == 200
        [answer] = slack.wait_for_response("report_edit", timeout=15)
        said = json.dumps(answer.body)
        assert "cannot be edited" in said and "symbolic link" in said, said
        assert answer.body["response_type"] == "ephemeral"
        assert slack.calls_to("views.open") == []
