"""The weekly report's content, built from a real git repo with a scripted fortnight of commits.

The program starts Mon 2026-11-23 (the shipped plan's start), so Week 1 is 23–29 Nov and
Week 2 is 30 Nov – 6 Dec. Every change goes through PlanStore with an injected clock and a
named author, exactly as `/batch update` would make it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.commands import Context, weekly
from bot.plan.edits import update_batch, update_metrics
from bot.plan.model import Batch, Plan, Program
from bot.plan.store import Actor, PlanStore
from bot.plan.team import Person, TeamSettings
from bot.render.report_markdown import to_markdown
from bot.render.report_text import sections
from bot.replies import WeeklyView
from bot.report.weekly import StandupWeek, WeekData, build_report, collect_week
from bot.report.weeks import Week, resolve_week, week_of

BERLIN = ZoneInfo("Europe/Berlin")
START = dt.date(2026, 11, 23)
ANA = Actor("Ana", "ana@example.com")
BEN = Actor("Ben", "ben@example.com")
BO = Actor("Bo", "bo@example.com")


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> dt.datetime:
    """An instant in the team's zone (Europe/Berlin) in Nov/Dec 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


class Clock:
    """A settable clock shared by the store (commit dates) and the code under test."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def change(
    store: PlanStore, clock: Clock, when: dt.datetime, who: Actor, batch: str, **pairs: str
) -> None:
    clock.now = when
    store.change(who, lambda p: update_batch(p, batch, list(pairs.items())))


def metrics(store: PlanStore, clock: Clock, when: dt.datetime, who: Actor, **pairs: str) -> None:
    clock.now = when
    store.change(who, lambda p: update_metrics(p, list(pairs.items()), when, who.name))


_FORTNIGHTS: dict[tuple[str, bytes], Path] = {}


def script_fortnight(plan_file: Path) -> tuple[PlanStore, Clock]:
    """Week 1: batch-5 finished (by Bo), batch-1 and batch-2 started. Week 2: batch-1 finished
    on Tuesday by Ana, batch-2 went 20 → 60. Metrics set each week.

    Scripted once per test process for each starting repository (its HEAD and plan bytes)
    and copied after: the nine commits through the store cost ~0.2 s of CPU, and some 25
    tests start from this fortnight. The copy is the same repository (same commit ids)."""
    import shutil
    import subprocess

    repo = plan_file.parent.parent
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    key = (f"{head}:{plan_file.relative_to(repo)}", plan_file.read_bytes())
    cached = _FORTNIGHTS.get(key)
    if head and (repo / ".git").is_dir() and cached is not None and cached.exists():
        shutil.rmtree(repo)
        shutil.copytree(cached, repo, symlinks=True)
        clock = Clock(at(4, 15))
        return PlanStore(plan_file, clock=clock), clock
    store, clock = _script_fortnight(plan_file)
    if head and (repo / ".git").is_dir():
        import atexit
        import tempfile

        template = Path(tempfile.mkdtemp(prefix="batchbot-fortnight-")) / "repo"
        shutil.copytree(repo, template, symlinks=True)
        atexit.register(shutil.rmtree, template.parent, True)
        _FORTNIGHTS[key] = template
    return store, clock


def _script_fortnight(plan_file: Path) -> tuple[PlanStore, Clock]:
    clock = Clock(at(23, 9, month=11))
    store = PlanStore(plan_file, clock=clock)
    # Week 1 (Mon 23 – Sun 29 Nov)
    change(store, clock, at(23, 10, month=11), ANA, "batch-1", status="in-progress", owner="Ana")
    change(store, clock, at(23, 11, month=11), ANA, "batch-1", progress="40")
    change(store, clock, at(24, 9, month=11), BO, "batch-5", blockers="none", owner="Bo")
    change(store, clock, at(25, 16, month=11), BO, "batch-5", status="done")
    change(
        store,
        clock,
        at(26, 9, month=11),
        BEN,
        "batch-2",
        status="in-progress",
        owner="Ben",
        progress="20",
    )
    metrics(store, clock, at(27, 12, month=11), BEN, prsMerged="5", ciPassRate="90", coverage="70")
    # Week 2 (Mon 30 Nov – Sun 6 Dec)
    change(store, clock, at(1, 10, 30), ANA, "batch-1", status="done")  # Tuesday
    change(store, clock, at(2, 14), BEN, "batch-2", progress="45")
    change(store, clock, at(3, 11), BEN, "batch-2", progress="60")
    metrics(
        store,
        clock,
        at(3, 17),
        BEN,
        prsMerged="14",
        ciPassRate="97",
        coverage="72",
        deploymentMinutes="25",
    )
    clock.now = at(4, 15)  # Friday of Week 2, report time
    return store, clock


@dataclass(frozen=True)
class Standup:
    user_id: str
    user_name: str
    local_date: dt.date
    text: str


STANDUPS = [
    Standup("UANA", "Ana", dt.date(2026, 11, 30), "Closed the last OWASP item. Quality gates on."),
    Standup("UBEN", "Ben", dt.date(2026, 11, 30), "Pooling config drafted. Load test next."),
    Standup("UANA", "Ana", dt.date(2026, 12, 1), "Batch 1 done. Writing the handover notes."),
    Standup(
        "UBEN",
        "Ben",
        dt.date(2026, 12, 2),
        "Blocked on staging database access. Need help from ops to get credentials.",
    ),
    Standup("UANA", "Ana", dt.date(2026, 12, 3), "Reviewing Ben's pooling PR. Pairing tomorrow."),
]


def week2_report(store: PlanStore, clock: Clock, standups=STANDUPS):  # type: ignore[no-untyped-def]
    plan = store.load()
    data = collect_week(store, plan, "Week 2", clock())
    return build_report(
        data,
        clock(),
        StandupWeek(standups, team=("UANA", "UBEN", "UCY")),
        name_of={"UCY": "Cy"}.get,
    )


def section_lines(markdown: str, heading: str) -> list[str]:
    lines = markdown.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("### ") and heading in line)
    out = []
    for line in lines[i + 1 :]:
        if line.startswith("### "):
            break
        if line.strip():
            out.append(line)
    return out


# --------------------------------------------------------------------------- weeks


def test_week_n_counts_from_the_program_start() -> None:
    plan = Plan(program=Program(start=START))
    assert resolve_week(plan, "Week 2", dt.date(2027, 1, 1)) == Week(
        "Week 2", 2, dt.date(2026, 11, 30), dt.date(2026, 12, 6)
    )
    assert week_of(plan, dt.date(2026, 12, 4)).label == "Week 2"
    assert week_of(plan, dt.date(2026, 11, 29)).label == "Week 1"


# --------------------------------------------------------------------------- content


def test_completed_lists_exactly_the_batch_finished_this_week_with_who_and_when(
    plan_file: Path,
) -> None:
    store, clock = script_fortnight(plan_file)
    report = week2_report(store, clock)
    assert [i.text for i in report.completed] == [
        "Critical Blockers (batch-1) — finished by Ana on Tue 01 Dec"
    ]
    assert not any("Observability" in i.text for i in report.completed)  # finished in Week 1


def test_week_1_report_lists_the_week_1_completion_not_the_week_2_one(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    data = collect_week(store, store.load(), "Week 1", clock())
    report = build_report(data, clock())
    assert [i.text for i in report.completed] == [
        "Observability (batch-5) — finished by Bo on Wed 25 Nov"
    ]
    # As it stood at the end of Week 1: batch-1 was at 40 %.
    assert "Critical Blockers - Ana - 40% complete" in report.in_progress[0].text


def test_in_progress_shows_owner_percent_and_the_change_over_the_week(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    report = week2_report(store, clock)
    assert [i.text for i in report.in_progress] == [
        "Infrastructure - Ben - 60% complete (20% → 60% this week)"
    ]
    md = to_markdown(report)
    assert section_lines(md, "In Progress") == [
        "- [ ] Infrastructure - Ben - 60% complete (20% → 60% this week)"
    ]
    assert "**Overall Progress:** 52% complete (+20 this week)" in md


def test_metrics_are_marked_against_targets_with_the_change_since_last_week(
    plan_file: Path,
) -> None:
    store, clock = script_fortnight(plan_file)
    md = to_markdown(week2_report(store, clock))
    assert section_lines(md, "Metrics This Week") == [
        "- PRs merged: 14 — +9 since last week",
        "- CI pass rate: 97% (target ≥ 95%) ✅ — +7 pts since last week",
        "- Test coverage: 72% (target ≥ 80%) ⚠️ — +2 pts since last week",
        # never typed nor collected: "not measured", neither 0 nor a win
        "- Production incidents: not measured (target ≤ 0)",
        "- Mean time to deploy: 25 min (target < 30 min) ✅",
    ]


def test_blockers_come_from_unfinished_dependencies_and_from_standups_with_owners(
    plan_file: Path,
) -> None:
    store, clock = script_fortnight(plan_file)
    blockers = [i.text for i in week2_report(store, clock).blockers]
    assert blockers[0] == (
        "Security waits on Infrastructure - finish Infrastructure first (owner Unassigned)"
    )
    assert blockers[1].startswith("AI/ML waits on Security")
    assert len(blockers) == 3
    assert blockers[2].startswith("Ben (Wed): “Blocked on staging database access.")
    assert blockers[2].endswith("- follow up with Ben")


def test_next_week_goals_are_batches_due_next_week_and_those_now_unblocked(
    plan_file: Path,
) -> None:
    store, clock = script_fortnight(plan_file)
    goals = [i.text for i in week2_report(store, clock).next_goals]
    assert goals == ["Infrastructure: due Week 3–4 — now 60% (owner Ben) (computed)"]
    # A queued batch whose blockers are all done is "now unblocked".
    plan = Plan(
        program=Program(start=START),
        batches=(
            Batch(id="a", name="A", status="done", progress=100, targetDate="Week 1"),
            Batch(id="b", name="B", status="queued", blockers=("a",), targetDate="Week 9"),
        ),
    )
    week = resolve_week(plan, "Week 2", dt.date(2026, 12, 4))
    report = build_report(WeekData(week, plan, plan, []), at(4, 15))
    assert [i.text for i in report.next_goals] == [
        "Start B: now unblocked (owner Unassigned) (computed)"
    ]


def test_help_needed_wins_participation_and_risks(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    md = to_markdown(week2_report(store, clock))
    help_lines = section_lines(md, "Help Needed")
    assert help_lines == [
        "- Ben asked for help (Wed): “Blocked on staging database access. Need help from ops "
        "to get credentials.”"
    ]
    assert section_lines(md, "Wins") == [
        "- Completed Critical Blockers (batch-1)",
        "- CI pass rate on target: 97% (≥ 95%)",
        # production incidents were never measured: not a win
        "- Mean time to deploy on target: 25 min (< 30 min)",
    ]
    # Friday 15:00: Mon–Fri have begun, five workdays; Cy never answered.
    assert section_lines(md, "Standup Participation") == [
        "- Ana: 3 of 5 days",
        "- Ben: 2 of 5 days",
        "- Cy: 0 of 5 days",
    ]
    risks = section_lines(md, "Risks to Review")
    assert risks[0].startswith("- Batch 1 CI fixes incomplete (High probability / Critical")
    assert len(risks) == 5  # every shipped risk is High or Critical on one axis


def test_empty_sections_say_so_plainly(plan_file: Path) -> None:
    clock = Clock(at(27, 15, month=11))
    store = PlanStore(plan_file, clock=clock)
    data = collect_week(store, store.load(), "Week 1", clock())
    report = build_report(data, clock(), StandupWeek([]))
    md = to_markdown(report)
    assert section_lines(md, "Completed This Week") == ["_Nothing was completed this week._"]
    assert section_lines(md, "In Progress") == ["_Nothing is in progress._"]
    assert section_lines(md, "Help Needed") == ["_No help requested._"]
    assert section_lines(md, "Standup Participation") == ["_No standups were collected this week._"]
    assert section_lines(md, "Next Week Goals") == [
        "- Critical Blockers: due Week 1–2 — now 0% (owner Unassigned) (computed)"
    ]
    # No template placeholders left anywhere.
    assert not re.search(r"<[a-z ]+>|\bTBD\b|\bN/A\b|\{\w+\}", md)
    for sec in sections(report):
        assert sec.items or sec.empty


def test_headings_follow_the_template_order(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    md = to_markdown(week2_report(store, clock))
    headings = [line for line in md.splitlines() if line.startswith("##")]
    assert headings == [
        "## Weekly Progress Report - Week 2",
        "### 🎯 Current Batch: Infrastructure",
        "### ✅ Completed This Week",
        "### 🚧 In Progress",
        "### ⚠️ Blockers",
        "### 📊 Metrics This Week",
        "### 📅 Next Week Goals",
        "### ⏰ Schedule",
        "### 🆘 Help Needed",
        "### 🎉 Wins",
        "### 👥 Standup Participation",
        "### 🧭 Risks to Review",
        "### 🗓️ Timeline",
    ]


def test_batch_weekly_builds_the_same_markdown(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    between: Callable[[dt.date, dt.date], list[Standup]] = lambda a, b: [  # noqa: E731
        s for s in STANDUPS if a <= s.local_date <= b
    ]
    ctx = Context(
        store=store,
        clock=clock,
        standups_between=between,
        team_defaults=TeamSettings(people=tuple(Person(u) for u in ("UANA", "UBEN", "UCY"))),
        name_of={"UCY": "Cy"}.get,
    )
    reply = weekly(ctx, "Week 2")
    assert isinstance(reply.view, WeeklyView)
    assert reply.view.markdown == to_markdown(week2_report(store, clock))


def test_a_past_week_is_read_as_it_stood_at_its_end(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    change(store, clock, at(8, 9), BEN, "batch-2", status="done")  # Week 3
    clock.now = at(9, 12)
    report = week2_report(store, clock)
    assert [i.text for i in report.completed] == [
        "Critical Blockers (batch-1) — finished by Ana on Tue 01 Dec"
    ]
    assert report.in_progress[0].text.startswith("Infrastructure - Ben - 60% complete")


def test_weekly_3_and_weekly_week_3_both_title_week_3(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    ctx = Context(store=store, clock=clock)
    titles = []
    for label in ("3", "Week 3", "week 3", "week3"):
        reply = weekly(ctx, label)
        assert isinstance(reply.view, WeeklyView)
        titles.append(reply.view.markdown.splitlines()[0])
    assert titles == ["## Weekly Progress Report - Week 3"] * 4
    # Without a program start there are no program weeks, but the title is still "Week 3".
    bare = Plan()
    assert resolve_week(bare, "3", dt.date(2026, 12, 2)).label == "Week 3"
    assert resolve_week(bare, "Week 3", dt.date(2026, 12, 2)).label == "Week 3"
