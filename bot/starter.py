"""`batchbot init [DIR]`: a folder a team can start from after `pip install batchbot`.

It writes the starter plan, the Slack app manifest and `.env.example` (carried in the wheel as
package data under `bot/data/`), a `.gitignore` that keeps `.env` and the database out of git,
and makes the folder a git repository with a first commit — the plan's history is git, so
every later change has something to commit onto. It never overwrites a file.
"""

from __future__ import annotations

import shutil
import subprocess
from importlib.resources import files
from pathlib import Path

# (packaged name, where it goes in the new folder)
STARTER_FILES = (
    ("execution-plan.toml", "plan/execution-plan.toml"),
    ("manifest.yml", "manifest.yml"),
    ("env.example", ".env.example"),
)
GITIGNORE = ".env\n*.db\n*.db-wal\n*.db-shm\n"


class InitError(Exception):
    """Why the folder was not set up; nothing was written."""


def init_folder(target: Path) -> list[Path]:
    """Write the starter files into `target` and commit them; the files written."""
    if shutil.which("git") is None:
        raise InitError("git is not installed; batchbot keeps the plan's history in git")
    wanted = [target / dest for _, dest in STARTER_FILES]
    existing = [p for p in wanted if p.exists()]
    if existing:
        raise InitError(f"{existing[0]} already exists; nothing was written")
    data = files("bot") / "data"
    written: list[Path] = []
    for (name, _), path in zip(STARTER_FILES, wanted, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((data / name).read_bytes())
        written.append(path)
    ignore = target / ".gitignore"
    if not ignore.exists():
        ignore.write_text(GITIGNORE)
        written.append(ignore)
    _commit(target, written)
    return written


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True)


def _commit(folder: Path, paths: list[Path]) -> None:
    if _git(folder, "rev-parse", "--git-dir").returncode != 0:
        init = _git(folder, "init", "-q", "-b", "main")
        if init.returncode != 0:  # git older than 2.28 has no -b
            init = _git(folder, "init", "-q")
        if init.returncode != 0:
            raise InitError(f"git init failed: {init.stderr.strip()}")
    names = [str(p.relative_to(folder)) for p in paths]
    added = _git(folder, "add", "--", *names)
    if added.returncode != 0:
        raise InitError(f"git add failed: {added.stderr.strip()}")
    identity: list[str] = []
    if not _git(folder, "config", "user.email").stdout.strip():
        # No identity yet: commit as batchbot rather than fail; the team's own follow.
        identity = ["-c", "user.name=batchbot init", "-c", "user.email=batchbot@localhost"]
    message = "Start the delivery plan (batchbot init)"
    done = _git(folder, *identity, "commit", "-q", "-m", message, "--", *names)
    if done.returncode != 0:
        raise InitError(f"git commit failed: {done.stderr.strip() or done.stdout.strip()}")
