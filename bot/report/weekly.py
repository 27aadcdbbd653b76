"""The weekly progress report: built from the plan, its git history for the week and standups.

`build_report` is pure (plans, history entries, standups and the time in, a WeeklyReport out),
so the CLI's `weekly`, `/batch weekly` and the Friday job all produce the same draft, and tests
can script a week without a scheduler. `collect_week` is the one place that reads git for it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.plan.model import Batch, Metrics, Plan, Targets
from bot.plan.store import HistoryEntry, PlanStore


class StandupLike(Protocol):
    """What the report reads of a standup (read-only, so frozen records satisfy it)."""

    @property
    def user_id(self) -> str: ...
    @property
    def user_name(self) -> str: ...
    @property
    def local_date(self) -> dt.date: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Week:
    label: str
    number: int | None
    start: dt.date  # first day, inclusive
    end: dt.date  # last day, inclusive

    @property
    def next_number(self) -> int | None:
        return self.number + 1 if self.number is not None else None


_WEEK_LABEL = re.compile(r"^\s*week\s*(\d{1,4})\s*$", re.IGNORECASE)
_RANGE = re.compile(r"week\s*(\d+)(?:\s*[–—-]\s*(?:week\s*)?(\d+))?", re.IGNORECASE)


def resolve_week(plan: Plan, label: str | None, today: dt.date) -> Week:
    """`Week N` counts from the program start; any other label names the current week."""
    start = plan.program.start
    m = _WEEK_LABEL.match(label or "")
    if m and start is not None:
        number = int(m.group(1))
        if number < 1:
            raise ValueError("week numbers start at 1")
        first = start + dt.timedelta(days=7 * (number - 1))
        return Week(f"Week {number}", number, first, first + dt.timedelta(days=6))
    if start is not None and today >= start:
        number = (today - start).days // 7 + 1
        first = start + dt.timedelta(days=7 * (number - 1))
        return Week(label or f"Week {number}", number, first, first + dt.timedelta(days=6))
    monday = today - dt.timedelta(days=today.weekday())
    named = int(m.group(1)) if m else None
    return Week(label or f"Week of {monday:%d %b}", named, monday, monday + dt.timedelta(days=6))


def week_of(plan: Plan, day: dt.date) -> Week:
    """The report week holding `day`: program week N when the start is known, else Mon–Sun."""
    start = plan.program.start
    if start is not None and day >= start:
        return resolve_week(plan, f"Week {(day - start).days // 7 + 1}", day)
    return resolve_week(plan, None, day)


def target_weeks(batch: Batch) -> tuple[int, int] | None:
    m = _RANGE.search(batch.targetDate)
    if not m:
        return None
    first = int(m.group(1))
    return first, int(m.group(2) or first)


@dataclass(frozen=True)
class Item:
    text: str
    owner: str = ""


@dataclass(frozen=True)
class MetricLine:
    label: str
    value: str
    target: str
    ok: bool | None  # None: no target
    change: str = ""


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
    help_needed: list[Item] = field(default_factory=list)
    wins: list[Item] = field(default_factory=list)
    participation: list[Item] = field(default_factory=list)
    risks: list[Item] = field(default_factory=list)
    standups_considered: bool = False
    metric_notes: list[str] = field(default_factory=list)  # metrics GitHub could not give


_BLOCKER_WORDS = re.compile(
    r"\b(blocked|blocker|blocking|stuck|waiting (?:on|for)|can'?t proceed|cannot proceed)\b",
    re.IGNORECASE,
)
_HELP_WORDS = re.compile(r"\b(help|need(?:s|ed)? (?:a |an )?(?:hand|review|access))\b", re.I)


def owner_label(owner: str, name_of: Callable[[str], str] | None = None) -> str:
    """An owner for the report: a Slack mention (`<@U123>`) becomes the person's name, since
    the report is also pasted into a GitHub issue where mentions mean nothing."""
    m = re.fullmatch(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>", owner.strip())
    if m:
        return m.group(2) or (name_of(m.group(1)) if name_of else f"@{m.group(1)}")
    return owner or "Unassigned"


def _num(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "not measured"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text}{unit}"


def _delta(old: float | int | None, new: float | int | None, unit: str = "") -> str:
    if old is None or new is None or old == new:
        return "no change" if old == new and old is not None else ""
    diff = new - old
    return f"{'+' if diff > 0 else '−'}{abs(diff):g}{unit} since last week"


def _on_target(value: float | int | None, limit: float | int | None, op: str) -> bool | None:
    """None when there is no target, and when nothing was measured: never a win by default."""
    if limit is None or value is None:
        return None
    if op == ">=":
        return value >= limit
    return value < limit if op == "<" else value <= limit


def metric_lines(metrics: Metrics, targets: Targets, before: Metrics | None) -> list[MetricLine]:
    def prev(name: str) -> float | int | None:
        return getattr(before, name) if before is not None else None

    m, t = metrics, targets
    rows = [
        ("PRs merged", "prsMerged", "", "", None, ""),
        ("CI pass rate", "ciPassRate", "%", f"≥ {t.ciPassRateMin:g}%", t.ciPassRateMin, ">="),
        ("Test coverage", "coverage", "%", f"≥ {t.coverageMin:g}%", t.coverageMin, ">="),
        (
            "Production incidents",
            "productionIncidents",
            "",
            f"≤ {t.productionIncidentsMax}",
            t.productionIncidentsMax,
            "<=",
        ),
        (
            "Mean time to deploy",
            "deploymentMinutes",
            " min",
            f"< {t.deploymentMinutesMax:g} min",
            t.deploymentMinutesMax,
            "<",
        ),
        ("CI flake rate", "ciFlakeRate", "%", f"< {t.ciFlakeRateMax:g}%", t.ciFlakeRateMax, "<"),
        (
            "Workflow time",
            "workflowMinutes",
            " min",
            f"< {t.workflowMinutesMax:g} min",
            t.workflowMinutesMax,
            "<",
        ),
        (
            "Open critical/high vulnerabilities",
            "openCriticalVulns",
            "",
            f"≤ {t.openCriticalVulnsMax}",
            t.openCriticalVulnsMax,
            "<=",
        ),
    ]
    core = 5  # the template's own five are always listed; the monitoring ones once measured
    lines = []
    for i, (label, name, unit, target_text, limit, op) in enumerate(rows):
        value = getattr(m, name)
        if value is None and i >= core:
            continue
        unit_delta = " pts" if unit == "%" and i < core else unit
        lines.append(
            MetricLine(
                label,
                _num(value, unit),
                target_text,
                _on_target(value, limit, op),
                _delta(prev(name), value, unit_delta),
            )
        )
    return lines


def build_report(
    plan: Plan,
    *,
    week: Week,
    now: dt.datetime,
    start_plan: Plan | None,
    history: Sequence[HistoryEntry],
    standups: Sequence[StandupLike] = (),
    team: Sequence[str] = (),
    workdays: Iterable[int] = (0, 1, 2, 3, 4),
    standups_enabled: bool = False,
    name_of: Callable[[str], str] | None = None,
) -> WeeklyReport:
    """Assemble the report. `start_plan` is the plan as it stood when the week began."""

    def owner_of(owner: str) -> str:
        return owner_label(owner, name_of)

    names = {b.id: b.name for b in plan.batches}
    before = {b.id: b for b in start_plan.batches} if start_plan else {}
    overall_before = start_plan.overall_progress() if start_plan else None
    overall = plan.overall_progress()
    report = WeeklyReport(
        week=week,
        generated=now,
        program=plan.program.name,
        current=plan.current_batch(),
        overall=overall,
        overall_change=None if overall_before is None else overall - overall_before,
        standups_considered=standups_enabled,
    )

    finishers: dict[str, tuple[str, dt.datetime]] = {}
    for entry in sorted(history, key=lambda e: e.when):
        for c in entry.changes:
            if c.field == "status" and c.new == "done":
                finishers[c.target] = (entry.author, entry.when)
    done_now = {b.id for b in plan.batches if b.status == "done"}
    done_before = {i for i, b in before.items() if b.status == "done"}
    for b in plan.batches:
        if b.id in done_now and b.id not in done_before and (start_plan or b.id in finishers):
            who, when = finishers.get(b.id, ("", None))
            by = f" — finished by {who}" if who else ""
            if when is not None and now.tzinfo is not None:
                when = when.astimezone(now.tzinfo)
            on = f" on {when:%a %d %b}" if when else ""
            report.completed.append(Item(f"{b.name} ({b.id}){by}{on}", who))

    for b in plan.batches:
        if b.status != "in-progress" and not (b.status == "blocked" and b.progress > 0):
            continue
        text = f"{b.name} - {owner_of(b.owner)} - {b.progress}% complete"
        old = before.get(b.id)
        if old is not None and old.progress != b.progress:
            text += f" ({old.progress}% → {b.progress}% this week)"
        elif old is not None:
            text += " (no change this week)"
        elif start_plan is not None:
            text += " (new this week)"
        report.in_progress.append(Item(text, b.owner))

    for b in plan.batches:
        if b.status == "done":
            continue
        waiting = [x for x in b.blockers if x not in done_now]
        if b.status == "blocked":
            why = b.notes.strip() or "marked blocked"
            report.blockers.append(
                Item(
                    f"{b.name} is blocked ({why}) - owner {owner_of(b.owner)} to unblock",
                    b.owner,
                )
            )
            report.help_needed.append(
                Item(f"{b.name} is marked blocked — {owner_of(b.owner)} needs support", b.owner)
            )
        elif waiting:
            on = ", ".join(names.get(x, x) for x in waiting)
            report.blockers.append(
                Item(
                    f"{b.name} waits on {on} - finish {on} first (owner {owner_of(b.owner)})",
                    b.owner,
                )
            )

    display = name_of or (lambda uid: uid)
    for s in standups:
        if _BLOCKER_WORDS.search(s.text):
            report.blockers.append(
                Item(
                    f"{s.user_name or display(s.user_id)} ({s.local_date:%a}): "
                    f"“{_clip(s.text)}” - follow up with {s.user_name or display(s.user_id)}",
                    s.user_id,
                )
            )
        if _HELP_WORDS.search(s.text) or _BLOCKER_WORDS.search(s.text):
            report.help_needed.append(
                Item(
                    f"{s.user_name or display(s.user_id)} asked for help ({s.local_date:%a}): "
                    f"“{_clip(s.text)}”",
                    s.user_id,
                )
            )

    report.metrics = metric_lines(
        plan.metrics, plan.targets, start_plan.metrics if start_plan else None
    )

    nxt = week.next_number
    goal_ids: list[str] = []
    for b in plan.batches:
        if b.status == "done":
            continue
        weeks = target_weeks(b)
        if nxt is not None and weeks and weeks[0] <= nxt <= weeks[1]:
            goal_ids.append(b.id)
            report.next_goals.append(
                Item(
                    f"{b.name}: due {b.targetDate} — now {b.progress}% (owner {owner_of(b.owner)})",
                    b.owner,
                )
            )
    for b in plan.batches:
        if b.id in goal_ids or b.status in ("done", "in-progress") or not b.blockers:
            continue
        if all(x in done_now for x in b.blockers):
            report.next_goals.append(
                Item(f"Start {b.name}: now unblocked (owner {owner_of(b.owner)})", b.owner)
            )

    for item in report.completed:
        report.wins.append(Item(f"Completed {item.text.split(' — ')[0]}"))
    for line in report.metrics:
        if line.ok:
            report.wins.append(Item(f"{line.label} on target: {line.value} ({line.target})"))

    if standups_enabled:
        days = [
            week.start + dt.timedelta(days=i)
            for i in range(7)
            if (week.start + dt.timedelta(days=i)).weekday() in set(workdays)
            and week.start + dt.timedelta(days=i) <= now.date()
        ]
        counts: dict[str, int] = {}
        label_of: dict[str, str] = {}
        for s in standups:
            counts[s.user_id] = counts.get(s.user_id, 0) + 1
            label_of[s.user_id] = s.user_name or display(s.user_id)
        for uid in list(team) + [u for u in counts if u not in team]:
            who = label_of.get(uid) or display(uid)
            report.participation.append(
                Item(f"{who}: {counts.get(uid, 0)} of {len(days)} days", uid)
            )

    for r in plan.risks:
        if "High" in (r.probability, r.impact) or "Critical" in (r.probability, r.impact):
            report.risks.append(
                Item(f"{r.risk} ({r.probability} probability / {r.impact} impact) — {r.mitigation}")
            )
    return report


def _clip(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class WeekData:
    week: Week
    plan: Plan  # as it stood at the end of the week (or now, for the current week)
    start_plan: Plan | None
    history: list[HistoryEntry]


def report_for(
    data: WeekData,
    now: dt.datetime,
    *,
    standups_between: Callable[[dt.date, dt.date], Sequence[StandupLike]] | None,
    team: Sequence[str] = (),
    workdays: Iterable[int] = (0, 1, 2, 3, 4),
    name_of: Callable[[str], str] | None = None,
) -> WeeklyReport:
    """The report for a collected week, with that week's standups when they are kept."""
    standups = standups_between(data.week.start, data.week.end) if standups_between else []
    return build_report(
        data.plan,
        week=data.week,
        now=now,
        start_plan=data.start_plan,
        history=data.history,
        standups=standups,
        team=team,
        workdays=workdays,
        standups_enabled=standups_between is not None,
        name_of=name_of,
    )


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
    start = dt.datetime.combine(week.start, dt.time(0), tzinfo=tz)
    week_end = dt.datetime.combine(week.end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    end = min(now, week_end)
    start_plan = store.plan_at(start - dt.timedelta(seconds=1))
    history = store.history(since=start, until=end, limit=0) if end > start else []
    end_plan = store.plan_at(end) if end < now else None
    return WeekData(week, end_plan or plan, start_plan, history)


@dataclass(frozen=True)
class Section:
    """One heading of the template with its lines; `empty` says plainly that there is nothing."""

    heading: str  # e.g. "✅ Completed This Week" (markdown adds the ###)
    items: tuple[str, ...]
    empty: str
    prefix: str = "- "


def metric_text(m: MetricLine) -> str:
    mark = "" if m.ok is None else (" ✅" if m.ok else " ⚠️")
    target = f" (target {m.target})" if m.target else ""
    change_text = f" — {m.change}" if m.change else ""
    return f"{m.label}: {m.value}{target}{mark}{change_text}"


def current_text(report: WeeklyReport) -> str:
    return report.current.name if report.current else "All batches done"


def overall_text(report: WeeklyReport) -> str:
    change = ""
    if report.overall_change:
        sign = "+" if report.overall_change > 0 else "−"
        change = f" ({sign}{abs(report.overall_change)} this week)"
    return f"{report.overall}% complete{change}"


def sections(report: WeeklyReport) -> list[Section]:
    """The template's sections in order: one source for the markdown and the Block Kit draft."""
    r = report

    def texts(items: list[Item]) -> tuple[str, ...]:
        return tuple(i.text for i in items)

    out = [
        Section(
            "✅ Completed This Week",
            texts(r.completed),
            "Nothing was completed this week.",
            "- [x] ",
        ),
        Section("🚧 In Progress", texts(r.in_progress), "Nothing is in progress.", "- [ ] "),
        Section("⚠️ Blockers", texts(r.blockers), "No blockers."),
        Section(
            "📊 Metrics This Week",
            tuple(metric_text(m) for m in r.metrics)
            + tuple(f"⚠️ {note}" for note in r.metric_notes),
            "No metrics recorded.",
        ),
        Section(
            "📅 Next Week Goals",
            texts(r.next_goals),
            "No batch is due next week and none was unblocked.",
        ),
        Section("🆘 Help Needed", texts(r.help_needed), "No help requested."),
        Section("🎉 Wins", texts(r.wins), "No wins recorded yet this week."),
    ]
    if r.standups_considered:
        out.append(
            Section(
                "👥 Standup Participation",
                texts(r.participation),
                "No standups were collected this week.",
            )
        )
    out.append(Section("🧭 Risks to Review", texts(r.risks), "No high or critical risks."))
    return out


def title(report: WeeklyReport) -> str:
    return f"Weekly Progress Report - {report.week.label}"


def span_text(report: WeeklyReport) -> str:
    w = report.week
    return f"{w.start:%a %d %b %Y} – {w.end:%a %d %b %Y}"


def to_markdown(report: WeeklyReport) -> str:
    """The report in the team's template, ready to paste into a GitHub issue."""
    r = report
    lines = [
        f"## {title(r)}",
        "",
        f"_{span_text(r)} · {r.program}_",
        "",
        f"### 🎯 Current Batch: {current_text(r)}",
        f"**Overall Progress:** {overall_text(r)}",
    ]
    for sec in sections(r):
        lines += ["", f"### {sec.heading}"]
        if sec.items:
            lines += [f"{sec.prefix}{text}" for text in sec.items]
        else:
            lines.append(f"_{sec.empty}_")
    return "\n".join(lines) + "\n"
