"""Nudges before a slip: which batches and blockers need a word with their owner *now*.

The bot used to speak only after a due date had passed ("⏰ overdue"). A nudge comes while
there is still time: the forecast says a batch will be late but its due day is still ahead;
an in-progress batch has not moved for a number of workdays; a tracked blocker is past the
day it was to be resolved by. Each condition has a stable key, so the job (`bot.report.
nudge_job`) can take a once-only claim per condition and say it once, however often it runs
and however many instances share the database.

Pure: a function of the plan, its progress history and a `today` the caller passes in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.plan.model import Batch, Plan
from bot.plan.store import HistoryEntry
from bot.report.schedule import Forecast, Sample, due_date, forecast

Kind = Literal["late", "stalled", "blocker", "complete"]


@dataclass(frozen=True)
class NudgeRules:
    """The team's thresholds (`BATCHBOT_NUDGE_*`)."""

    stall_workdays: int = 5
    lead_after_days: int = 1
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Nudge:
    kind: Kind
    key: str  # one condition: the same key on every run while the condition lasts
    batch: str  # the batch it is about (a blocker's batch for blocker nudges)
    owner: str  # the owner field as written (a Slack mention, an id, a name, or "")
    headline: str  # what happened, in one line (no markup: the renderer escapes it)
    detail: str  # why the bot thinks so
    blocker: int = 0  # the blocker's number for blocker nudges


def workdays_between(start: dt.date, end: dt.date, workdays: Sequence[int]) -> int:
    """Workdays after `start` up to and including `end` (0 when end <= start)."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * len(set(workdays))
    for i in range(1, rest + 1):
        if (start + dt.timedelta(days=weeks * 7 + i)).weekday() in workdays:
            count += 1
    return count


def last_moves(history: Iterable[HistoryEntry]) -> dict[str, dt.datetime]:
    """When each batch's progress last changed (or, failing that, anything of it changed)."""
    progress: dict[str, dt.datetime] = {}
    touched: dict[str, dt.datetime] = {}
    for entry in history:
        for c in entry.changes:
            when = entry.when
            if c.field == "progress" and (c.target not in progress or progress[c.target] < when):
                progress[c.target] = when
            if c.target not in touched or touched[c.target] < when:
                touched[c.target] = when
    return {**touched, **progress}


def _late(plan: Plan, b: Batch, f: Forecast | None, today: dt.date) -> Nudge | None:
    if f is None or f.late_weeks is None or f.late_weeks <= 0:
        return None
    due = due_date(b, plan.program.start)
    if due is None or due < today:  # already overdue: the ⏰ mark says so, no nudge
        return None
    return Nudge(
        "late",
        f"late:{b.id}:{due.isoformat()}",
        b.id,
        b.owner,
        f"{b.name} is due {due:%a %d %b} and looks late",
        f"{b.progress}% done, {f.per_week:.0f} points a week; {f.text()}",
    )


def _stalled(
    b: Batch, moved: dt.datetime | None, today: dt.date, rules: NudgeRules
) -> Nudge | None:
    if b.status != "in-progress" or moved is None:
        return None
    idle = workdays_between(moved.date(), today, rules.workdays)
    if idle < rules.stall_workdays:
        return None
    return Nudge(
        "stalled",
        f"stalled:{b.id}:{moved.date().isoformat()}",
        b.id,
        b.owner,
        f"{b.name} has not moved for {idle} workdays",
        f"still at {b.progress}% since {moved.date():%a %d %b}",
    )


def find_nudges(
    plan: Plan,
    samples: Mapping[str, Sequence[Sample]],
    moves: Mapping[str, dt.datetime],
    today: dt.date,
    rules: NudgeRules = NudgeRules(),
) -> list[Nudge]:
    """Every condition that deserves a nudge today, in plan order (batches, then blockers)."""
    out: list[Nudge] = []
    for b in plan.batches:
        if b.status == "done":
            continue
        f = forecast(plan, b, samples.get(b.id, ()), today)
        for found in (_late(plan, b, f, today), _stalled(b, moves.get(b.id), today, rules)):
            if found is not None:
                out.append(found)
        link = plan.links.get(b.id)
        if link is not None and link.total and link.done == link.total:
            out.append(
                Nudge(
                    "complete",
                    f"complete:{b.id}:{link.total}",
                    b.id,
                    b.owner,
                    f"Everything linked to {b.name} is closed — is the batch done?",
                    link.source(),
                )
            )
    names = {b.id: b for b in plan.batches}
    for n, blk in enumerate(plan.blockers, 1):
        if blk.status != "open" or blk.due is None or blk.due >= today:
            continue
        of = names.get(blk.batch)
        late = (today - blk.due).days
        out.append(
            Nudge(
                "blocker",
                f"blocker:{n}:{blk.batch}:{blk.raised.isoformat()}:{blk.due.isoformat()}",
                blk.batch,
                blk.owner or (of.owner if of else ""),
                f"Blocker #{n} on {of.name if of else blk.batch} was to be resolved by "
                f"{blk.due:%a %d %b} ({late} day{'s' if late != 1 else ''} ago)",
                f"{blk.text} — {blk.resolution or 'no resolution plan yet'}",
                blocker=n,
            )
        )
    return out


def at_risk(
    plan: Plan, samples: Mapping[str, Sequence[Sample]], today: dt.date
) -> list[tuple[Batch, Forecast]]:
    """Batches whose forecast finishes after their due day while that day is still ahead.

    The Friday report's "⚠️ At risk" section uses the very rule the nudges use, so the report
    and the owner's DM never disagree about which batch is in danger."""
    out: list[tuple[Batch, Forecast]] = []
    for b in plan.batches:
        if b.status == "done":
            continue
        f = forecast(plan, b, samples.get(b.id, ()), today)
        if _late(plan, b, f, today) is not None and f is not None:
            out.append((b, f))
    return out
