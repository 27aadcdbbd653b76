"""What a command answers, as data. Each edge renders it its own way (terminal text or Block Kit).

Keeping replies as plain dataclasses — never Block Kit, never markdown strings with user text
already baked in — is what lets one command path serve Slack, the shell and the CLI, and keeps
mrkdwn escaping in exactly one place (the Block Kit renderer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from bot.people.names import UNKNOWN, NameOf, Names, humanize, people_in
from bot.plan.edits import Change
from bot.plan.model import Batch, Plan

if TYPE_CHECKING:  # type names only: the dashboard path does not load the report builder
    from bot.plan.store import HistoryEntry
    from bot.report.burnup import BurnUp
    from bot.report.weekly import WeeklyReport

Visibility = Literal["caller", "channel"]


@dataclass(frozen=True)
class TextView:
    """Plain lines (help, validate, confirmations). Lines are literal text, never markup."""

    title: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class ErrorView:
    """A refusal as data, so every edge words and styles errors the same way."""

    message: str
    hint: str = ""


@dataclass(frozen=True)
class DashboardView:
    """The old tool's dashboard table; `today` marks batches past their due date."""

    plan: Plan
    today: dt.date | None = None


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
class ChangeView:
    """Who changed what, kept as data so Slack, the shell and the CLI word it alike."""

    actor: str  # display name
    actor_id: str | None
    target: str  # batch id or "metrics"
    target_name: str
    changes: tuple[Change, ...]
    commit: str | None = None
    warning: str | None = None

    def who(self, name_of: NameOf | None) -> str:
        """The person who changed it, by their current name (the edge's name otherwise)."""
        named = name_of(self.actor_id) if name_of and self.actor_id else UNKNOWN
        return named if named != UNKNOWN else self.actor


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
class TableView:
    """Rows with a header: Slack shows its own table block (one per message, at its bottom),
    a terminal the `lines`, which are also the message's fallback text. `notes` are lines
    shown above the table in Slack (they are part of `lines` already)."""

    title: str
    lines: tuple[str, ...]
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


View = (
    TextView
    | TableView
    | ErrorView
    | DashboardView
    | StatusView
    | BatchView
    | ChangeView
    | HistoryView
    | WeeklyView
    | StandupListView
    | ChartView
)


@dataclass(frozen=True)
class OpenModal:
    """Ask the edge to open a form (Slack modal) for a batch; the shell explains instead."""

    kind: Literal["update", "standup", "blocker"]
    batch_id: str | None = None
    program: str = ""  # the program the command was routed to ("": the first)


@dataclass(frozen=True)
class Notice:
    """Someone to tell by DM because of this reply (the owner of a blocked batch). The Slack
    edge sends it through the Messenger after answering; the shell and the CLI print it."""

    user_id: str
    text: str  # plain text; each edge escapes it


@dataclass(frozen=True)
class Reply:
    """What a command answers: a view plus who sees it and the exit code, never text."""

    view: View
    visibility: Visibility = "caller"
    exit_code: int = 0
    plan_changed: bool = False
    modal: OpenModal | None = None
    notices: tuple[Notice, ...] = ()
    # Names of the people the view mentions (user id → display name), looked up once for the
    # whole reply by `with_names`; renderers show these instead of ids.
    people: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def name_of(self, user_id: str) -> str:
        """The name looked up for this reply; `UNKNOWN` for an id nobody looked up."""
        return self.people.get(user_id) or UNKNOWN


def people_in_view(view: View) -> set[str]:
    """Every user id a view shows: batch, risk and blocker owners, changed values, history."""
    texts: list[str] = []
    plan = getattr(view, "plan", None)
    if isinstance(plan, Plan):
        texts += [b.owner for b in plan.batches]
        texts += [r.owner for r in plan.risks] + [b.owner for b in plan.blockers]
    if isinstance(view, ChangeView):
        texts += [str(c.old) for c in view.changes] + [str(c.new) for c in view.changes]
        texts += [c.field for c in view.changes]
        texts += [view.actor_id] if view.actor_id else []
    if isinstance(view, TextView):
        texts += [view.title, *view.lines]
    if isinstance(view, ErrorView):
        texts += [view.message, view.hint]
    entries = view.history if isinstance(view, BatchView) else ()
    if isinstance(view, HistoryView):
        entries = view.entries
    for e in entries:
        texts += [str(c.old) for c in e.changes] + [str(c.new) for c in e.changes]
        texts += [c.field for c in e.changes]
    return people_in(texts)


def with_names(reply: Reply, names: Names | None) -> Reply:
    """The reply with the names of everyone its view shows, looked up in one go; mentions
    typed into free text (`<@U…|bob>` in a blocker, a note, a DM) read as names too."""
    if names is None:
        return reply
    ids = people_in_view(reply.view) | people_in(n.text for n in reply.notices)
    if not ids:
        return reply
    people = {**reply.people, **names.names(sorted(ids))}
    named = Reply(reply.view, people=people).name_of
    view = reply.view
    if isinstance(view, TextView):
        view = TextView(humanize(view.title, named), tuple(humanize(x, named) for x in view.lines))
    elif isinstance(view, ErrorView):
        view = ErrorView(humanize(view.message, named), humanize(view.hint, named))
    notices = tuple(Notice(n.user_id, humanize(n.text, named)) for n in reply.notices)
    return replace(reply, view=view, notices=notices, people=people)


def error(message: str, hint: str = "", code: int = 1) -> Reply:
    return Reply(ErrorView(message, hint), exit_code=code)
