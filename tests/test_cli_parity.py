"""The CLI is a drop-in for batchTracker.js: same commands, same output where it was right."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

from tests.conftest import OLD_JSON, SHIPPED_PLAN, git, init_repo, run_cli

OLD_DASHBOARD = """\
| Batch | Priority | Status | Progress | Target Date | Owner | Blockers |
| --- | --- | --- | --- | --- | --- | --- |
| Critical Blockers | P0 | 🔴 Not Started | 0% | Week 1–2 | Unassigned | None |
| Infrastructure | P1 | ⚪ Queued | 0% | Week 3–4 | Unassigned | batch-1 |
| Security | P1 | ⚪ Queued | 0% | Week 5–6 | Unassigned | batch-2 |
| AI/ML | P1 | ⚪ Queued | 0% | Week 7–8 | Unassigned | batch-3 |
| Observability | P2 | ⚪ Queued | 0% | Week 9–10 | Unassigned | batch-4 |
"""
# The shipped plan starts Mon 2026-11-23, so from Sat 2026-12-05 on its batch-1 ("Week 1–2")
# is overdue and the dashboard rightly marks it. The parity checks are about a plan where
# nothing is late: they pin the dashboard's today inside Week 1.
IN_WEEK_1 = {"BATCHBOT_TODAY": "2026-11-26"}

WEEKLY_HEADINGS = [
    "## Weekly Progress Report - Week 1",
    "### 🎯 Current Batch: Critical Blockers",
    "**Overall Progress:** 0% complete",
    "### ✅ Completed This Week",
    "### 🚧 In Progress",
    "### ⚠️ Blockers",
    "### 📊 Metrics This Week",
    "### 📅 Next Week Goals",
    "### 🆘 Help Needed",
    "### 🎉 Wins",
]


def test_dashboard_on_old_json_prints_exactly_what_the_old_script_printed() -> None:
    result = run_cli("dashboard", env={"EXECUTION_PLAN_PATH": str(OLD_JSON)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == OLD_DASHBOARD


def test_dashboard_on_shipped_toml_matches_the_old_json() -> None:
    result = run_cli("--plan", str(SHIPPED_PLAN), "dashboard", env=IN_WEEK_1)
    assert result.stdout == OLD_DASHBOARD


def test_plan_flag_wins_over_environment(tmp_path: Path) -> None:
    result = run_cli(
        "dashboard",
        "--plan",
        str(OLD_JSON),
        env={"EXECUTION_PLAN_PATH": str(tmp_path / "missing.toml")},
    )
    assert result.stdout == OLD_DASHBOARD


def test_default_plan_path_is_the_shipped_plan() -> None:
    assert run_cli("dashboard", env=IN_WEEK_1).stdout == OLD_DASHBOARD


def test_weekly_follows_the_template_headings_in_order() -> None:
    result = run_cli("--plan", str(SHIPPED_PLAN), "weekly", "Week 1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    positions = [lines.index(h) for h in WEEKLY_HEADINGS]
    assert positions == sorted(positions)


def test_weekly_accepts_the_label_unquoted_as_separate_words() -> None:
    result = run_cli("--plan", str(SHIPPED_PLAN), "weekly", "Week", "2")
    assert result.stdout.startswith("## Weekly Progress Report - Week 2")


def test_validate_says_plan_is_valid() -> None:
    result = run_cli("--plan", str(OLD_JSON), "validate")
    assert (result.returncode, result.stdout) == (0, "Plan is valid\n")


def test_help_lists_every_command() -> None:
    out = run_cli("help").stdout
    for verb in ("dashboard", "weekly", "update", "metrics", "validate", "history", "import"):
        assert verb in out


def test_update_on_json_plan_writes_the_old_json_layout(tmp_path: Path) -> None:
    plan = tmp_path / "execution-plan.json"
    shutil.copy(OLD_JSON, plan)
    result = run_cli("--plan", str(plan), "update", "batch-2", "owner=Ana", "progress=10")
    assert result.returncode == 0, result.stderr
    data = json.loads(plan.read_text())
    assert set(data) == {"batches", "metrics"}
    batch = data["batches"][1]
    assert (batch["owner"], batch["progress"], batch["targetDate"]) == ("Ana", 10, "Week 3–4")


def test_import_converts_old_json_to_committed_toml(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    target = repo / "plan" / "execution-plan.toml"
    result = run_cli("import", str(OLD_JSON), "--plan", str(target))
    assert result.returncode == 0, result.stderr
    data = tomllib.loads(target.read_text())
    assert [b["id"] for b in data["batches"]] == [f"batch-{i}" for i in range(1, 6)]
    assert "Import plan from data_old_plan.json" in git(repo, "log", "--format=%s")
    again = run_cli("import", str(OLD_JSON), "--plan", str(target))
    assert "nothing changed" in again.stdout


def test_dashboard_does_not_import_slack_the_scheduler_or_matplotlib() -> None:
    code = (
        "import sys; from bot.cli import main; "
        f"main(['--plan', {str(SHIPPED_PLAN)!r}, 'dashboard']);"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('slack_bolt', 'slack_sdk', 'apscheduler', 'sqlalchemy', 'pydantic_settings',"
        " 'matplotlib', 'numpy')];"
        "print('LOADED', bad)"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "LOADED []" in out
