"""The week's measured metrics, computed from plain lists of runs, pull requests, issues, alerts.

Pure: no HTTP, no clock. The GitHub adapter (`bot/github/`) fetches the lists and hands them
here, so each definition below is tested directly with hand-made records and holds whatever
the server-side filters did or did not trim. The definitions (issue 10):

- prsMerged: pull requests merged in the window.
- ciPassRate: of the CI workflow's completed runs on the default branch in the window, the
  share that succeeded; cancelled and skipped runs do not count. Percent, one decimal.
- ciFlakeRate: of the commits (head SHAs) the CI workflow ran on in the window, the share
  that had both a failed and a successful run (earlier attempts of a re-run count).
- workflowMinutes / deploymentMinutes: median duration of the window's successful runs.
- productionIncidents: issues (never pull requests) with the incident label opened in the
  window.
- openCriticalVulns: open alerts of severity critical or high, now.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.plan.edits import Change
from bot.plan.model import Measurement, Plan
from bot.walltime import wall_instant

#: Conclusions that mean "the run failed" for flakiness (a cancelled run proves nothing).
FAILED = frozenset({"failure", "timed_out", "startup_failure"})
#: Conclusions that do not count towards the pass rate at all.
NOT_COUNTED = frozenset({"cancelled", "skipped"})
COLLECTED = (
    "prsMerged",
    "ciPassRate",
    "ciFlakeRate",
    "workflowMinutes",
    "deploymentMinutes",
    "productionIncidents",
    "openCriticalVulns",
)


@dataclass(frozen=True)
class Window:
    """[start, end): Monday 00:00 in the team's zone up to the collection instant."""

    start: dt.datetime
    end: dt.datetime

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment <= self.end

    def text(self) -> str:
        return f"{self.start:%a %d %b %H:%M} – {self.end:%a %d %b %H:%M %Z}"


def week_window(at: dt.datetime, zone: dt.tzinfo) -> Window:
    """The report week up to `at`: from that week's Monday 00:00 wall time in `zone`."""
    if at.tzinfo is None:
        raise ValueError("give an instant with a UTC offset")
    local = at.astimezone(zone)
    monday = local.date() - dt.timedelta(days=local.weekday())
    return Window(wall_instant(monday, dt.time(0), zone), local)


@dataclass(frozen=True)
class Run:
    """One attempt of a workflow run (a re-run keeps `id` and bumps `attempt`)."""

    id: int
    attempt: int
    head_sha: str
    head_branch: str
    status: str
    conclusion: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    updated_at: dt.datetime
    latest: bool = True

    @property
    def minutes(self) -> float:
        start = self.started_at or self.created_at
        return (self.updated_at - start).total_seconds() / 60


@dataclass(frozen=True)
class PullRequest:
    number: int
    merged_at: dt.datetime | None


@dataclass(frozen=True)
class Issue:
    number: int
    created_at: dt.datetime
    labels: tuple[str, ...]
    is_pull_request: bool = False


@dataclass(frozen=True)
class Alert:
    number: int
    state: str
    severity: str


def _round(value: float) -> float:
    return round(value, 1)


def prs_merged(prs: Iterable[PullRequest], window: Window) -> int:
    return sum(1 for p in prs if p.merged_at is not None and p.merged_at in window)


def ci_pass_rate(runs: Iterable[Run], window: Window, default_branch: str) -> float | None:
    counted = [
        r
        for r in runs
        if r.latest
        and r.head_branch == default_branch
        and r.status == "completed"
        and r.conclusion not in NOT_COUNTED
        and r.created_at in window
    ]
    if not counted:
        return None
    return _round(100 * sum(r.conclusion == "success" for r in counted) / len(counted))


def ci_flake_rate(runs: Iterable[Run], window: Window) -> float | None:
    """Of the commits with a finished run this week, on every branch (flakes show wherever
    they happen), the share seen both failing and passing."""
    outcomes = _commit_outcomes(runs, window)
    if not outcomes:
        return None
    flaky = sum(1 for seen in outcomes.values() if seen == {"pass", "fail"})
    return _round(100 * flaky / len(outcomes))


