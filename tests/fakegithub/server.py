"""A small but honest fake of the GitHub REST API, served over real HTTP on 127.0.0.1.

GitHub is unreachable from the machines our tests run on, so this is the stand-in that lets
the *real* client library (PyGithub: its requester, pagination, retry and rate-limit code)
run end to end over real sockets.

"Honest" means it refuses what GitHub refuses, the way GitHub documents it: a missing or
wrong token is 401 ``Bad credentials``; a repository the token cannot see is 404; a write
without ``issues: write`` is 403; a malformed search or issue is 422; ``per_page`` is capped
at 100 and pages are linked with ``Link`` headers (Dependabot alerts with ``after``/``before``
cursors, never ``page``); search finds at most 1,000 results and allows 30 requests a minute;
rate limits answer 403/429 with ``x-ratelimit-remaining: 0`` + ``x-ratelimit-reset`` (primary)
or ``Retry-After`` (secondary); every answer carries ``x-ratelimit-*`` headers. 5xx answers are
available on demand. Every ``url`` in a response points back at this server, because clients
follow them. It implements only what batchbot calls; anything else is 404.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import re
import shlex
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.loopback import LoopbackFake

JsonDict = dict[str, Any]

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30
SEARCH_RESULT_CAP = 1000
SEARCH_PER_MINUTE = 30
CORE_LIMIT = 5000
DOCS = "https://docs.github.com/rest"
SEVERITIES = ("low", "medium", "high", "critical")
ALERT_STATES = ("open", "dismissed", "fixed", "auto_dismissed")
RUN_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CONCLUSIONS = (
    "success",
    "failure",
    "cancelled",
    "skipped",
    "timed_out",
    "neutral",
    "action_required",
    "stale",
    "startup_failure",
)
#: Issue endpoints that need `issues: write`.
WRITE = "issues:write"


class GitHubError(Exception):
    """Raised inside a handler: answered as GitHub's ``{"message", "documentation_url"}``."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        errors: list[JsonDict] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.errors = errors

    def body(self) -> JsonDict:
        out: JsonDict = {"message": self.message, "documentation_url": DOCS}
        if self.errors is not None:
            out["errors"] = self.errors
        out["status"] = str(self.status)
        return out


class _Answered(Exception):
    def __init__(self, status: int, payload: Any) -> None:
        super().__init__(status)
        self.status = status
        self.payload = payload


