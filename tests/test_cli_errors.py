"""Bad input gets one clear line, the right exit code, no traceback, and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import git, run_cli


def _run(plan_file: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli("--plan", str(plan_file), *args)


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("update", "batch-1", "stauts=done"), 1, "did you mean status?"),
        (("update", "batch-1", "colour=red"), 1, "allowed keys: status, progress"),
        (("update", "batch-1", "status=finished"), 1, "use one of not-started, queued"),
        (("update", "batch-1", "progress=140"), 1, "progress must be 0–100, got 140"),
        (("update", "batch-1", "progress=-1"), 1, "progress must be 0–100"),
        (("update", "batch-1", "progress=lots"), 1, "progress must be a whole number"),
        (("update", "batch-1", "progress=4.5"), 1, "whole number"),
        (("update", "batch-9", "status=done"), 1, "unknown batch 'batch-9' (did you mean"),
        (("update", "batch-1", "blockers=batch-1"), 1, "cannot block itself"),
        (("update", "batch-1", "blockers=batch-7"), 1, "'batch-7' is not a batch id"),
        (("update", "batch-1", "blockers=batch-5"), 1, "dependency cycle"),
        (("update", "batch-1", "priority=P9"), 1, "use one of P0, P1, P2, P3"),
        (("update", "batch-1", "progress=1", "progress=2"), 1, "given twice"),
        (("metrics", "ciPassRate=120"), 1, "ciPassRate must be 0–100"),
        (("metrics", "coverage=abc"), 1, "coverage must be a number"),
        (("metrics", "prsMerged=-3"), 1, "prsMerged must be"),
        (("metrics", "velocity=3"), 1, "unknown key 'velocity'"),
        (("update", "batch-1", "status"), 2, "is not key=value"),
        (("update",), 2, "give a batch id"),
        (("update", "batch-1"), 2, "give key=value pairs"),
        (("frobnicate",), 2, "unknown command 'frobnicate'"),
        (("dashbord",), 2, "did you mean dashboard?"),
        (("update", "batch-1", "progress=5", "--author", "nobody"), 2, "Name <email>"),
    ],
)
def test_bad_input_is_refused_with_one_clear_line_and_changes_nothing(
    plan_file: Path, args: tuple[str, ...], code: int, needle: str
) -> None:
    before = plan_file.read_bytes()
    commits = git(plan_file.parent, "rev-list", "--count", "HEAD")
    result = _run(plan_file, *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert needle in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) <= 2
    assert plan_file.read_bytes() == before
    assert git(plan_file.parent, "rev-list", "--count", "HEAD") == commits


def test_invalid_plan_file_lists_every_problem(tmp_path: Path) -> None:
    plan = tmp_path / "bad.toml"
    plan.write_text(
        """
[[batches]]
id = "a"
name = "A"
status = "wip"
progress = 120
blockers = ["a", "ghost"]

[[batches]]
id = "a"
name = "A again"

[[batches]]
id = "b"
name = "B"
blockers = ["c"]

[[batches]]
id = "c"
name = "C"
blockers = ["b"]

[metrics]
coverage = 140
"""
    )
    result = run_cli("--plan", str(plan), "validate")
    assert result.returncode == 1
    err = result.stderr
    for needle in (
        "a.status: 'wip' is not allowed; use one of 'not-started', 'queued'",
        "a.progress: input should be less than or equal to 100 (got 120)",
        "metrics.coverage",
        "a: duplicate batch id",
        "a.blockers: a batch cannot block itself",
        "'ghost' is not a batch id",
        "dependency cycle: b → c → b",
        "(7 problems)",
    ):
        assert needle in err, err
    assert "Traceback" not in err


def test_missing_plan_file_says_where_to_point(tmp_path: Path) -> None:
    result = run_cli("--plan", str(tmp_path / "nope.toml"), "dashboard")
    assert result.returncode == 1
    assert "nope.toml: file not found; set --plan or EXECUTION_PLAN_PATH" in result.stderr


def test_unreadable_toml_names_the_line(tmp_path: Path) -> None:
    plan = tmp_path / "broken.toml"
    plan.write_text("[[batches]\nid=")
    result = run_cli("--plan", str(plan), "dashboard")
    assert result.returncode == 1
    assert "cannot be read as TOML" in result.stderr
    assert "line 1" in result.stderr


def test_progress_written_as_text_or_fraction_is_refused(tmp_path: Path) -> None:
    plan = tmp_path / "p.toml"
    plan.write_text(
        '[[batches]]\nid = "a"\nname = "A"\nprogress = "40"\n\n'
        '[[batches]]\nid = "b"\nname = "B"\nprogress = 40.5\n'
    )
    result = run_cli("--plan", str(plan), "validate")
    assert result.returncode == 1
    assert "a.progress: must be a whole number 0–100 (got '40')" in result.stderr
    assert "b.progress: must be a whole number 0–100 (got 40.5)" in result.stderr


def test_validated_plan_is_read_again_without_importing_pydantic(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT, SHIPPED_PLAN

    plan = tmp_path / "p.toml"
    shutil.copy(SHIPPED_PLAN, plan)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    probe = (
        "import sys, io, contextlib; from bot.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): code = main(['--plan', {str(plan)!r}, "
        "'dashboard'])\n"
        "print(code, 'pydantic' in sys.modules)"
    )

    def run() -> str:
        import os

        return subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
        ).stdout.strip()

    assert run() == "0 True"  # first read validates
    assert run() == "0 False"  # same bytes: trusted, no pydantic import
    plan.write_text(plan.read_text().replace("progress = 0", "progress = 900", 1))
    assert run() == "1 True"  # changed bytes are validated again and refused


def test_history_of_a_missing_plan_says_so_instead_of_no_changes(tmp_path: Path) -> None:
    result = run_cli("--plan", str(tmp_path / "gone.toml"), "history")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: {tmp_path / 'gone.toml'}: file not found; set --plan or EXECUTION_PLAN_PATH"
    )


def test_cli_usage_hints_name_the_cli_not_slack(plan_file: Path) -> None:
    result = run_cli("--plan", str(plan_file), "update")
    assert "usage: batchbot update <batch-id> key=value" in result.stderr


@pytest.mark.parametrize("words", [("run", "weekly-report"), ("run", "standup-prompts")])
def test_jobs_run_with_a_bad_at_refuses_before_creating_the_database(
    plan_file: Path, tmp_path: Path, words: tuple[str, ...]
) -> None:
    """Issue 19 item 10: `--at garbage` was refused only after batchbot.db had been created."""
    work = tmp_path / "here"
    work.mkdir()
    env = {"EXECUTION_PLAN_PATH": str(plan_file), "DATABASE_URL": "sqlite:///batchbot.db"}
    result = run_cli("jobs", *words, "--at", "garbage", env=env, cwd=work)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "garbage" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2
    assert list(work.iterdir()) == []
