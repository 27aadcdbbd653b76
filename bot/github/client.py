"""The GitHub adapter: fetches the week's runs, pull requests, issues and alerts, and files the
weekly report issue. Every side effect towards GitHub lives here.

Built on PyGithub 2.x (not hand-rolled HTTP): its PaginatedList follows GitHub's `Link`
headers (including the Dependabot cursor links), and its `GithubRetry` retries 5xx and
secondary rate limits and waits for a primary rate-limit reset — here capped, so a limit
that resets in an hour becomes one clear line instead of a job asleep for an hour.

Calls stay few by filtering on the server: `created=` ranges on workflow runs, `status=success`
for deploys, the search API (`is:pr is:merged merged:a..b`, `is:issue label:x created:a..b`)
and `severity=` on alerts; `per_page=100` everywhere. The numbers themselves come from the
pure functions in `bot/report/measurements.py`, which re-check every record against the window.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar

from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    RateLimitExceededException,
    UnknownObjectException,
)
from github.GithubException import RateLimitExceededExceedsMaxWait
from github.GithubRetry import GithubRetry
from github.Repository import Repository
from urllib3.util.retry import Retry

from bot.github.config import GitHubConfig
from bot.plan.links import BatchLink
from bot.redact import cleartext_refusal, redact
from bot.report.linked import Item, LinkedCollection, count
from bot.report.measurements import (
    Alert,
    Collection,
    Issue,
    Measured,
    NotCollected,
    PullRequest,
    Run,
    Window,
    ci_flake_rate,
    ci_pass_rate,
    flake_commits,
    median_minutes,
    open_critical_vulns,
    production_incidents,
    prs_merged,
)
from bot.report.publish import IssueRef, ends_with_marker

log = logging.getLogger("batchbot.github")

SEARCH_CAP = 1000
#: Pages read from any one listing before batchbot stops and says so (a week's runs of a busy
#: repository fit in a few; a listing that goes on is a fault, not data).
MAX_PAGES = 50
T = TypeVar("T")

#: The instant (time.monotonic) this thread's GitHub work must end by; see `GitHubAdapter.within`.
_DEADLINE = threading.local()


class OutOfTime(Exception):
    """The overall deadline passed (or paging went wrong): one line saying what stopped."""


def _check_time() -> None:
    end, budget = getattr(_DEADLINE, "end", None), getattr(_DEADLINE, "budget", 0.0)
    if end is not None and time.monotonic() >= end:
        raise OutOfTime(f"GitHub did not answer within the {budget:g} s allowed; stopped there")


class _Retry(GithubRetry):
    """GithubRetry that also refuses to sleep a `Retry-After` longer than `max_rate_limit_wait`.

    urllib3 would otherwise honour any Retry-After (a secondary limit may say minutes); a
    job holding a worker that long is worse than a clear "rate limited, try later".
    """

    def increment(  # type: ignore[override]  # GithubRetry returns Retry, urllib3 Self
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        _check_time()  # no retry past the deadline: the caller says what was not collected
        if response is not None and self.max_rate_limit_wait is not None:
            wait = str(response.headers.get("Retry-After") or "")
            if wait.isdigit() and int(wait) > self.max_rate_limit_wait:
                raise GithubException(
                    response.status,
                    {"message": f"secondary rate limit; GitHub asks to wait {wait} s"},
                    dict(response.headers),
                )
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def explain(exc: BaseException, config: GitHubConfig, what: str = "") -> str:
    """One line for people: what went wrong and which setting to look at. Never the token."""
    where = f" ({what})" if what else ""
    if isinstance(exc, OutOfTime):
        return f"{exc}{where}"
    if isinstance(exc, BadCredentialsException):
        return f"GitHub refused the token (401 Bad credentials); check BATCHBOT_GITHUB_TOKEN{where}"
    if isinstance(exc, RateLimitExceededExceedsMaxWait | RateLimitExceededException):
        reset = (exc.headers or {}).get("x-ratelimit-reset") or (exc.headers or {}).get(
            "X-RateLimit-Reset"
        )
        when = ""
        if reset and str(reset).isdigit():
            when = f", resets {dt.datetime.fromtimestamp(int(reset), dt.UTC):%H:%M} UTC"
        return f"GitHub rate limit reached{when}; try again later{where}"
    if isinstance(exc, UnknownObjectException):
        return f"not found on GitHub (404){where}"
    if isinstance(exc, GithubException):
        message = ""
        if isinstance(exc.data, dict):
            message = str(exc.data.get("message") or "")
        if "rate limit" in message.lower():
            return f"GitHub rate limit reached ({message.rstrip('.')}); try again later{where}"
        if exc.status >= 500:
            return (
                f"GitHub answered {exc.status} {message or 'Server Error'} after "
                f"{config.retries} retries{where}"
            )
        if exc.status == 403:
            return f"GitHub refused (403 {message}): the token lacks a permission{where}"
        return f"GitHub answered {exc.status} {message}{where}".rstrip()
    name = type(exc).__name__
    text = redact(str(exc), config.token, config.private_key)
    text = re.sub(r"\s+", " ", text)[:200]
    return f"could not reach GitHub at {config.api_url}: {name}: {text}{where}"


class GitHubAdapter:
    """Implements `MetricsSource` and `IssueTracker` (bot/report/publish.py) over PyGithub."""

    def __init__(self, config: GitHubConfig, *, per_page: int = 100) -> None:
        why = cleartext_refusal(config.api_url, "the GitHub API URL", config.allow_insecure_http)
        if why:
            raise ValueError(why)  # never an Authorization header over plain http
        self.config = config
        self.per_page = per_page
        if config.token:
            auth: Auth.Auth = Auth.Token(config.token)
        elif config.app_id and config.private_key:
            auth = self._app_auth(config)
        else:
            raise ValueError("set BATCHBOT_GITHUB_TOKEN (or BATCHBOT_GITHUB_APP_ID + _PRIVATE_KEY)")
        retry = _Retry(
            total=config.retries,
            backoff_factor=config.backoff,
            max_rate_limit_wait=config.max_wait,
            secondary_rate_wait=min(60.0, config.max_wait),
            raise_on_status=False,  # the last 5xx comes back as a GithubException, not a trace
            # Never POST twice: a 502 or a read timeout may follow a created issue. publish()
            # looks the issue up before it tries again (GithubRetry adds POST by default).
            allowed_methods=Retry.DEFAULT_ALLOWED_METHODS - {"POST", "PATCH"},
        )
        self.gh = Github(
            auth=auth,
            base_url=config.api_url.rstrip("/"),
            per_page=per_page,
            retry=retry,
            timeout=config.timeout,
            seconds_between_requests=None,
            seconds_between_writes=None,
            user_agent="batchbot",
            lazy=True,  # objects fetch only when read: a re-run's attempt is one call, not two
        )
        self._repo: Repository | None = None
        #: listing → (ETag, (done, total)) of linked work, for conditional requests
        self._etags: dict[str, tuple[str, tuple[int, int] | None]] = {}

    @staticmethod
    def _app_auth(config: GitHubConfig) -> Auth.Auth:
        """A GitHub App: find the repository's installation, then act as that installation."""
        from github import GithubIntegration

        app = Auth.AppAuth(int(config.app_id or 0), config.private_key or "")
        owner, name = config.repo.split("/", 1)
        integration = GithubIntegration(auth=app, base_url=config.api_url.rstrip("/"))
        installation = integration.get_repo_installation(owner, name)
        return app.get_installation_auth(installation.id)

    def close(self) -> None:
        self.gh.close()

    @contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        """Every GitHub call this thread makes inside the block ends by `seconds` from now.

        Checked before each step, each page and each retry; a request already sent may
        still take its own timeout (BATCHBOT_GITHUB timeout, 15 s), so the block ends at
        most that much past the deadline — never 5 steps × 4 tries × 15 s.
        """
        outer = getattr(_DEADLINE, "end", None), getattr(_DEADLINE, "budget", 0.0)
        end = time.monotonic() + seconds
        if outer[0] is not None and outer[0] < end:
            end, seconds = outer[0], outer[1]
        _DEADLINE.end, _DEADLINE.budget = end, seconds
        try:
            yield
        finally:
            _DEADLINE.end, _DEADLINE.budget = outer

    def repo(self) -> Repository:
        if self._repo is None:
            repo = self.gh.get_repo(self.config.repo)  # lazy: children stay lazy too
            _ = repo.default_branch  # one GET now, so a bad token or repo fails here
            self._repo = repo
        return self._repo

    # ------------------------------------------------------------------ linked work
    def linked(self, links: Mapping[str, BatchLink], at: dt.datetime) -> LinkedCollection:
        """Each linked batch's (done, total) from its milestone's or label's issues and pull
        requests: one listing of the milestones, then one paged listing per link
        (`state=all`, 100 a page; the issues endpoint returns pull requests too, with
        `pull_request.merged_at`). Same deadline and page cap as the metrics."""
        result = LinkedCollection(at)
        with self.within(self.config.deadline):
            try:
                _check_time()
                repo = self.repo()
                milestones: dict[str, Any] | None = None
                for bid, link in links.items():
                    try:
                        _check_time()
                        ms: Any = None
                        if link.milestone:
                            if milestones is None:
                                milestones = {
                                    m.title: m
                                    for m in paged(
                                        repo.get_milestones(state="all"),
                                        lambda m: m.number,
                                        "milestones",
                                        self.per_page,
                                    )
                                }
                                result.calls += 1 + len(milestones) // self.per_page
                            ms = milestones.get(link.milestone)
                            if ms is None:
                                result.failed[bid] = (
                                    f'no milestone "{link.milestone}" in {self.config.repo}'
                                    + _did_you_mean(link.milestone, milestones, bid)
                                )
                                continue
                            query = {"milestone": str(ms.number)}
                        else:
                            query = {"labels": link.label}
                        cached = self._conditional_count(repo, query)
                        if cached is not None:  # one page, or 304 Not Modified
                            result.calls += 1
                            result.measured[bid] = cached
                            continue
                        listing = (
                            repo.get_issues(milestone=ms, state="all")
                            if ms is not None
                            else repo.get_issues(labels=[link.label], state="all")
                        )
                        # Only what the listing carries: `pull_request` on a plain issue (or
                        # `raw_data`) makes PyGithub fetch the issue again, one call each.
                        items = []
                        for i in paged(listing, lambda i: i.number, link.what, self.per_page):
                            pull = _is_pull(i)
                            items.append(
                                Item(
                                    state=i.state,
                                    pull=pull,
                                    merged=pull
                                    and getattr(i.pull_request, "merged_at", None) is not None,
                                    not_planned=i.state_reason == "not_planned",
                                )
                            )
                        result.calls += 2 + len(items) // self.per_page
                        result.measured[bid] = count(items)
                    except Exception as exc:
                        result.failed[bid] = _late(exc) or explain(exc, self.config, link.what)
            except Exception as exc:
                why = _late(exc) or explain(exc, self.config, f"repository {self.config.repo}")
                for bid in links:
                    if bid not in result.measured:
                        result.failed.setdefault(bid, why)
        return result

    def _conditional_count(self, repo: Repository, query: dict[str, str]) -> tuple[int, int] | None:
        """(done, total) from the listing's first page with `If-None-Match`: GitHub answers
        304 Not Modified (not counted against the rate limit) when nothing changed since the
        last refresh, and the count kept from then is used. None when the listing is longer
        than a page (paged in full by the caller)."""
        params = {**query, "state": "all", "per_page": str(self.per_page)}
        key = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        etag, known = self._etags.get(key, ("", None))
        _check_time()
        headers, data = self.gh.requester.requestJsonAndCheck(
            "GET", f"{repo.url}/issues", parameters=params,
            headers={"If-None-Match": etag} if etag else None,
        )  # fmt: skip
        if data is None:  # 304: unchanged
            return known
        if not isinstance(data, list):
            return None
        lower = {k.lower(): v for k, v in headers.items()}
        if 'rel="next"' in lower.get("link", ""):
            return None
        items = [
            Item(
                state=str(i.get("state", "open")),
                pull=bool(pr := i.get("pull_request")),
                merged=bool(pr and pr.get("merged_at")),
                not_planned=i.get("state_reason") == "not_planned",
            )
            for i in data
            if isinstance(i, dict)
        ]
        found = count(items)
        if lower.get("etag"):
            self._etags[key] = (lower["etag"], found)
        return found

    # ------------------------------------------------------------------ metrics
    def collect(self, window: Window, at: dt.datetime) -> Collection:
        """Every metric it can within the deadline (BATCHBOT_GITHUB_DEADLINE); each failure
        names its metrics and the reason, and what the deadline cut off shares one line."""
        with self.within(self.config.deadline):
            return self._collect(window, at)

    def _collect(self, window: Window, at: dt.datetime) -> Collection:
        cfg = self.config
        try:
            _check_time()
            repo = self.repo()
        except Exception as exc:
            why = _late(exc) or explain(exc, cfg, f"repository {cfg.repo}")
            if isinstance(exc, UnknownObjectException):
                why = (
                    f"repository {cfg.repo} not found on GitHub, or the token cannot see it "
                    "(404); check BATCHBOT_GITHUB_REPO and the token's repository access"
                )
            log.warning("metrics collection: %s", why)
            from bot.report.measurements import COLLECTED

            return Collection(at, window, failed=tuple(NotCollected(n, why) for n in COLLECTED))
        measured: list[Measured] = []
        failed: list[NotCollected] = []
        steps: list[tuple[tuple[str, ...], Callable[[], list[Measured]], str]] = [
            (("prsMerged",), lambda: self._prs(repo, window), "pull request search"),
            (
                ("ciPassRate", "ciFlakeRate", "workflowMinutes"),
                lambda: self._ci(repo, window),
                f"workflow {cfg.ci_workflow}",
            ),
            (
                ("deploymentMinutes",),
                lambda: self._deploys(repo, window),
                f"workflow {cfg.deploy_workflow}",
            ),
            (("productionIncidents",), lambda: self._incidents(repo, window), "issue search"),
            (("openCriticalVulns",), lambda: self._vulns(repo), "Dependabot alerts"),
        ]
        for names, step, what in steps:
            try:
                _check_time()
                measured.extend(step())
            except _NotConfigured as exc:
                failed.extend(NotCollected(n, str(exc)) for n in names)
            except Exception as exc:
                late = _late(exc)
                if late:  # every metric the deadline cut off says the same, in one line
                    failed.extend(NotCollected(n, late) for n in names)
                    continue
                why = explain(exc, cfg, what)
                if isinstance(exc, UnknownObjectException) and what.startswith("workflow"):
                    setting = "CI" if "ciPassRate" in names else "DEPLOY"
                    why = (
                        f"{what} not found in {cfg.repo} (404); "
                        f"check BATCHBOT_GITHUB_{setting}_WORKFLOW"
                    )
                log.warning("metrics collection: %s", why)
                failed.extend(NotCollected(n, why) for n in names)
        return Collection(at, window, tuple(measured), tuple(failed))

    def _range(self, window: Window) -> str:
        return f"{_utc(window.start)}..{_utc(window.end)}"

    def _runs(
        self, repo: Repository, workflow: str, window: Window, status: str | None = None
    ) -> list[Run]:
        flow = repo.get_workflow(workflow)
        created = self._range(window)
        runs = (
            flow.get_runs(created=created, status=status)
            if status
            else flow.get_runs(created=created)
        )
        return [
            Run(
                id=r.id,
                attempt=r.run_attempt,
                head_sha=r.head_sha,
                head_branch=r.head_branch or "",
                status=r.status,
                conclusion=r.conclusion,
                created_at=_aware(r.created_at) or window.start,
                started_at=_aware(r.run_started_at),
                updated_at=_aware(r.updated_at) or window.start,
            )
            for r in paged(
                runs, lambda r: (r.id, r.run_attempt), f"runs of {workflow}", self.per_page
            )
        ]

    def _ci(self, repo: Repository, window: Window) -> list[Measured]:
        cfg = self.config
        if not cfg.ci_workflow:
            raise _NotConfigured("no CI workflow is set (BATCHBOT_GITHUB_CI_WORKFLOW)")
        runs = self._runs(repo, cfg.ci_workflow, window)
        runs += self._earlier_attempts(repo, runs, window)
        branch = repo.default_branch
        latest = [r for r in runs if r.latest]
        ok = [r for r in latest if r.conclusion == "success"]
        name = cfg.ci_workflow
        return [
            Measured(
                "ciPassRate",
                ci_pass_rate(runs, window, branch),
                f"GitHub Actions {name}: completed runs on {branch} this week",
            ),
            Measured(
                "ciFlakeRate",
                ci_flake_rate(runs, window),
                f"GitHub Actions {name}: {flake_commits(runs, window)} commits with a finished "
                "run this week, every branch",
            ),
            Measured(
                "workflowMinutes",
                median_minutes(runs, window),
                f"GitHub Actions {name}: median of {len(ok)} successful runs",
            ),
        ]

    def _earlier_attempts(self, repo: Repository, runs: list[Run], window: Window) -> list[Run]:
        """Re-runs hide their first attempts; fetch them only where they can change a verdict.

        A commit already seen both failing and passing is flaky whatever its other attempts
        say, so only re-runs of still-undecided commits cost a call each.
        """
        seen: dict[str, set[str | None]] = {}
        for r in runs:
            seen.setdefault(r.head_sha, set()).add(r.conclusion)
        extra: list[Run] = []
        for r in runs:
            if r.attempt <= 1 or r.created_at not in window:
                continue
            for n in range(r.attempt - 1, 0, -1):
                outcomes = seen[r.head_sha]
                if "success" in outcomes and outcomes & {"failure", "timed_out", "startup_failure"}:
                    break
                _check_time()
                got = repo.get_workflow_run(r.id).get_attempt(n)  # lazy: one call
                extra.append(
                    Run(
                        id=r.id,
                        attempt=n,
                        head_sha=r.head_sha,
                        head_branch=r.head_branch,
                        status=got.status,
                        conclusion=got.conclusion,
                        created_at=r.created_at,
                        started_at=None,
                        updated_at=r.updated_at,
                        latest=False,
                    )
                )
                outcomes.add(got.conclusion)
        return extra

    def _deploys(self, repo: Repository, window: Window) -> list[Measured]:
        cfg = self.config
        if not cfg.deploy_workflow:
            raise _NotConfigured("no deploy workflow is set (BATCHBOT_GITHUB_DEPLOY_WORKFLOW)")
        runs = self._runs(repo, cfg.deploy_workflow, window, status="success")
        return [
            Measured(
                "deploymentMinutes",
                median_minutes(runs, window),
                f"GitHub Actions {cfg.deploy_workflow}: median of {len(runs)} successful runs",
            )
        ]

    def _search(self, query: str, limit: int = SEARCH_CAP) -> tuple[list[Any], int]:
        found = self.gh.search_issues(query)
        items = list(_take(paged(found, lambda i: i.number, "search", self.per_page), limit))
        return items, found.totalCount

    def _prs(self, repo: Repository, window: Window) -> list[Measured]:
        query = f"repo:{repo.full_name} is:pr is:merged merged:{self._range(window)}"
        # One search call: search allows 30 a minute. When the first page holds them all, the
        # pure function counts them; past it, the server's count for the same range is used.
        items, total = self._search(query, limit=100)
        prs = [
            PullRequest(i.number, _aware(i.pull_request.merged_at) if i.pull_request else None)
            for i in items
        ]
        value = prs_merged(prs, window)
        note = ""
        if total > len(items):
            value, note = total, "GitHub's search count"
        return [Measured("prsMerged", value, "GitHub search: pull requests merged this week", note)]

    def _incidents(self, repo: Repository, window: Window) -> list[Measured]:
        label = self.config.incident_label
        query = f'repo:{repo.full_name} is:issue label:"{label}" created:{self._range(window)}'
        items, _total = self._search(query)
        issues = [
            Issue(
                i.number,
                _aware(i.created_at) or window.start,
                tuple(lab.name for lab in i.labels),
                is_pull_request=_is_pull(i),
            )
            for i in items
        ]
        return [
            Measured(
                "productionIncidents",
                production_incidents(issues, window, label),
                f'GitHub issues labelled "{label}" opened this week',
            )
        ]

    def _vulns(self, repo: Repository) -> list[Measured]:
        alerts = [
            Alert(a.number, a.state, a.security_advisory.severity)
            for severity in ("critical", "high")
            for a in paged(
                repo.get_dependabot_alerts(state="open", severity=severity),
                lambda a: a.number,
                "Dependabot alerts",
                self.per_page,
            )
        ]
        return [
            Measured(
                "openCriticalVulns",
                open_critical_vulns(alerts),
                "GitHub Dependabot: open critical and high alerts now",
            )
        ]

    # ------------------------------------------------------------------ the report issue
    def find_issue(self, marker: str, label: str | None) -> IssueRef | None:
        """The issue whose body holds `marker`, looked up in the (consistent) issues list.

        Search is eventually consistent: an issue created a second ago may not be found
        there, which is exactly the race a rerun must not lose. Reports carry a label, so
        the labelled list is short.
        """
        repo = self.repo()
        issues = repo.get_issues(state="all", labels=[label] if label else [])
        for n, issue in enumerate(paged(issues, lambda i: i.number, "issues", self.per_page)):
            if not _is_pull(issue) and ends_with_marker(issue.body, marker):
                return IssueRef(issue.number, issue.html_url)
            if n >= 500 and not label:
                break
        return None

    def create_issue(self, title: str, body: str, labels: tuple[str, ...]) -> IssueRef:
        issue = self.repo().create_issue(title=title, body=body, labels=list(labels))
        return IssueRef(issue.number, issue.html_url)

    def explain(self, exc: BaseException) -> str:
        return explain(exc, self.config)


