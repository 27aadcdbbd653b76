"""Linked work end to end: the real `batchbot serve` with the fake Slack and the fake GitHub.
A lead links a batch in Slack; an issue closes on GitHub; GitHub's signed `issues` delivery
makes the server re-measure, and the plan's commit follows with nobody typing a %."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_slack_e2e import TOKEN, USERS, Bot, running, start_bot
from tests.fakegithub import FakeGitHub
from tests.fakeslack import FakeSlack

pytestmark = pytest.mark.e2e

GH_TOKEN = "ghp_e2e_linked_0123456789"
REPO = "acme/shop"
HOOK = "hook-secret-for-tests"
WHEN = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub({GH_TOKEN: {"issues:write"}}) as gh:
        gh.add_repo(REPO)
        gh.add_milestone(REPO, "Infra v1")
        for state in ("closed", "open", "open", "open"):
            gh.add_issue(REPO, created=WHEN, state=state, milestone="Infra v1")
        yield gh


@pytest.fixture
def bot(tmp_path: Path, github: FakeGitHub) -> Iterator[Bot]:
    with FakeSlack(token=TOKEN, team_id="T0TEAM", users=USERS) as fake:
        env = {
            "BATCHBOT_GITHUB_TOKEN": GH_TOKEN,
            "BATCHBOT_GITHUB_REPO": REPO,
            "BATCHBOT_GITHUB_API_URL": github.url,
            "BATCHBOT_GITHUB_WEBHOOK_SECRET": HOOK,
        }
        with running(start_bot(tmp_path, fake, extra_env=env)) as b:
            yield b


def deliver(bot: Bot, event: str, payload: dict, secret: str = HOOK) -> int:  # type: ignore[type-arg]
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-Hub-Signature-256": f"sha256={digest}",
    }
    url = bot.url.replace("/slack/events", "/github/webhook")
    req = urllib.request.Request(url, body, headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def progress(bot: Bot) -> int:
    data = tomllib.loads(bot.plan.read_text())
    return int(next(b for b in data["batches"] if b["id"] == "batch-2")["progress"])


def test_an_issue_closed_on_github_moves_the_linked_batch_through_the_signed_webhook(
    bot: Bot, github: FakeGitHub
) -> None:
    status, _ = bot.slash('link batch-2 milestone="Infra v1"')
    assert status == 200
    assert "follows milestone" in json.dumps(bot.reply())
    assert deliver(bot, "issues", {"action": "closed"}, secret="forged") == 401
    assert deliver(bot, "issues", {"action": "closed"}) == 202
    deadline = time.monotonic() + 15
    while progress(bot) != 25 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert progress(bot) == 25  # 1 of 4 closed
    github.close_issue(REPO, 2)
    github.close_issue(REPO, 3, at=WHEN)
    for _ in range(5):  # a burst of deliveries: one refresh once they pause
        assert deliver(bot, "issues", {"action": "closed"}) == 202
    deadline = time.monotonic() + 15
    while progress(bot) != 75 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert progress(bot) == 75
    listings = github.calls_to("GET", rf"^/repos/{REPO}/issues$")
    assert len(listings) == 2, len(listings)  # debounced: two refreshes for six deliveries
