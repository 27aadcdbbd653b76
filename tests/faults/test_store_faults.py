"""Faults of the write path (issue 12 items 2, 4, 5, 7), reproduced through the real CLI.

Each spec failed before its fix:
- item 2: a control character in a commit message broke `history` for good (\\x1e split);
- item 4: a kill between writing the file and committing left a change every later update
  refused as a hand edit;
- item 5: an update during a rebase or on a detached HEAD made a commit git would drop;
- item 7: with git missing, `update` said "updated", committed nothing and left a lock.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, git, run_cli

REAL_GIT = shutil.which("git") or "/usr/bin/git"


def slow_git(tmp: Path, step: str) -> tuple[dict[str, str], Path]:
    """A `git` first on PATH that pauses (and leaves a mark) when batchbot reaches `step`."""
    folder = tmp / "slowbin"
    folder.mkdir(exist_ok=True)
    mark = tmp / f"reached-{step}"
    script = folder / "git"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ -z "$GIT_INDEX_FILE" ] && [ "$1" = "{step}" ]; then touch "{mark}"; sleep 30; fi\n'
        f'exec {REAL_GIT} "$@"\n'
    )
    script.chmod(0o755)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}, mark


def kill_at(plan_file: Path, tmp: Path, step: str, value: str) -> None:
    env, mark = slow_git(tmp, step)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--plan", str(plan_file), "update", "batch-1",
         f"notes={value}", "--author", "K <k@x.io>"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.time() + 20
    while not mark.exists() and time.time() < deadline:
        time.sleep(0.01)
    assert mark.exists(), proc.communicate(timeout=5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def update(plan_file: Path, *pairs: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return run_cli("--plan", str(plan_file), "update", "batch-1", *pairs, env=env)


def test_kill_after_the_branch_moved_is_finished_by_the_next_update(
    plan_file: Path, tmp_path: Path
) -> None:
    repo = plan_file.parent.parent
    before = int(git(repo, "rev-list", "--count", "HEAD"))
    kill_at(plan_file, tmp_path, "update-index", "first")  # branch moved, file not yet written
    proc = update(plan_file, "progress=20")
    assert proc.returncode == 0, proc.stderr
    assert int(git(repo, "rev-list", "--count", "HEAD")) == before + 2
    text = plan_file.read_text()
    assert 'notes = "first"' in text and "progress = 20" in text
    assert git(repo, "status", "--porcelain").strip() == ""


def test_kill_before_the_branch_moved_changes_nothing_and_blocks_nothing(
    plan_file: Path, tmp_path: Path
) -> None:
    repo = plan_file.parent.parent
    before = (int(git(repo, "rev-list", "--count", "HEAD")), plan_file.read_bytes())
    kill_at(plan_file, tmp_path, "update-ref", "lost")
    assert (int(git(repo, "rev-list", "--count", "HEAD")), plan_file.read_bytes()) == before
    proc = update(plan_file, "progress=21")
    assert proc.returncode == 0, proc.stderr
    assert "lost" not in plan_file.read_text()
    assert git(repo, "status", "--porcelain").strip() == ""


def test_a_control_character_in_a_commit_never_breaks_history(plan_file: Path) -> None:
    repo = plan_file.parent.parent
    # The commit message carries the separators git's log format used; the file itself stays
    # valid (a control character inside a value is reported by validate: test_values.py).
    text = plan_file.read_text().replace('name = "Security"', 'name = "Sec-ur-ity"', 1)
    plan_file.write_text(text)
    git(repo, "commit", "-qam", "rename by hand: Sec\x1eur\x1fity")
    proc = run_cli("--plan", str(plan_file), "history")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "name Security → Sec" in proc.stdout


def test_an_update_during_a_rebase_is_refused(plan_file: Path) -> None:
    repo = plan_file.parent.parent
    git(repo, "checkout", "-qb", "side")
    (repo / "other.txt").write_text("side\n")
    git(repo, "add", "other.txt")
    git(repo, "commit", "-qm", "side")
    git(repo, "checkout", "-q", "main")
    (repo / "other.txt").write_text("main\n")
    git(repo, "add", "other.txt")
    git(repo, "commit", "-qm", "main")
    git(repo, "checkout", "-q", "side")
    rebase = subprocess.run(["git", "rebase", "main"], cwd=repo, capture_output=True, text=True)
    assert rebase.returncode != 0  # stopped on the conflict: a rebase is in progress
    head = git(repo, "rev-parse", "HEAD")
    proc = update(plan_file, "progress=30")
    assert proc.returncode == 1 and "rebase is in progress" in proc.stderr
    assert git(repo, "rev-parse", "HEAD") == head


def test_an_update_on_a_detached_head_is_refused(plan_file: Path) -> None:
    repo = plan_file.parent.parent
    git(repo, "checkout", "-q", "--detach")
    head = git(repo, "rev-parse", "HEAD")
    proc = update(plan_file, "progress=30")
    assert proc.returncode == 1 and "detached HEAD" in proc.stderr
    assert git(repo, "rev-parse", "HEAD") == head and "progress = 30" not in plan_file.read_text()


def test_without_git_on_path_an_update_is_refused_and_works_once_git_is_back(
    plan_file: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "nogit"
    empty.mkdir()
    before = plan_file.read_bytes()
    proc = update(plan_file, "progress=33", env={"PATH": str(empty)})
    assert proc.returncode == 1 and "git is not installed" in proc.stderr
    assert "Traceback" not in proc.stderr and plan_file.read_bytes() == before
    proc = update(plan_file, "progress=34")
    assert proc.returncode == 0, proc.stderr
    assert git(plan_file.parent.parent, "status", "--porcelain").strip() == ""


# -- issue 19 item 9: the bot must respect git's locks as git does ------------------------------
def head_and_file(plan_file: Path) -> tuple[str, bytes]:
    return git(plan_file.parent.parent, "rev-parse", "HEAD"), plan_file.read_bytes()


def test_an_update_while_git_holds_the_index_lock_is_refused_and_changes_nothing(
    plan_file: Path,
) -> None:
    repo = plan_file.parent.parent
    lock = repo / ".git" / "index.lock"
    lock.write_text("")  # a person's `git commit` is waiting in their editor
    before = head_and_file(plan_file)
    proc = update(plan_file, "progress=61")
    assert proc.returncode == 1, proc.stdout
    assert "git is busy in this repository (.git/index.lock exists)" in proc.stderr
    assert "committed" not in proc.stdout + proc.stderr
    assert head_and_file(plan_file) == before and lock.exists()
    lock.unlink()
    assert update(plan_file, "progress=61").returncode == 0
    assert git(repo, "status", "--porcelain").strip() == ""


def test_an_update_while_git_holds_the_branch_lock_is_refused(plan_file: Path) -> None:
    lock = plan_file.parent.parent / ".git" / "refs" / "heads" / "main.lock"
    lock.write_text("")
    before = head_and_file(plan_file)
    proc = update(plan_file, "progress=62")
    assert proc.returncode == 1 and "refs/heads/main.lock exists" in proc.stderr
    assert head_and_file(plan_file) == before


def test_git_taking_its_index_lock_mid_commit_undoes_the_commit(
    plan_file: Path, tmp_path: Path
) -> None:
    """The lock appears after the check, just as the bot writes the index: the branch goes
    back, and the person is told nothing was changed (never "committed" behind git's back)."""
    folder = tmp_path / "lockbin"
    folder.mkdir()
    lock = plan_file.parent.parent / ".git" / "index.lock"
    (folder / "git").write_text(
        f'#!/bin/sh\nif [ "$1" = "update-index" ]; then touch "{lock}"; fi\nexec {REAL_GIT} "$@"\n'
    )
    (folder / "git").chmod(0o755)
    before = head_and_file(plan_file)
    proc = update(plan_file, "progress=63", env={"PATH": f"{folder}:{os.environ['PATH']}"})
    assert proc.returncode == 1 and "git is busy" in proc.stderr, proc.stderr
    assert "committed" not in proc.stdout + proc.stderr
    assert head_and_file(plan_file) == before
    lock.unlink()
    assert update(plan_file, "progress=63").returncode == 0


def immutable(folder: Path, on: bool) -> bool:
    """chattr ±i (root ignores permission bits, not the immutable flag); False if unsupported."""
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    flag = "+i" if on else "-i"
    return subprocess.run([chattr, flag, str(folder)], capture_output=True).returncode == 0


def test_an_update_into_an_immutable_plan_folder_is_refused_and_changes_nothing(
    plan_file: Path,
) -> None:
    import pytest

    if os.geteuid() != 0:
        plan_file.parent.chmod(0o555)
    elif not immutable(plan_file.parent, True):
        pytest.skip("cannot make a folder immutable here")
    try:
        before = head_and_file(plan_file)
        proc = update(plan_file, "progress=64")
    finally:
        if os.geteuid() != 0:
            plan_file.parent.chmod(0o755)
        else:
            immutable(plan_file.parent, False)
    assert proc.returncode == 1, proc.stdout
    assert "could not write" in proc.stderr and "nothing was changed" in proc.stderr
    assert "committed" not in proc.stdout + proc.stderr
    assert head_and_file(plan_file) == before
    assert update(plan_file, "progress=64").returncode == 0


# -- issue 19 item 8: after a kill -9 mid-commit, reads show what was committed -----------------
def test_after_a_kill_between_the_branch_and_the_file_reads_show_the_committed_plan(
    plan_file: Path, tmp_path: Path
) -> None:
    repo = plan_file.parent.parent
    kill_at(plan_file, tmp_path, "update-index", "landed before the kill")
    assert "landed before the kill" not in plan_file.read_text()  # the file lags HEAD
    proc = run_cli("--plan", str(plan_file), "status", "batch-1")
    assert proc.returncode == 0, proc.stderr
    assert "Notes: landed before the kill" in proc.stdout
    # the read finished the interrupted commit: file, index and HEAD agree again
    assert 'notes = "landed before the kill"' in plan_file.read_text()
    assert git(repo, "status", "--porcelain").strip() == ""


def test_a_read_while_the_interrupted_commit_cannot_be_finished_still_shows_it(
    plan_file: Path, tmp_path: Path
) -> None:
    """A reader that may not finish the commit (git busy) reads HEAD's blob instead."""
    repo = plan_file.parent.parent
    kill_at(plan_file, tmp_path, "update-index", "committed text")
    (repo / ".git" / "index.lock").write_text("")  # a person's git, long after the kill
    old = time.time() - 600
    os.utime(repo / ".git" / "index.lock", (old, old))
    proc = run_cli("--plan", str(plan_file), "status", "batch-1")
    assert proc.returncode == 0 and "Notes: committed text" in proc.stdout, proc.stderr
    assert (repo / ".git" / "index.lock").exists()
