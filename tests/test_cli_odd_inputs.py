"""Odd input a new user hits on the command line: `init`, `--program`, `jobs run --at`, a
`.env` a Windows editor saved, `doctor` and `shell`. Each answer is one or two lines saying
what was wrong and what is allowed — never a traceback, never a half-written folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, git, init_repo, run_cli
from tests.terminal import Terminal

CLEAN = {
    "EXECUTION_PLAN_PATH": "",
    "BATCHBOT_PROGRAM": "",
    "BATCHBOT_GIT_URL": "",
}


def env_for(tmp_path: Path, **more: str) -> dict[str, str]:
    """The test's environment without batchbot's settings, a database in tmp_path."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BATCHBOT_", "DATABASE_URL", "EXECUTION_PLAN_PATH"))
    }
    return {**base, "HOME": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db", **more}


def with_stdin_closed(
    folder: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """`batchbot ARGS <&-`: started with no standard input at all (not an empty one)."""
    return subprocess.run(
        ["sh", "-c", f'exec "{sys.executable}" -m bot "$@" <&-', "sh", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "PYTHONPATH": str(ROOT)},
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


# --------------------------------------------------------------------------- init


def test_init_with_stdin_closed_takes_socket_mode(tmp_path: Path) -> None:
    result = with_stdin_closed(tmp_path, dict(os.environ), "init", "team")
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert "for Socket Mode" in result.stdout


def test_init_ctrl_d_at_the_mode_question_stops_and_writes_nothing(tmp_path: Path) -> None:
    tty = Terminal(tmp_path, "init", "team")
    tty.until(b"[socket/http]")
    tty.type(b"\x04")  # Ctrl-D
    code, text = tty.finish()
    assert "Traceback" not in text and "EOFError" not in text, text
    assert code == 2, text
    assert "no answer (end of input); nothing was written" in text
    assert not (tmp_path / "team").exists()


def test_init_refuses_an_empty_url_instead_of_taking_socket_mode(tmp_path: Path) -> None:
    result = run_cli("init", "team", "--url", "", cwd=tmp_path, stdin="")
    assert result.returncode == 1
    assert "--url '' is not the bot's public base URL" in result.stderr
    assert not (tmp_path / "team").exists()


@pytest.mark.parametrize("port", ["0", "65536", "99999"])
def test_init_refuses_a_url_with_a_port_no_server_has(tmp_path: Path, port: str) -> None:
    result = run_cli("init", "team", "--url", f"https://bot.example.com:{port}", cwd=tmp_path)
    assert result.returncode == 1
    assert "a port is 1-65535" in result.stderr
    assert not (tmp_path / "team").exists()
    ok = run_cli("init", "ok", "--url", "https://bot.example.com:8443", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr


def test_init_refuses_a_file_where_a_folder_goes_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "deploy").write_text("mine\n")
    result = run_cli("init", "--socket-mode", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: deploy is not a folder; nothing was written"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deploy"]


def test_init_into_a_file_says_it_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    result = run_cli("init", "notes.txt", "--socket-mode", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: notes.txt is not a folder; nothing was written"


def test_init_never_writes_through_a_dangling_link(tmp_path: Path) -> None:
    team = tmp_path / "team"
    team.mkdir()
    (team / "manifest.yml").symlink_to(tmp_path / "elsewhere.yml")
    result = run_cli("init", "team", "--socket-mode", cwd=tmp_path)
    assert result.returncode == 1
    assert "team/manifest.yml already exists; nothing was written" in result.stderr
    assert not (tmp_path / "elsewhere.yml").exists()
    assert sorted(p.name for p in team.iterdir()) == ["manifest.yml"]


def test_init_takes_its_files_back_when_the_repository_refuses_the_commit(
    tmp_path: Path,
) -> None:
    repo = init_repo(tmp_path / "repo")
    (repo / "keep.txt").write_text("staged\n")
    git(repo, "add", "keep.txt")
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho refused by the team hook >&2\nexit 1\n")
    hook.chmod(0o755)
    result = run_cli("init", "--socket-mode", cwd=repo)
    no_traceback(result)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: git commit failed: refused by the team hook; nothing was written"
    )
    assert sorted(p.name for p in repo.iterdir()) == [".git", "keep.txt"]
    assert git(repo, "status", "--porcelain") == "A  keep.txt\n"  # theirs staged, ours gone


# --------------------------------------------------------------------------- --program


@pytest.fixture
def programs(plan_repo: Path) -> Path:
    """The plan repository with a second program saved as plan/BETA.toml."""
    shutil.copy(plan_repo / "plan" / "execution-plan.toml", plan_repo / "plan" / "BETA.toml")
    git(plan_repo, "add", "plan")
    git(plan_repo, "commit", "-q", "-m", "beta")
    return plan_repo


def test_a_program_file_named_in_capitals_is_found_by_its_id(programs: Path) -> None:
    # Slack, `jobs list` and doctor serve plan/BETA.toml as `beta`; so does --program.
    for name in ("beta", "BETA", "Beta"):
        result = run_cli("validate", "--program", name, cwd=programs, env=CLEAN)
        assert result.returncode == 0, result.stderr
    missing = run_cli("validate", "--program", "gamma", cwd=programs, env=CLEAN)
    assert missing.returncode == 2
    assert missing.stderr.strip().endswith("programs: execution-plan, beta")


def test_an_empty_program_option_is_refused(programs: Path) -> None:
    result = run_cli("validate", "--program", "", cwd=programs, env=CLEAN)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: --program '': a program is a plan file's name, like beta"
    )
    unset = run_cli("validate", cwd=programs, env={**CLEAN, "BATCHBOT_PROGRAM": ""})
    assert unset.returncode == 0, unset.stderr  # an empty variable is an unset one


# --------------------------------------------------------------------------- jobs --at


@pytest.mark.parametrize(
    ("at", "says"),
    [
        ("", "--at must be an ISO-8601 instant"),
        ("9999-12-31T23:59-12:00", "out of range: give an instant in the years 1970–9998"),
        ("0001-01-01T00:00", "out of range: give an instant in the years 1970–9998"),
    ],
)
def test_jobs_run_refuses_an_at_it_cannot_run_at(plan_repo: Path, at: str, says: str) -> None:
    env = env_for(plan_repo, BATCHBOT_TIMEZONE="Europe/Berlin")
    result = run_cli("jobs", "run", "weekly-report", "--at", at, cwd=plan_repo, env=env)
    no_traceback(result)
    assert result.returncode == 2
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (plan_repo / "bot.db").exists()  # refused before the database


def test_the_shell_refuses_an_at_out_of_range_and_goes_on(plan_repo: Path) -> None:
    script = "/jobs run weekly-report --at 9999-12-31T23:59-12:00\n/batch validate\n"
    result = run_cli("shell", cwd=plan_repo, env=env_for(plan_repo), stdin=script)
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert "Error: --at '9999-12-31T23:59-12:00' is out of range" in result.stdout
    assert "Plan is valid" in result.stdout


# --------------------------------------------------------------------------- .env


UTF16_ENV = "PORT=3000\n".encode("utf-16")  # what Notepad's "Unicode" saves


def test_a_dotenv_that_is_not_utf8_is_one_line_for_every_command(plan_repo: Path) -> None:
    (plan_repo / ".env").write_bytes(UTF16_ENV)
    env = env_for(plan_repo)
    for args in (["dashboard"], ["update", "batch-1", "progress=5"], ["jobs", "list"]):
        result = run_cli(*args, cwd=plan_repo, env=env)
        no_traceback(result)
        assert result.returncode == 1, args
        assert ".env is not UTF-8 text" in result.stderr and "save it as UTF-8" in result.stderr
    assert git(plan_repo, "status", "--porcelain", "plan") == ""


def test_doctor_reports_a_dotenv_that_is_not_utf8_and_runs_every_check(plan_repo: Path) -> None:
    (plan_repo / ".env").write_bytes(UTF16_ENV)
    result = run_cli("doctor", cwd=plan_repo, env=env_for(plan_repo))
    no_traceback(result)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL settings: .env is not UTF-8 text")
    assert any(x.startswith("ok   plan:") for x in lines)
    assert any(x.startswith("ok   extras:") for x in lines)  # the last check ran


def test_doctor_names_the_dotenv_lines_it_cannot_read(plan_repo: Path) -> None:
    (plan_repo / ".env").write_text('PORT=3000\nthis is not a line\nBATCHBOT_TEAM="U012AB\n')
    result = run_cli("doctor", cwd=plan_repo, env=env_for(plan_repo))
    no_traceback(result)
    assert (
        "warn .env: lines 2, 3 of .env cannot be read and are ignored → one NAME=value per "
        "line; quote a value with spaces and close the quote"
    ) in result.stdout.splitlines()


# --------------------------------------------------------------------------- doctor


def test_doctor_reports_a_manifest_that_is_not_yaml(plan_repo: Path) -> None:
    (plan_repo / "manifest.yml").write_text("settings: [\n  : : :\n\t-x")
    result = run_cli("doctor", cwd=plan_repo, env=env_for(plan_repo))
    no_traceback(result)
    found = [x for x in result.stdout.splitlines() if x.startswith("warn manifest:")]
    assert found and "manifest.yml cannot be used: not valid YAML" in found[0]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite:////nonexistent-batchbot/x.db", "the folder /nonexistent-batchbot does not exist"),
        ("mysql://u:secret@db.example.com/bot", "batchbot keeps its data in SQLite or PostgreSQL"),
    ],
)
def test_doctor_fails_a_database_batchbot_cannot_use(plan_repo: Path, url: str, says: str) -> None:
    result = run_cli("doctor", cwd=plan_repo, env=env_for(plan_repo, DATABASE_URL=url))
    no_traceback(result)
    assert result.returncode == 1
    found = [x for x in result.stdout.splitlines() if x.startswith("FAIL database:")]
    assert found and says in found[0], result.stdout
    assert "secret" not in result.stdout


