"""The weekly progress report: built from the plan, its git history for the week and standups.

`build_report` is pure (a collected week, standups and the time in, a WeeklyReport out), so
the CLI's `weekly`, `/batch weekly` and the Friday job all produce the same draft, and tests
can script a week without a scheduler. It only composes: each section of the template has
its own function below. `collect_week` is the one place that reads git for it. Week
arithmetic lives in `bot.report.weeks`, the metric lines in `bot.report.metrics`, and the
text of the report (markdown, Block Kit) in `bot.render`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.plan.model import Batch, Plan, Risk
from bot.plan.register import Goal, iso_week
from bot.plan.store import HistoryEntry, PlanStore
from bot.report.metrics import MetricLine, metric_lines
from bot.report.nudges import at_risk
from bot.report.schedule import (
    Sample,
    due_date,
    early_start_text,
    forecasts,
    overdue_days,
    overdue_text,
    progress_samples,
)
from bot.report.trends import StandupLike, participation, sparkline
from bot.report.weeks import Week, resolve_week, target_weeks, week_of
from bot.slackids import mention, user_id_in
from bot.standup.sentences import BLOCKER_WORDS as _BLOCKER_WORDS
from bot.text import clip
from bot.walltime import wall_instant

__all__ = [
    "Item",
    "MetricLine",
    "StandupLike",
    "StandupWeek",
    "Week",
    "WeekData",
    "WeeklyReport",
    "build_report",
    "collect_week",
    "metric_lines",
    "owner_label",
    "report_for",
    "resolve_week",
    "week_of",
]

NameOf = Callable[[str], str]


@dataclass(frozen=True)
class Item:
    text: str
    owner: str = ""


@dataclass
class WeeklyReport:
    week: Week
    generated: dt.datetime
    program: str
    current: Batch | None
    overall: int
    overall_change: int | None
    completed: list[Item] = field(default_factory=list)
    in_progress: list[Item] = field(default_factory=list)
    blockers: list[Item] = field(default_factory=list)
    metrics: list[MetricLine] = field(default_factory=list)
    next_goals: list[Item] = field(default_factory=list)
    week_goals: list[Item] = field(default_factory=list)  # goals set for this week: met?
    help_needed: list[Item] = field(default_factory=list)
    wins: list[Item] = field(default_factory=list)
    participation: list[Item] = field(default_factory=list)
    risks: list[Item] = field(default_factory=list)
    schedule: list[Item] = field(default_factory=list)
    at_risk: list[Item] = field(default_factory=list)  # forecast late, due day still ahead
    standups_considered: bool = False
    metric_notes: list[str] = field(default_factory=list)  # metrics GitHub could not give
    plan: Plan | None = None  # the plan the report was built from (timeline, chart)


@dataclass(frozen=True)
class WeekData:
    """What git says about one report week."""

    week: Week
    plan: Plan  # as it stood at the end of the week (or now, for the current week)
    start_plan: Plan | None  # as it stood when the week began
    history: list[HistoryEntry]  # the week's changes
    progress: Mapping[str, Sequence[Sample]] = field(default_factory=dict)  # up to the end


@dataclass(frozen=True)
class StandupWeek:
    """The week's standups and who was expected to write them (when standups are kept)."""

    entries: Sequence[StandupLike] = ()
    team: Sequence[str] = ()
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    # Did this person owe a standup that day? (holidays and time off say no); None: all did.
    expected_on: Callable[[str, dt.date], bool] | None = None
    #: person → four weeks of participation as a sparkline (`▅▇█▆`), for those with history.
    trends: Mapping[str, str] = field(default_factory=dict)


_HELP_WORDS = re.compile(r"\b(help|need(?:s|ed)? (?:a |an )?(?:hand|review|access))\b", re.I)


def mentions_blocker(text: str) -> bool:
    """Does a standup say something blocks the writer? (the report and **Track it** agree)"""
    return bool(_BLOCKER_WORDS.search(text))


