"""Starting the Slack app logs only what is true (issue 20: Bolt's client/token warning)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from tests.conftest import SHIPPED_PLAN, git, init_repo
from tests.fakeslack import FakeSlack

TOKEN = "xoxb-start-token"


def test_building_the_app_with_the_token_in_the_environment_logs_no_unused_token_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.runtime import build_runtime
    from bot.settings import Settings
    from bot.slack.app import build_app
    from bot.slack.messenger import SlackMessenger, make_client

    repo = init_repo(tmp_path / "repo")
    (repo / "plan").mkdir()
    plan = repo / "plan" / "execution-plan.toml"
    shutil.copy(SHIPPED_PLAN, plan)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "plan")
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)  # as `batchbot serve` runs: from the env
    with FakeSlack(token=TOKEN, team_id="T0TEAM") as fake:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            SLACK_SIGNING_SECRET="s",
            SLACK_API_URL=fake.url,
            EXECUTION_PLAN_PATH=str(plan),
            DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        )
        rt = build_runtime(settings, SlackMessenger(make_client(TOKEN, fake.url)))
        with caplog.at_level(logging.DEBUG):
            _app, edge = build_app(rt)
        edge.drain()
        rt.db.close()
    said = [r.getMessage() for r in caplog.records]
    assert not [m for m in said if "will be unused" in m], said
