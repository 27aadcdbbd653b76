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
from bot.plan.model import Plan

if TYPE_CHECKING:  # the views some words answer with: loaded on first use (`__getattr__`)
    from bot.reply_views import BatchView as BatchView
    from bot.reply_views import ChartView as ChartView
    from bot.reply_views import HistoryView as HistoryView
    from bot.reply_views import Notice as Notice
    from bot.reply_views import OpenModal as OpenModal
    from bot.reply_views import StandupListView as StandupListView
    from bot.reply_views import StatusView as StatusView
    from bot.reply_views import TableView as TableView
    from bot.reply_views import WeeklyView as WeeklyView

_LATER = frozenset(
    {
        "BatchView",
        "ChartView",
        "HistoryView",
        "Notice",
        "OpenModal",
        "StandupListView",
        "StatusView",
        "TableView",
        "WeeklyView",
    }
)


def __getattr__(name: str) -> object:
    """The views in `bot.reply_views`, loaded the first time one is named: a dataclass costs
    ~0.3 ms at each start, and the dashboard answers with none of them."""
    if name in _LATER:
        from bot import reply_views

        value = getattr(reply_views, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


if TYPE_CHECKING:
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
    if isinstance(view, TextView):
        texts += [view.title, *view.lines]
    elif isinstance(view, ErrorView):
        texts += [view.message, view.hint]
    elif isinstance(view, ChangeView):
        texts += [str(c.old) for c in view.changes] + [str(c.new) for c in view.changes]
        texts += [c.field for c in view.changes]
        texts += [view.actor_id] if view.actor_id else []
    elif not isinstance(view, DashboardView):
        from bot.reply_views import people_in_extra

        texts += people_in_extra(view)
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
    notices = reply.notices
    if notices:
        from bot.reply_views import Notice

        notices = tuple(Notice(n.user_id, humanize(n.text, named)) for n in notices)
    return replace(reply, view=view, notices=notices, people=people)


def error(message: str, hint: str = "", code: int = 1) -> Reply:
    return Reply(ErrorView(message, hint), exit_code=code)