def owner_label(owner: str, name_of: NameOf | None = None) -> str:
    """An owner for the report: a Slack mention (`<@U123>`) becomes the person's name, since
    the report is also pasted into a GitHub issue where mentions mean nothing."""
    user = user_id_in(owner)  # `<@U123>`, `<@U123|ana>`, or `U123` as owners are now kept
    if user:
        named = mention(owner)
        label = named[1] if named else None
        return label or (name_of(user) if name_of else f"@{user}")
    return owner or "Unassigned"


# --------------------------------------------------------------------------- sections


def completed_items(data: WeekData, now: dt.datetime) -> list[Item]:
    """Batches done at the week's end that were not done at its start, with who and when."""
    plan, start_plan = data.plan, data.start_plan
    finishers: dict[str, tuple[str, dt.datetime]] = {}
    for entry in sorted(data.history, key=lambda e: e.when):
        for c in entry.changes:
            if c.field == "status" and c.new == "done":
                finishers[c.target] = (entry.author, entry.when)
    before = {b.id for b in start_plan.batches if b.status == "done"} if start_plan else set()
    items: list[Item] = []
    for b in plan.batches:
        if b.status != "done" or b.id in before or not (start_plan or b.id in finishers):
            continue
        who, when = finishers.get(b.id, ("", None))
        by = f" — finished by {who}" if who else ""
        if when is not None and now.tzinfo is not None:
            when = when.astimezone(now.tzinfo)
        on = f" on {when:%a %d %b}" if when else ""
        items.append(Item(f"{b.name} ({b.id}){by}{on}", who))
    return items


def in_progress_items(data: WeekData, owner: NameOf) -> list[Item]:
    """Batches being worked on, with their progress and how it moved this week."""
    before = {b.id: b for b in data.start_plan.batches} if data.start_plan else {}
    items: list[Item] = []
    for b in data.plan.batches:
        if b.status != "in-progress" and not (b.status == "blocked" and b.progress > 0):
            continue
        text = f"{b.name} - {owner(b.owner)} - {b.progress}% complete"
        old = before.get(b.id)
        if old is not None and old.progress != b.progress:
            text += f" ({old.progress}% → {b.progress}% this week)"
        elif old is not None:
            text += " (no change this week)"
        elif data.start_plan is not None:
            text += " (new this week)"
        items.append(Item(text, b.owner))
    return items


def plan_blocker_items(plan: Plan, owner: NameOf) -> tuple[list[Item], list[Item]]:
    """(blockers, help needed) from the plan: batches marked blocked or waiting on others."""
    names = {b.id: b.name for b in plan.batches}
    done = {b.id for b in plan.batches if b.status == "done"}
    blockers: list[Item] = []
    help_needed: list[Item] = []
    for b in plan.batches:
        if b.status == "done":
            continue
        waiting = [x for x in b.blockers if x not in done]
        if b.status == "blocked":
            why = b.notes.strip() or "marked blocked"
            blockers.append(
                Item(f"{b.name} is blocked ({why}) - owner {owner(b.owner)} to unblock", b.owner)
            )
            help_needed.append(
                Item(f"{b.name} is marked blocked — {owner(b.owner)} needs support", b.owner)
            )
        elif waiting:
            on = ", ".join(names.get(x, x) for x in waiting)
            blockers.append(
                Item(
                    f"{b.name} waits on {on} - finish {on} first (owner {owner(b.owner)})",
                    b.owner,
                )
            )
    return blockers, help_needed


def tracked_blocker_items(plan: Plan, today: dt.date, owner: NameOf) -> list[Item]:
    """Blockers tracked with `/batch blocker add`, open as the week ended, oldest first:
    `<text> — <resolution plan> (<owner>, <N> days)`, as the template asks."""
    items: list[Item] = []
    for b in sorted((b for b in plan.blockers if b.status == "open"), key=lambda b: b.raised):
        days = max(0, (today - b.raised).days)
        resolution = b.resolution or "no resolution plan yet"
        who = owner(b.owner) if b.owner else "no owner"
        items.append(
            Item(f"{b.text} — {resolution} ({who}, {days} day{'s' if days != 1 else ''})", b.owner)
        )
    return items


