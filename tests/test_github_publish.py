"""One GitHub issue per week, whoever asks and however often: real PyGithub over HTTP against
the fake GitHub, real SQLite claims (threads and spawned processes share one file)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.db import Database
from bot.github import GitHubConfig
from bot.github.client import GitHubAdapter
from bot.github.service import GitHubService
from bot.plan.model import Batch, Plan
from bot.report.publish import (
    JOB,
    GitHubUnavailable,
    issue_body,
    issue_title,
    marker,
    publish,
)
from tests.fakegithub import FakeGitHub
from tests.serveproc import warm_context

REPO = "acme/shop"
TOKEN = "ghp_test_token"
READ_ONLY = "ghp_read_only"
WEEK = "2026-W48"
NOW = dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC)
TITLE = issue_title("Week 5", WEEK)
BODY = issue_body("## Weekly Progress Report - Week 5\n\n- done\n", Plan(), WEEK)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub({TOKEN: {"issues:write"}, READ_ONLY: set()}) as gh:
        gh.add_repo(REPO)
        yield gh


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    Database(url).close()
    return url


def adapter(url: str, token: str = TOKEN) -> GitHubAdapter:
    return GitHubAdapter(GitHubConfig(repo=REPO, token=token, api_url=url, backoff=0.01))


def service(url: str, db_url: str, owner: str = "p1", token: str = TOKEN) -> GitHubService:
    return GitHubService(
        lambda: adapter(url, token), lambda: Database(db_url), ("weekly-report", "report"), owner
    )


def reports(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [i for i in fake.issues_in(REPO) if marker(WEEK) in i["body"]]


def test_the_issue_is_titled_labelled_and_carries_the_hidden_marker(
    fake: FakeGitHub, db_url: str
) -> None:
    published = service(fake.url, db_url).publish_week(WEEK, TITLE, BODY, NOW)
    assert published.created and published.ref is not None
    [issue] = reports(fake)
    assert issue["title"] == "Weekly Progress Report - Week 5 (2026-W48)"
    assert issue["labels"] == ["weekly-report", "report"]
    assert issue["body"].startswith("## Weekly Progress Report - Week 5")
    assert issue["body"].rstrip().endswith("<!-- batchbot:weekly-report:2026-W48 -->")
    assert published.ref.url.endswith(f"/{REPO}/issues/{issue['number']}")
    claim = Database(db_url).get_claim(JOB, WEEK)
    assert claim is not None and claim.status == "done" and claim.detail == published.ref.url


def test_owners_are_mentioned_by_github_login_where_known() -> None:
    plan = Plan(
        batches=(
            Batch("b1", "Auth", status="in-progress", owner="<@U0ANA>"),
            Batch("b2", "Billing", status="blocked", owner="<@U0BEN|ben>"),
            Batch("b3", "Search", status="done", owner="<@U0ANA>"),
            Batch("b4", "Infra", status="queued", owner="Carla"),
        ),
        people={"U0ANA": "ana-gh"},
    )
    body = issue_body("report\n", plan, WEEK)
    assert "**Owners:** @ana-gh (Auth)" in body
    assert "Billing" not in body and "Search" not in body  # no login / done


def test_clicking_twice_creates_one_issue(fake: FakeGitHub, db_url: str) -> None:
    svc = service(fake.url, db_url)
    first = svc.publish_week(WEEK, TITLE, BODY, NOW)
    second = svc.publish_week(WEEK, TITLE, BODY, NOW + dt.timedelta(seconds=2))
    assert len(reports(fake)) == 1
    assert not second.created and second.ref == first.ref
    assert "already published" in second.message
    assert len(fake.calls_to("POST", r"/issues$")) == 1


def test_a_restart_with_a_new_database_object_creates_no_second_issue(
    fake: FakeGitHub, db_url: str
) -> None:
    service(fake.url, db_url, "before-restart").publish_week(WEEK, TITLE, BODY, NOW)
    again = service(fake.url, db_url, "after-restart").publish_week(WEEK, TITLE, BODY, NOW)
    assert len(reports(fake)) == 1 and not again.created


def test_a_lost_database_still_finds_the_issue_by_its_marker(
    fake: FakeGitHub, tmp_path: Path, db_url: str
) -> None:
    service(fake.url, db_url).publish_week(WEEK, TITLE, BODY, NOW)
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    again = service(fake.url, fresh).publish_week(WEEK, TITLE, BODY, NOW)
    assert len(reports(fake)) == 1 and not again.created and again.ref is not None
    claim = Database(fresh).get_claim(JOB, WEEK)
    assert claim is not None and claim.status == "done"  # recorded for next time


def test_a_claim_held_by_a_live_process_is_not_doubled(fake: FakeGitHub, db_url: str) -> None:
    db = Database(db_url)
    assert db.claim(JOB, WEEK, NOW, NOW, "other-host:42")
    out = publish(
        adapter(fake.url),
        db,
        week=WEEK,
        title=TITLE,
        body=BODY,
        labels=("weekly-report",),
        now=NOW + dt.timedelta(minutes=1),
        owner="me",
    )
    assert out.ref is None and "being published by other-host:42" in out.message
    assert reports(fake) == []


def test_a_claim_left_by_a_dead_process_is_taken_over(fake: FakeGitHub, db_url: str) -> None:
    db = Database(db_url)
    assert db.claim(JOB, WEEK, NOW, NOW, "dead-host:1")
    out = publish(
        adapter(fake.url),
        db,
        week=WEEK,
        title=TITLE,
        body=BODY,
        labels=("weekly-report",),
        now=NOW + dt.timedelta(minutes=30),
        owner="me",
    )
    assert out.created and len(reports(fake)) == 1


def test_a_token_without_issue_write_is_one_clear_line_and_frees_the_claim(
    fake: FakeGitHub, db_url: str
) -> None:
    with pytest.raises(GitHubUnavailable) as caught:
        service(fake.url, db_url, token=READ_ONLY).publish_week(WEEK, TITLE, BODY, NOW)
    assert str(caught.value) == (
        "GitHub refused (403 Resource not accessible by personal access token): "
        "the token lacks a permission"
    )
    assert Database(db_url).get_claim(JOB, WEEK) is None  # a retry with a good token works
    assert service(fake.url, db_url).publish_week(WEEK, TITLE, BODY, NOW).created


def test_a_server_error_while_creating_is_one_line_and_can_be_retried(
    fake: FakeGitHub, db_url: str
) -> None:
    fake.fail(502, match="/issues", times=20)
    with pytest.raises(GitHubUnavailable) as caught:
        service(fake.url, db_url).publish_week(WEEK, TITLE, BODY, NOW)
    assert "GitHub answered 502" in str(caught.value)
    assert reports(fake) == []
    fake.clear_failures()
    assert service(fake.url, db_url).publish_week(WEEK, TITLE, BODY, NOW).created


def _publish_in_process(api: str, db_url: str, owner: str, barrier: Any, out: Any) -> None:
    svc = service(api, db_url, owner)
    barrier.wait()
    result = svc.publish_week(WEEK, TITLE, BODY, NOW)
    out.put((owner, result.created, result.message))


def test_two_processes_publishing_at_once_create_one_issue(fake: FakeGitHub, db_url: str) -> None:
    mp = warm_context()
    barrier = mp.Barrier(3)
    out = mp.Queue()
    procs = [
        mp.Process(target=_publish_in_process, args=(fake.url, db_url, f"proc-{i}", barrier, out))
        for i in range(3)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert sorted(r[1] for r in results) == [False, False, True], results
    assert len(reports(fake)) == 1


def test_in_remote_mode_the_archived_report_is_read_from_the_branch(
    plan_repo: Path, tmp_path: Path
) -> None:
    from bot.commands import Context
    from bot.commands.report import archived_report
    from bot.plan.remote import RemoteConfig, RemotePlanStore
    from bot.plan.store import Actor
    from tests.conftest import git

    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(plan_repo), str(bare))
    store = RemotePlanStore(
        RemoteConfig(
            url=str(bare),
            plan_file="plan/execution-plan.toml",
            workdir=tmp_path / "work",
            sync_seconds=0.2,
        )
    )
    store.start()
    try:
        ctx = Context(store=store, clock=lambda: NOW)
        assert archived_report(ctx, WEEK) is None
        store.commit_file(f"plan/reports/{WEEK}.md", "## edited\n", Actor("Ana"), "archive")
        assert archived_report(ctx, WEEK) == "## edited\n"
    finally:
        store.stop_sync()


# -- issue 18 item 4: a create is never repeated blind ---------------------------------------
def test_a_502_after_github_created_the_issue_leaves_exactly_one_issue(
    fake: FakeGitHub, db_url: str
) -> None:
    fake.after_create(502)  # the issue is filed, the answer is lost
    published = service(fake.url, db_url).publish_week(WEEK, TITLE, BODY, NOW)
    [issue] = reports(fake)
    assert len(fake.calls_to("POST", r"/issues$")) == 1
    assert published.ref is not None and published.ref.number == issue["number"]
    again = service(fake.url, db_url).publish_week(WEEK, TITLE, BODY, NOW)
    assert not again.created and again.ref == published.ref and len(reports(fake)) == 1


def test_a_read_timeout_after_github_created_the_issue_leaves_exactly_one_issue(
    fake: FakeGitHub, db_url: str
) -> None:
    fake.after_create(0, hang=3.0)  # created, then the answer stalls past the client timeout
    slow = GitHubService(
        lambda: GitHubAdapter(
            GitHubConfig(repo=REPO, token=TOKEN, api_url=fake.url, backoff=0.01, timeout=1)
        ),
        lambda: Database(db_url),
        ("weekly-report",),
        "p1",
    )
    published = slow.publish_week(WEEK, TITLE, BODY, NOW)
    assert len(reports(fake)) == 1 and published.ref is not None
    deadline = time.monotonic() + 5  # the stalled answer is recorded once it is written
    while not fake.calls_to("POST", r"/issues$") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(fake.calls_to("POST", r"/issues$")) == 1


# -- issue 18 item 2: the marker counts only where the bot writes it ------------------------
def test_a_marker_quoted_in_user_text_does_not_make_next_week_already_published(
    fake: FakeGitHub, db_url: str
) -> None:
    last_week = issue_body(
        "## Week 4\n\n- goal: fix <!-- batchbot:weekly-report:2026-W48 --> parsing\n",
        Plan(),
        "2026-W47",
    )
    fake.add_issue(REPO, title="Week 4", created=NOW, labels=("weekly-report",), body=last_week)
    published = service(fake.url, db_url).publish_week(WEEK, TITLE, BODY, NOW)
    assert published.created, published.message
    assert len(fake.issues_in(REPO)) == 2


def test_the_marker_is_the_last_line_of_the_body() -> None:
    from bot.report.publish import ends_with_marker

    body = issue_body("## report\n\n<!-- batchbot:weekly-report:2026-W49 -->\n", Plan(), WEEK)
    assert ends_with_marker(body, marker(WEEK))
    assert not ends_with_marker(body, marker("2026-W49"))


# -- issue 18 item 7: a body GitHub would refuse is clipped, with a note -----------------------
def test_a_report_longer_than_github_allows_is_clipped_with_a_note_and_published(
    fake: FakeGitHub, db_url: str
) -> None:
    from bot.report.publish import MAX_BODY

    plan = Plan(
        batches=(Batch(id="batch-1", name="One", owner="<@U0ANA>"),), people={"U0ANA": "ana-gh"}
    )
    rows = "".join(f"| batch-{n} | {'x' * 60} |\n" for n in range(1200))  # ~80,000 characters
    body = issue_body(f"## Weekly Progress Report - Week 5\n\n```\n{rows}```\n", plan, WEEK)
    assert len(body) > MAX_BODY
    svc = GitHubService(
        lambda: adapter(fake.url),
        lambda: Database(db_url),
        ("weekly-report",),
        "p1",
        lambda week: f"https://github.com/acme/plan/blob/HEAD/plan/reports/{week}.md",
    )
    published = svc.publish_week(WEEK, TITLE, body, NOW)
    assert published.created, published.message
    [issue] = reports(fake)
    text = issue["body"]
    assert len(text) <= MAX_BODY
    assert "clipped here; the whole report is [`plan/reports/2026-W48.md`]" in text
    assert "(https://github.com/acme/plan/blob/HEAD/plan/reports/2026-W48.md)" in text
    assert text.count("```") % 2 == 0  # the cut code block is closed
    assert "**Owners:** @ana-gh (One)" in text
    assert text.rstrip().endswith(marker(WEEK))
    again = svc.publish_week(WEEK, TITLE, body, NOW)  # and it is found again by its marker
    assert not again.created and len(reports(fake)) == 1


def test_the_fake_github_refuses_a_body_over_65536_characters_like_github(
    fake: FakeGitHub,
) -> None:
    with pytest.raises(Exception, match="422"):
        adapter(fake.url).create_issue("t", "x" * 65_537, ())
    assert reports(fake) == []


def test_publish_of_a_week_the_year_does_not_have_is_one_line_and_creates_nothing(
    fake: FakeGitHub, db_url: str, plan_file: Path
) -> None:
    """2025 has no week 53 (2026 has); there is no year 0. Typed weeks are refused in one line,
    never a ValueError traceback from the calendar."""
    from bot.commands import Command, Context, handle
    from bot.plan.store import Actor, PlanStore
    from bot.render.markdown import render
    from tests.test_weekly_report import Clock, at

    clock = Clock(at(4, 10))
    ctx = Context(
        store=PlanStore(plan_file, clock=clock), clock=clock, github=service(fake.url, db_url)
    )
    before = plan_file.read_text()
    for week in ("2025-W53", "0000-W01"):
        reply = handle(Command.from_text(Actor("Lea"), f"/batch report publish {week}", "cli"), ctx)
        text = render(reply)
        assert reply.exit_code != 0 and "has no week" in text, text
        assert len(text.splitlines()) <= 2, text
    assert fake.issues_in(REPO) == [] and plan_file.read_text() == before
