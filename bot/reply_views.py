"""The views that only some words answer with (a batch, a change, history, the weekly report,
the chart, standups, tables, an open form) and the DMs a reply asks for, as data.
`bot.replies` names them too and loads this module the first time one is asked for.

Why apart: every frozen dataclass costs about 0.3 ms at each start (dataclasses compiles its
methods then), and `batchbot dashboard` — timed against the node tool it replaces — answers
with a DashboardView only. Nothing here imports `bot.replies`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.plan.model import Batch, Plan

if TYPE_CHECKING:  # type names only: the dashboard path does not load the report builder
    from bot.plan.store import HistoryEntry
    from bot.report.burnup import BurnUp
    from bot.report.weekly import WeeklyReport

__all__ = [
    "BatchView",
    "ChartView",
    "HistoryView",
    "Notice",
    "OpenModal",
    "StandupListView",
    "StatusView",
    "TableView",
    "WeeklyView",
    "people_in_extra",
]


@dataclass(frozen=True)
class StatusView:
    """`/batch status`: program header and one line per batch."""

    plan: Plan
    notice: str | None = None  # the plan's freshness in remote mode (stale, invalid upstream)
    today: dt.date | None = None


@dataclass(frozen=True)
class BatchView:
    """One batch with its history, so each edge renders the same facts its own way."""

    plan: Plan
    batch: Batch
    history: tuple[HistoryEntry, ...] = ()
    today: dt.date | None = None
    forecast: str = ""  # "at this pace: Week 6, 1 week late", from git history
    when_zone: dt.tzinfo | None = None  # the team's zone, for "measured Fri 04 Dec 10:00"


@dataclass(frozen=True)
class HistoryView:
    """Plan commits as data; the edge decides how many to show and how."""

    entries: tuple[HistoryEntry, ...]
    batch_id: str | None = None


@dataclass(frozen=True)
class WeeklyView:
    """The weekly report with its Markdown, so the edge need not render it again."""

    report: WeeklyReport
    markdown: str


@dataclass(frozen=True)
class ChartView:
    """The burn-up chart's numbers; each edge draws the PNG (bot.render.chart_png)."""

    chart: BurnUp

    @property
    def summary(self) -> str:
        c = self.chart
        overall = f"{c.overall[-1]:.0f}%" if c.overall else "no progress yet"
        return (
            f"Burn-up: {len(c.batches)} batches over {len(c.weeks)} weeks; overall {overall}, "
            f"planned {c.planned[c.actual_weeks - 1]:.0f}% by the end of this week"
            if c.actual_weeks
            else f"Burn-up: {len(c.batches)} batches, the program has not started yet"
        )


@dataclass(frozen=True)
class StandupListView:
    """Standups as rows, so the edge picks a table or a Slack list."""

    title: str
    rows: tuple[tuple[str, str, str], ...]  # (date, person, text)


@dataclass(frozen=True)
class OpenModal:
    """Ask the edge to open a form (Slack modal) for a batch; the shell explains instead."""

    kind: Literal["update", "standup", "blocker"]
    batch_id: str | None = None
    program: str = ""  # the program the command was routed to ("": the first)


@dataclass(frozen=True)
class TableView:
    """Rows with a header: Slack shows its own table block (one per message, at its bottom),
    a terminal the `lines`, which are also the message's fallback text. `notes` are lines
    shown above the table in Slack (they are part of `lines` already)."""

    title: str
    lines: tuple[str, ...]
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notice:
    """Someone to tell by DM because of this reply (the owner of a blocked batch). The Slack
    edge sends it through the Messenger after answering; the shell and the CLI print it."""

    user_id: str
    text: str  # plain text; each edge escapes it


def people_in_extra(view: object) -> list[str]:
    """The texts naming people in one of these views: history entries."""
    texts: list[str] = []
    entries: tuple[HistoryEntry, ...] = view.history if isinstance(view, BatchView) else ()
    if isinstance(view, HistoryView):
        entries = view.entries
    for e in entries:
        texts += [str(c.old) for c in e.changes] + [str(c.new) for c in e.changes]
        texts += [c.field for c in e.changes]
    return texts