# --------------------------------------------------------------------------- shell


def test_the_shell_reads_piped_input_saved_with_a_bom_and_crlf(plan_repo: Path) -> None:
    result = run_cli(
        "shell", cwd=plan_repo, env=env_for(plan_repo), stdin="\ufeff/batch validate\r\n\r\n"
    )
    assert result.returncode == 0, result.stderr
    assert "Plan is valid" in result.stdout
    assert "Unknown command" not in result.stdout


def test_the_shell_with_stdin_closed_ends_quietly(plan_repo: Path) -> None:
    result = with_stdin_closed(plan_repo, env_for(plan_repo), "shell")
    no_traceback(result)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- empty options


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("--plan=", "--plan is empty: give the plan file's path"),
        ("--author=", '--author is empty: give "Name <email>"'),
    ],
)
def test_an_empty_option_is_refused_not_taken_as_absent(
    plan_repo: Path, option: str, says: str
) -> None:
    # `--plan "$PLAN"` with PLAN unset: the update went to the default plan, and committed.
    before = git(plan_repo, "rev-parse", "HEAD")
    result = run_cli(
        "update", "batch-1", "progress=5", option, cwd=plan_repo, env={**CLEAN, "HOME": "/"}
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"Error: {says}"
    assert git(plan_repo, "rev-parse", "HEAD") == before


def test_init_in_an_existing_repository_commits_there_and_says_so(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    (repo / "keep.txt").write_text("staged, not ours\n")
    git(repo, "add", "keep.txt")
    result = run_cli("init", "--socket-mode", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "a first commit" not in result.stdout
    assert f"The starter files are committed to the git repository that holds {repo}." in (
        result.stdout
    )
    assert git(repo, "status", "--porcelain") == "A  keep.txt\n"  # theirs left staged
