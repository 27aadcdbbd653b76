"""`GitHubService` (the Protocol in bot/report/publish.py) over the adapter and the database.

Both are built lazily, on first use: `batchbot serve` starts even with GitHub unset or
unreachable, and the reason reaches whoever asked for a GitHub word, in one line.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bot.github import GitHubNotConfigured, build_adapter, repo_from_url
from bot.plan.links import BatchLink
from bot.report.linked import LinkedCollection
from bot.report.measurements import COLLECTED, Collection, NotCollected, Window
from bot.report.publish import Claims, GitHubUnavailable, Published, clip_body, publish

if TYPE_CHECKING:
    from bot.github.client import GitHubAdapter


class GitHubService:
    def __init__(
        self,
        build: Callable[[], GitHubAdapter] | Callable[[str | None], GitHubAdapter],
        claims: Callable[[], Claims],
        labels: tuple[str, ...] | Callable[[], tuple[str, ...]],
        owner: str,
        archive_url: Callable[[str], str | None] = lambda week: None,
        repo: Callable[[], str | None] | None = None,
        program: str = "",
    ) -> None:
        self._build = build
        self._claims_factory = claims
        #: whose reports (the database key; "" = the first program): its issue marker, its
        #: once-only claims, its archive folder.
        self.program = program
        self._claims: Claims | None = None
        self._labels = labels
        self.owner = owner
        self.archive_url = archive_url
        # The team's repository as the plan says now (`[team] github_repo`); None = the
        # environment's. The adapter is rebuilt when it changes.
        self._repo = repo
        self._adapter: tuple[str | None, GitHubAdapter] | None = None
        self._lock = threading.Lock()

    @property
    def labels(self) -> tuple[str, ...]:
        """The report issue's labels as the team's settings say now."""
        return self._labels() if callable(self._labels) else self._labels

    def publishes(self) -> bool:
        """Whether this program has a repository to collect from and publish to: a further
        program only with its own `[team] github_repo` (the environment's repository is the
        first program's), the first program always (its default is found when built)."""
        return not self.program or self._repo is None or bool(self._repo())

    def adapter(self) -> GitHubAdapter:
        repo = self._repo() if self._repo is not None else None
        with self._lock:
            if self._adapter is None or self._adapter[0] != repo:
                try:
                    built = self._build(repo) if self._repo is not None else self._build()  # type: ignore[call-arg]
                except GitHubNotConfigured as exc:
                    raise GitHubUnavailable(str(exc)) from None
                self._adapter = (repo, built)
            return self._adapter[1]

    def collect(self, window: Window, at: dt.datetime) -> Collection:
        try:
            adapter = self.adapter()
        except GitHubUnavailable as exc:
            failed = tuple(NotCollected(name, str(exc)) for name in COLLECTED)
            return Collection(at, window, failed=failed)
        return adapter.collect(window, at)

    def linked(self, links: Mapping[str, BatchLink], at: dt.datetime) -> LinkedCollection:
        """Never raises for GitHub trouble: each batch not measured says why."""
        try:
            adapter = self.adapter()
        except GitHubUnavailable as exc:
            return LinkedCollection(at, failed={b: str(exc) for b in links})
        return adapter.linked(links, at)

    def publish_week(self, week: str, title: str, body: str, now: dt.datetime) -> Published:
        adapter = self.adapter()
        if self._claims is None:
            claims = self._claims_factory()
            self._claims = ProgramClaims(claims, self.program) if self.program else claims
        try:
            with adapter.within(adapter.config.deadline):
                return publish(
                    adapter,
                    self._claims,
                    week=week,
                    title=title,
                    body=clip_body(body, week, self.archive_url(week), self.program),
                    labels=self.labels,
                    now=now,
                    owner=self.owner,
                    program=self.program,
                )
        except GitHubUnavailable:
            raise
        except Exception as exc:
            raise GitHubUnavailable(adapter.explain(exc)) from None


class ProgramClaims:
    """The database's once-only claims as one program sees them (its key on every call), so
    the week's `github-issue` claim of one program is never another's."""

    def __init__(self, db: Any, program: str) -> None:
        self._db = db
        self._program = program

    def claim(
        self, job: str, key: str, fire_time: dt.datetime, now: dt.datetime, owner: str
    ) -> bool:
        return bool(self._db.claim(job, key, fire_time, now, owner, self._program))

    def finish(self, job: str, key: str, status: Any, detail: str = "") -> bool:
        return bool(self._db.finish(job, key, status, detail, self._program))

    def get_claim(self, job: str, key: str) -> Any:
        return self._db.get_claim(job, key, self._program)

    def release(self, job: str, key: str) -> bool:
        return bool(self._db.release(job, key, self._program))


def publishing(service: Any, team: Any, settings: Any) -> str:
    """Where a program's report is published, or why not, in one line (`jobs list`)."""
    if service is None:
        return "not published: GitHub is not set up (BATCHBOT_GITHUB_TOKEN)"
    if not getattr(service, "publishes", lambda: True)():
        return (
            f"not published: its plan names no GitHub repository "
            f"(`/batch {service.program} settings github_repo=owner/name`)"
        )
    repo = team.github_repo or settings.github_repo or "the plan's git remote on GitHub"
    return f"published to {repo} with label {', '.join(team.github_labels) or '(none)'}"


def set_up(settings: Any) -> bool:
    """Did the operator set GitHub up at all (a token or any part of a GitHub App)?

    A team that does not use GitHub sees nothing about it: no "not collected" notes, no
    buttons, no admin DM, no log line. Half a setup still gets its one-line reason.
    """
    return bool(settings.github_token or settings.github_app_id or settings.github_private_key)


def from_settings(
    settings: Any,
    claims: Callable[[], Claims],
    owner: str,
    team: Callable[[], Any] | None = None,
    program: str = "",
) -> GitHubService | None:
    """The service, or None when GitHub is not set up (see `set_up`).

    `team`: the effective team settings now (the plan's `github_repo`, `github_labels`
    win over BATCHBOT_GITHUB_REPO and BATCHBOT_GITHUB_REPORT_LABELS). `program`: a further
    program's key — it uses only its own `github_repo`, never the environment's."""
    if not set_up(settings):
        return None
    if team is None:
        return GitHubService(
            lambda: build_adapter(settings),
            claims,
            tuple(settings.github_report_labels),
            owner,
            lambda week: archive_url(settings, week),
        )

    def build(repo: str | None) -> GitHubAdapter:
        if program and not repo:
            raise GitHubNotConfigured(
                f"{program} has no GitHub repository: "
                f"`/batch {program} settings github_repo=owner/name` sets one"
            )
        return build_adapter(settings, repo)

    return GitHubService(
        build,
        claims,
        lambda: tuple(team().github_labels),
        owner,
        lambda week: archive_url(settings, week, program),
        repo=lambda: team().github_repo,
        program=program,
    )


def archive_url(settings: Any, week: str, program: str = "") -> str | None:
    """The archived report on github.com, when the plan's remote is there (remote mode)."""
    repo = repo_from_url(getattr(settings, "git_url", None))
    if repo is None:
        return None
    branch = getattr(settings, "git_branch", None) or "HEAD"  # HEAD: the default branch
    folder = f"{program}/" if program else ""
    return f"https://github.com/{repo}/blob/{branch}/plan/reports/{folder}{week}.md"
