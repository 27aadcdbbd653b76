"""GitHub edge: builds the adapter from Settings. Imported only where GitHub is used
(`serve`, `jobs`, `batchbot metrics collect`, `batchbot report publish`), so PyGithub's import
cost never reaches `batchbot dashboard`. PyGithub is the optional `github` extra: without it
`build_adapter` answers GitHubNotConfigured with the line that installs it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.github.config import NOT_INSTALLED, GitHubConfig
from bot.redact import cleartext_refusal

if TYPE_CHECKING:
    from bot.github.client import GitHubAdapter

__all__ = [
    "GitHubConfig",
    "GitHubNotConfigured",
    "build_adapter",
    "config_from_settings",
    "repo_from_url",
]


_GITHUB_URL = re.compile(
    r"^(?:https?://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"([\w.-]+)/([\w.-]+?)(?:\.git)?/?$"
)


class GitHubNotConfigured(Exception):
    """A one-line reason GitHub cannot be used (which setting is missing)."""


def repo_from_url(url: str | None) -> str | None:
    """`owner/name` from a github.com remote URL (https or ssh); None for other hosts."""
    m = _GITHUB_URL.match((url or "").strip())
    return f"{m.group(1)}/{m.group(2)}" if m else None


def _origin_url(plan_path: Path, remote: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "remote", "get-url", remote],
            cwd=plan_path.parent if plan_path.parent.exists() else None,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def config_from_settings(settings: Any, repo: str | None = None) -> GitHubConfig:
    """GitHubConfig from Settings; the repository defaults from the plan's git remote.

    Order: BATCHBOT_GITHUB_REPO, else BATCHBOT_GIT_URL (remote mode) when it is on GitHub,
    else the plan checkout's `origin` (BATCHBOT_GIT_REMOTE) when that is on GitHub.
    """
    token = settings.github_token.get_secret_value() if settings.github_token else None
    key = settings.github_private_key.get_secret_value() if settings.github_private_key else None
    if not token and not (settings.github_app_id and key):
        raise GitHubNotConfigured(
            "GitHub is not set up: set BATCHBOT_GITHUB_TOKEN "
            "(or BATCHBOT_GITHUB_APP_ID and BATCHBOT_GITHUB_PRIVATE_KEY)"
        )
    repo = repo or settings.github_repo or repo_from_url(getattr(settings, "git_url", None))
    if repo is None:
        origin = _origin_url(Path(settings.execution_plan_path), settings.git_remote)
        repo = repo_from_url(origin)
    if repo is None:
        raise GitHubNotConfigured(
            "GitHub repository unknown: set BATCHBOT_GITHUB_REPO=owner/name "
            "(the plan's git remote is not on github.com)"
        )
    allow = bool(getattr(settings, "allow_insecure_http", False))
    why = cleartext_refusal(settings.github_api_url, "BATCHBOT_GITHUB_API_URL", allow)
    if why:
        raise GitHubNotConfigured(why)
    return GitHubConfig(
        allow_insecure_http=allow,
        deadline=float(getattr(settings, "github_deadline", 60.0)),
        repo=repo,
        token=token,
        api_url=settings.github_api_url,
        ci_workflow=settings.github_ci_workflow,
        deploy_workflow=settings.github_deploy_workflow,
        incident_label=settings.github_incident_label,
        app_id=settings.github_app_id,
        private_key=key,
    )


def build_adapter(settings: Any, repo: str | None = None) -> GitHubAdapter:
    """The adapter, or GitHubNotConfigured with the setting to fix. `repo`: the team's
    `[team] github_repo`, which wins over BATCHBOT_GITHUB_REPO."""
    config = config_from_settings(settings, repo)
    try:
        from bot.github.client import GitHubAdapter, explain
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "github":
            raise
        raise GitHubNotConfigured(NOT_INSTALLED) from None
    try:
        return GitHubAdapter(config)
    except Exception as exc:  # a GitHub App whose installation lookup failed
        why = explain(exc, config, "GitHub App installation")
        raise GitHubNotConfigured(
            f"{why}; check BATCHBOT_GITHUB_APP_ID, BATCHBOT_GITHUB_PRIVATE_KEY and that the app "
            f"is installed on {config.repo}"
        ) from None
