"""The CLI follows the conventions people type by habit (issue 13) and never shows a traceback
for a file-system fault (issue 12, item 9). Every test here failed on the hand-rolled parser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.commands import VERBS
from tests.conftest import OLD_JSON, ROOT, SHIPPED_PLAN, run_cli

OLD_FIRST_LINE = "| Batch | Priority | Status | Progress | Target Date | Owner | Blockers |"

EVERY_COMMAND = sorted({*VERBS, "import", "shell", "serve", "jobs", "init", "help"})


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", EVERY_COMMAND)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_on_every_subcommand_prints_its_usage_and_does_nothing(
    command: str, flag: str, tmp_path: Path
) -> None:
    result = run_cli(command, flag, cwd=tmp_path, env={"EXECUTION_PLAN_PATH": "nope.toml"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: batchbot {command}"), result.stdout
    assert result.stderr == ""
    assert list(tmp_path.iterdir()) == []  # nothing created: no database, no lock, no plan


def test_serve_help_does_not_call_slack(tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": f"http://127.0.0.1:{_closed_port()}/api/",
    }
    result = run_cli("serve", "--help", cwd=tmp_path, env=env, timeout=20)
    assert result.returncode == 0, result.stderr
    assert "--socket-mode" in result.stdout
    assert "auth.test" not in result.stderr + result.stdout


def test_jobs_list_help_does_not_create_a_database(tmp_path: Path) -> None:
    result = run_cli("jobs", "list", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "usage: batchbot jobs" in result.stdout
    assert not (tmp_path / "batchbot.db").exists()


def test_update_help_prints_usage_with_the_keys_and_changes_nothing(plan_file: Path) -> None:
    before = plan_file.read_bytes()
    result = run_cli("--plan", str(plan_file), "update", "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: batchbot update <batch-id> key=value" in result.stdout
    assert "status, progress, owner" in result.stdout
    assert plan_file.read_bytes() == before


def test_help_word_names_a_command_to_show_its_usage() -> None:
    result = run_cli("help", "update")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: batchbot update")


def test_version_comes_from_the_installed_package() -> None:
    from importlib.metadata import version

    result = run_cli("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"batchbot {version('batchbot')}")


@pytest.mark.parametrize(
    "args",
    [
        ("dashboard", "--frobnicate"),
        ("validate", "--quiet"),
        ("update", "batch-1", "progress=5", "--dry-run"),
        ("jobs", "list", "--everything"),
    ],
)
def test_unknown_flags_are_refused_with_exit_2_and_one_line(
    plan_file: Path, args: tuple[str, ...]
) -> None:
    before = plan_file.read_bytes()
    result = run_cli("--plan", str(plan_file), *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    flag = next(a for a in args if a.startswith("--"))
    line = _one_line_error(result)
    assert line.startswith("Error: ") and flag in line, line
    assert plan_file.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [("dashboard", "now"), ("validate", "all"), ("jobs", "list", "weekly-report")],
)
def test_extra_words_are_refused_with_exit_2_and_one_line(
    plan_file: Path, args: tuple[str, ...]
) -> None:
    result = run_cli("--plan", str(plan_file), *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert args[-1] in _one_line_error(result)


def test_dotenv_file_is_honoured_by_the_dashboard(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f'# a comment\nexport EXECUTION_PLAN_PATH="{OLD_JSON}"  # the old plan\n'
    )
    result = run_cli("dashboard", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == OLD_FIRST_LINE


def test_dotenv_file_is_honoured_by_the_shell(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"EXECUTION_PLAN_PATH={SHIPPED_PLAN}\n")
    result = run_cli("shell", "--demo", cwd=tmp_path, stdin="/batch validate\n")
    assert result.returncode == 0, result.stderr
    assert "Plan is valid" in result.stdout


def test_standup_on_the_command_line_uses_the_database_from_settings(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "EXECUTION_PLAN_PATH": "x.toml"}
    said = run_cli(
        "standup", "Fixed the CI cache. Next I review the OWASP list.", cwd=tmp_path, env=env
    )
    assert said.returncode == 0, said.stderr
    listed = run_cli("standup", "list", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "Fixed the CI cache" in listed.stdout


def test_closed_pipe_exits_quietly_without_a_traceback() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head -1` after its line: nobody reads any more
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "--plan", str(SHIPPED_PLAN), "dashboard"],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == 1  # what Python's docs recommend for EPIPE


def test_full_disk_on_output_is_one_line_and_exit_1() -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "--plan", str(SHIPPED_PLAN), "dashboard"],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == ["Error: No space left on device"]


def test_unwritable_lock_place_is_one_line_and_exit_1(tmp_path: Path) -> None:
    plan = tmp_path / "p.toml"
    plan.write_bytes(SHIPPED_PLAN.read_bytes())
    (tmp_path / ".p.toml.lock").mkdir()  # the lock file cannot be created: a folder holds its name
    result = run_cli("--plan", str(plan), "update", "batch-1", "progress=5")
    assert result.returncode == 1
    line = _one_line_error(result)
    assert line.startswith("Error: ") and ".p.toml.lock" in line and "Is a directory" in line
    assert plan.read_bytes() == SHIPPED_PLAN.read_bytes()


def test_dashboard_imports_only_what_it_prints(tmp_path: Path) -> None:
    """Issue 13: no pydantic, no report builder, no git or archive machinery on this path."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("EXECUTION_PLAN_PATH", None)
    probe = (
        "import sys, io, contextlib; from bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): code = main(['dashboard'])\n"
        "print(code, sorted(m for m in sys.modules if m in sys.argv[1:]))"
    )
    heavy = [
        "pydantic",
        "annotated_types",
        "bot.report.weekly",
        "subprocess",
        "tempfile",
        "hashlib",
        "shutil",
        "json",
        "textwrap",
    ]
    for _ in range(2):  # the first read validates the plan (pydantic); the second trusts it
        out = subprocess.run(
            [sys.executable, "-c", probe, *heavy], cwd=ROOT, env=env, capture_output=True, text=True
        )
    assert out.stdout.strip() == "0 []", out.stdout + out.stderr


def test_short_version_flag_prints_the_version() -> None:
    from importlib.metadata import version

    result = run_cli("-V")
    assert (result.returncode, result.stdout.strip()) == (0, f"batchbot {version('batchbot')}")


def test_help_jobs_help_and_jobs_list_name_every_job(tmp_path: Path) -> None:
    from bot.jobs import JOBS

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'j.db'}", "BATCHBOT_TEAM": ""}
    shown = {
        "help": run_cli("help", cwd=tmp_path).stdout,
        "jobs --help": run_cli("jobs", "--help", cwd=tmp_path).stdout,
        "jobs list": run_cli("jobs", "list", cwd=tmp_path, env=env).stdout,
    }
    for where, text in shown.items():
        missing = [name for name in JOBS if name not in text]
        assert not missing, f"{where} leaves out {missing}:\n{text}"
