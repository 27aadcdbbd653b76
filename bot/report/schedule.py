"""Due dates, overdue batches, forecasts and batches started before their blockers finished.

A batch's `targetDate` stays free text for people, but two shapes mean a date: an ISO date
(`2026-12-18`) and a program-week label (`Week 3–4`, `Week 3-4`, `Week 3`), due on the Friday
of its last week counted from `[program] start`. Everything here is a pure function of the
plan, its progress history and a `today` the caller passes in (never the wall clock), so the
dashboard, `/batch status`, App Home and the report agree on every number.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.plan.model import Batch, Plan
from bot.plan.store import HistoryEntry
from bot.plan.values import MAX_DATE

FRIDAY = 4
_ISO = re.compile(r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})\s*$")
_WEEKS = re.compile(r"^\s*week\s*([0-9]{1,4})(?:\s*[–—-]\s*(?:week\s*)?([0-9]{1,4}))?\s*$", re.I)

Sample = tuple[dt.datetime, int]  # (when, progress after the change)


def due_date(batch: Batch, start: dt.date | None) -> dt.date | None:
    """When `batch` is due: its ISO date, or the Friday of the last week its label names."""
    m = _ISO.match(batch.targetDate)
    if m:
        try:
            return dt.date.fromisoformat(m.group(1))
        except ValueError:
            return None
    m = _WEEKS.match(batch.targetDate)
    if not m or start is None:
        return None
    last = int(m.group(2) or m.group(1))
    if last < 1:
        return None
    monday = start + dt.timedelta(days=7 * (last - 1) - start.weekday())
    return monday + dt.timedelta(days=FRIDAY)


def start_date(batch: Batch, start: dt.date | None) -> dt.date | None:
    """When `batch` is planned to start: the Monday of its first week (week labels only)."""
    m = _WEEKS.match(batch.targetDate)
    if not m or start is None:
        return None
    return start + dt.timedelta(days=7 * (int(m.group(1)) - 1))


def overdue_days(batch: Batch, start: dt.date | None, today: dt.date) -> int:
    """Days past the due date of a batch that is not done (0 when not overdue)."""
    if batch.status == "done":
        return 0
    due = due_date(batch, start)
    return max(0, (today - due).days) if due else 0


def overdue_text(days: int) -> str:
    return f"⏰ overdue {days} day{'s' if days != 1 else ''}"


def waiting_on(plan: Plan, batch: Batch) -> list[str]:
    """Blockers not done yet of a batch already in progress (it started too early)."""
    if batch.status != "in-progress":
        return []
    done = {b.id for b in plan.batches if b.status == "done"}
    return [x for x in batch.blockers if x not in done]


def early_start_text(plan: Plan, batch: Batch) -> str:
    waiting = waiting_on(plan, batch)
    if not waiting:
        return ""
    names = {b.id: b.name for b in plan.batches}
    return "⚠️ in progress before " + ", ".join(names.get(x, x) for x in waiting) + " is done"


def marks(plan: Plan, batch: Batch, today: dt.date | None) -> list[str]:
    """The flags shown beside a batch: overdue, started before its blockers finished."""
    out: list[str] = []
    if today is not None:
        days = overdue_days(batch, plan.program.start, today)
        if days:
            out.append(overdue_text(days))
    early = early_start_text(plan, batch)
    if early:
        out.append(early)
    return out


# --------------------------------------------------------------------------- progress


def progress_samples(history: Iterable[HistoryEntry]) -> dict[str, list[Sample]]:
    """Each batch's progress over time from git history entries (any order), oldest first.

    The first change of a batch also records the value it changed *from* at that instant,
    so a single update from 20 → 60 still gives a pace.
    """
    out: dict[str, list[Sample]] = {}
    for entry in sorted(history, key=lambda e: e.when):
        for c in entry.changes:
            if c.field != "progress" or not isinstance(c.new, int):
                continue
            samples = out.setdefault(c.target, [])
            if not samples and isinstance(c.old, int):
                samples.append((entry.when, c.old))
            samples.append((entry.when, c.new))
    return out


@dataclass(frozen=True)
class Forecast:
    """When a batch should finish at its recent pace, and how late that is."""

    finish: dt.date
    week: int | None  # program week of the finish, when the program start is known
    late_weeks: int | None  # > 0 late, 0 on time, < 0 early; None without a due week
    per_week: float  # percentage points a week

    def text(self) -> str:
        when = f"Week {self.week}" if self.week is not None else f"{self.finish:%a %d %b %Y}"
        if self.late_weeks is None:
            tail = ""
        elif self.late_weeks > 0:
            tail = f", {self.late_weeks} week{'s' if self.late_weeks != 1 else ''} late"
        elif self.late_weeks < 0:
            n = -self.late_weeks
            tail = f", {n} week{'s' if n != 1 else ''} early"
        else:
            tail = ", on time"
        return f"at this pace: {when}{tail}"


def week_number(start: dt.date | None, day: dt.date) -> int | None:
    if start is None or day < start:
        return None
    return (day - start).days // 7 + 1


def forecast(
    plan: Plan, batch: Batch, samples: Sequence[Sample], today: dt.date
) -> Forecast | None:
    """When `batch` reaches 100 % at the pace its progress moved since its first update.

    None when it is done, has no recorded progress change, or has not moved.
    """
    if batch.status == "done" or batch.progress >= 100 or not samples:
        return None
    first_when, first = samples[0]
    days = (today - first_when.date()).days
    gained = batch.progress - first
    if gained <= 0:
        return None
    days = max(days, 1)
    per_day = gained / days
    days_left = math.ceil((100 - batch.progress) / per_day)
    if days_left > (MAX_DATE - today).days:
        return None  # a pace that ends after the plan's last possible day forecasts nothing
    finish = today + dt.timedelta(days=days_left)
    start = plan.program.start
    week = week_number(start, finish)
    due = due_date(batch, start)
    late: int | None = None
    if due is not None:
        if week is not None and (due_week := week_number(start, due)) is not None:
            late = week - due_week
        else:
            late = math.ceil((finish - due).days / 7) if finish > due else 0
    return Forecast(finish, week, late, per_day * 7)


def forecasts(
    plan: Plan, samples: Mapping[str, Sequence[Sample]], today: dt.date
) -> dict[str, Forecast]:
    """Forecasts for every batch in progress that has moved."""
    out: dict[str, Forecast] = {}
    for b in plan.batches:
        if b.status not in ("in-progress", "blocked"):
            continue
        f = forecast(plan, b, samples.get(b.id, ()), today)
        if f is not None:
            out[b.id] = f
    return out
