"""Shared fixtures: real git repositories in temp dirs, the shipped plan, the CLI as a process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_PLAN = ROOT / "plan" / "execution-plan.toml"
OLD_JSON = ROOT / "tests" / "data_old_plan.json"


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return proc.stdout


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Repo Owner")
    git(path, "config", "user.email", "owner@example.com")
    git(path, "config", "commit.gpgsign", "false")
    return path


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk honours HTTP(S)_PROXY and ignores NO_PROXY: loopback tests must not proxy."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def plan_repo(tmp_path: Path) -> Iterator[Path]:
    """A git repo holding a committed copy of the shipped plan at plan/execution-plan.toml."""
    repo = init_repo(tmp_path / "repo")
    (repo / "plan").mkdir()
    shutil.copy(SHIPPED_PLAN, repo / "plan" / "execution-plan.toml")
    git(repo, "add", ".")
    git(
        repo,
        "commit",
        "-q",
        "-m",
        "Initial plan",
        env={
            "GIT_AUTHOR_DATE": "2026-11-01T09:00:00+00:00",
            "GIT_COMMITTER_DATE": "2026-11-01T09:00:00+00:00",
        },
    )
    yield repo


@pytest.fixture
def plan_file(plan_repo: Path) -> Path:
    return plan_repo / "plan" / "execution-plan.toml"


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` as a new process, as a user's shell would."""
    full_env = {k: v for k, v in os.environ.items() if k != "EXECUTION_PLAN_PATH"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        env=full_env,
        input=stdin,
        timeout=timeout,
    )
