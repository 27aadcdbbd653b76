"""Standups over weeks: who answers less and less, which batches keep coming up as blockers.

The weekly report counts one week; a retrospective needs the trend. Pure: a function of the
stored standups, who owed them on which day, and the weeks asked for.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.plan.model import Plan
from bot.plan.register import iso_week
from bot.standup.sentences import mentions_blocker

SPARKS = "▁▂▃▄▅▆▇█"


class StandupLike(Protocol):
    """What the report and the trends read of a standup (read-only, so frozen records
    satisfy it)."""

    @property
    def user_id(self) -> str: ...
    @property
    def user_name(self) -> str: ...
    @property
    def local_date(self) -> dt.date: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class WeekCount:
    week: str  # 2026-W49
    answered: int
    owed: int

    @property
    def ratio(self) -> float | None:
        return None if self.owed == 0 else min(1.0, self.answered / self.owed)


def week_starts(today: dt.date, weeks: int) -> list[dt.date]:
    """The Mondays of the last `weeks` ISO weeks, oldest first, this week last."""
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def participation(
    entries: Iterable[StandupLike],
    people: Sequence[str],
    today: dt.date,
    weeks: int,
    workdays: Sequence[int],
    expected_on: Callable[[str, dt.date], bool] | None = None,
) -> dict[str, list[WeekCount]]:
    """Per person, per week: standups given of the workdays owed (up to `today`)."""
    answered: dict[tuple[str, str], int] = {}
    for s in entries:
        key = (s.user_id, iso_week(s.local_date))
        answered[key] = answered.get(key, 0) + 1
    out: dict[str, list[WeekCount]] = {}
    for uid in people:
        rows = []
        for monday in week_starts(today, weeks):
            days = [monday + dt.timedelta(days=i) for i in range(7)]
            owed = [
                d
                for d in days
                if d <= today
                and d.weekday() in workdays
                and (expected_on is None or expected_on(uid, d))
            ]
            week = iso_week(monday)
            rows.append(WeekCount(week, answered.get((uid, week), 0), len(owed)))
        out[uid] = rows
    return out


def sparkline(counts: Sequence[WeekCount]) -> str:
    """`▃▅█▁` — one mark a week; `·` where nothing was owed (holiday, time off)."""
    marks = []
    for c in counts:
        r = c.ratio
        marks.append("·" if r is None else SPARKS[min(len(SPARKS) - 1, round(r * 7))])
    return "".join(marks)


def drifting(counts: Sequence[WeekCount]) -> bool:
    """Answering clearly less in the last two weeks than in the weeks before them."""
    ratios = [c.ratio for c in counts if c.ratio is not None]
    if len(ratios) < 3:
        return False
    before, recent = ratios[:-2], ratios[-2:]
    return sum(recent) / 2 < sum(before) / len(before) - 0.25


def batch_mentions(plan: Plan, text: str) -> list[str]:
    """The batches a standup names, by id (`batch-2`) or by name (`Infrastructure`)."""
    found = []
    for b in plan.batches:
        pattern = rf"(?<![\w-]){re.escape(b.id)}(?![\w-])|\b{re.escape(b.name)}\b"
        if re.search(pattern, text, re.I):
            found.append(b.id)
    return found


def blocker_weeks(
    plan: Plan, entries: Iterable[StandupLike], weeks: Sequence[str]
) -> dict[str, dict[str, int]]:
    """batch id → week → standups that said something blocks them and named that batch."""
    out: dict[str, dict[str, int]] = {}
    wanted = set(weeks)
    for s in entries:
        week = iso_week(s.local_date)
        if week not in wanted or not mentions_blocker(s.text):
            continue
        for batch in batch_mentions(plan, s.text):
            per = out.setdefault(batch, {})
            per[week] = per.get(week, 0) + 1
    return out


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs: the export is opened in Excel or Sheets
    for a retrospective, and anyone on the team types the standups and their Slack name. A
    cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return before one) would be
    a formula there (`=HYPERLINK(…)` leaks, `=cmd|…` runs), so it gets a leading `'` — the
    OWASP advice; a spreadsheet hides the quote, and a standup that begins "- did X" keeps
    its words."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def export_csv(entries: Iterable[StandupLike], plan: Plan, name: Callable[[str], str]) -> str:
    """One row per standup: date, week, person, id, blocker?, batches named, text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["date", "week", "person", "user_id", "blocker", "batches", "text"])
    for s in entries:
        writer.writerow(
            [
                s.local_date.isoformat(),
                iso_week(s.local_date),
                _csv_cell(s.user_name or name(s.user_id)),
                _csv_cell(s.user_id),
                "yes" if mentions_blocker(s.text) else "",
                " ".join(batch_mentions(plan, s.text)),
                _csv_cell(s.text),
            ]
        )
    return buf.getvalue().rstrip("\n")


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def export_markdown(entries: Iterable[StandupLike], plan: Plan, name: Callable[[str], str]) -> str:
    """A table for a retrospective page: one row per standup."""
    lines = ["| date | person | blocker | batches | standup |", "| --- | --- | --- | --- | --- |"]
    for s in entries:
        lines.append(
            f"| {s.local_date.isoformat()} | {_md_cell(s.user_name or name(s.user_id))} | "
            f"{'yes' if mentions_blocker(s.text) else ''} | "
            f"{' '.join(batch_mentions(plan, s.text))} | {_md_cell(s.text)} |"
        )
    return "\n".join(lines)