class _NotConfigured(Exception):
    pass


def _late(exc: BaseException) -> str | None:
    """The one line for work the deadline (or broken paging) stopped; None otherwise."""
    if isinstance(exc, OutOfTime):
        return str(exc)
    for inner in (exc.__cause__, exc.__context__):
        if isinstance(inner, OutOfTime):
            return str(inner)
    try:
        _check_time()
    except OutOfTime as late:  # e.g. a read timeout on the last try before the deadline
        return str(late)
    return None


def _is_pull(issue: Any) -> bool:
    """Pull requests come back from issue endpoints too; their html_url says /pull/.

    (Reading `issue.pull_request` on a plain issue, where GitHub omits the key, would make
    PyGithub fetch the issue again: one call per issue.)
    """
    return "/pull/" in (issue.html_url or "")


def paged(items: Iterable[T], key: Callable[[T], object], what: str, per_page: int) -> Iterator[T]:
    """`items` of a paginated listing, stopped with one line when it cannot be trusted.

    A `Link: rel="next"` that leads back to a page already read would page forever; it is
    seen as a whole page of items already seen (a few repeats are normal: a run created
    while paging shifts the pages by one, and is skipped). Past MAX_PAGES pages, or past the
    deadline, it stops too.
    """
    seen: set[object] = set()
    repeats = 0
    for n, item in enumerate(items):
        _check_time()
        if n >= MAX_PAGES * per_page:
            raise OutOfTime(f"{what}: more than {MAX_PAGES} pages; stopped there")
        k = key(item)
        if k in seen:
            repeats += 1
            if repeats >= per_page:
                raise OutOfTime(
                    f'{what}: GitHub\'s paging looped (Link rel="next" led back to a page '
                    "already read); stopped there"
                )
            continue
        repeats = 0
        seen.add(k)
        yield item


def _take(items: Iterable[Any], limit: int) -> Iterable[Any]:
    """The first `limit` items, without fetching the page after the last one taken."""
    if limit <= 0:
        return
    for n, item in enumerate(items, start=1):
        yield item
        if n >= limit:
            return


def _did_you_mean(typed: str, titles: Iterable[str], batch_id: str) -> str:
    """GitHub matches a milestone's title exactly; `infra v1` for "Infra v1" is a typing slip
    whose fix is one command, so the reply names it (never a silent guess at the link)."""
    folded = {" ".join(t.split()).casefold(): t for t in titles}
    close = folded.get(typed.casefold()) or next(
        iter(difflib.get_close_matches(typed, list(folded.values()), n=1, cutoff=0.8)), None
    )
    if close is None:
        return ""
    return f' (did you mean "{close}"? /batch link {batch_id} milestone="{close}")'
