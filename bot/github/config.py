"""What the GitHub adapter needs from Settings. Its own module so the adapter (client.py) and
the package that builds it (`bot.github`) both import it from below, not from each other."""

from __future__ import annotations

from dataclasses import dataclass, field

#: How to get PyGithub, said wherever GitHub is asked for without it (the `github` extra).
INSTALL_HINT = "pip install './batchbot[github]' from your clone"
NOT_INSTALLED = f"GitHub needs the github extra (PyGithub), which is not installed: {INSTALL_HINT}"


@dataclass(frozen=True)
class GitHubConfig:
    """What the adapter needs from Settings (built in `bot/github/__init__.py`)."""

    repo: str  # owner/name
    token: str | None = field(default=None, repr=False)
    api_url: str = "https://api.github.com"
    ci_workflow: str | None = None
    deploy_workflow: str | None = None
    incident_label: str = "incident"
    app_id: str | None = None
    private_key: str | None = field(default=None, repr=False)
    timeout: int = 15
    retries: int = 3
    max_wait: float = 60.0  # seconds we may sleep for a rate limit before giving up
    backoff: float = 0.5
    deadline: float = 60.0  # seconds for a whole metrics collection or publish (all calls)
    allow_insecure_http: bool = False  # a token to a non-loopback http:// API (bot/redact.py)
