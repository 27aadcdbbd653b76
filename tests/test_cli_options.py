"""Kept behaviour the argparse CLI must not lose (these passed on the hand-rolled parser too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import OLD_JSON, git, run_cli


def test_environment_wins_over_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"EXECUTION_PLAN_PATH={OLD_JSON}\n")
    result = run_cli("dashboard", cwd=tmp_path, env={"EXECUTION_PLAN_PATH": "elsewhere.toml"})
    assert result.returncode == 1
    assert "elsewhere.toml: file not found" in result.stderr


def test_global_options_go_before_after_or_between_the_words(plan_file: Path) -> None:
    repo = plan_file.parent.parent
    result = run_cli(
        "update", "batch-1", "--plan", str(plan_file), "progress=40", "--author", "Bo <bo@x.io>"
    )
    assert result.returncode == 0, result.stderr
    assert "progress = 40" in plan_file.read_text()
    assert git(repo, "log", "-1", "--format=%an").strip() == "Bo"


@pytest.mark.parametrize("where", ["before", "after"])
def test_unknown_flag_before_or_after_the_command_is_refused(plan_file: Path, where: str) -> None:
    args = ["--frobnicate", "dashboard"] if where == "before" else ["dashboard", "--frobnicate"]
    result = run_cli("--plan", str(plan_file), *args)
    assert result.returncode == 2
    assert "--frobnicate" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
