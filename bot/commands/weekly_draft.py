"""The weekly report draft as a Reply: what `/batch weekly` shows and what `report publish`
files when no Friday archive exists. Its own module, below both word families that use it
(plan.py and report.py), so neither imports the other for it."""

from __future__ import annotations

import datetime as dt

from bot.commands.base import Context
from bot.plan.edits import UsageError
from bot.replies import Reply


def weekly(ctx: Context, label: str | None, now: dt.datetime | None = None) -> Reply:
    """The weekly report draft: the same builder the Friday job posts."""
    from bot.render.report_markdown import to_markdown
    from bot.reply_views import WeeklyView
    from bot.report.weekly import collect_week, report_for

    now = now or ctx.clock()
    plan = ctx.store.load()
    try:
        data = collect_week(ctx.store, plan, label, now)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    report = report_for(
        data,
        now,
        standups_between=ctx.standups_between,
        team=ctx.team,
        workdays=ctx.workdays,
        name_of=ctx.name_of,
        expected_on=ctx.expected_on,
    )
    return Reply(WeeklyView(report, to_markdown(report)))
