"""Due dates, overdue marks, forecasts from the pace in git, and batches started too early.

Scripted on a real git repo with an injected clock: the program starts Mon 2026-11-23, so
"Week 1–2" is due Fri 2026-12-04 and "Week 3–4" Fri 2026-12-18.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.commands import Command, Context, handle
from bot.plan.model import Batch, Plan, Program
from bot.plan.store import Actor, PlanStore
from bot.render import blocks as kit
from bot.render.markdown import render
from bot.report.schedule import due_date, forecast, overdue_days, progress_samples
from tests.conftest import SHIPPED_PLAN, git, init_repo, run_cli
from tests.test_weekly_report import ANA, BEN, Clock, at, change, script_fortnight, week2_report

START = dt.date(2026, 11, 23)


def run(ctx: Context, text: str) -> str:
    return render(handle(Command(Actor("Lead"), tuple(text.split()), "cli"), ctx))


@pytest.mark.parametrize(
    ("target", "due"),
    [
        ("Week 3–4", dt.date(2026, 12, 18)),
        ("Week 3-4", dt.date(2026, 12, 18)),
        ("week 3 - week 4", dt.date(2026, 12, 18)),
        ("Week 3", dt.date(2026, 12, 11)),
        ("2027-01-15", dt.date(2027, 1, 15)),
        ("soon", None),
        ("", None),
    ],
)
def test_a_target_is_due_on_the_friday_of_its_last_week_or_on_its_iso_date(
    target: str, due: dt.date | None
) -> None:
    assert due_date(Batch(id="b", name="B", targetDate=target), START) == due


def test_week_labels_have_no_due_date_without_a_program_start() -> None:
    assert due_date(Batch(id="b", name="B", targetDate="Week 3"), None) is None
    assert due_date(Batch(id="b", name="B", targetDate="2027-01-15"), None) == dt.date(2027, 1, 15)


def test_overdue_counts_days_after_the_due_date_and_never_for_a_done_batch() -> None:
    late = Batch(id="a", name="A", status="in-progress", targetDate="Week 1–2")
    assert overdue_days(late, START, dt.date(2026, 12, 4)) == 0  # due today: not late yet
    assert overdue_days(late, START, dt.date(2026, 12, 7)) == 3
    done = Batch(id="a", name="A", status="done", progress=100, targetDate="Week 1–2")
    assert overdue_days(done, START, dt.date(2026, 12, 7)) == 0


def test_status_dashboard_and_home_mark_a_late_batch(plan_file: Path) -> None:
    clock = Clock(at(7, 9))  # Mon of Week 3: batch-1 (Week 1–2) is 3 days late
    store = PlanStore(plan_file, clock=clock)
    ctx = Context(store=store, clock=clock)
    dash = run(ctx, "dashboard").splitlines()
    assert dash[2] == (
        "| Critical Blockers | P0 | 🔴 Not Started | 0% | Week 1–2 ⏰ overdue 3 days | "
        "Unassigned | None |"
    )
    assert dash[3].endswith("| Week 3–4 | Unassigned | batch-1 |")  # not late: unchanged
    status = run(ctx, "status")
    assert "Critical Blockers (batch-1)" in status and "⏰ overdue 3 days" in status
    one = run(ctx, "status batch-1")
    assert "Target: Week 1–2 (due Fri 04 Dec 2026) · ⏰ overdue 3 days" in one
    home = kit.home_view(store.load(), today=clock().date())
    assert "⏰ overdue 3 days" in str(home["blocks"])


def test_the_cli_dashboard_adds_the_mark_only_when_a_due_date_has_passed(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    text = SHIPPED_PLAN.read_text(encoding="utf-8")
    plan.write_text(text.replace('targetDate = "Week 1–2"', 'targetDate = "2020-01-03"'))
    lines = run_cli("--plan", str(plan), "dashboard").stdout.splitlines()  # the real clock
    days = (dt.date.today() - dt.date(2020, 1, 3)).days
    assert lines[2] == (
        f"| Critical Blockers | P0 | 🔴 Not Started | 0% | 2020-01-03 ⏰ overdue {days} days | "
        "Unassigned | None |"
    )
    pinned = run_cli("--plan", str(plan), "dashboard", env={"BATCHBOT_TODAY": "2026-12-21"})
    lines = pinned.stdout.splitlines()
    assert "| 2020-01-03 ⏰ overdue 2544 days |" in lines[2]
    assert lines[3] == (  # Week 3–4 was due Fri 18 Dec 2026
        "| Infrastructure | P1 | ⚪ Queued | 0% | Week 3–4 ⏰ overdue 3 days | Unassigned "
        "| batch-1 |"
    )
    assert lines[4] == "| Security | P1 | ⚪ Queued | 0% | Week 5–6 | Unassigned | batch-2 |"
    bad = run_cli("--plan", str(plan), "dashboard", env={"BATCHBOT_TODAY": "soon"})
    assert bad.returncode == 2 and "BATCHBOT_TODAY must be a YYYY-MM-DD date" in bad.stderr


def test_forecast_from_the_pace_in_git_history(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)  # batch-2: 0 → 20 (26 Nov) → 45 → 60 (3 Dec)
    history = store.history("batch-2", limit=0)
    samples = progress_samples(history)["batch-2"]
    assert [p for _, p in samples] == [0, 20, 45, 60]
    plan = store.load()
    pace = forecast(plan, plan.batch("batch-2"), samples, dt.date(2026, 12, 4))
    assert pace is not None
    # 60 points in 8 days → 7.5 a day; 40 left → 6 days → Thu 10 Dec, in Week 3 (due Week 4).
    assert pace.finish == dt.date(2026, 12, 10)
    assert pace.text() == "at this pace: Week 3, 1 week early"
    ctx = Context(store=store, clock=clock)
    assert "Forecast: at this pace: Week 3, 1 week early" in run(ctx, "status batch-2")


def test_a_slow_batch_is_forecast_late_in_status_and_in_the_report(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    # batch-2 stalls: from 3 Dec to 16 Dec it only goes 60 → 65.
    change(store, clock, at(16, 9), BEN, "batch-2", progress="65")
    clock.now = at(18, 15)  # Friday of Week 4, the due day
    plan = store.load()
    samples = progress_samples(store.history("batch-2", limit=0))["batch-2"]
    pace = forecast(plan, plan.batch("batch-2"), samples, dt.date(2026, 12, 18))
    assert pace is not None
    # 65 points in 22 days; 35 left → 12 days → Wed 30 Dec, Week 6: 2 weeks late.
    assert (pace.finish, pace.text()) == (
        dt.date(2026, 12, 30),
        "at this pace: Week 6, 2 weeks late",
    )
    ctx = Context(store=store, clock=clock)
    assert "Forecast: at this pace: Week 6, 2 weeks late" in run(ctx, "status batch-2")
    md = render(handle(Command(Actor("x"), ("weekly", "Week", "4"), "cli"), ctx))
    assert (
        "- Infrastructure: at this pace: Week 6, 2 weeks late (65% now, due Week 3–4) — Ben"
    ) in md


def test_the_report_lists_late_batches_with_their_due_day(plan_file: Path) -> None:
    store, clock = script_fortnight(plan_file)
    change(store, clock, at(4, 16), ANA, "batch-3", status="in-progress")
    clock.now = at(8, 12)
    report = week2_report(store, clock)  # Week 2 ends Sun 6 Dec: batch-1 was done in time
    assert not any("overdue" in i.text for i in report.schedule)
    # Security started while Infrastructure is not done: flagged.
    assert any(
        i.text.startswith("Security: ⚠️ in progress before Infrastructure is done")
        for i in report.schedule
    )


def test_a_batch_in_progress_before_its_blocker_is_done_is_flagged(plan_file: Path) -> None:
    clock = Clock(at(1, 9))
    store = PlanStore(plan_file, clock=clock)
    change(store, clock, at(1, 10), BEN, "batch-2", status="in-progress")
    ctx = Context(store=store, clock=clock)
    line = next(x for x in run(ctx, "status").splitlines() if x.startswith("🟡 Infrastructure"))
    assert line.endswith("⚠️ in progress before Critical Blockers is done")
    assert "⚠️" not in next(x for x in run(ctx, "status").splitlines() if "Security" in x)


def test_overdue_in_a_plan_without_start_uses_iso_dates_only(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    plan = Plan(
        program=Program(name="P"),
        batches=(
            Batch(id="a", name="A", targetDate="Week 1"),
            Batch(id="b", name="B", targetDate="2026-12-01"),
        ),
    )
    from bot.plan import codec

    (repo / "plan.toml").write_text(codec.dumps(plan, as_json=False))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "plan")
    clock = Clock(at(3, 9))
    ctx = Context(store=PlanStore(repo / "plan.toml", clock=clock), clock=clock)
    dash = run(ctx, "dashboard").splitlines()
    assert dash[2].endswith("| Week 1 | Unassigned | None |")
    assert "| 2026-12-01 ⏰ overdue 2 days |" in dash[3]
    shutil.rmtree(repo)
