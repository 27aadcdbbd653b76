"""End to end, remote mode with two programs (issue 17): two real `batchbot serve` processes,
each from an empty workdir, on one bare repository (playing GitHub) holding
`plan/execution-plan.toml` (the first program) and `plan/beta.toml` (its own team), one
shared SQLite database, the fake Slack on loopback, signed HTTP."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import clean_env, committed_repo, git
from tests.e2e.remote_harness import (
    PLAN,
    TOKEN,
    USERS,
    RemoteBot,
    remote_sha,
    running,
    start_remote_bot,
)
from tests.fakeslack import FakeSlack
from tests.serveproc import run_batchbot

pytestmark = pytest.mark.e2e

BETA = "plan/beta.toml"
BETA_TEAM = """
[team]
editors = ["U0BOB"]
report_channel = "C0BETAREP"

[[team.people]]
id = "U0BOB"
"""
ENV = {"BATCHBOT_EDITORS": "U0ALICE"}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, team_id="T0TEAM", users=USERS) as f:
        yield f


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    seed = committed_repo(tmp_path / "seed", date=None)
    text = (seed / PLAN).read_text()
    (seed / BETA).write_text(text.replace('name = "', 'name = "Beta: ', 1) + BETA_TEAM)
    git(seed, "add", ".")
    git(seed, "commit", "-qm", "beta")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(bare))
    return bare


def upstream(remote: Path, tmp: Path, path: str, text: str) -> str:
    """A commit straight to the remote's main (a merged pull request); its sha."""
    work = tmp / f"pr-{time.monotonic_ns()}"
    git(tmp, "clone", "-q", str(remote), str(work))
    git(work, "config", "user.name", "Merger")
    git(work, "config", "user.email", "merger@example.com")
    (work / path).write_text(text)
    git(work, "add", ".")
    git(work, "commit", "-qm", f"upstream {path}")
    git(work, "push", "-q", "origin", "HEAD:main")
    sha = git(work, "rev-parse", "HEAD").strip()
    shutil.rmtree(work)
    return sha


def ask(bot: RemoteBot, text: str, key: str, user: str = "U0ALICE") -> str:
    status, _ = bot.slash(text, key=key, user=user)
    assert status == 200
    return json.dumps(bot.reply(key), ensure_ascii=False)


def changed_files(remote: Path, rev: str) -> list[str]:
    return git(remote, "show", "--name-only", "--format=", rev).split()