def standup_flag_items(
    standups: Sequence[StandupLike], display: NameOf
) -> tuple[list[Item], list[Item]]:
    """(blockers, help needed) that people wrote in their standups this week."""
    blockers: list[Item] = []
    help_needed: list[Item] = []
    for s in standups:
        who = s.user_name or display(s.user_id)
        quote = clip(s.text, 160, one_line=True)
        if _BLOCKER_WORDS.search(s.text):
            blockers.append(
                Item(
                    f"{who} ({s.local_date:%a}): “{quote}” - follow up with {who}",
                    s.user_id,
                )
            )
        if _HELP_WORDS.search(s.text):  # "blocked" alone is a blocker, listed above
            help_needed.append(
                Item(
                    f"{who} asked for help ({s.local_date:%a}): “{quote}”",
                    s.user_id,
                )
            )
    return blockers, help_needed


def _goal_text(plan: Plan, goal: Goal) -> str:
    batch = plan.batch(goal.batch) if goal.batch else None
    on = f" ({batch.name})" if batch else ""
    by = f" — set by {goal.setBy}" if goal.setBy else ""
    return f"{goal.text}{on}{by}"


def next_goal_items(plan: Plan, week: Week, owner: NameOf) -> list[Item]:
    """The goals set for next week, then computed ones (marked so): batches due next week and
    batches whose blockers are all done (ready to start)."""
    nxt = week.next_number
    done = {b.id for b in plan.batches if b.status == "done"}
    next_week = iso_week(week.start + dt.timedelta(days=7))
    items: list[Item] = [
        Item(f"🎯 {_goal_text(plan, g)}")
        for g in plan.goals
        if g.week == next_week and g.status != "dropped"
    ]
    computed: list[Item] = []
    due_ids: set[str] = set()
    for b in plan.batches:
        if b.status == "done":
            continue
        weeks = target_weeks(b)
        if nxt is not None and weeks and weeks[0] <= nxt <= weeks[1]:
            due_ids.add(b.id)
            computed.append(
                Item(
                    f"{b.name}: due {b.targetDate} — now {b.progress}% (owner {owner(b.owner)})",
                    b.owner,
                )
            )
    for b in plan.batches:
        if b.id in due_ids or b.status in ("done", "in-progress") or not b.blockers:
            continue
        if all(x in done for x in b.blockers):
            computed.append(
                Item(f"Start {b.name}: now unblocked (owner {owner(b.owner)})", b.owner)
            )
    return items + [Item(f"{i.text} (computed)", i.owner) for i in computed]


def week_goal_items(plan: Plan, week: Week) -> list[Item]:
    """The goals that were set for this report's week, each met or not (as the week ended)."""
    this_week = iso_week(week.start)
    marks = {"done": "✅ done", "open": "❌ not done", "dropped": "✖️ dropped"}
    return [
        Item(f"{_goal_text(plan, g)} — {marks[g.status]}")
        for g in plan.goals
        if g.week == this_week
    ]


def win_items(completed: list[Item], metrics: list[MetricLine]) -> list[Item]:
    wins = [Item(f"Completed {item.text.split(' — ')[0]}") for item in completed]
    wins += [
        Item(f"{line.label} on target: {line.value} ({line.target})") for line in metrics if line.ok
    ]
    return wins


def participation_items(
    week: Week, now: dt.datetime, standups: StandupWeek, display: NameOf
) -> list[Item]:
    """How many of the week's workdays so far each person answered."""
    workdays = set(standups.workdays)
    days = [
        day
        for day in (week.start + dt.timedelta(days=i) for i in range(7))
        if day.weekday() in workdays and day <= now.date()
    ]
    counts: dict[str, int] = {}
    label_of: dict[str, str] = {}
    for s in standups.entries:
        counts[s.user_id] = counts.get(s.user_id, 0) + 1
        label_of[s.user_id] = s.user_name or display(s.user_id)
    people = list(standups.team) + [u for u in counts if u not in standups.team]
    expected = standups.expected_on
    items = []
    for uid in people:
        # Only the days this person owed a standup count (no holidays, no time off).
        owed = [d for d in days if expected is None or expected(uid, d)]
        who = label_of.get(uid) or display(uid)
        trend = standups.trends.get(uid)
        tail = f" · last 4 weeks {trend}" if trend else ""
        items.append(Item(f"{who}: {counts.get(uid, 0)} of {len(owed)} days{tail}", uid))
    return items


