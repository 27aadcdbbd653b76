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
        build: Callable[[], GitHubAdapter],
        claims: Callable[[], Claims],
        labels: tuple[str, ...],
        owner: str,
        archive_url: Callable[[str], str | None] = lambda week: None,
    ) -> None:
        self._build = build
        self._claims_factory = claims
        self._claims: Claims | None = None
        self.labels = labels
        self.owner = owner
        self.archive_url = archive_url
        self._adapter: GitHubAdapter | None = None
        self._lock = threading.Lock()

    def adapter(self) -> GitHubAdapter:
        with self._lock:
            if self._adapter is None:
                try:
                    self._adapter = self._build()
                except GitHubNotConfigured as exc:
                    raise GitHubUnavailable(str(exc)) from None
            return self._adapter

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
            self._claims = self._claims_factory()
        try:
            with adapter.within(adapter.config.deadline):
                return publish(
                    adapter,
                    self._claims,
                    week=week,
                    title=title,
                    body=clip_body(body, week, self.archive_url(week)),
                    labels=self.labels,
                    now=now,
                    owner=self.owner,
                )
        except GitHubUnavailable:
            raise
        except Exception as exc:
            raise GitHubUnavailable(adapter.explain(exc)) from None


def from_settings(settings: Any, claims: Callable[[], Claims], owner: str) -> GitHubService:
    return GitHubService(
        lambda: build_adapter(settings),
        claims,
        tuple(settings.github_report_labels),
        owner,
        lambda week: archive_url(settings, week),
    )


def archive_url(settings: Any, week: str) -> str | None:
    """The archived report on github.com, when the plan's remote is there (remote mode)."""
    repo = repo_from_url(getattr(settings, "git_url", None))
    if repo is None:
        return None
    branch = getattr(settings, "git_branch", None) or "HEAD"  # HEAD: the default branch
    return f"https://github.com/{repo}/blob/{branch}/plan/reports/{week}.md"
