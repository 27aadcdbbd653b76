"""Edits of the plan's calendar: pure functions of the plan they are given.

Each builder returns ``edit(plan) -> (new_plan, [Change…])`` for ``PlanStore.change``, which
may call it again on a fresher plan (after a fetch), so nothing here reads a plan early.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from bot.plan.calendar import Holiday, TimeOff
from bot.plan.edits import Change, EditError
from bot.plan.model import Plan

__all__ = ["add_holiday", "add_timeoff", "remove_holiday"]

Edit = Callable[[Plan], tuple[Plan, list[Change]]]


def _span(start: dt.date, end: dt.date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()}..{end.isoformat()}"


def add_timeoff(user: str, start: dt.date, end: dt.date, note: str = "") -> Edit:
    """Record time off; a span already covered for that person changes nothing."""
    if end < start:
        raise EditError(f"time off ends ({end}) before it starts ({start})")

    def edit(plan: Plan) -> tuple[Plan, list[Change]]:
        cal = plan.calendar
        if any(t.user == user and t.start <= start and end <= t.end for t in cal.timeoff):
            return plan, []
        new = TimeOff(user, start, end, note)
        timeoff = tuple(sorted((*cal.timeoff, new), key=lambda t: (t.start, t.user, t.end)))
        changed = replace(plan, calendar=replace(cal, timeoff=timeoff))
        return changed, [Change("timeoff", user, "", _span(start, end))]

    return edit


def add_holiday(day: dt.date, name: str = "") -> Edit:
    """Add a team holiday; naming an existing one renames it."""
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise EditError("a holiday's name may not hold control characters")
    if len(name) > 100:
        raise EditError(f"a holiday's name is at most 100 characters (got {len(name)})")

    def edit(plan: Plan) -> tuple[Plan, list[Change]]:
        cal = plan.calendar
        old = cal.holiday(day)
        if old is not None and (old.name == name or not name):
            return plan, []
        kept = tuple(h for h in cal.holidays if h.day != day)
        holidays = tuple(sorted((*kept, Holiday(day, name)), key=lambda h: h.day))
        changed = replace(plan, calendar=replace(cal, holidays=holidays))
        before = "" if old is None else (old.name or "holiday")
        return changed, [Change("holiday", day.isoformat(), before, name or "holiday")]

    return edit


def remove_holiday(day: dt.date) -> Edit:
    """Remove a team holiday; an unknown day is an error naming the ones there are."""

    def edit(plan: Plan) -> tuple[Plan, list[Change]]:
        cal = plan.calendar
        old = cal.holiday(day)
        if old is None:
            known = ", ".join(h.day.isoformat() for h in cal.holidays[:10]) or "none"
            raise EditError(f"{day} is not a holiday in the plan; holidays: {known}")
        holidays = tuple(h for h in cal.holidays if h.day != day)
        changed = replace(plan, calendar=replace(cal, holidays=holidays))
        return changed, [Change("holiday", day.isoformat(), old.name or "holiday", "")]

    return edit