def flake_commits(runs: Iterable[Run], window: Window) -> int:
    """What `ci_flake_rate` divides by: commits with a finished run in the week. (A commit
    whose runs are all still running is not counted — its label must not count it either.)"""
    return len(_commit_outcomes(runs, window))


def _commit_outcomes(runs: Iterable[Run], window: Window) -> dict[str, set[str]]:
    outcomes: dict[str, set[str]] = {}
    for r in runs:
        if r.created_at not in window or r.status != "completed":
            continue
        seen = outcomes.setdefault(r.head_sha, set())
        if r.conclusion == "success":
            seen.add("pass")
        elif r.conclusion in FAILED:
            seen.add("fail")
    return outcomes


def median_minutes(runs: Iterable[Run], window: Window) -> float | None:
    durations = [
        r.minutes for r in runs if r.latest and r.conclusion == "success" and r.created_at in window
    ]
    return _round(statistics.median(durations)) if durations else None


def production_incidents(issues: Iterable[Issue], window: Window, label: str) -> int:
    return sum(
        1 for i in issues if not i.is_pull_request and label in i.labels and i.created_at in window
    )


def open_critical_vulns(alerts: Iterable[Alert]) -> int:
    return sum(1 for a in alerts if a.state == "open" and a.severity in ("critical", "high"))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Measured:
    """A collected value (None: the source had nothing to measure, e.g. no CI runs)."""

    name: str
    value: float | int | None
    source: str
    note: str = ""


@dataclass(frozen=True)
class NotCollected:
    name: str
    reason: str  # one line, safe to show to people: never holds the token


@dataclass(frozen=True)
class Collection:
    at: dt.datetime
    window: Window
    measured: tuple[Measured, ...] = ()
    failed: tuple[NotCollected, ...] = ()

    def problems(self) -> list[str]:
        """One line per distinct reason, naming the metrics it cost (for drafts and admins)."""
        by_reason: dict[str, list[str]] = {}
        for f in self.failed:
            by_reason.setdefault(f.reason, []).append(f.name)
        return [f"{', '.join(names)} not collected: {why}" for why, names in by_reason.items()]


def record(plan: Plan, collection: Collection) -> tuple[Plan, list[Change]]:
    """The edit `metrics collect` commits: measured values with their source and time.

    Pure in `plan` (the store may re-apply it on a newer plan). A value the source could
    not measure (no runs this week) is stored as None — "not measured" — not left stale.
    """
    values: dict[str, Any] = {m.name: m.value for m in collection.measured}
    changes = [
        Change("metrics", name, getattr(plan.metrics, name), value)
        for name, value in values.items()
        if getattr(plan.metrics, name) != value
    ]
    measured = dict(plan.measured)
    for m in collection.measured:
        measured[m.name] = Measurement(m.source, collection.at.astimezone(dt.UTC))
    if not changes and measured == plan.measured:
        return plan, []
    if not changes:  # same values, newer sources: still one visible change in the history
        changes = [Change("metrics", "collected", None, collection.at.isoformat())]
    metrics = replace(plan.metrics, **values)
    return replace(plan, metrics=metrics, measured=measured), changes


def describe(value: float | int | None, name: str) -> str:
    if value is None:
        return "not measured"
    unit = "%" if name in ("ciPassRate", "ciFlakeRate", "coverage") else ""
    unit = " min" if name.endswith("Minutes") else unit
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text + unit


def summary_lines(collection: Collection) -> list[str]:
    """`name: value — source` per metric, then what could not be collected and why."""
    lines = [
        f"{m.name}: {describe(m.value, m.name)} — {m.source}" + (f" ({m.note})" if m.note else "")
        for m in collection.measured
    ]
    return lines + collection.problems()


def unmeasured_in(names: Sequence[str], collection: Collection) -> list[str]:
    got = {m.name for m in collection.measured}
    return [n for n in names if n not in got]
