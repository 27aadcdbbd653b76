"""Issue 18 item 5: a metric counts for the week it was measured or typed in, and no other.

Before, a metric typed in week 1 and never re-entered was week 2's value ("PRs merged: 5 —
no change"), `productionIncidents=0` and `deploymentMinutes=20` typed in week 1 became week
2's Wins, and the old JSON's placeholder zeros became Wins ("Mean time to deploy on target:
0 min"). Every typed value now keeps when it was typed (`[measured.NAME]`, like collected
ones); an older value says "last measured <date>", is never compared and never a win.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.commands import Command, Context, handle
from bot.plan.store import Actor, PlanStore
from bot.render.markdown import render
from bot.render.report_markdown import to_markdown
from bot.report.weekly import collect_week, report_for
from tests.conftest import OLD_JSON, run_cli
from tests.test_weekly_report import Clock, at, section_lines

LEA = Actor("Lea", "lea@example.com")


def say(ctx: Context, text: str) -> str:
    reply = handle(Command.from_text(LEA, text, "shell"), ctx)
    assert reply.exit_code == 0, render(reply)
    return render(reply)


def report_md(store: PlanStore, clock: Clock, label: str) -> str:
    data = collect_week(store, store.load(), label, clock())
    return to_markdown(report_for(data, clock(), standups_between=None))


def test_a_metric_typed_last_week_is_shown_as_last_measured_never_compared_never_a_win(
    plan_file: Path,
) -> None:
    clock = Clock(at(26, 10, month=11))  # Thursday of Week 1
    store = PlanStore(plan_file, clock=clock)
    ctx = Context(store=store, clock=clock)
    say(ctx, "/batch metrics prsMerged=5 productionIncidents=0 deploymentMinutes=20")
    week1 = report_md(store, clock, "Week 1")
    assert "- Production incidents on target: 0 (≤ 0)" in section_lines(week1, "Wins")

    clock.now = at(4, 15)  # Friday of Week 2: nobody typed the metrics again
    say(ctx, "/batch metrics coverage=81")
    week2 = report_md(store, clock, "Week 2")
    metrics = section_lines(week2, "Metrics This Week")
    assert "- PRs merged: 5 — last measured Thu 26 Nov 2026" in metrics
    assert "- Production incidents: 0 (target ≤ 0) — last measured Thu 26 Nov 2026" in metrics
    assert "- Test coverage: 81% (target ≥ 80%) ✅" in metrics  # typed this week: it counts
    assert not any("no change" in line for line in metrics)
    wins = section_lines(week2, "Wins")
    assert not any("incidents" in w or "deploy" in w for w in wins), wins
    assert "- Test coverage on target: 81% (≥ 80%)" in wins

    # Typing the same figure again this week makes it this week's (and "no change").
    say(ctx, "/batch metrics prsMerged=5")
    again = section_lines(report_md(store, clock, "Week 2"), "Metrics This Week")
    assert "- PRs merged: 5 — no change" in again
    data = tomllib.loads(plan_file.read_text(encoding="utf-8"))
    assert data["measured"]["prsMerged"]["source"] == "typed by Lea"


def test_the_old_json_placeholder_zeros_are_not_measured_and_never_wins(tmp_path: Path) -> None:
    target = tmp_path / "plan" / "execution-plan.toml"
    target.parent.mkdir()
    done = run_cli("import", str(OLD_JSON), "--to", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert tomllib.loads(target.read_text(encoding="utf-8")).get("metrics", {}) == {}
    weekly = run_cli("--plan", str(target), "weekly", cwd=tmp_path)
    assert weekly.returncode == 0, weekly.stderr
    assert "on target: 0" not in weekly.stdout
    metrics = section_lines(weekly.stdout, "Metrics This Week")
    assert "- Mean time to deploy: not measured (target < 30 min)" in metrics
    assert "- CI pass rate: not measured (target ≥ 95%)" in metrics


def test_a_metric_without_a_date_is_never_a_win(plan_file: Path) -> None:
    """Plans written before dates were kept still read; their figures do not claim a week."""
    text = plan_file.read_text(encoding="utf-8").replace(
        "[metrics]\n", "[metrics]\ndeploymentMinutes = 20\n"
    )
    plan_file.write_text(text, encoding="utf-8")
    clock = Clock(at(4, 15))
    md = report_md(PlanStore(plan_file, clock=clock), clock, "Week 2")
    assert (
        "- Mean time to deploy: 20 min (target < 30 min) — when it was measured is not known"
        in (section_lines(md, "Metrics This Week"))
    )
    assert not any("deploy" in w for w in section_lines(md, "Wins"))
