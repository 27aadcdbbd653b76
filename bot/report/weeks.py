"""Week arithmetic for the report: which days "Week N" covers, and which week a day falls in.

Program weeks count from `[program] start` (the Monday of Week 1). Without a start date a
report week is simply the Monday–Sunday holding the day. Kept apart from the report builder
so the due dates, goals and charts can share one notion of a week.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.plan.model import Batch, Plan


@dataclass(frozen=True)
class Week:
    label: str
    number: int | None
    start: dt.date  # first day, inclusive
    end: dt.date  # last day, inclusive

    @property
    def next_number(self) -> int | None:
        return self.number + 1 if self.number is not None else None


# "Week 3", "week3" and a bare "3" (what people type after `weekly`) all name Week 3.
_WEEK_LABEL = re.compile(r"^\s*(?:week\s*)?([0-9]{1,4})\s*$", re.IGNORECASE)
_RANGE = re.compile(r"week\s*([0-9]+)(?:\s*[–—-]\s*(?:week\s*)?([0-9]+))?", re.IGNORECASE)


def week_number(label: str | None) -> int | None:
    """The N of `Week N` / `N`, or None for any other label."""
    m = _WEEK_LABEL.match(label or "")
    return int(m.group(1)) if m else None


def program_week(start: dt.date, number: int) -> Week:
    first = start + dt.timedelta(days=7 * (number - 1))
    return Week(f"Week {number}", number, first, first + dt.timedelta(days=6))


def resolve_week(plan: Plan, label: str | None, today: dt.date) -> Week:
    """`Week N` (or `N`) counts from the program start; any other label names the current week."""
    start = plan.program.start
    number = week_number(label)
    if number is not None and number < 1:
        raise ValueError("week numbers start at 1")
    if number is not None and start is not None:
        return program_week(start, number)
    if start is not None and today >= start:
        current = program_week(start, (today - start).days // 7 + 1)
        return Week(label or current.label, current.number, current.start, current.end)
    monday = today - dt.timedelta(days=today.weekday())
    if number is not None:
        label = f"Week {number}"
    return Week(label or f"Week of {monday:%d %b}", number, monday, monday + dt.timedelta(days=6))


def week_of(plan: Plan, day: dt.date) -> Week:
    """The report week holding `day`: program week N when the start is known, else Mon–Sun."""
    start = plan.program.start
    if start is not None and day >= start:
        return program_week(start, (day - start).days // 7 + 1)
    return resolve_week(plan, None, day)


def target_weeks(batch: Batch) -> tuple[int, int] | None:
    """The program weeks a `Week 3–4` / `Week 3-4` / `Week 3` target names, first and last."""
    m = _RANGE.search(batch.targetDate)
    if not m:
        return None
    first = int(m.group(1))
    return first, int(m.group(2) or first)
