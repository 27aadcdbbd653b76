"""The week's metrics: the pure definitions on hand-made records, then the same numbers through
PyGithub over HTTP against the fake GitHub for a scripted busy week, and one clear line for
each way GitHub can fail."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.github import GitHubConfig
from bot.github.client import GitHubAdapter
from bot.plan.model import Metrics, Plan
from bot.report.measurements import (
    Alert,
    Collection,
    Issue,
    Measured,
    PullRequest,
    Run,
    Window,
    ci_flake_rate,
    ci_pass_rate,
    median_minutes,
    open_critical_vulns,
    production_incidents,
    prs_merged,
    record,
    week_window,
)
from tests.fakegithub import FakeGitHub
from tests.github_week import AT, BERLIN, EXPECTED, REPO, TOKEN, WEEK_START, script_week

UTC = dt.UTC
MON = dt.datetime(2026, 11, 23, tzinfo=UTC)
WEEK = Window(MON, MON + dt.timedelta(days=4, hours=15))


def run(
    sha: str,
    conclusion: str | None = "success",
    *,
    branch: str = "main",
    hours: float = 1,
    minutes: float = 4,
    attempt: int = 1,
    latest: bool = True,
    status: str = "completed",
) -> Run:
    created = MON + dt.timedelta(hours=hours)
    return Run(
        id=hash(sha) % 10**6,
        attempt=attempt,
        head_sha=sha,
        head_branch=branch,
        status=status,
        conclusion=conclusion,
        created_at=created,
        started_at=created,
        updated_at=created + dt.timedelta(minutes=minutes),
        latest=latest,
    )


# --------------------------------------------------------------------------- pure


def test_the_week_starts_monday_midnight_in_the_team_zone() -> None:
    window = week_window(AT, BERLIN)
    assert window.start == WEEK_START
    assert window.start.astimezone(UTC) == dt.datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert window.end == AT
    sunday_late_utc = dt.datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    assert sunday_late_utc in window


def test_pass_rate_counts_default_branch_completed_runs_without_cancelled_or_skipped() -> None:
    runs = [
        run("a"),
        run("b"),
        run("c", "failure"),
        run("d", "cancelled"),
        run("e", "skipped"),
        run("f", "failure", branch="feature"),
        run("g", None, status="in_progress"),
        run("h", "failure", hours=-2),  # before Monday
    ]
    assert ci_pass_rate(runs, WEEK, "main") == 66.7


def test_pass_rate_is_not_measured_without_runs() -> None:
    assert ci_pass_rate([run("a", "cancelled")], WEEK, "main") is None


def test_flake_rate_is_the_share_of_commits_that_both_failed_and_passed() -> None:
    runs = [
        run("a"),
        run("a", "failure", hours=2),  # flaky across two runs
        run("b", "success", attempt=2),
        run("b", "failure", attempt=1, latest=False),  # flaky through a re-run
        run("c", "failure"),
        run("d", "cancelled"),
        run("d"),  # cancelled then passed: not flaky
    ]
    assert ci_flake_rate(runs, WEEK) == 50.0


def test_median_minutes_of_successful_latest_runs_in_the_week() -> None:
    runs = [run("a", minutes=3), run("b", minutes=9), run("c", minutes=5)]
    runs += [run("d", "failure", minutes=100), run("e", minutes=100, hours=-1)]
    assert median_minutes(runs, WEEK) == 5.0
    assert median_minutes([], WEEK) is None


def test_prs_merged_in_the_week_only() -> None:
    prs = [
        PullRequest(1, MON + dt.timedelta(hours=1)),
        PullRequest(2, MON - dt.timedelta(minutes=1)),
        PullRequest(3, None),
    ]
    assert prs_merged(prs, WEEK) == 1


def test_pull_requests_with_the_incident_label_are_not_incidents() -> None:
    issues = [
        Issue(1, MON + dt.timedelta(hours=1), ("incident",)),
        Issue(2, MON + dt.timedelta(hours=1), ("incident",), is_pull_request=True),
        Issue(3, MON + dt.timedelta(hours=1), ("bug",)),
        Issue(4, MON - dt.timedelta(hours=1), ("incident",)),
    ]
    assert production_incidents(issues, WEEK, "incident") == 1


def test_open_critical_vulns_are_open_critical_and_high_alerts() -> None:
    alerts = [Alert(1, "open", "critical"), Alert(2, "open", "high"), Alert(3, "open", "low")]
    alerts += [Alert(4, "fixed", "critical"), Alert(5, "dismissed", "high")]
    assert open_critical_vulns(alerts) == 2


def test_recording_a_collection_stores_values_with_source_and_time() -> None:
    collection = Collection(
        AT,
        week_window(AT, BERLIN),
        measured=(
            Measured("prsMerged", 14, "GitHub search"),
            Measured("ciPassRate", None, "GitHub Actions ci.yml"),
        ),
    )
    plan = Plan(metrics=Metrics(ciPassRate=90, coverage=81))
    new, changes = record(plan, collection)
    assert new.metrics.prsMerged == 14
    assert new.metrics.ciPassRate is None  # measured nothing: not measured, not stale 90
    assert new.metrics.coverage == 81  # typed, no source: stays as typed
    assert new.measured["prsMerged"].source == "GitHub search"
    assert new.measured["prsMerged"].at == AT.astimezone(UTC)
    assert [c.field for c in changes] == ["prsMerged", "ciPassRate"]
    assert record(new, collection) == (new, [])


# --------------------------------------------------------------------------- over HTTP


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub({TOKEN: {"issues:write"}}) as gh:
        script_week(gh)
        yield gh


def adapter(fake: FakeGitHub, **kw: object) -> GitHubAdapter:
    config = {
        "repo": REPO,
        "token": TOKEN,
        "api_url": fake.url,
        "ci_workflow": "ci.yml",
        "deploy_workflow": "deploy.yml",
        "backoff": 0.01,
        "max_wait": 5.0,
        **kw,
    }
    return GitHubAdapter(GitHubConfig(**config))  # type: ignore[arg-type]


def values(collection: Collection) -> dict[str, float | int | None]:
    return {m.name: m.value for m in collection.measured}


def test_a_busy_week_gives_exactly_the_defined_numbers(fake: FakeGitHub) -> None:
    collection = adapter(fake).collect(week_window(AT, BERLIN), AT)
    assert collection.failed == ()
    assert values(collection) == EXPECTED
    runs_pages = fake.calls_to("GET", r"/workflows/ci\.yml/runs$")
    assert len(runs_pages) == 4  # 362 runs in the week, 100 a page, filtered by the server
    assert all(c.query["per_page"] == "100" and "created" in c.query for c in runs_pages)
    assert len(fake.calls_to("GET", r"/attempts/1$")) == 2  # only the two re-runs
    assert all(c.status == 200 for c in fake.calls)


def test_each_metric_names_its_source(fake: FakeGitHub) -> None:
    collection = adapter(fake).collect(week_window(AT, BERLIN), AT)
    sources = {m.name: m.source for m in collection.measured}
    assert "ci.yml" in sources["ciPassRate"] and "main" in sources["ciPassRate"]
    assert "deploy.yml" in sources["deploymentMinutes"]
    assert "incident" in sources["productionIncidents"]
    assert "Dependabot" in sources["openCriticalVulns"]


def test_a_bad_token_is_one_clear_line_for_every_metric(fake: FakeGitHub) -> None:
    collection = adapter(fake, token="ghp_wrong").collect(week_window(AT, BERLIN), AT)
    assert collection.measured == ()
    [line] = collection.problems()
    assert "401 Bad credentials" in line and "BATCHBOT_GITHUB_TOKEN" in line
    assert len(fake.calls) == 1  # it stops at the first refusal


def test_a_missing_repository_is_one_clear_line(fake: FakeGitHub) -> None:
    collection = adapter(fake, repo="acme/nope").collect(week_window(AT, BERLIN), AT)
    [line] = collection.problems()
    assert "acme/nope not found" in line and "BATCHBOT_GITHUB_REPO" in line


def test_a_missing_workflow_costs_only_its_metrics(fake: FakeGitHub) -> None:
    collection = adapter(fake, deploy_workflow="nope.yml").collect(week_window(AT, BERLIN), AT)
    assert "deploymentMinutes" not in values(collection)
    assert values(collection)["prsMerged"] == 14
    [line] = collection.problems()
    assert line.startswith("deploymentMinutes not collected: workflow nope.yml not found")
    assert "BATCHBOT_GITHUB_DEPLOY_WORKFLOW" in line


def test_an_unset_workflow_says_which_setting(fake: FakeGitHub) -> None:
    collection = adapter(fake, ci_workflow=None).collect(week_window(AT, BERLIN), AT)
    [line] = collection.problems()
    assert line == (
        "ciPassRate, ciFlakeRate, workflowMinutes not collected: no CI workflow is set "
        "(BATCHBOT_GITHUB_CI_WORKFLOW)"
    )


def test_a_primary_rate_limit_far_away_is_one_line_not_an_hour_asleep(fake: FakeGitHub) -> None:
    fake.rate_limit("primary", times=100)
    collection = adapter(fake).collect(week_window(AT, BERLIN), AT)
    [line] = collection.problems()
    assert "rate limit" in line and "try again later" in line


def test_a_short_secondary_rate_limit_is_waited_out_and_retried(fake: FakeGitHub) -> None:
    fake.rate_limit("secondary", match="/dependabot/", retry_after=1, status=429)
    collection = adapter(fake).collect(week_window(AT, BERLIN), AT)
    assert values(collection) == EXPECTED
    statuses = [c.status for c in fake.calls_to("GET", "/dependabot/")]
    assert statuses[0] == 429 and statuses[1] == 200


def test_a_long_secondary_rate_limit_is_one_line(fake: FakeGitHub) -> None:
    fake.rate_limit("secondary", match="/dependabot/", retry_after=600, times=5)
    collection = adapter(fake).collect(week_window(AT, BERLIN), AT)
    [line] = collection.problems()
    assert line.startswith("openCriticalVulns not collected:")
    assert "rate limit" in line


def test_server_errors_are_retried_then_one_clear_line(fake: FakeGitHub) -> None:
    fake.fail(502, match="/search/", times=1)
    assert values(adapter(fake).collect(week_window(AT, BERLIN), AT)) == EXPECTED  # retried
    fake.fail(503, match="/workflows/deploy.yml/", times=50)
    collection = adapter(fake).collect(week_window(AT, BERLIN), AT)
    [line] = collection.problems()
    assert line.startswith("deploymentMinutes not collected: GitHub answered 503")
    assert "after 3 retries" in line


def test_the_token_is_never_logged(fake: FakeGitHub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "ghp_SUPERSECRET_never_print"
    fake.tokens[secret] = set()
    gh = adapter(fake, token=secret)
    fake.fail(502, times=2)
    fake.rate_limit("primary", match="/dependabot/", times=10)
    collection = gh.collect(week_window(AT, BERLIN), AT)
    assert collection.measured
    assert secret not in caplog.text
    assert secret not in "\n".join(collection.problems())
    assert secret not in repr(gh.config)
    gone = adapter(fake, token=secret + "x").collect(week_window(AT, BERLIN), AT)
    assert secret not in "\n".join(gone.problems())
    assert secret not in caplog.text


def test_an_unreachable_github_is_one_line(fake: FakeGitHub) -> None:
    collection = adapter(fake, api_url="http://127.0.0.1:9", retries=0).collect(
        week_window(AT, BERLIN), AT
    )
    [line] = collection.problems()
    assert line.startswith(
        "prsMerged, ciPassRate, ciFlakeRate, workflowMinutes, deploymentMinutes, "
        "productionIncidents, openCriticalVulns not collected: could not reach GitHub at "
        "http://127.0.0.1:9"
    )


def test_the_team_zone_decides_where_the_week_starts(fake: FakeGitHub) -> None:
    # Five main-branch successes ran Sunday 23:05–23:53 UTC: Monday in Berlin, not in UTC.
    utc_week = adapter(fake).collect(week_window(AT, ZoneInfo("UTC")), AT)
    assert values(utc_week)["ciPassRate"] == 85.6  # 237 of 277


def test_a_github_app_authenticates_through_its_installation(fake: FakeGitHub) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    installation = fake.add_app("4242", public, REPO)
    gh = adapter(fake, token=None, app_id="4242", private_key=private)
    collection = gh.collect(week_window(AT, BERLIN), AT)
    assert values(collection) == EXPECTED
    assert fake.calls_to("GET", rf"/repos/{REPO}/installation$")[0].status == 200
    assert fake.calls_to("POST", rf"/app/installations/{installation}/access_tokens$")
    assert private not in repr(gh.config)


def test_an_app_key_github_does_not_know_is_one_line(fake: FakeGitHub) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from bot.github import GitHubNotConfigured, build_adapter
    from bot.settings import Settings

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        BATCHBOT_GITHUB_APP_ID="999",
        BATCHBOT_GITHUB_PRIVATE_KEY=private,
        BATCHBOT_GITHUB_REPO=REPO,
        BATCHBOT_GITHUB_API_URL=fake.url,
    )
    with pytest.raises(GitHubNotConfigured) as caught:
        build_adapter(settings)
    assert str(caught.value).startswith("GitHub answered 401")
    assert "check BATCHBOT_GITHUB_APP_ID, BATCHBOT_GITHUB_PRIVATE_KEY" in str(caught.value)
    assert "PRIVATE KEY" not in str(caught.value)


def test_showing_the_metrics_names_where_each_collected_value_came_from(plan_file: object) -> None:
    from pathlib import Path

    from bot.commands import Command, Context, handle
    from bot.plan.store import Actor, PlanStore
    from bot.render.markdown import render

    store = PlanStore(Path(str(plan_file)))
    collection = Collection(
        AT, week_window(AT, BERLIN), measured=(Measured("prsMerged", 14, "GitHub search"),)
    )
    store.change(Actor("bot"), lambda plan: record(plan, collection), via="test")
    ctx = Context(store=store, clock=lambda: AT)
    shown = render(handle(Command(Actor("local"), ("metrics",), "cli"), ctx))
    assert "PRs merged: 14" in shown
    assert "CI pass rate: not measured (target ≥ 95%)" in shown
    assert "prsMerged: from GitHub search, Fri 27 Nov 15:00" in shown


def test_past_one_page_of_merged_prs_the_search_count_is_used_in_one_call() -> None:
    with FakeGitHub({TOKEN: set()}) as gh:
        gh.add_repo(REPO)
        t0 = WEEK_START.astimezone(UTC)
        for i in range(150):
            gh.add_issue(REPO, pull=True, created=t0, merged=t0 + dt.timedelta(minutes=i + 1))
        gh.add_issue(REPO, pull=True, created=t0, merged=t0 - dt.timedelta(minutes=1))
        collection = adapter(gh, ci_workflow=None, deploy_workflow=None).collect(
            week_window(AT, BERLIN), AT
        )
        [prs] = [m for m in collection.measured if m.name == "prsMerged"]
        assert prs.value == 150
        searches = [c for c in gh.calls_to("GET", "/search/issues") if "is:pr" in c.query["q"]]
        assert len(searches) == 1  # search allows 30 requests a minute


# -- issue 18 item 8: one deadline, a page cap, loop detection ------------------------------
def _finishes(work: Any, seconds: float = 30.0) -> Any:
    """Run `work` on a daemon thread; fail (instead of hanging the suite) if it never ends."""
    done: list[tuple[Any, BaseException | None]] = []

    def target() -> None:
        try:
            done.append((work(), None))
        except Exception as exc:
            done.append((None, exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert done, f"still running after {seconds:g} s"
    result, error = done[0]
    if error is not None:
        raise error
    return result


def test_a_slow_github_stops_at_the_deadline_and_says_so_in_one_line(fake: FakeGitHub) -> None:
    fake.slow(1.5, match="/actions/")  # every workflow answer outlasts the 1 s timeout
    gh = adapter(fake, timeout=1, deadline=4.0)
    started = time.monotonic()
    collection = _finishes(lambda: gh.collect(week_window(AT, BERLIN), AT))
    took = time.monotonic() - started
    assert took < 4.0 + 1 + 1.5, took  # the deadline, plus at most one request's timeout
    assert values(collection)["prsMerged"] == 14  # what came in before is kept
    [line] = collection.problems()
    assert line == (
        "ciPassRate, ciFlakeRate, workflowMinutes, deploymentMinutes, productionIncidents, "
        "openCriticalVulns not collected: GitHub did not answer within the 4 s allowed; "
        "stopped there"
    )


def test_a_link_header_that_loops_is_stopped_in_one_line(fake: FakeGitHub) -> None:
    fake.loop_links("/workflows/ci.yml/runs")
    collection = _finishes(lambda: adapter(fake).collect(week_window(AT, BERLIN), AT))
    [line] = collection.problems()
    assert line.startswith("ciPassRate, ciFlakeRate, workflowMinutes not collected: runs of ci.yml")
    assert "paging looped" in line
    assert len(fake.calls_to("GET", r"/workflows/ci\.yml/runs$")) <= 3
    assert values(collection)["deploymentMinutes"] is not None  # the rest is collected


def test_a_listing_past_the_page_cap_is_stopped_in_one_line(fake: FakeGitHub) -> None:
    from bot.github.client import MAX_PAGES

    config = GitHubConfig(
        repo=REPO, token=TOKEN, api_url=fake.url, ci_workflow="ci.yml", backoff=0.01
    )
    collection = GitHubAdapter(config, per_page=5).collect(week_window(AT, BERLIN), AT)
    [ci] = [p for p in collection.problems() if p.startswith("ciPassRate")]
    assert f"more than {MAX_PAGES} pages" in ci
    assert len(fake.calls_to("GET", r"/workflows/ci\.yml/runs$")) == MAX_PAGES + 1  # one peek


def test_publishing_with_a_looping_issue_list_ends_in_one_line(fake: FakeGitHub) -> None:
    from bot.report.publish import marker

    for n in range(120):
        fake.add_issue(REPO, title=f"old {n}", created=AT, labels=("weekly-report",))
    fake.loop_links("/issues")
    gh = adapter(fake)
    with pytest.raises(Exception, match="paging looped"):
        _finishes(lambda: gh.find_issue(marker("2026-W48"), "weekly-report"))


# -- issue 18 item 12: the flake rate's label counts what the rate divides by ----------------
def test_the_flake_rate_label_counts_only_the_commits_the_rate_divides_by() -> None:
    with FakeGitHub({TOKEN: set()}) as gh:
        gh.add_repo(REPO)
        start = WEEK_START + dt.timedelta(hours=2)
        gh.add_run(REPO, "ci.yml", created=start, sha="a" * 40)
        gh.add_run(REPO, "ci.yml", created=start, sha="b" * 40, attempts=("failure",))
        gh.add_run(
            REPO, "ci.yml", created=start, sha="c" * 40, status="in_progress", conclusion=None
        )
        collection = GitHubAdapter(
            GitHubConfig(repo=REPO, token=TOKEN, api_url=gh.url, ci_workflow="ci.yml")
        ).collect(week_window(AT, BERLIN), AT)
    flake = next(m for m in collection.measured if m.name == "ciFlakeRate")
    assert flake.value == 50.0  # 1 flaky of 2 commits with a finished run
    assert flake.source == (
        "GitHub Actions ci.yml: 2 commits with a finished run this week, every branch"
    )