def test_writes_to_both_programs_from_two_instances_land_on_the_one_branch_and_read_back_at_once(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    a = start_remote_bot(tmp_path, fake, remote, "a", sync_seconds=30, extra_env=ENV)
    b = start_remote_bot(tmp_path, fake, remote, "b", sync_seconds=30, extra_env=ENV)
    with running(a, b):
        before = int(git(remote, "rev-list", "--count", "main"))
        assert "Beta: " in ask(b, "beta status", "b0", user="U0BOB")
        beta = ask(a, "beta update batch-1 progress=17", "a1", user="U0BOB")
        assert '"in_channel"' in beta, beta
        assert changed_files(remote, "main") == [BETA]  # beta's edit touches only its file
        started = time.monotonic()
        assert "17%" in ask(b, "beta status batch-1", "b1", user="U0BOB")  # read-your-write
        assert time.monotonic() - started < 1.5
        alpha = ask(b, "update batch-2 progress=23", "b2")
        assert '"in_channel"' in alpha, alpha
        assert changed_files(remote, "main") == [PLAN]
        assert "23%" in ask(a, "status batch-2", "a2")  # …on the other instance too
        assert "17%" not in ask(a, "status batch-1", "a3")  # each program its own plan
        assert int(git(remote, "rev-list", "--count", "main")) == before + 2
        assert git(remote, "for-each-ref", "--format=%(refname)", "refs/heads").split() == [
            "refs/heads/main"
        ]
        refused = ask(a, "beta update batch-1 progress=99", "a4")  # alice edits alpha only
        assert "not allowed" in refused
        assert "progress = 17" in git(remote, "show", f"main:{BETA}")


def test_a_program_pushed_upstream_is_served_after_the_webhook_without_a_restart(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    bot = start_remote_bot(tmp_path, fake, remote, "a", sync_seconds=600, extra_env=ENV)
    with running(bot):
        assert "Gamma: " not in ask(bot, "gamma status", "s0")
        gamma = git(remote, "show", f"main:{PLAN}").replace('name = "', 'name = "Gamma: ', 1)
        sha = upstream(remote, tmp_path, "plan/gamma.toml", gamma)
        assert bot.webhook({"ref": "refs/heads/main", "after": sha}) == 202
        bot.wait_sha(sha, timeout=5)
        assert "Gamma: " in ask(bot, "gamma status", "s1")
        saved = ask(bot, "gamma update batch-1 progress=8", "u1")  # no lead yet: anyone
        assert '"in_channel"' in saved, saved
        assert changed_files(remote, "main") == ["plan/gamma.toml"]


def test_beta_broken_upstream_leaves_the_first_program_served_and_writable(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    bot = start_remote_bot(tmp_path, fake, remote, "a", sync_seconds=600, extra_env=ENV)
    with running(bot):
        bad = upstream(remote, tmp_path, BETA, "[[[ not toml\n")
        assert bot.webhook({"ref": "refs/heads/main", "after": bad}) == 202
        bot.wait_sha(bad, timeout=5)  # the first program moved on to the new tip
        code, health = bot.health()
        assert code == 200 and "plan_notice" not in health
        assert f"plan/beta.toml at {bad[:7]} is invalid" in ask(bot, "beta status", "s", "U0BOB")
        refused = ask(bot, "beta update batch-1 progress=3", "u1", user="U0BOB")
        assert "not saved" in refused and "plan/beta.toml" in refused
        saved = ask(bot, "update batch-1 progress=4", "u2")
        assert '"in_channel"' in saved, saved
        assert remote_sha(remote) != bad and changed_files(remote, "main") == [PLAN]


def test_the_friday_job_in_remote_mode_posts_and_archives_each_programs_report_once(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    import subprocess

    env = clean_env()
    env.pop("EXECUTION_PLAN_PATH", None)
    env |= {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": fake.url,
        "BATCHBOT_GIT_URL": str(remote),
        "BATCHBOT_WORKDIR": str(tmp_path / "jobs-work"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
        "BATCHBOT_REPORT_CHANNEL": "C0ALPHAREP",
    }

    def friday() -> subprocess.CompletedProcess[str]:
        at = "2026-12-04T15:00:00+00:00"
        return run_batchbot(["jobs", "run", "weekly-report", "--at", at], cwd=tmp_path, env=env)

    first = friday()
    assert first.returncode == 0, first.stderr
    posts = [c.args["channel"] for c in fake.calls_to("chat.postMessage")]
    assert sorted(c for c in posts if c.endswith("REP")) == ["C0ALPHAREP", "C0BETAREP"]
    archived = git(remote, "ls-tree", "-r", "--name-only", "main", "plan/reports").split()
    assert archived == ["plan/reports/2026-W49.md", "plan/reports/beta/2026-W49.md"]
    again = friday()
    assert again.returncode == 0 and "already posted" in again.stdout, again.stdout
    posts = [c.args["channel"] for c in fake.calls_to("chat.postMessage")]
    assert len([c for c in posts if c.endswith("REP")]) == 2


def test_app_home_shows_the_notice_of_the_program_it_shows(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    """Beta broken upstream: Bob (beta's editor) sees why his program is stale in his Home."""
    from tests.e2e.remote_harness import SECRET
    from tests.fakeslack import JSON, event_body, post_signed

    bot = start_remote_bot(tmp_path, fake, remote, "a", sync_seconds=600, extra_env=ENV)
    with running(bot):
        bad = upstream(remote, tmp_path, BETA, "[[[ not toml\n")
        assert bot.webhook({"ref": "refs/heads/main", "after": bad}) == 202
        bot.wait_sha(bad, timeout=5)
        home = event_body({"type": "app_home_opened", "user": "U0BOB", "tab": "home"})
        assert post_signed(bot.events_url, home, SECRET, JSON)[0] == 200
        (published,) = fake.wait_for("views.publish", 1, timeout=10)
        assert f"beta: plan/beta.toml at {bad[:7]} is invalid" in json.dumps(published.args)