REVIEW_AFTER = dt.timedelta(weeks=2)


def stale_review(risk: Risk, today: dt.date) -> str:
    """`⏳ not reviewed since Mon 02 Nov` when a risk was not confirmed for 2+ weeks."""
    if risk.reviewed is None:
        return "⏳ never reviewed"
    if today - risk.reviewed >= REVIEW_AFTER:
        return f"⏳ not reviewed since {risk.reviewed:%a %d %b %Y}"
    return ""


def risk_items(plan: Plan, today: dt.date) -> list[Item]:
    """Open risks that are high or critical on either axis, or not reviewed for 2+ weeks."""
    items: list[Item] = []
    for r in plan.risks:
        if r.status != "open":
            continue
        high = bool({"High", "Critical"} & {r.probability, r.impact})
        stale = stale_review(r, today)
        if not high and not stale:
            continue
        text = f"{r.risk} ({r.probability} probability / {r.impact} impact) — {r.mitigation}"
        items.append(Item(text + (f" — {stale}" if stale else ""), r.owner))
    return items


def schedule_items(data: WeekData, today: dt.date, owner: NameOf) -> list[Item]:
    """Late batches, forecasts from each batch's pace in git, and batches started too early."""
    plan = data.plan
    start = plan.program.start
    paces = forecasts(plan, data.progress, today)
    items: list[Item] = []
    for b in plan.batches:
        if b.status == "done":
            continue
        due = due_date(b, start)
        late = overdue_days(b, start, today)
        parts: list[str] = []
        if late and due is not None:
            parts.append(f"{overdue_text(late)} (due {due:%a %d %b})")
        pace = paces.get(b.id)
        if pace is not None:
            due_note = f"due {b.targetDate}" if b.targetDate else "no due date"
            parts.append(f"{pace.text()} ({b.progress}% now, {due_note})")
        early = early_start_text(plan, b)
        if early:
            parts.append(early)
        if parts:
            items.append(Item(f"{b.name}: " + "; ".join(parts) + f" — {owner(b.owner)}", b.owner))
    return items


def at_risk_items(data: WeekData, today: dt.date, owner: NameOf) -> list[Item]:
    """Batches the nudge job warns about: late at their pace while the due day is still ahead."""
    return [
        Item(
            f"{b.name}: {pace.text()} ({b.progress}% now, due {b.targetDate}) — {owner(b.owner)}",
            b.owner,
        )
        for b, pace in at_risk(data.plan, data.progress, today)
    ]


# --------------------------------------------------------------------------- assembly


def build_report(
    data: WeekData,
    now: dt.datetime,
    standups: StandupWeek | None = None,
    name_of: NameOf | None = None,
) -> WeeklyReport:
    """Assemble the report from its sections; `standups` None means they are not kept."""
    plan, start_plan = data.plan, data.start_plan

    def owner(value: str) -> str:
        return owner_label(value, name_of)

    def display(uid: str) -> str:
        return name_of(uid) if name_of else uid

    overall = plan.overall_progress()
    before = start_plan.overall_progress() if start_plan else None
    report = WeeklyReport(
        week=data.week,
        generated=now,
        program=plan.program.name,
        current=plan.current_batch(),
        overall=overall,
        overall_change=None if before is None else overall - before,
        standups_considered=standups is not None,
        plan=plan,
    )
    entries = standups.entries if standups is not None else ()
    report.completed = completed_items(data, now)
    report.in_progress = in_progress_items(data, owner)
    plan_blockers, plan_help = plan_blocker_items(plan, owner)
    said_blockers, said_help = standup_flag_items(entries, display)
    today = min(now.date(), data.week.end)
    tracked = tracked_blocker_items(plan, today, owner)
    report.blockers = tracked + plan_blockers + said_blockers
    report.help_needed = plan_help + said_help
    report.metrics = metric_lines(
        plan.metrics,
        plan.targets,
        start_plan.metrics if start_plan else None,
        plan.measured,
        data.week.start,
        now.tzinfo,
    )
    report.next_goals = next_goal_items(plan, data.week, owner)
    report.week_goals = week_goal_items(plan, data.week)
    report.wins = win_items(report.completed, report.metrics)
    if standups is not None:
        report.participation = participation_items(data.week, now, standups, display)
    report.risks = risk_items(plan, today)
    report.schedule = schedule_items(data, today, owner)
    report.at_risk = at_risk_items(data, today, owner)
    return report


