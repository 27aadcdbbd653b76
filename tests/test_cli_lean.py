"""`batchbot update` pays for few processes and light imports (issue 20: an update within
1.3× the seed tool's, commit included), with every safety of the write path kept: these
specs pin what the speed must not cost."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.plan.gitrepo import GitRepo
from tests.conftest import ROOT, git, run_cli

REAL_GIT = shutil.which("git") or "/usr/bin/git"


def counting_git(tmp: Path) -> tuple[dict[str, str], Path]:
    """A `git` first on PATH that logs the subcommand of every process batchbot starts."""
    folder = tmp / "countbin"
    folder.mkdir()
    log = tmp / "git-calls"
    (folder / "git").write_text(f'#!/bin/sh\necho "$1" >> "{log}"\nexec {REAL_GIT} "$@"\n')
    (folder / "git").chmod(0o755)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}, log


def test_an_update_starts_five_git_processes(plan_file: Path, tmp_path: Path) -> None:
    """Who commits (`git var -l`), is the file clean and where is HEAD (one `git status`), the
    objects (one fast-import), the branch (update-ref) and the index (update-index): the
    repository, HEAD's branch and the git dir are read from `.git` without a process."""
    env, log = counting_git(tmp_path)
    proc = run_cli("--plan", str(plan_file), "update", "batch-1", "progress=41", env=env)
    assert proc.returncode == 0, proc.stderr
    calls = log.read_text().split()
    assert calls == ["var", "status", "fast-import", "update-ref", "update-index"]
    repo = plan_file.parent.parent
    assert git(repo, "log", "-1", "--format=%an <%ae>").strip() == "Repo Owner <owner@example.com>"
    assert git(repo, "status", "--porcelain").strip() == ""
    assert "progress = 41" in plan_file.read_text()


def test_an_update_loads_no_filelock(plan_file: Path) -> None:
    """The plan's lock is an flock on the same file FileLock would lock, without the ~40 ms
    of imports filelock costs (it still interoperates: test_store's lock-timeout spec); a
    change answers with a ChangeView, not the module of the views other words need; a
    queued write waits on an Outcome, not a concurrent.futures.Future (logging: ~6 ms)."""
    script = (
        "import sys, bot.cli\n"
        "rc = bot.cli.main(['--plan', sys.argv[1], 'update', 'batch-1', 'progress=42'])\n"
        "print(rc, 'filelock' in sys.modules, 'shutil' in sys.modules,\n"
        "      'bot.reply_views' in sys.modules, 'concurrent.futures' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(plan_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.split()[-5:] == ["0", *["False"] * 4], proc.stdout + proc.stderr


def test_a_repository_is_found_by_reading_dot_git_as_git_would(plan_repo: Path) -> None:
    found = GitRepo.find(plan_repo / "plan" / "execution-plan.toml")
    assert found is not None and found.gitdir == (plan_repo / ".git").resolve()
    assert found.root == Path(git(plan_repo, "rev-parse", "--show-toplevel").strip())
    assert found.symbolic_head() == "refs/heads/main"
    git(plan_repo, "checkout", "-q", "--detach")
    assert found.symbolic_head() == ""


def test_an_update_in_a_linked_worktree_commits_on_its_branch(plan_repo: Path) -> None:
    other = plan_repo.parent / "other"
    git(plan_repo, "worktree", "add", "-q", "-b", "side", str(other))
    found = GitRepo.find(other / "plan")
    assert found is not None and found.root == other.resolve()
    assert found.gitdir == (plan_repo / ".git" / "worktrees" / "other").resolve()
    proc = run_cli("--plan", str(other / "plan" / "execution-plan.toml"), "update", "batch-1",
                   "progress=43")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "progress 0 → 43" in git(other, "log", "-1", "--format=%s", "side")
    assert git(plan_repo, "log", "-1", "--format=%s", "main").strip() == "Initial plan"
    assert git(other, "status", "--porcelain").strip() == ""


def test_a_repository_with_core_worktree_is_left_to_git(plan_repo: Path, tmp_path: Path) -> None:
    """A work tree elsewhere than beside `.git` (core.worktree): git says where it is."""
    git(plan_repo, "config", "core.worktree", str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").mkdir()
    found = GitRepo.find(plan_repo / "plan")
    assert found is None or found.gitdir is None


def test_git_settings_in_the_environment_are_left_to_git(
    plan_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(plan_repo))
    found = GitRepo.find(plan_repo / "plan")
    assert found is None or found.gitdir is None


def test_the_identity_comes_from_one_git_var(plan_repo: Path) -> None:
    found = GitRepo.find(plan_repo)
    assert found is not None
    who = found.identity()
    assert (who.name, who.email) == ("Repo Owner", "owner@example.com")
    assert who.committer == "Repo Owner <owner@example.com>"


def test_the_dashboard_loads_neither_the_write_path_nor_git(tmp_path: Path) -> None:
    """A read needs no git process, no lock, no TOML parser for a JSON plan and none of the
    views other words answer with (each dataclass costs ~0.3 ms at every start)."""
    script = (
        "import contextlib, io, sys, bot.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    rc = bot.cli.main(['--plan', sys.argv[1], 'dashboard'])\n"
        "heavy = ['bot.reply_views', 'bot.plan.gitrepo', 'bot.plan.writequeue', 'filelock',\n"
        "         'subprocess', 'threading', 'tomllib', 'pydantic']\n"
        "print(rc, [m for m in heavy if m in sys.modules])\n"
    )
    plan = tmp_path / "plan.json"
    shutil.copy(ROOT / "tests" / "data_old_plan.json", plan)
    # A cache of its own: the first dashboard on these bytes validates them (pydantic, once
    # per text and model code, as on a user's first run); it was the run's order that decided
    # whether another test had warmed the shared cache first.
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, str(plan)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    assert "pydantic" in runs[0].stdout, runs[0].stdout + runs[0].stderr  # validated, once
    assert runs[1].stdout.strip() == "0 []", runs[1].stdout + runs[1].stderr


def test_a_write_outcome_is_answered_once_and_wakes_its_writer() -> None:
    import threading

    from bot.plan.writequeue import Outcome

    outcome: Outcome[int] = Outcome()
    got: list[int] = []
    waiter = threading.Thread(target=lambda: got.append(outcome.result()))
    waiter.start()
    assert not outcome.done()
    outcome.set_result(7)
    waiter.join(5)
    assert got == [7] and outcome.done()
    with pytest.raises(RuntimeError, match="already answered"):
        outcome.set_exception(ValueError("late"))
    refused: Outcome[int] = Outcome()
    refused.set_exception(ValueError("nothing was changed"))
    with pytest.raises(ValueError, match="nothing was changed"):
        refused.result()
