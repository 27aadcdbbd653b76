"""The burn-up chart's numbers: each batch's progress at the end of every week, from git.

Pure (plan, progress samples, today in; a BurnUp out), so the chart `/batch chart` uploads,
the one `batchbot chart --out` writes and the one attached to the Friday post are the same.
Drawing is `bot.render.chart_png` (matplotlib, imported only when a chart is drawn).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.plan.model import Plan
from bot.report.schedule import Sample, due_date, start_date
from bot.walltime import wall_instant

MAX_WEEKS = 104


@dataclass(frozen=True)
class BurnUp:
    title: str
    weeks: tuple[str, ...]  # x labels: "W1", "W2", … (or week-ending dates without a start)
    ends: tuple[dt.date, ...]  # the last day of each week
    actual_weeks: int  # how many of the weeks have happened (the rest is plan only)
    overall: tuple[float, ...]  # mean progress, actual weeks only
    planned: tuple[float, ...]  # mean planned progress from the due dates, every week
    batches: tuple[tuple[str, tuple[float, ...]], ...]  # (name, progress per actual week)


def _weeks(plan: Plan, today: dt.date, samples: Mapping[str, Sequence[Sample]]) -> list[dt.date]:
    """Week starts (Mondays, or program weeks) from the program start (or first change) to
    the later of this week and the last due date."""
    start = plan.program.start
    if start is None:
        firsts = [s[0][0].date() for s in samples.values() if s]
        first = min(firsts, default=today)
        start = first - dt.timedelta(days=first.weekday())
    dues = [d for b in plan.batches if (d := due_date(b, plan.program.start))]
    last = max([today, *dues])
    count = min(MAX_WEEKS, (last - start).days // 7 + 1)
    return [start + dt.timedelta(days=7 * i) for i in range(max(1, count))]


def _spans(plan: Plan) -> list[tuple[dt.date, int]]:
    """(planned start, days to the due day) of every batch that has a due date."""
    start = plan.program.start
    spans: list[tuple[dt.date, int]] = []
    for b in plan.batches:
        due = due_date(b, start)
        if due is None:
            continue
        begin = start_date(b, start) or start or (due - dt.timedelta(days=14))
        spans.append((begin, max(1, (due - begin).days)))
    return spans


def _planned(spans: Sequence[tuple[dt.date, int]], end: dt.date) -> float:
    """Mean planned progress at `end`: each batch linear from its start to its due day."""
    if not spans:
        return 0.0
    total = sum(max(0.0, min(100.0, 100.0 * (end - b).days / d)) for b, d in spans)
    return total / len(spans)


def _series(samples: Sequence[Sample], moments: Sequence[dt.datetime], current: int) -> list[float]:
    """Progress at each moment: the last change before it, else where the first one started."""
    if not samples:
        return [float(current)] * len(moments)
    times = [s[0] for s in samples]
    out = []
    for moment in moments:
        i = bisect.bisect_right(times, moment)
        out.append(float(samples[i - 1][1] if i else samples[0][1]))
    return out


def burnup(plan: Plan, samples: Mapping[str, Sequence[Sample]], today: dt.date) -> BurnUp:
    starts = _weeks(plan, today, samples)
    ends = tuple(s + dt.timedelta(days=6) for s in starts)
    actual = sum(1 for s in starts if s <= today)
    with_start = plan.program.start is not None
    labels = tuple(f"W{i + 1}" if with_start else f"{e:%d %b}" for i, e in enumerate(ends))
    # Past weeks as they ended; this week as it stands now.
    closed = [e for e in ends[:actual] if e < today]
    moments = [wall_instant(e + dt.timedelta(days=1), dt.time(0), dt.UTC) for e in closed]
    per_batch: list[tuple[str, tuple[float, ...]]] = []
    for b in plan.batches:
        points = _series(samples.get(b.id, ()), moments, b.progress)
        points += [float(b.progress)] * (actual - len(closed))
        per_batch.append((b.name, tuple(points)))
    overall = tuple(
        sum(series[i] for _, series in per_batch) / len(per_batch) if per_batch else 0.0
        for i in range(actual)
    )
    spans = _spans(plan)
    planned = tuple(_planned(spans, end) for end in ends)
    return BurnUp(plan.program.name, labels, ends, actual, overall, planned, tuple(per_batch))
