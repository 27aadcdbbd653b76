"""The Friday job with GitHub: metrics collected and committed before the draft, failures
written into the draft (which still posts), and the report issue published once.

Real parts throughout: the fake Slack and the fake GitHub on loopback, slack_sdk and
PyGithub over HTTP, a real git repo for the plan and a real SQLite file for claims.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.db import Database
from bot.github.service import from_settings
from bot.plan.store import PlanStore
from bot.report.job import run_weekly_report
from bot.report.publish import marker
from tests.conftest import git
from tests.fakegithub import FakeGitHub
from tests.fakeslack import FakeSlack
from tests.github_week import BERLIN, EXPECTED, REPO, TOKEN, script_week
from tests.serveproc import warm_context
from tests.test_report_job import (
    ADMIN,
    FRIDAY_1500,
    REPORT,
    Rt,
    StandupsStub,
    WebMessenger,
    make_client,
    posts,
    settings,
)
from tests.test_weekly_report import Clock, script_fortnight

WEEK = "2026-W49"
MONDAY = dt.datetime(2026, 11, 30, 0, 0, tzinfo=BERLIN)


@dataclass
class GhRt(Rt):
    ctx: Any = None


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    users = {ADMIN: {"name": "admin", "real_name": "Ada Admin", "tz": "Europe/Berlin"}}
    with FakeSlack(token="xoxb-test", users=users) as f:
        yield f


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub({TOKEN: {"issues:write"}}) as gh:
        script_week(gh, MONDAY)
        yield gh


@pytest.fixture
def scripted(plan_file: Path) -> Clock:
    return script_fortnight(plan_file)[1]


def gh_env(github: FakeGitHub, **extra: Any) -> dict[str, Any]:
    return {
        "BATCHBOT_GITHUB_TOKEN": TOKEN,
        "BATCHBOT_GITHUB_REPO": REPO,
        "BATCHBOT_GITHUB_API_URL": github.url,
        "BATCHBOT_GITHUB_CI_WORKFLOW": "ci.yml",
        "BATCHBOT_GITHUB_DEPLOY_WORKFLOW": "deploy.yml",
        **extra,
    }


def gh_runtime(
    plan_file: Path,
    slack: FakeSlack,
    db_path: Path,
    clock: Clock,
    github: FakeGitHub,
    owner: str = "test-1",
    **extra: Any,
) -> GhRt:
    s = settings(**gh_env(github, **extra))
    url = f"sqlite:///{db_path}"
    db = Database(url)
    svc = from_settings(s, lambda: db, owner)
    return GhRt(
        settings=s,
        store=PlanStore(plan_file, clock=clock),
        clock=clock,
        messenger=WebMessenger(make_client(slack.url)),
        db=db,
        owner=owner,
        standups=StandupsStub(),
        ctx=SimpleNamespace(github=svc, name_of=None),
    )


def run(rt: GhRt, when: dt.datetime = FRIDAY_1500, force: bool = False) -> Any:
    rt.clock.now = when
    return run_weekly_report(rt, when, force=force)


def draft_text(slack: FakeSlack) -> str:
    [post] = posts(slack)[-1:]
    return json.dumps(post.args["blocks"], ensure_ascii=False)


def metrics_lines(text: str) -> list[str]:
    blocks = json.loads(text)
    section = next(b for b in blocks if "Metrics This Week" in b.get("text", {}).get("text", ""))
    return section["text"]["text"].split("\n")[1:]


def report_issues(github: FakeGitHub) -> list[dict[str, Any]]:
    return [i for i in github.issues_in(REPO) if marker(WEEK) in i["body"]]


def test_the_job_collects_and_commits_metrics_before_building_the_draft(
    scripted: Clock, plan_file: Path, slack: FakeSlack, tmp_path: Path, github: FakeGitHub
) -> None:
    rt = gh_runtime(plan_file, slack, tmp_path / "b.db", scripted, github)
    result = run(rt)
    assert result.sent == 1, result.summary
    plan = rt.store.load()
    got = {name: getattr(plan.metrics, name) for name in EXPECTED}
    assert got == EXPECTED
    assert plan.measured["ciPassRate"].at == FRIDAY_1500.astimezone(dt.UTC)
    assert "ci.yml" in plan.measured["ciPassRate"].source
    assert plan.metrics.coverage == 72  # typed, no source configured: stays as typed
    subjects = git(plan_file.parent.parent, "log", "--format=%s", "-3").splitlines()
    assert any("metrics" in s.lower() for s in subjects[1:]), subjects  # before the archive
    lines = metrics_lines(draft_text(slack))
    assert any(line.startswith("• CI pass rate: 85.8% (target ≥ 95%) ⚠️") for line in lines)
    assert "• Open critical/high vulnerabilities: 10 (target ≤ 0) ⚠️" in lines
    assert not any("not collected" in line for line in lines)
    blocks = posts(slack)[0].args["blocks"]
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions[0]["elements"]] == ["Publish to GitHub", "Edit"]
    assert report_issues(github) == []  # autopublish is off: a person reviews first


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ({"BATCHBOT_GITHUB_TOKEN": "ghp_bad"}, "GitHub refused the token (401 Bad credentials)"),
        ({"BATCHBOT_GITHUB_REPO": "acme/gone"}, "repository acme/gone not found on GitHub"),
        ("rate", "GitHub rate limit reached"),
        ("5xx", "GitHub answered 502"),
    ],
    ids=["bad-token", "missing-repo", "rate-limit", "server-error"],
)
def test_a_github_failure_is_one_clear_line_and_the_draft_still_posts(
    scripted: Clock,
    plan_file: Path,
    slack: FakeSlack,
    tmp_path: Path,
    github: FakeGitHub,
    setup: Any,
    needle: str,
) -> None:
    extra = setup if isinstance(setup, dict) else {}
    if setup == "rate":
        github.rate_limit("primary", times=100)
    if setup == "5xx":
        github.fail(502, times=100)
    rt = gh_runtime(plan_file, slack, tmp_path / "b.db", scripted, github, **extra)
    result = run(rt)
    assert result.sent == 1, result.summary
    problems = [line for line in metrics_lines(draft_text(slack)) if "not collected" in line]
    assert len(problems) == 1, problems
    assert needle in problems[0]
    assert problems[0].startswith("• ⚠️ prsMerged, ciPassRate, ciFlakeRate, workflowMinutes")
    told = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] != REPORT]
    assert any(needle in json.dumps(c.args, ensure_ascii=False) for c in told)  # the admins
    assert rt.store.load().metrics.prsMerged == 14  # the typed value stays; nothing invented


def test_autopublish_creates_the_issue_and_links_it_from_the_slack_post(
    scripted: Clock, plan_file: Path, slack: FakeSlack, tmp_path: Path, github: FakeGitHub
) -> None:
    rt = gh_runtime(
        plan_file, slack, tmp_path / "b.db", scripted, github, BATCHBOT_GITHUB_AUTOPUBLISH="true"
    )
    result = run(rt)
    assert result.sent == 1, result.summary
    [issue] = report_issues(github)
    assert issue["title"] == "Weekly Progress Report - Week 2 (2026-W49)"
    assert issue["labels"] == ["weekly-report"]
    assert issue["body"].startswith("## Weekly Progress Report - Week 2")
    [update] = slack.calls_to("chat.update")
    assert update.ok and update.args["ts"] == posts(slack)[0].response["ts"]
    link = json.dumps(update.args["blocks"])
    assert f"/issues/{issue['number']}|issue #{issue['number']}>" in link
    assert "report_actions" not in link  # the buttons are gone once it is published
    assert f"published {github.url}/{REPO}/issues/{issue['number']}" in result.summary


def test_autopublish_publishes_once_across_a_rerun_a_restart_and_a_forced_run(
    scripted: Clock, plan_file: Path, slack: FakeSlack, tmp_path: Path, github: FakeGitHub
) -> None:
    db = tmp_path / "b.db"
    auto = {"BATCHBOT_GITHUB_AUTOPUBLISH": "true"}
    rt = gh_runtime(plan_file, slack, db, scripted, github, **auto)
    assert run(rt).sent == 1
    assert run(rt, FRIDAY_1500 + dt.timedelta(minutes=5)).skipped == 1  # rerun
    restarted = gh_runtime(plan_file, slack, db, scripted, github, "restarted", **auto)
    assert run(restarted, FRIDAY_1500 + dt.timedelta(hours=2)).skipped == 1
    forced = run(restarted, FRIDAY_1500 + dt.timedelta(hours=3), force=True)
    assert forced.sent == 1  # a second draft, on purpose…
    assert len(report_issues(github)) == 1  # …but never a second issue
    assert len(github.calls_to("POST", r"/issues$")) == 1
    updates = slack.calls_to("chat.update")
    assert len(updates) == 2 and all(u.ok for u in updates)  # both drafts link the one issue


def _job_in_process(
    plan_file: str,
    db_url: str,
    slack_url: str,
    env: dict[str, str],
    owner: str,
    barrier: Any,
    out: Any,
) -> None:
    clock = Clock(FRIDAY_1500)
    s = settings(**env)
    db = Database(db_url)
    rt = GhRt(
        settings=s,
        store=PlanStore(plan_file, clock=clock),
        clock=clock,
        messenger=WebMessenger(make_client(slack_url)),
        db=db,
        owner=owner,
        standups=StandupsStub(),
        ctx=SimpleNamespace(github=from_settings(s, lambda: db, owner), name_of=None),
    )
    barrier.wait()
    result = run_weekly_report(rt, FRIDAY_1500)
    out.put((owner, result.sent, result.summary))


def test_two_processes_running_the_job_post_once_and_publish_once(
    scripted: Clock, plan_file: Path, slack: FakeSlack, tmp_path: Path, github: FakeGitHub
) -> None:
    db_url = f"sqlite:///{tmp_path / 'b.db'}"
    Database(db_url).close()
    env = gh_env(github, BATCHBOT_GITHUB_AUTOPUBLISH="true")
    mp = warm_context()
    barrier = mp.Barrier(2)
    out = mp.Queue()
    procs = [
        mp.Process(
            target=_job_in_process,
            args=(str(plan_file), db_url, slack.url, env, f"proc-{i}", barrier, out),
        )
        for i in range(2)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=90) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert sorted(r[1] for r in results) == [0, 1], results
    assert len(posts(slack)) == 1
    assert len(report_issues(github)) == 1


def test_without_github_settings_the_job_is_as_before(
    scripted: Clock, plan_file: Path, slack: FakeSlack, tmp_path: Path
) -> None:
    rt = GhRt(
        settings=settings(),
        store=PlanStore(plan_file, clock=scripted),
        clock=scripted,
        messenger=WebMessenger(make_client(slack.url)),
        db=Database(f"sqlite:///{tmp_path / 'b.db'}"),
        standups=StandupsStub(),
        ctx=None,
    )
    assert run(rt).sent == 1
    blocks = posts(slack)[0].args["blocks"]
    assert not [b for b in blocks if b["type"] == "actions"]


# -- issue 18 item 13: a team without GitHub hears nothing about it ------------------------
def test_without_github_set_up_the_friday_post_dm_and_log_say_nothing_about_github(
    scripted: Clock,
    plan_file: Path,
    slack: FakeSlack,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.runtime import build_runtime

    s = settings(EXECUTION_PLAN_PATH=str(plan_file))
    rt = build_runtime(
        s,
        WebMessenger(make_client(slack.url)),
        clock=scripted,
        db=Database(f"sqlite:///{tmp_path / 'b.db'}"),
    )
    assert rt.ctx.github is None  # the composition root builds no GitHub at all
    with caplog.at_level(logging.INFO):
        assert run(rt).sent == 1  # type: ignore[arg-type]
    said = json.dumps([c.args for c in slack.calls], ensure_ascii=False) + caplog.text
    assert "GitHub" not in said and "not collected" not in said
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    blocks = posts(slack)[0].args["blocks"]
    assert not [b for b in blocks if b["type"] == "actions"]  # no Publish button …
    assert "paste the attached markdown" not in json.dumps(blocks)  # … nor talk of pasting


def test_with_github_the_draft_says_publish_and_never_paste(
    scripted: Clock, plan_file: Path, slack: FakeSlack, github: FakeGitHub, tmp_path: Path
) -> None:
    rt = gh_runtime(plan_file, slack, tmp_path / "b.db", scripted, github)
    run(rt)
    text = draft_text(slack)
    assert "Publish to GitHub" in text
    assert "paste" not in text


# -- issue 18 item 8: a slow GitHub costs the post its numbers, never the post -------------
def test_a_slow_github_stops_at_the_deadline_and_the_friday_post_goes_out(
    scripted: Clock, plan_file: Path, slack: FakeSlack, github: FakeGitHub, tmp_path: Path
) -> None:
    import time

    github.slow(1.0)  # every answer takes a second; the whole collection may take 3
    rt = gh_runtime(
        plan_file, slack, tmp_path / "b.db", scripted, github, BATCHBOT_GITHUB_DEADLINE="3"
    )
    started = time.monotonic()
    assert run(rt).sent == 1
    assert time.monotonic() - started < 3 + 15  # the deadline, plus at most one request
    text = draft_text(slack)
    assert "not collected: GitHub did not answer within the 3 s allowed" in text
    assert text.count("not collected") == 1  # one line


def test_the_friday_job_measures_linked_batches_before_the_draft(
    scripted: Clock, plan_file: Path, slack: FakeSlack, tmp_path: Path, github: FakeGitHub
) -> None:
    github.add_milestone(REPO, "Infra v1")
    for state in ("closed", "closed", "closed", "open"):
        github.add_issue(REPO, created=MONDAY, state=state, milestone="Infra v1")
    rt = gh_runtime(plan_file, slack, tmp_path / "b.db", scripted, github)
    from bot.plan.link_edits import link_batch
    from bot.plan.store import Actor

    rt.store.change(Actor("Lea"), lambda p: link_batch(p, "batch-2", "Infra v1", ""))
    assert run(rt).sent == 1
    plan = rt.store.load()
    assert plan.batch("batch-2").progress == 75  # type: ignore[union-attr]
    assert (plan.links["batch-2"].done, plan.links["batch-2"].total) == (3, 4)
    assert "Infrastructure" in draft_text(slack) and "75%" in draft_text(slack)
