"""Settings read from the environment: what counts as set, and what is refused up front."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("SLACK_", "BATCHBOT_", "DATABASE_URL", "PORT")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(str(tmp_path))  # no .env from the developer's folder


@pytest.mark.parametrize(
    ("name", "field", "default"),
    [
        ("BATCHBOT_GITHUB_REPO", "github_repo", None),
        ("BATCHBOT_TEAM_CHANNEL", "team_channel", None),
        ("SLACK_SIGNING_SECRET", "slack_signing_secret", None),
        ("BATCHBOT_TIMEZONE", "timezone", "UTC"),
        ("PORT", "port", 3000),
        ("BATCHBOT_GITHUB_API_URL", "github_api_url", "https://api.github.com"),
    ],
)
def test_a_blank_variable_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, name: str, field: str, default: object
) -> None:
    monkeypatch.setenv(name, "  ")
    assert getattr(load_settings(), field) == default


def test_a_blank_line_in_the_env_file_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    Path(".env").write_text("BATCHBOT_GITHUB_REPO=\nBATCHBOT_STANDUP_CHANNEL=\n")
    settings = load_settings()
    assert settings.github_repo is None and settings.standup_channel is None


@pytest.mark.parametrize("name", ["BATCHBOT_GIT_URL", "BATCHBOT_GIT_REMOTE"])
def test_a_git_location_that_starts_with_a_dash_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "--upload-pack=touch /tmp/owned;")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert name in str(caught.value)
