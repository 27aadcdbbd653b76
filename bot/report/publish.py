"""Publishing the weekly report as one GitHub issue per ISO week — once, whoever asks.

The button may be clicked twice, the Friday job may rerun, restart, or run in two
processes at once: still one issue. Two guards, because each alone has a hole:

- a marker in the issue body (`<!-- batchbot:weekly-report:2026-W48 -->`), looked up before
  creating — survives a lost database, and finds an issue created by a run that died before
  recording it;
- a once-only claim in the database (job `github-issue`, key = the ISO week) — two processes
  cannot both pass "not found yet" and create, because only one wins the claim.

Both are keyed by program: a further program's marker names it
(`<!-- batchbot:weekly-report:beta:2026-W48 -->`) and its claims carry its database key, so
two programs publishing to one repository never take each other's issue for their own.

Core module: talks to GitHub and the database through the Protocols below.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.plan.links import BatchLink
from bot.plan.model import Plan
from bot.render.escape import gfm
from bot.report.linked import LinkedCollection
from bot.report.measurements import Collection, Window
from bot.slackids import user_id_in

JOB = "github-issue"
#: A claim left "claimed" this long was taken by a process that died: take it over.
STALE_CLAIM = dt.timedelta(minutes=10)
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class IssueRef:
    number: int
    url: str


class IssueTracker(Protocol):
    def find_issue(self, marker: str, label: str | None) -> IssueRef | None: ...

    def create_issue(self, title: str, body: str, labels: tuple[str, ...]) -> IssueRef: ...

    def explain(self, exc: BaseException) -> str: ...


class MetricsSource(Protocol):
    def collect(self, window: Window, at: dt.datetime) -> Collection: ...


class GitHubPort(IssueTracker, MetricsSource, Protocol):
    """What commands and jobs use of GitHub (`bot.github.GitHubAdapter` implements it)."""


class Claims(Protocol):
    """The once-only claims of `bot.db.Database`."""

    def claim(
        self, job: str, key: str, fire_time: dt.datetime, now: dt.datetime, owner: str
    ) -> bool: ...

    def finish(self, job: str, key: str, status: Any, detail: str = "") -> bool: ...

    def get_claim(self, job: str, key: str) -> Any: ...

    def release(self, job: str, key: str) -> bool: ...


class GitHubUnavailable(Exception):
    """GitHub could not be used; the message is one line for people (never the token)."""


class GitHubService(Protocol):
    """What commands and jobs use of GitHub: `Context.github`, wired in `bot/runtime.py`.

    `collect` never raises for GitHub trouble (failures are in the Collection);
    `publish_week` raises GitHubUnavailable with one line saying what went wrong.
    """

    def collect(self, window: Window, at: dt.datetime) -> Collection: ...

    def linked(self, links: Mapping[str, BatchLink], at: dt.datetime) -> LinkedCollection: ...

    def publish_week(self, week: str, title: str, body: str, now: dt.datetime) -> Published: ...


@dataclass(frozen=True)
class Published:
    ref: IssueRef | None
    created: bool
    message: str


def check_week(text: str) -> str:
    """`2026-W48` as given; anything else is a ValueError saying the format."""
    m = _WEEK.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 53:
        raise ValueError(f"{text!r} is not an ISO week; give YYYY-Www, like 2026-W48")
    try:  # W53 exists in some years only (2026 has one, 2025 not); there is no year 0
        dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValueError(
            f"{m.group(1)} has no week {m.group(2)}; give YYYY-Www, like 2026-W48"
        ) from None
    return text.strip()


def week_monday(week: str) -> dt.date:
    m = _WEEK.match(check_week(week))
    assert m
    return dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)


def marker(week: str, program: str = "") -> str:
    """The hidden line that identifies a week's issue; a further program's names it (the
    first program's stays as it always was, so issues published before programs count)."""
    return f"<!-- batchbot:weekly-report:{program + ':' if program else ''}{week} -->"


def ends_with_marker(body: str | None, mark: str) -> bool:
    """Is `mark` where the bot writes it: alone on the body's last non-blank line?

    Anywhere else it is someone's text (a goal quoting last week's marker must not make
    this week's publish answer "already published" with the wrong issue).
    """
    lines = [line.strip() for line in (body or "").splitlines() if line.strip()]
    return bool(lines) and lines[-1] == mark


def issue_title(week_label: str, week: str, program: str = "") -> str:
    """`Weekly Progress Report - Week 5 (2026-W48)`; a further program's title names it
    (`Weekly Progress Report - beta - Week 5 (2026-W48)`), so two in one repository differ."""
    named = f"{program} - " if program else ""
    return f"Weekly Progress Report - {named}{week_label} ({week})"


def mentions(plan: Plan) -> list[str]:
    """`@login (batch)` for each open batch whose owner has a GitHub login in `[people]`."""
    out: list[str] = []
    for b in plan.batches:
        user = user_id_in(b.owner)
        if b.status == "done" or user is None:
            continue
        login = plan.people.get(user)
        if login:
            out.append(f"@{login} ({gfm(b.name)})")  # the login pings; the name never does
    return out


def issue_body(markdown: str, plan: Plan, week: str, program: str = "") -> str:
    """The report markdown, the owners @-mentioned by GitHub login, and the hidden marker."""
    body = markdown.rstrip("\n") + "\n"
    who = mentions(plan)
    if who:
        body += "\n**Owners:** " + ", ".join(who) + "\n"
    return body + "\n" + marker(week, program) + "\n"


#: GitHub refuses an issue body longer than this (422 "body is too long").
MAX_BODY = 65_536


def clip_body(body: str, week: str, archive_url: str | None = None, program: str = "") -> str:
    """`body` as GitHub accepts it: past MAX_BODY the report is cut at a line, a note says
    where the whole report is (the archived file, linked when its URL is known), and the
    owners line and the marker stay last."""
    if len(body) <= MAX_BODY:
        return body
    mark = marker(week, program)
    head = body.rstrip("\n")
    head = head.removesuffix(mark).rstrip("\n") if head.endswith(mark) else head
    tail = ""
    owners = head.rfind("\n**Owners:** ")
    if owners != -1 and "\n" not in head[owners + 1 :]:
        head, tail = head[:owners], head[owners:] + "\n"
    path = f"plan/reports/{program + '/' if program else ''}{week}.md"
    where = f"[`{path}`]({archive_url})" if archive_url else f"`{path}` in the plan repository"
    note = (
        f"\n---\n*This report is longer than a GitHub issue allows, so it is clipped here; "
        f"the whole report is {where}.*\n"
    )
    end = tail + "\n" + mark + "\n"
    room = MAX_BODY - len(note) - len(end) - len("```\n")
    cut = head[:room]
    if "\n" in cut:
        cut = cut[: cut.rfind("\n") + 1]
    if cut.count("```") % 2:
        cut += "```\n"  # close a code block cut in half
    return cut + note + end


def publish(
    tracker: IssueTracker,
    claims: Claims,
    *,
    week: str,
    title: str,
    body: str,
    labels: Sequence[str],
    now: dt.datetime,
    owner: str,
    program: str = "",
) -> Published:
    """Create the week's issue unless it exists; every path tells which issue it is.
    `program`: whose week (its marker; `claims` are that program's)."""
    label = labels[0] if labels else None
    mark = marker(week, program)
    found = tracker.find_issue(mark, label)
    if found is not None:
        if claims.claim(JOB, week, now, now, owner) or _open_claim(claims, week):
            claims.finish(JOB, week, "done", found.url)
        return Published(found, False, f"already published for {week}: {found.url}")
    if not claims.claim(JOB, week, now, now, owner):
        held = claims.get_claim(JOB, week)
        if held is not None and held.status == "done" and held.detail:
            ref = _ref_from_url(held.detail)
            return Published(ref, False, f"already published for {week}: {held.detail}")
        if held is not None and now - held.claimed_at < STALE_CLAIM:
            return Published(
                None,
                False,
                f"the {week} report is being published by {held.claimed_by} right now; "
                "nothing created twice",
            )
        claims.release(JOB, week)  # the holder died mid-way (its issue, if any, has the marker)
        if not claims.claim(JOB, week, now, now, owner):
            return Published(None, False, f"the {week} report is being published elsewhere")
        found = tracker.find_issue(mark, label)
        if found is not None:
            claims.finish(JOB, week, "done", found.url)
            return Published(found, False, f"already published for {week}: {found.url}")
    try:
        ref = _create_once(tracker, title, body, tuple(labels), mark, label)
    except BaseException:
        claims.release(JOB, week)
        raise
    claims.finish(JOB, week, "done", ref.url)
    return Published(ref, True, f"published {title}: {ref.url}")


def _create_once(
    tracker: IssueTracker,
    title: str,
    body: str,
    labels: tuple[str, ...],
    mark: str,
    label: str | None,
) -> IssueRef:
    """Create the issue; after any failure look for it first, and only then try again.

    A 502 or a read timeout may arrive after GitHub created the issue, so a blind retry
    (PyGithub's, which the adapter turns off for POST) files a second one. Two tries at most;
    the first failure is what the caller sees.
    """
    failure: Exception | None = None
    for _ in range(2):
        try:
            return tracker.create_issue(title, body, labels)
        except Exception as exc:
            failure = failure or exc
        try:
            found = tracker.find_issue(mark, label)
        except Exception:
            break  # cannot tell: never create blind; the marker is looked up next time
        if found is not None:
            return found
    assert failure is not None
    raise failure


def _ref_from_url(url: str) -> IssueRef | None:
    m = re.search(r"/issues/(\d+)$", url.strip())
    return IssueRef(int(m.group(1)), url.strip()) if m else None


def _open_claim(claims: Claims, week: str) -> bool:
    held = claims.get_claim(JOB, week)
    return held is not None and held.status != "done"