def report_for(
    data: WeekData,
    now: dt.datetime,
    *,
    standups_between: Callable[[dt.date, dt.date], Sequence[StandupLike]] | None,
    team: Sequence[str] = (),
    workdays: Sequence[int] = (0, 1, 2, 3, 4),
    name_of: NameOf | None = None,
    expected_on: Callable[[str, dt.date], bool] | None = None,
) -> WeeklyReport:
    """The report for a collected week, with that week's standups when they are kept."""
    standups = None
    if standups_between is not None:
        earliest = data.week.start - dt.timedelta(weeks=TREND_WEEKS - 1)
        history = standups_between(earliest, data.week.end)
        entries = [s for s in history if s.local_date >= data.week.start]
        today = min(now.date(), data.week.end)
        trends = participation_trends(history, team, today, workdays, expected_on)
        standups = StandupWeek(entries, tuple(team), tuple(workdays), expected_on, trends)
    return build_report(data, now, standups, name_of)


TREND_WEEKS = 4


def participation_trends(
    history: Sequence[StandupLike],
    team: Sequence[str],
    today: dt.date,
    workdays: Sequence[int],
    expected_on: Callable[[str, dt.date], bool] | None,
) -> dict[str, str]:
    """A sparkline of the last four weeks for each person who wrote before this week: a
    trend needs history, so a new team's first report shows none."""
    monday = today - dt.timedelta(days=today.weekday())
    earlier = {s.user_id for s in history if s.local_date < monday}
    if not earlier:
        return {}
    people = [u for u in dict.fromkeys([*team, *(s.user_id for s in history)]) if u in earlier]
    counts = participation(history, people, today, TREND_WEEKS, workdays, expected_on)
    return {uid: sparkline(rows) for uid, rows in counts.items()}


def collect_week(
    store: PlanStore,
    plan: Plan,
    label: str | None,
    now: dt.datetime,
    *,
    day: dt.date | None = None,
) -> WeekData:
    """Read what the report needs from git: the plan at the week's start and end, and its log.

    The week is the one `label` names, else the one holding `day` (the Friday job passes its
    fire date, so a late run on Saturday or Monday still reports the Friday's week), else the
    one holding `now`. `plan` is the plan as of `now`; history after `now` is never read.
    """
    tz = now.tzinfo or dt.UTC
    if label is None and day is not None:
        week = week_of(plan, day)
    else:
        week = resolve_week(plan, label, now.astimezone(tz).date())
    start = wall_instant(week.start, dt.time(0), tz)
    week_end = wall_instant(week.end + dt.timedelta(days=1), dt.time(0), tz)
    end = min(now, week_end)
    start_plan = store.plan_at(start - dt.timedelta(seconds=1))
    history = store.history(since=start, until=end, limit=0) if end > start else []
    # The pace of each batch needs the history before the week too (batchbot's own commits;
    # hand edits there are not diffed, see PlanStore.history).
    before = store.history(until=start, limit=0, diff_by_hand=False)
    end_plan = store.plan_at(end) if end < now else None
    samples = progress_samples([*before, *history])
    return WeekData(week, end_plan or plan, start_plan, history, samples)
