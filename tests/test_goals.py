"""Goals the lead sets for a week: kept in the plan file, listed, met or dropped, and read
back by two Friday reports (planned on the first, done / not done on the second)."""

from __future__ import annotations

from pathlib import Path

from bot.commands import Command, Context, handle
from bot.plan import codec
from bot.plan.model import PlanInvalid, parse_plan
from bot.plan.store import Actor, PlanStore
from bot.plan.team import TeamSettings
from bot.render.markdown import render
from bot.render.report_markdown import to_markdown
from bot.report.weekly import collect_week, report_for
from tests.conftest import git, run_cli
from tests.test_weekly_report import Clock, at, section_lines

LEAD = Actor("Lea", "lea@example.com", slack_id="ULEAD0001")


def say(ctx: Context, text: str, actor: Actor = LEAD) -> tuple[int, str]:
    reply = handle(Command.from_text(actor, text, "shell"), ctx)
    return reply.exit_code, render(reply)


def report_md(store: PlanStore, clock: Clock, label: str) -> str:
    data = collect_week(store, store.load(), label, clock())
    return to_markdown(report_for(data, clock(), standups_between=None))


def test_goals_planned_on_one_friday_are_marked_done_or_not_on_the_next(plan_file: Path) -> None:
    clock = Clock(at(27, 14, month=11))  # Friday of Week 1
    store = PlanStore(plan_file, clock=clock)
    ctx = Context(store=store, clock=clock)
    assert say(ctx, "/batch goal add Close the last OWASP item batch=batch-1")[0] == 0
    assert say(ctx, "/batch goal add Draft the pooling design week=2026-W49")[0] == 0
    assert say(ctx, "/batch goal add Demo the quality gates")[0] == 0
    code, out = say(ctx, "/batch goals next")
    assert code == 0
    assert out.splitlines() == [
        "Goals",
        "2026-W49 (next week):",
        "  #1 ⬜ Close the last OWASP item (batch-1) — 2026-W49",
        "  #2 ⬜ Draft the pooling design — 2026-W49",
        "  #3 ⬜ Demo the quality gates — 2026-W49",
    ]
    clock.now = at(27, 15, month=11)
    week1 = report_md(store, clock, "Week 1")
    assert section_lines(week1, "Next Week Goals")[:3] == [
        "- 🎯 Close the last OWASP item (Critical Blockers) — set by Lea",
        "- 🎯 Draft the pooling design — set by Lea",
        "- 🎯 Demo the quality gates — set by Lea",
    ]
    assert section_lines(week1, "Next Week Goals")[3].endswith("(computed)")
    assert "This Week's Goals" not in week1  # none were set for Week 1

    # Week 2: one met, one dropped, one left open.
    clock.now = at(2, 10)
    assert say(ctx, "/batch goal done 1")[0] == 0
    clock.now = at(3, 10)
    assert say(ctx, "/batch goal drop #3")[0] == 0
    clock.now = at(4, 15)
    week2 = report_md(store, clock, "Week 2")
    assert section_lines(week2, "This Week's Goals") == [
        "- Close the last OWASP item (Critical Blockers) — set by Lea — ✅ done",
        "- Draft the pooling design — set by Lea — ❌ not done",
        "- Demo the quality gates — set by Lea — ✖️ dropped",
    ]
    # A report of a past week reads the goals as they stood when that week ended.
    clock.now = at(9, 10)
    assert say(ctx, "/batch goal done 2")[0] == 0
    again = report_md(store, clock, "Week 2")
    assert "- Draft the pooling design — set by Lea — ❌ not done" in again


def test_goals_are_plan_records_that_round_trip_through_toml_and_git(plan_file: Path) -> None:
    clock = Clock(at(27, 14, month=11))
    store = PlanStore(plan_file, clock=clock)
    ctx = Context(store=store, clock=clock)
    say(ctx, "/batch goal add Ship it batch=batch-2 week=next")
    text = plan_file.read_text(encoding="utf-8")
    assert 'week = "2026-W49"' in text and "setOn = 2026-11-27" in text  # a TOML date
    plan = store.load()
    assert codec.dumps(codec.loads(text, "x", False), as_json=False) == text
    assert plan.goals[0].batch == "batch-2"
    subject = git(plan_file.parent.parent, "log", "-1", "--format=%s").strip()
    assert subject.startswith("goal-1: goal unset → 2026-W49: Ship it")
    # JSON (the old layout) keeps them too.
    json_text = codec.dumps(plan, as_json=True)
    assert codec.loads(json_text, "x.json", True).goals == plan.goals


def test_bad_goal_input_changes_nothing_and_says_what_is_allowed(plan_file: Path) -> None:
    clock = Clock(at(27, 14, month=11))
    store = PlanStore(plan_file, clock=clock)
    ctx = Context(store=store, clock=clock)
    before = plan_file.read_text()
    code, out = say(ctx, "/batch goal add Ship it week=someday")
    assert code == 1 and "use next, this or YYYY-Www" in out
    code, out = say(ctx, "/batch goal add Ship it batch=batch-9")
    assert code == 1 and "unknown batch 'batch-9'" in out
    code, out = say(ctx, "/batch goal done 4")
    assert code == 1 and "there is no goal #4" in out
    code, out = say(ctx, "/batch goal add")
    assert code == 2 and "what is the goal?" in out
    assert plan_file.read_text() == before


def test_only_editors_and_the_batch_owner_may_set_goals(plan_file: Path) -> None:
    clock = Clock(at(27, 14, month=11))
    store = PlanStore(plan_file, clock=clock)
    ctx = Context(store=store, clock=clock, team_defaults=TeamSettings(editors=("ULEAD0001",)))
    stranger = Actor("Sam", slack_id="USAM00001")
    code, out = say(ctx, "/batch goal add Ship it", stranger)
    assert code == 1 and "not allowed" in out
    assert say(ctx, "/batch goal add Ship it")[0] == 0


def test_validation_lists_every_problem_in_the_registers() -> None:
    data = {
        "batches": [{"id": "a", "name": "A"}],
        "goals": [{"text": "x", "week": "2026-W99", "batch": "zz"}, {"week": "2026-W49"}],
        "blockers": [{"batch": "a", "text": "t", "raised": "2026-13-01"}],
    }
    try:
        parse_plan(data)
    except PlanInvalid as exc:
        where = [p.where for p in exc.problems]
        text = str(exc)
    else:
        raise AssertionError("invalid registers were accepted")
    assert where == ["goals[1].text", "blockers[0].raised", "goals[0].batch", "goals[0].week"]
    assert "'2026-W99' is not an ISO week" in text


def test_the_cli_sets_and_lists_goals(plan_file: Path) -> None:
    result = run_cli("--plan", str(plan_file), "goal", "add", "Write", "the", "runbook")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Goal #1 set for ")
    listing = run_cli("--plan", str(plan_file), "goals", "next")
    assert "#1 ⬜ Write the runbook" in listing.stdout
    author = git(plan_file.parent.parent, "log", "-1", "--format=%an").strip()
    assert author == "Repo Owner"
