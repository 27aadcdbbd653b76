"""The fake GitHub refuses what GitHub refuses: these pin its behaviour with plain HTTP, so a
test of the bot that passes against it does not hide a request GitHub would turn down."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakegithub import FakeGitHub

TOKEN = "ghp_test_token"
REPO = "acme/shop"
MON = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub({TOKEN: {"issues:write"}, "ghp_read_only": set()}) as gh:
        gh.add_repo(REPO)
        yield gh


def call(
    fake: FakeGitHub,
    path: str,
    *,
    token: str | None = TOKEN,
    method: str = "GET",
    body: Any = None,
) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(fake.url + path, method=method)
    if token:
        req.add_header("Authorization", f"token {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, data=data, timeout=5) as resp:
            headers = {k.lower(): v for k, v in resp.headers.items()}
            return resp.status, headers, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        headers = {k.lower(): v for k, v in exc.headers.items()}
        return exc.code, headers, json.loads(exc.read() or b"null")


def links(headers: dict[str, str]) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', headers.get("link", ""))}


def test_a_missing_or_wrong_token_is_401_bad_credentials(fake: FakeGitHub) -> None:
    for token in (None, "ghp_wrong"):
        status, headers, body = call(fake, f"/repos/{REPO}", token=token)
        assert status == 401
        assert body["message"] == "Bad credentials"
        assert "x-ratelimit-remaining" in headers


def test_a_repository_that_does_not_exist_is_404(fake: FakeGitHub) -> None:
    status, _, body = call(fake, "/repos/acme/nope")
    assert (status, body["message"]) == (404, "Not Found")


def test_every_answer_carries_rate_limit_headers(fake: FakeGitHub) -> None:
    status, headers, body = call(fake, f"/repos/{REPO}")
    assert status == 200 and body["default_branch"] == "main"
    assert body["url"].startswith(fake.url)  # clients follow urls: they point at the fake
    for name in ("limit", "remaining", "reset", "used", "resource"):
        assert f"x-ratelimit-{name}" in headers


def test_workflow_runs_page_with_link_headers_at_most_100(fake: FakeGitHub) -> None:
    for i in range(250):
        fake.add_run(REPO, "ci.yml", created=MON + dt.timedelta(minutes=i))
    status, headers, body = call(fake, f"/repos/{REPO}/actions/workflows/ci.yml/runs?per_page=500")
    assert status == 200
    assert len(body["workflow_runs"]) == 100  # per_page is capped at 100, as on GitHub
    assert body["total_count"] == 250
    rel = links(headers)
    assert "page=2" in rel["next"] and "page=3" in rel["last"]
    status, headers, body = call(fake, rel["last"].removeprefix(fake.url))
    assert len(body["workflow_runs"]) == 50 and "next" not in links(headers)


def test_workflow_runs_filter_by_created_range_branch_and_status(fake: FakeGitHub) -> None:
    fake.add_run(REPO, "ci.yml", created=MON - dt.timedelta(hours=1))
    fake.add_run(REPO, "ci.yml", created=MON + dt.timedelta(hours=1), branch="feature")
    fake.add_run(REPO, "ci.yml", created=MON + dt.timedelta(hours=2), conclusion="failure")
    fake.add_run(REPO, "ci.yml", created=MON + dt.timedelta(hours=3))
    created = "2026-11-23T00:00:00Z..2026-11-27T00:00:00Z"
    _, _, body = call(
        fake,
        f"/repos/{REPO}/actions/workflows/ci.yml/runs?created={created}&branch=main&status=success",
    )
    assert body["total_count"] == 1
    status, _, _ = call(fake, f"/repos/{REPO}/actions/workflows/ci.yml/runs?created=last-week")
    assert status == 422


def test_a_rerun_keeps_its_id_and_earlier_attempts_are_reachable(fake: FakeGitHub) -> None:
    run_id = fake.add_run(REPO, "ci.yml", created=MON, attempts=("failure",))
    _, _, body = call(fake, f"/repos/{REPO}/actions/workflows/ci.yml/runs")
    [run] = body["workflow_runs"]
    assert (run["id"], run["run_attempt"], run["conclusion"]) == (run_id, 2, "success")
    _, _, first = call(fake, f"/repos/{REPO}/actions/runs/{run_id}/attempts/1")
    assert (first["run_attempt"], first["conclusion"]) == (1, "failure")


def test_an_unknown_workflow_file_is_404(fake: FakeGitHub) -> None:
    status, _, _ = call(fake, f"/repos/{REPO}/actions/workflows/nope.yml/runs")
    assert status == 404


def test_issues_list_includes_pull_requests_marked_as_such(fake: FakeGitHub) -> None:
    fake.add_issue(REPO, created=MON, labels=("incident",))
    fake.add_issue(REPO, created=MON, labels=("incident",), pull=True)
    _, _, body = call(fake, f"/repos/{REPO}/issues?labels=incident&state=all")
    assert len(body) == 2
    assert sum("pull_request" in item for item in body) == 1


def test_creating_an_issue_needs_write_permission_and_a_title(fake: FakeGitHub) -> None:
    status, _, body = call(
        fake, f"/repos/{REPO}/issues", method="POST", body={"title": "x"}, token="ghp_read_only"
    )
    assert status == 403 and "not accessible" in body["message"]
    status, _, body = call(fake, f"/repos/{REPO}/issues", method="POST", body={"title": " "})
    assert status == 422 and body["errors"][0]["field"] == "title"
    status, _, body = call(
        fake, f"/repos/{REPO}/issues", method="POST", body={"title": "x", "labels": "a"}
    )
    assert status == 422
    status, _, body = call(
        fake, f"/repos/{REPO}/issues", method="POST", body={"title": "Report", "labels": ["w"]}
    )
    assert status == 201 and body["number"] == 1 and body["labels"][0]["name"] == "w"


def test_search_counts_merged_prs_in_a_range_and_refuses_bad_queries(fake: FakeGitHub) -> None:
    fake.add_issue(REPO, created=MON, pull=True, merged=MON + dt.timedelta(days=1))
    fake.add_issue(REPO, created=MON, pull=True, merged=MON - dt.timedelta(days=1))
    fake.add_issue(REPO, created=MON, pull=True)  # open
    q = f"repo:{REPO} is:pr is:merged merged:2026-11-23T00:00:00Z..2026-11-27T00:00:00Z"
    _, _, body = call(fake, "/search/issues?" + urllib.parse.urlencode({"q": q}))
    assert body["total_count"] == 1 and body["incomplete_results"] is False
    status, _, _ = call(fake, "/search/issues?q=")
    assert status == 422
    status, _, _ = call(fake, "/search/issues?" + urllib.parse.urlencode({"q": "repo:acme/nope"}))
    assert status == 422
    status, _, _ = call(fake, "/search/issues?" + urllib.parse.urlencode({"q": "bogus:1"}))
    assert status == 422


def test_search_allows_30_requests_a_minute(fake: FakeGitHub) -> None:
    q = urllib.parse.urlencode({"q": f"repo:{REPO} is:pr"})
    for _ in range(30):
        assert call(fake, "/search/issues?" + q)[0] == 200
    status, headers, body = call(fake, "/search/issues?" + q)
    assert status == 403 and "rate limit" in body["message"]
    assert headers["x-ratelimit-remaining"] == "0" and headers["x-ratelimit-resource"] == "search"


def test_search_returns_at_most_1000_results(fake: FakeGitHub) -> None:
    for _ in range(1001):
        fake.add_issue(REPO, created=MON)
    q = urllib.parse.urlencode({"q": f"repo:{REPO} is:issue", "per_page": 100, "page": 11})
    status, _, body = call(fake, "/search/issues?" + q)
    assert status == 422 and "1000" in body["message"]


def test_dependabot_alerts_page_with_cursors_and_refuse_page(fake: FakeGitHub) -> None:
    for i in range(150):
        fake.add_alert(REPO, ("critical", "high", "medium", "low")[i % 4], created=MON)
    status, _, body = call(fake, f"/repos/{REPO}/dependabot/alerts?page=2")
    assert status == 400 and "before" in body["message"]
    status, headers, body = call(fake, f"/repos/{REPO}/dependabot/alerts?per_page=100")
    assert len(body) == 100
    nxt = links(headers)["next"]
    assert "after=" in nxt and "&page=" not in nxt and "?page=" not in nxt
    _, headers, body = call(fake, nxt.removeprefix(fake.url))
    assert len(body) == 50 and "next" not in links(headers)
    _, _, body = call(fake, f"/repos/{REPO}/dependabot/alerts?severity=critical,high&state=open")
    assert {a["security_advisory"]["severity"] for a in body} == {"critical", "high"}
    status, _, _ = call(fake, f"/repos/{REPO}/dependabot/alerts?severity=urgent")
    assert status == 422


def test_primary_rate_limit_answers_remaining_zero_and_reset(fake: FakeGitHub) -> None:
    fake.rate_limit("primary")
    status, headers, body = call(fake, f"/repos/{REPO}")
    assert status == 403 and body["message"].startswith("API rate limit exceeded")
    assert headers["x-ratelimit-remaining"] == "0" and int(headers["x-ratelimit-reset"]) > 0
    assert call(fake, f"/repos/{REPO}")[0] == 200  # only as many times as asked


def test_secondary_rate_limit_answers_retry_after(fake: FakeGitHub) -> None:
    fake.rate_limit("secondary", retry_after=7, status=429)
    status, headers, body = call(fake, f"/repos/{REPO}")
    assert status == 429 and headers["retry-after"] == "7"
    assert "secondary rate limit" in body["message"]


def test_server_errors_on_demand_for_matching_paths(fake: FakeGitHub) -> None:
    fake.fail(503, match="/dependabot/", times=2)
    assert call(fake, f"/repos/{REPO}")[0] == 200
    assert call(fake, f"/repos/{REPO}/dependabot/alerts")[0] == 503
    assert call(fake, f"/repos/{REPO}/dependabot/alerts")[0] == 503
    assert call(fake, f"/repos/{REPO}/dependabot/alerts")[0] == 200


def test_calls_are_recorded_with_their_answers(fake: FakeGitHub) -> None:
    call(fake, f"/repos/{REPO}", token="ghp_wrong")
    call(fake, f"/repos/{REPO}")
    path = f"/repos/{REPO}"
    assert [(c.path, c.status) for c in fake.calls] == [(path, 401), (path, 200)]