@dataclass(frozen=True)
class Call:
    """One request the fake received; ``query`` holds single values, ``status`` the answer."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int
    time: float


@dataclass
class _Planned:
    """A failure to answer instead of the real response (5xx on demand, rate limits)."""

    status: int
    kind: str  # "error" | "primary" | "secondary"
    match: str  # substring of the path; "" matches every path
    times: int
    retry_after: int = 1


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    default_branch: str = "main"
    workflows: dict[str, int] = field(default_factory=dict)  # file → id
    runs: list[JsonDict] = field(default_factory=list)  # every attempt, newest attempt last
    issues: list[JsonDict] = field(default_factory=list)  # issues and pull requests
    alerts: list[JsonDict] = field(default_factory=list)
    milestones: list[JsonDict] = field(default_factory=list)  # number = position + 1
    installation: int | None = None  # a GitHub App installed here

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_moment(text: str, *, end: bool) -> dt.datetime:
    """A search/filter date or date-time; a bare date is the whole day (start or end)."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = dt.date.fromisoformat(text)
        start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
        return start + dt.timedelta(days=1) - dt.timedelta(microseconds=1) if end else start
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def range_filter(expr: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """GitHub's date qualifier syntax: ``a..b``, ``>=a``, ``>a``, ``<=b``, ``<b``, ``a``.

    Returns inclusive bounds; anything else is a 422, as GitHub answers.
    """
    try:
        if ".." in expr:
            a, b = expr.split("..", 1)
            lo = None if a in ("", "*") else _parse_moment(a, end=False)
            hi = None if b in ("", "*") else _parse_moment(b, end=True)
            return lo, hi
        for op in (">=", "<=", ">", "<"):
            if expr.startswith(op):
                moment = _parse_moment(expr[len(op) :], end=op in ("<=", ">"))
                tick = dt.timedelta(microseconds=1)
                if op == ">=":
                    return moment, None
                if op == ">":
                    return moment + tick, None
                if op == "<=":
                    return None, moment
                return None, moment - tick
        return _parse_moment(expr, end=False), _parse_moment(expr, end=True)
    except ValueError:
        raise GitHubError(422, f"Invalid date range {expr!r}") from None


def _within(value: str | None, lo: dt.datetime | None, hi: dt.datetime | None) -> bool:
    if value is None:
        return False
    moment = _parse_moment(value, end=False)
    return (lo is None or moment >= lo) and (hi is None or moment <= hi)


class FakeGitHub(LoopbackFake):
    """The fake server plus the data it serves. Use as a context manager or start()/stop().

    ``tokens`` maps each accepted token to its permissions (``{"issues:write"}`` or empty);
    a token may see only ``repos`` (``None``: every repository).
    """

    def __init__(
        self,
        tokens: dict[str, set[str]] | None = None,
        *,
        visible: dict[str, set[str]] | None = None,
    ) -> None:
        self.tokens = tokens if tokens is not None else {"ghp_test_token": {WRITE}}
        self.visible = visible or {}
        #: GitHub Apps: app id → PEM public key; their JWTs are checked with it (RS256).
        self.apps: dict[str, bytes] = {}
        self.installations: dict[int, str] = {}  # installation id → app id
        self.repos: dict[str, Repo] = {}
        self.calls: list[Call] = []
        self.core_remaining = CORE_LIMIT
        self.reset_at = int(time.time()) + 3600
        self._search_times: list[float] = []
        self._planned: list[_Planned] = []
        #: After creating an issue for real, answer this instead (status, seconds to stall first).
        self._after_create: list[tuple[int, float]] = []
        self.delay = 0.0  # seconds every answer takes (a slow GitHub)
        self.delay_match = ""
        self.looping: str = ""  # paths containing this get a `Link: rel=next` back to themselves
        self._ids = itertools.count(1000)
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ lifecycle
    # start, stop, `with` and port: tests/loopback.py
    thread_name = "fakegithub"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"fake": self})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ scripting
    def add_repo(self, full_name: str, default_branch: str = "main") -> Repo:
        owner, name = full_name.split("/", 1)
        repo = Repo(owner, name, next(self._ids), default_branch)
        self.repos[full_name.lower()] = repo
        return repo

    def add_workflow(self, full_name: str, file: str) -> int:
        repo = self.repos[full_name.lower()]
        return repo.workflows.setdefault(file, next(self._ids))

    def add_run(
        self,
        full_name: str,
        workflow: str,
        *,
        created: dt.datetime,
        conclusion: str | None = "success",
        status: str = "completed",
        branch: str = "main",
        sha: str | None = None,
        minutes: float = 4.0,
        attempts: tuple[str | None, ...] = (),
        event: str = "push",
    ) -> int:
        """One workflow run; ``attempts`` lists conclusions of earlier attempts (re-runs).

        The run keeps its id across attempts, as on GitHub; the listing shows the latest.
        """
        assert status in RUN_STATUSES and (conclusion is None or conclusion in CONCLUSIONS)
        repo = self.repos[full_name.lower()]
        workflow_id = self.add_workflow(full_name, workflow)
        run_id = next(self._ids)
        number = sum(1 for r in repo.runs if r["workflow_id"] == workflow_id) + 1
        sha = sha or f"{run_id:040x}"
        all_attempts = (*attempts, conclusion)
        for n, concl in enumerate(all_attempts, start=1):
            started = created + dt.timedelta(minutes=(n - 1) * (minutes + 1))
            finished = started + dt.timedelta(minutes=minutes)
            latest = n == len(all_attempts)
            repo.runs.append(
                {
                    "id": run_id,
                    "workflow_file": workflow,
                    "workflow_id": workflow_id,
                    "run_number": number,
                    "run_attempt": n,
                    "latest": latest,
                    "head_branch": branch,
                    "head_sha": sha,
                    "event": event,
                    "status": status if latest else "completed",
                    "conclusion": concl
                    if (latest and status == "completed") or not latest
                    else None,
                    "created_at": iso(created),
                    "run_started_at": iso(started),
                    "updated_at": iso(finished),
                }
            )
        return run_id

    def add_issue(
        self,
        full_name: str,
        *,
        title: str = "An issue",
        created: dt.datetime,
        labels: tuple[str, ...] = (),
        pull: bool = False,
        merged: dt.datetime | None = None,
        state: str = "open",
        body: str = "",
        milestone: str | None = None,
        state_reason: str | None = None,
    ) -> int:
        """An issue, or a pull request when ``pull`` (merged at ``merged``, if given); in the
        milestone titled ``milestone`` (made by `add_milestone`) when given."""
        repo = self.repos[full_name.lower()]
        number = len(repo.issues) + 1
        in_milestone = None
        if milestone is not None:
            in_milestone = next(m["number"] for m in repo.milestones if m["title"] == milestone)
        repo.issues.append(
            {
                "id": next(self._ids),
                "number": number,
                "title": title,
                "body": body,
                "state": "closed" if merged else state,
                "labels": list(labels),
                "created_at": iso(created),
                "updated_at": iso(merged or created),
                "closed_at": iso(merged) if merged else None,
                "pull": pull,
                "merged_at": iso(merged) if merged else None,
                "milestone": in_milestone,
                "state_reason": state_reason,
            }
        )
        return number

    def add_milestone(self, full_name: str, title: str, state: str = "open") -> int:
        repo = self.repos[full_name.lower()]
        number = len(repo.milestones) + 1
        repo.milestones.append({"number": number, "title": title, "state": state})
        return number

    def close_issue(
        self,
        full_name: str,
        number: int,
        *,
        merged: dt.datetime | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        """Close an issue (or merge a pull request when ``merged``) as GitHub would."""
        repo = self.repos[full_name.lower()]
        issue = repo.issues[number - 1]
        when = iso(merged or at or dt.datetime.now(dt.UTC))
        issue.update(state="closed", closed_at=when, updated_at=when)
        if merged:
            issue["merged_at"] = when

    def add_alert(
        self, full_name: str, severity: str, *, state: str = "open", created: dt.datetime
    ) -> int:
        assert severity in SEVERITIES and state in ALERT_STATES
        repo = self.repos[full_name.lower()]
        number = len(repo.alerts) + 1
        repo.alerts.append(
            {"number": number, "severity": severity, "state": state, "created_at": iso(created)}
        )
        return number

    def fail(self, status: int = 502, match: str = "", times: int = 1) -> None:
        """Answer the next ``times`` requests whose path contains ``match`` with ``status``."""
        with self._lock:
            self._planned.append(_Planned(status, "error", match, times))

    def rate_limit(
        self,
        kind: str = "primary",
        *,
        match: str = "",
        times: int = 1,
        retry_after: int = 1,
        status: int = 403,
    ) -> None:
        """Answer as a primary (remaining 0, reset) or secondary (Retry-After) rate limit."""
        assert kind in ("primary", "secondary")
        with self._lock:
            self._planned.append(_Planned(status, kind, match, times, retry_after))

    def after_create(self, status: int = 502, *, hang: float = 0.0, times: int = 1) -> None:
        """Create the next ``times`` issues for real, then lose the answer: stall ``hang``
        seconds (a client read timeout) and answer ``status`` (0: the real 201 after all).

        What GitHub's edge does when the backend is slow: the issue exists, the caller
        sees a 502 or a timeout, and a blind retry files a second one.
        """
        with self._lock:
            self._after_create.extend([(status, hang)] * times)

    def slow(self, seconds: float, match: str = "") -> None:
        """Every answer to a path containing ``match`` takes ``seconds`` (0: back to normal)."""
        self.delay, self.delay_match = seconds, match

    def loop_links(self, match: str) -> None:
        """Paged answers to paths containing ``match`` link ``rel=next`` to the same page, so
        a client that trusts ``Link`` pages forever ("" stops it)."""
        self.looping = match

    def clear_failures(self) -> None:
        """Forget every planned failure and rate limit not yet answered."""
        with self._lock:
            self._planned.clear()

    def calls_to(self, method: str, path_re: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.search(path_re, c.path)]

    def issues_in(self, full_name: str) -> list[JsonDict]:
        return [i for i in self.repos[full_name.lower()].issues if not i["pull"]]

    # ------------------------------------------------------------------ JSON shapes
    def _user(self, login: str = "octocat") -> JsonDict:
        base = self.url
        return {
            "login": login,
            "id": 1,
            "node_id": "MDQ6VXNlcjE=",
            "avatar_url": f"{base}/avatars/{login}",
            "gravatar_id": "",
            "url": f"{base}/users/{login}",
            "html_url": f"{base}/{login}",
            "type": "User",
            "site_admin": False,
        }

    def _repo_json(self, repo: Repo) -> JsonDict:
        base = f"{self.url}/repos/{repo.full_name}"
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self._user(repo.owner),
            "private": True,
            "html_url": f"{self.url}/{repo.full_name}",
            "url": base,
            "issues_url": base + "/issues{/number}",
            "pulls_url": base + "/pulls{/number}",
            "default_branch": repo.default_branch,
            "has_issues": True,
            "archived": False,
            "visibility": "private",
        }

    def _workflow_json(self, repo: Repo, workflow: str) -> JsonDict:
        by_id = {str(v): k for k, v in repo.workflows.items()}
        file = by_id.get(workflow, workflow)
        if file not in repo.workflows:
            raise GitHubError(404, "Not Found")
        wid = repo.workflows[file]
        url = f"{self.url}/repos/{repo.full_name}/actions/workflows/{wid}"
        return {
            "id": wid,
            "node_id": f"W_{wid}",
            "name": file.rsplit(".", 1)[0].upper(),
            "path": f".github/workflows/{file}",
            "state": "active",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "url": url,
            "html_url": f"{self.url}/{repo.full_name}/actions/workflows/{file}",
            "badge_url": f"{self.url}/{repo.full_name}/workflows/{file}/badge.svg",
        }

    def _run_json(self, repo: Repo, run: JsonDict) -> JsonDict:
        base = f"{self.url}/repos/{repo.full_name}/actions"
        url = f"{base}/runs/{run['id']}"
        prev = f"{url}/attempts/{run['run_attempt'] - 1}" if run["run_attempt"] > 1 else None
        return {
            "id": run["id"],
            "name": run["workflow_file"].rsplit(".", 1)[0].upper(),
            "node_id": f"WFR_{run['id']}",
            "head_branch": run["head_branch"],
            "head_sha": run["head_sha"],
            "path": f".github/workflows/{run['workflow_file']}",
            "display_title": "A commit",
            "run_number": run["run_number"],
            "event": run["event"],
            "status": run["status"],
            "conclusion": run["conclusion"],
            "workflow_id": run["workflow_id"],
            "check_suite_id": run["id"] + 1,
            "check_suite_node_id": f"CS_{run['id']}",
            "url": url,
            "html_url": f"{self.url}/{repo.full_name}/actions/runs/{run['id']}",
            "pull_requests": [],
            "created_at": run["created_at"],
            "updated_at": run["updated_at"],
            "actor": self._user(),
            "triggering_actor": self._user(),
            "run_attempt": run["run_attempt"],
            "referenced_workflows": [],
            "run_started_at": run["run_started_at"],
            "jobs_url": f"{url}/jobs",
            "logs_url": f"{url}/logs",
            "check_suite_url": f"{self.url}/repos/{repo.full_name}/check-suites/{run['id'] + 1}",
            "artifacts_url": f"{url}/artifacts",
            "cancel_url": f"{url}/cancel",
            "rerun_url": f"{url}/rerun",
            "previous_attempt_url": prev,
            "workflow_url": f"{base}/workflows/{run['workflow_id']}",
            "head_commit": {"id": run["head_sha"], "message": "A commit"},
            "repository": self._repo_json(repo),
            "head_repository": self._repo_json(repo),
        }

    def _issue_json(self, repo: Repo, issue: JsonDict) -> JsonDict:
        base = f"{self.url}/repos/{repo.full_name}"
        url = f"{base}/issues/{issue['number']}"
        out: JsonDict = {
            "id": issue["id"],
            "node_id": f"I_{issue['id']}",
            "url": url,
            "repository_url": base,
            "labels_url": url + "/labels{/name}",
            "comments_url": url + "/comments",
            "events_url": url + "/events",
            "html_url": f"{self.url}/{repo.full_name}/"
            + ("pull" if issue["pull"] else "issues")
            + f"/{issue['number']}",
            "number": issue["number"],
            "state": issue["state"],
            "title": issue["title"],
            "body": issue["body"],
            "user": self._user(),
            "labels": [
                {
                    "id": abs(hash(name)) % 10**8,
                    "node_id": f"LA_{name}",
                    "url": f"{base}/labels/{name}",
                    "name": name,
                    "color": "ededed",
                    "default": False,
                    "description": "",
                }
                for name in issue["labels"]
            ],
            "assignee": None,
            "assignees": [],
            "milestone": self._milestone_json(repo, issue["milestone"]),
            "state_reason": issue.get("state_reason")
            or ("completed" if issue["state"] == "closed" else None),
            "locked": False,
            "comments": 0,
            "created_at": issue["created_at"],
            "updated_at": issue["updated_at"],
            "closed_at": issue["closed_at"],
            "author_association": "MEMBER",
        }
        if issue["pull"]:
            out["pull_request"] = {
                "url": f"{base}/pulls/{issue['number']}",
                "html_url": out["html_url"],
                "diff_url": out["html_url"] + ".diff",
                "patch_url": out["html_url"] + ".patch",
                "merged_at": issue["merged_at"],
            }
        return out

    def _milestone_json(self, repo: Repo, number: int | None) -> JsonDict | None:
        if number is None:
            return None
        m = repo.milestones[number - 1]
        mine = [i for i in repo.issues if i.get("milestone") == number]
        base = f"{self.url}/repos/{repo.full_name}/milestones/{number}"
        return {
            "url": base,
            "html_url": f"{self.url}/{repo.full_name}/milestone/{number}",
            "labels_url": base + "/labels",
            "id": 9000 + number,
            "node_id": f"MI_{number}",
            "number": number,
            "title": m["title"],
            "description": "",
            "creator": self._user(),
            "open_issues": sum(i["state"] == "open" for i in mine),
            "closed_issues": sum(i["state"] == "closed" for i in mine),
            "state": m["state"],
            "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z",
            "closed_at": None,
            "due_on": None,
        }

    def _alert_json(self, repo: Repo, alert: JsonDict) -> JsonDict:
        base = f"{self.url}/repos/{repo.full_name}"
        package = {"ecosystem": "pip", "name": f"pkg{alert['number']}"}
        ghsa = f"GHSA-{alert['number']:04d}-fake-fake"
        return {
            "number": alert["number"],
            "state": alert["state"],
            "dependency": {
                "package": package,
                "manifest_path": "requirements.txt",
                "scope": "runtime",
            },
            "security_advisory": {
                "ghsa_id": ghsa,
                "cve_id": None,
                "summary": "A vulnerability",
                "description": "A vulnerability",
                "severity": alert["severity"],
                "identifiers": [{"type": "GHSA", "value": ghsa}],
                "references": [],
                "published_at": alert["created_at"],
                "updated_at": alert["created_at"],
                "withdrawn_at": None,
                "vulnerabilities": [],
            },
            "security_vulnerability": {
                "package": package,
                "severity": alert["severity"],
                "vulnerable_version_range": "< 1.0",
                "first_patched_version": {"identifier": "1.0"},
            },
            "url": f"{base}/dependabot/alerts/{alert['number']}",
            "html_url": f"{self.url}/{repo.full_name}/security/dependabot/{alert['number']}",
            "created_at": alert["created_at"],
            "updated_at": alert["created_at"],
            "dismissed_at": None,
            "dismissed_by": None,
            "dismissed_reason": None,
            "dismissed_comment": None,
            "fixed_at": None,
            "auto_dismissed_at": None,
        }

    # ------------------------------------------------------------------ request handling
    def _rate_headers(self, resource: str = "core") -> dict[str, str]:
        if resource == "search":
            remaining = max(0, SEARCH_PER_MINUTE - len(self._search_times))
            return {
                "x-ratelimit-limit": str(SEARCH_PER_MINUTE),
                "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-used": str(SEARCH_PER_MINUTE - remaining),
                "x-ratelimit-reset": str(int(time.time()) + 60),
                "x-ratelimit-resource": "search",
            }
        return {
            "x-ratelimit-limit": str(CORE_LIMIT),
            "x-ratelimit-remaining": str(self.core_remaining),
            "x-ratelimit-used": str(CORE_LIMIT - self.core_remaining),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-resource": "core",
        }

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        body: Any = None
        if raw_body:
            try:
                body = json.loads(raw_body)
            except ValueError:
                body = raw_body.decode("utf-8", "replace")
        resource = "search" if path.startswith("/search/") else "core"
        out_headers: dict[str, str] = {}
        try:
            if path.startswith("/app/") or re.fullmatch(r"/repos/[^/]+/[^/]+/installation", path):
                status, payload, extra = self._app_route(method, path, headers)
                out_headers.update(extra)
                raise _Answered(status, payload)
            token = self._token(headers)
            planned = self._take_planned(path)
            if planned is not None:
                raise self._planned_error(planned, resource)
            with self._lock:
                if resource == "core":
                    if self.core_remaining <= 0:
                        raise self._primary_error("core")
                    self.core_remaining -= 1
                else:
                    now = time.monotonic()
                    self._search_times = [t for t in self._search_times if now - t < 60]
                    if len(self._search_times) >= SEARCH_PER_MINUTE:
                        raise self._primary_error("search")
                    self._search_times.append(now)
            if self.delay and self.delay_match in path:
                time.sleep(self.delay)
            status, payload, extra = self._route(method, path, query, body, token)
            out_headers.update(extra)
            if method == "GET" and status == 200:  # GitHub's conditional requests
                tag = (
                    '"'
                    + hashlib.sha1(
                        json.dumps(payload, sort_keys=True).encode(), usedforsecurity=False
                    ).hexdigest()
                    + '"'
                )
                out_headers["ETag"] = tag
                if headers.get("if-none-match") == tag:
                    # "a 304 … does not count against your primary rate limit"
                    with self._lock:
                        if resource == "core":
                            self.core_remaining += 1
                    raise _Answered(304, None)
            if method == "POST" and status == 201 and path.endswith("/issues"):
                with self._lock:
                    lost = self._after_create.pop(0) if self._after_create else None
                if lost is not None:
                    time.sleep(lost[1])
                    if lost[0]:
                        raise GitHubError(lost[0], "Server Error")
        except GitHubError as exc:
            status, payload = exc.status, exc.body()
            out_headers.update(exc.headers)
        except _Answered as done:
            status, payload = done.status, done.payload
        rate = self._rate_headers(resource)
        rate.update(out_headers)
        with self._lock:
            self.calls.append(Call(method, path, query, headers, body, status, time.time()))
        return status, rate, payload

    def _token(self, headers: dict[str, str]) -> str:
        auth = headers.get("authorization", "")
        m = re.fullmatch(r"(?:token|bearer)\s+(\S+)", auth.strip(), re.IGNORECASE)
        if not m or m.group(1) not in self.tokens:
            raise GitHubError(401, "Bad credentials")
        return m.group(1)

    def add_app(self, app_id: str, public_key_pem: bytes, installed_on: str) -> int:
        """A GitHub App with an installation on `installed_on` (owner/name)."""
        self.apps[str(app_id)] = public_key_pem
        installation = next(self._ids)
        self.installations[installation] = str(app_id)
        self.repos[installed_on.lower()].installation = installation
        return installation

    def _app_jwt(self, headers: dict[str, str]) -> str:
        """The app id of a valid app JWT (RS256, signed by a known app, not expired)."""
        import jwt

        m = re.fullmatch(r"bearer\s+(\S+)", headers.get("authorization", "").strip(), re.I)
        if not m:
            raise GitHubError(401, "A JSON web token could not be decoded")
        try:
            claims = jwt.decode(m.group(1), options={"verify_signature": False})
            key = self.apps[str(claims["iss"])]
            jwt.decode(m.group(1), key, algorithms=["RS256"])
        except Exception:
            raise GitHubError(401, "A JSON web token could not be decoded") from None
        return str(claims["iss"])

    def _app_route(
        self, method: str, path: str, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        app_id = self._app_jwt(headers)
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/installation", path)
        if m and method == "GET":
            repo = self.repos.get(f"{m.group(1)}/{m.group(2)}".lower())
            installation = getattr(repo, "installation", None)
            if repo is None or installation is None or self.installations[installation] != app_id:
                raise GitHubError(404, "Not Found")
            return (
                200,
                {
                    "id": installation,
                    "app_id": int(app_id),
                    "account": self._user(repo.owner),
                    "target_type": "Organization",
                    "access_tokens_url": (
                        f"{self.url}/app/installations/{installation}/access_tokens"
                    ),
                    "repositories_url": f"{self.url}/installation/repositories",
                    "html_url": f"{self.url}/settings/installations/{installation}",
                    "permissions": {"issues": "write", "actions": "read"},
                    "events": [],
                    "repository_selection": "selected",
                },
                {},
            )
        m = re.fullmatch(r"/app/installations/(\d+)/access_tokens", path)
        if m and method == "POST":
            installation = int(m.group(1))
            if self.installations.get(installation) != app_id:
                raise GitHubError(404, "Not Found")
            token = f"ghs_installation_{installation}_{next(self._ids)}"
            self.tokens[token] = {WRITE}
            expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
            return (
                201,
                {
                    "token": token,
                    "expires_at": iso(expires),
                    "permissions": {"issues": "write", "actions": "read"},
                    "repository_selection": "selected",
                },
                {},
            )
        raise GitHubError(404, "Not Found")

    def _take_planned(self, path: str) -> _Planned | None:
        with self._lock:
            for planned in self._planned:
                if planned.match in path and planned.times > 0:
                    planned.times -= 1
                    if planned.times == 0:
                        self._planned.remove(planned)
                    return planned
        return None

    def _primary_error(self, resource: str) -> GitHubError:
        headers = self._rate_headers(resource)
        headers["x-ratelimit-remaining"] = "0"
        return GitHubError(403, "API rate limit exceeded for user ID 1.", headers)

    def _planned_error(self, planned: _Planned, resource: str) -> GitHubError:
        if planned.kind == "primary":
            err = self._primary_error(resource)
            err.status = planned.status
            return err
        if planned.kind == "secondary":
            return GitHubError(
                planned.status,
                "You have exceeded a secondary rate limit. Please wait a few minutes before "
                "you try again.",
                {"retry-after": str(planned.retry_after)},
            )
        return GitHubError(planned.status, "Server Error" if planned.status >= 500 else "Error")

    def _repo(self, owner: str, name: str, token: str) -> Repo:
        repo = self.repos.get(f"{owner}/{name}".lower())
        allowed = self.visible.get(token)
        if repo is None or (allowed is not None and repo.full_name not in allowed):
            raise GitHubError(404, "Not Found")
        return repo

    def _route(
        self, method: str, path: str, query: dict[str, str], body: Any, token: str
    ) -> tuple[int, Any, dict[str, str]]:
        if method == "GET" and path == "/rate_limit":
            return 200, {"resources": {"core": {"remaining": self.core_remaining}}}, {}
        if method == "GET" and path == "/search/issues":
            return self._search(query, token)
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if not m:
            raise GitHubError(404, "Not Found")
        repo = self._repo(m.group(1), m.group(2), token)
        rest = m.group(3) or ""
        if method == "GET" and rest == "":
            return 200, self._repo_json(repo), {}
        one_wf = re.fullmatch(r"/actions/workflows/([^/]+)", rest)
        if method == "GET" and one_wf:
            return 200, self._workflow_json(repo, one_wf.group(1)), {}
        wf = re.fullmatch(r"/actions/workflows/([^/]+)/runs", rest)
        if method == "GET" and wf:
            return self._runs(repo, wf.group(1), query)
        at = re.fullmatch(r"/actions/runs/(\d+)/attempts/(\d+)", rest)
        if method == "GET" and at:
            for run in repo.runs:
                if run["id"] == int(at.group(1)) and run["run_attempt"] == int(at.group(2)):
                    return 200, self._run_json(repo, run), {}
            raise GitHubError(404, "Not Found")
        if method == "GET" and rest == "/dependabot/alerts":
            return self._alerts(repo, query)
        if rest == "/milestones" and method == "GET":
            state = query.get("state", "open")
            if state not in ("open", "closed", "all"):
                raise GitHubError(422, "Validation Failed", errors=[{"field": "state"}])
            found = [m for m in repo.milestones if state == "all" or m["state"] == state]
            chunk, headers = self._page(f"/repos/{repo.full_name}/milestones", query, found)
            return 200, [self._milestone_json(repo, m["number"]) for m in chunk], headers
        if rest == "/issues":
            if method == "GET":
                return self._list_issues(repo, query)
            if method == "POST":
                return self._create_issue(repo, body, token)
        one = re.fullmatch(r"/issues/(\d+)", rest)
        if one and method == "GET":
            for issue in repo.issues:
                if issue["number"] == int(one.group(1)):
                    return 200, self._issue_json(repo, issue), {}
            raise GitHubError(404, "Not Found")
        raise GitHubError(404, "Not Found")

    # -- paging
    def _per_page(self, query: dict[str, str]) -> int:
        try:
            return max(1, min(MAX_PER_PAGE, int(query.get("per_page", DEFAULT_PER_PAGE))))
        except ValueError:
            raise GitHubError(422, "per_page must be an integer") from None

    def _page(
        self, path: str, query: dict[str, str], items: list[Any]
    ) -> tuple[list[Any], dict[str, str]]:
        per_page = self._per_page(query)
        try:
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            raise GitHubError(422, "page must be an integer") from None
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []

        def link(n: int, rel: str) -> str:
            q = {**query, "per_page": str(per_page), "page": str(n)}
            return f'<{self.url}{path}?{urlencode(q)}>; rel="{rel}"'

        if self.looping and self.looping in path:
            links += [link(page, "next")]  # back to this very page, forever
        elif page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        return chunk, ({"link": ", ".join(links)} if links else {})

    # -- workflow runs
    def _runs(
        self, repo: Repo, workflow: str, query: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        if workflow not in repo.workflows and not (
            workflow.isdigit() and int(workflow) in repo.workflows.values()
        ):
            raise GitHubError(404, "Not Found")
        runs = [
            r
            for r in repo.runs
            if r["latest"] and (r["workflow_file"] == workflow or str(r["workflow_id"]) == workflow)
        ]
        if "branch" in query:
            runs = [r for r in runs if r["head_branch"] == query["branch"]]
        if "event" in query:
            runs = [r for r in runs if r["event"] == query["event"]]
        if "head_sha" in query:
            runs = [r for r in runs if r["head_sha"] == query["head_sha"]]
        if "status" in query:
            wanted = query["status"]
            if wanted in RUN_STATUSES:
                runs = [r for r in runs if r["status"] == wanted]
            elif wanted in CONCLUSIONS:
                runs = [r for r in runs if r["conclusion"] == wanted]
            else:
                raise GitHubError(422, f"Invalid status {wanted!r}")
        if "created" in query:
            lo, hi = range_filter(query["created"])
            runs = [r for r in runs if _within(r["created_at"], lo, hi)]
        runs.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
        chunk, headers = self._page(
            f"/repos/{repo.full_name}/actions/workflows/{workflow}/runs", query, runs
        )
        return (
            200,
            {"total_count": len(runs), "workflow_runs": [self._run_json(repo, r) for r in chunk]},
            headers,
        )

    # -- issues
    def _list_issues(self, repo: Repo, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise GitHubError(422, "Validation Failed", errors=[{"field": "state"}])
        items = [i for i in repo.issues if state == "all" or i["state"] == state]
        if query.get("labels"):
            wanted = [x.strip() for x in query["labels"].split(",") if x.strip()]
            items = [i for i in items if all(w in i["labels"] for w in wanted)]
        if "milestone" in query:  # a number, `*` (any) or `none`, as GitHub documents
            ms = query["milestone"]
            if ms == "*":
                items = [i for i in items if i.get("milestone")]
            elif ms == "none":
                items = [i for i in items if not i.get("milestone")]
            elif ms.isdigit() and 0 < int(ms) <= len(repo.milestones):
                items = [i for i in items if i.get("milestone") == int(ms)]
            else:
                raise GitHubError(404, "Not Found")
        if "since" in query:  # GitHub filters `since` on updated_at, not creation
            lo, _ = range_filter(">=" + query["since"])
            items = [i for i in items if _within(i["updated_at"], lo, None)]
        items = sorted(items, key=lambda i: i["number"], reverse=query.get("direction") != "asc")
        chunk, headers = self._page(f"/repos/{repo.full_name}/issues", query, items)
        return 200, [self._issue_json(repo, i) for i in chunk], headers

    def _create_issue(self, repo: Repo, body: Any, token: str) -> tuple[int, Any, dict[str, str]]:
        if WRITE not in self.tokens[token]:
            raise GitHubError(403, "Resource not accessible by personal access token")
        if not isinstance(body, dict) or not str(body.get("title") or "").strip():
            raise GitHubError(
                422,
                "Validation Failed",
                errors=[{"resource": "Issue", "code": "missing_field", "field": "title"}],
            )
        labels = body.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise GitHubError(
                422,
                "Validation Failed",
                errors=[{"resource": "Issue", "code": "invalid", "field": "labels"}],
            )
        text = body.get("body") or ""
        if len(text) > 65536:
            raise GitHubError(
                422,
                "Validation Failed",
                errors=[
                    {
                        "resource": "Issue",
                        "code": "custom",
                        "field": "body",
                        "message": "body is too long (maximum is 65536 characters)",
                    }
                ],
            )
        with self._lock:
            number = self.add_issue(
                repo.full_name,
                title=body["title"],
                created=dt.datetime.now(dt.UTC),
                labels=tuple(labels),
                body=text,
            )
            issue = repo.issues[number - 1]
        return 201, self._issue_json(repo, issue), {}

    # -- search
    def _search(self, query: dict[str, str], token: str) -> tuple[int, Any, dict[str, str]]:
        q = query.get("q", "").strip()
        if not q:
            raise GitHubError(
                422,
                "Validation Failed",
                errors=[{"resource": "Search", "field": "q", "code": "missing"}],
            )
        try:
            words = shlex.split(q)
        except ValueError:
            raise GitHubError(422, "Validation Failed", errors=[{"field": "q"}]) from None
        repo: Repo | None = None
        kinds: set[str] = set()
        labels: list[str] = []
        ranges: dict[str, tuple[dt.datetime | None, dt.datetime | None]] = {}
        phrases: list[str] = []
        for word in words:
            key, colon, value = word.partition(":")
            if not colon:
                phrases.append(word)
                continue
            if key == "repo":
                owner, _, name = value.partition("/")
                try:
                    repo = self._repo(owner, name, token)
                except GitHubError:
                    raise GitHubError(
                        422,
                        "Validation Failed",
                        errors=[
                            {
                                "message": f"The listed users and repositories cannot be "
                                f"searched either because the resources do not exist or you "
                                f"do not have permission to view them. ({value})",
                                "resource": "Search",
                                "field": "q",
                                "code": "invalid",
                            }
                        ],
                    ) from None
            elif key in ("is", "type"):
                kinds.add(value)
            elif key == "label":
                labels.append(value)
            elif key in ("merged", "created", "closed", "updated"):
                ranges[key] = range_filter(value)
            elif key == "in":
                pass
            elif key == "state":
                kinds.add(value)
            else:
                raise GitHubError(422, "Validation Failed", errors=[{"field": "q", "code": key}])
        if repo is None:
            raise GitHubError(422, "Validation Failed", errors=[{"field": "q", "code": "repo"}])
        found = []
        for item in repo.issues:
            if "pr" in kinds and not item["pull"]:
                continue
            if "issue" in kinds and item["pull"]:
                continue
            if "merged" in kinds and not item["merged_at"]:
                continue
            if "open" in kinds and item["state"] != "open":
                continue
            if "closed" in kinds and item["state"] != "closed":
                continue
            if any(lab not in item["labels"] for lab in labels):
                continue
            stamps = {
                "merged": item["merged_at"],
                "created": item["created_at"],
                "closed": item["closed_at"],
                "updated": item["updated_at"],
            }
            if any(not _within(stamps[k], lo, hi) for k, (lo, hi) in ranges.items()):
                continue
            text = f"{item['title']}\n{item['body']}"
            if any(p not in text for p in phrases):
                continue
            found.append(item)
        found.sort(key=lambda i: i["number"], reverse=True)
        per_page = self._per_page(query)
        page = int(query.get("page", "1") or 1)
        if (page - 1) * per_page >= SEARCH_RESULT_CAP and found:
            raise GitHubError(422, "Only the first 1000 search results are available")
        capped = found[:SEARCH_RESULT_CAP]
        chunk, headers = self._page("/search/issues", query, capped)
        items = [{**self._issue_json(repo, i), "score": 1.0} for i in chunk]
        return (
            200,
            {"total_count": len(found), "incomplete_results": False, "items": items},
            headers,
        )

    # -- Dependabot alerts: cursor paging only
    def _alerts(self, repo: Repo, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if "page" in query:
            raise GitHubError(
                400,
                "Pagination using the `page` parameter is not supported. Use `before`/`after`.",
            )
        items = list(repo.alerts)
        if "state" in query:
            states = query["state"].split(",")
            if any(s not in ALERT_STATES for s in states):
                raise GitHubError(422, "Validation Failed", errors=[{"field": "state"}])
            items = [a for a in items if a["state"] in states]
        if "severity" in query:
            sev = query["severity"].split(",")
            if any(s not in SEVERITIES for s in sev):
                raise GitHubError(422, "Validation Failed", errors=[{"field": "severity"}])
            items = [a for a in items if a["severity"] in sev]
        items.sort(key=lambda a: a["number"], reverse=True)
        per_page = self._per_page(query)
        start = 0
        if "after" in query:
            start = self._cursor(query["after"]) + 1
        elif "before" in query:
            start = max(0, self._cursor(query["before"]) - per_page)
        chunk = items[start : start + per_page]
        links = []
        path = f"/repos/{repo.full_name}/dependabot/alerts"
        base = {k: v for k, v in query.items() if k not in ("after", "before")}
        if start + per_page < len(items):
            cursor = self._encode_cursor(start + per_page - 1)
            q = urlencode({**base, "per_page": str(per_page), "after": cursor})
            links.append(f'<{self.url}{path}?{q}>; rel="next"')
        if start > 0:
            q = urlencode({**base, "per_page": str(per_page), "before": self._encode_cursor(start)})
            links.append(f'<{self.url}{path}?{q}>; rel="prev"')
        headers = {"link": ", ".join(links)} if links else {}
        return 200, [self._alert_json(repo, a) for a in chunk], headers

    @staticmethod
    def _encode_cursor(index: int) -> str:
        return f"Y3Vyc29y{index:06d}"

    @staticmethod
    def _cursor(value: str) -> int:
        m = re.fullmatch(r"Y3Vyc29y(\d{6})", value)
        if not m:
            raise GitHubError(422, "Invalid cursor")
        return int(m.group(1))


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, out_headers, payload = self.fake.handle(self.command, self.path, headers, raw)
        data = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in out_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_POST = _serve
    do_PATCH = _serve
    do_PUT = _serve
    do_DELETE = _serve


@contextlib.contextmanager
def running(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Start ``fake`` for the block and stop it afterwards."""
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
