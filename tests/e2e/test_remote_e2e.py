"""End to end, remote mode: two real `batchbot serve` processes, each from an empty workdir,
on one bare repository (playing GitHub) and one database; the fake Slack on loopback."""

from __future__ import annotations

import json
import shutil
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import clean_env, git
from tests.e2e.remote_harness import (
    PLAN,
    SECRET,
    TOKEN,
    USERS,
    make_remote,
    push_upstream,
    remote_sha,
    running,
    slow_pushes,
    start_remote_bot,
)
from tests.fakeslack import JSON, FakeSlack, event_body, post_signed

pytestmark = pytest.mark.e2e


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, team_id="T0TEAM", users=USERS) as f:
        yield f


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return make_remote(tmp_path)


def text_of(reply: dict) -> str:  # type: ignore[type-arg]
    return json.dumps(reply, ensure_ascii=False)


def test_forty_updates_over_two_instances_land_exactly_once(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    a = start_remote_bot(tmp_path, fake, remote, "a")
    b = start_remote_bot(tmp_path, fake, remote, "b")
    with running(a, b):
        before = int(git(remote, "rev-list", "--count", "main"))

        def one(n: int) -> tuple[int, str]:
            bot = (a, b)[n % 2]
            status, _ = bot.slash(f"update batch-{n % 5 + 1} notes=change-{n}", key=f"u{n}")
            return status, text_of(bot.reply(f"u{n}"))

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(40)))
        assert all(status == 200 for status, _ in results)
        assert all('"in_channel"' in reply for _, reply in results), results
        assert int(git(remote, "rev-list", "--count", "main")) == before + 40
        bodies = git(remote, "log", "--format=%B", "main")
        for n in range(40):
            assert bodies.count(f'"new": "change-{n}"') == 1
        git(remote, "fsck", "--no-progress")
        healths = [bot.health()[1] for bot in (a, b)]
        attempts = sum(h["push_attempts"] for h in healths)
        pushes = sum(h["pushes"] for h in healths)
        assert attempts == pushes, "the instances raced their pushes instead of taking turns"
        tip = remote_sha(remote)
        for bot in (a, b):
            bot.wait_sha(tip)
            clone = bot.workdir / "plan.git"
            assert git(clone, "rev-parse", "refs/remotes/origin/main").strip() == tip


def test_a_merged_pull_request_shows_within_the_sync_interval_and_at_once_by_webhook(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    polled = start_remote_bot(tmp_path, fake, remote, "polled", sync_seconds=1)
    hooked = start_remote_bot(tmp_path, fake, remote, "hooked", sync_seconds=600)
    with running(polled, hooked):
        home = event_body(
            {"type": "app_home_opened", "user": "U0BOB", "tab": "home", "channel": "D0BOB"}
        )
        assert post_signed(polled.events_url, home, SECRET, JSON)[0] == 200
        fake.wait_for("views.publish", 1, timeout=10)
        sha = push_upstream(remote, tmp_path, 'owner = ""', 'owner = "Merged By PR"')
        assert polled.wait_sha(sha, timeout=4) <= 2.5
        refreshed = fake.wait_for("views.publish", 2, timeout=10)[1]  # App Home follows the PR
        assert refreshed.args["user_id"] == "U0BOB" and "Merged By PR" in str(refreshed.args)
        assert hooked.webhook({"ref": "refs/heads/main"}, secret="wrong") == 401
        assert hooked.webhook({"ref": "refs/heads/main"}, secret=None) == 401
        assert hooked.health()[1]["plan_sha"] != sha[:10]  # nothing done for a forgery
        assert hooked.webhook({"ref": "refs/heads/main", "after": sha}) == 202
        assert hooked.wait_sha(sha, timeout=3) <= 1.0
        hooked.slash("status", key="s")
        assert "Merged By PR" in text_of(hooked.reply("s"))


def test_the_same_field_edited_on_both_at_once_lands_twice_and_nobody_is_misled(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    slow_pushes(remote, 0.5)
    a = start_remote_bot(tmp_path, fake, remote, "a")
    b = start_remote_bot(tmp_path, fake, remote, "b")
    with running(a, b):
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda x: x[0].slash(x[1], key=x[2]), [
                (a, "update batch-1 progress=11", "ka"), (b, "update batch-1 progress=22", "kb"),
            ]))  # fmt: skip
        replies = [text_of(a.reply("ka")), text_of(b.reply("kb"))]
        assert all('"in_channel"' in r for r in replies), replies
        log = git(remote, "log", "--format=%s", "-2", "main")
        assert "→ 11" in log and "→ 22" in log
        last = "11" if log.splitlines()[0].endswith("11") else "22"
        assert f"progress = {last}\n" in git(remote, "show", f"main:{PLAN}")


def test_with_the_remote_gone_updates_are_refused_and_status_says_how_old_the_plan_is(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    bot = start_remote_bot(tmp_path, fake, remote, "a", sync_seconds=0.5)
    with running(bot):
        moved = remote.with_name("moved.git")
        remote.rename(moved)
        bot.slash("update batch-1 progress=30", key="u1")
        reply = text_of(bot.reply("u1"))
        assert '"ephemeral"' in reply and "not saved" in reply and "could not be reached" in reply
        time.sleep(1.2)
        bot.slash("status", key="s1")
        status = text_of(bot.reply("s1"))
        assert "could not be reached" in status and "Critical Blockers" in status
        moved.rename(remote)
        time.sleep(1.2)
        bot.slash("update batch-1 progress=31", key="u2")
        assert '"in_channel"' in text_of(bot.reply("u2"))
        assert "progress = 31" in git(remote, "show", f"main:{PLAN}")


def test_an_invalid_plan_upstream_keeps_the_last_valid_one_and_tells_the_admins_once(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    admins = {"BATCHBOT_ADMINS": "U0EVE"}
    a = start_remote_bot(tmp_path, fake, remote, "a", sync_seconds=0.5, extra_env=admins)
    b = start_remote_bot(tmp_path, fake, remote, "b", sync_seconds=0.5, extra_env=admins)
    with running(a, b):
        good = remote_sha(remote)
        bad = push_upstream(remote, tmp_path, "[[batches]]", "[[batches]\n", name="bad")
        deadline = time.time() + 10
        while time.time() < deadline and not all(
            bot.health()[1].get("plan_notice") for bot in (a, b)
        ):
            time.sleep(0.1)
        for bot in (a, b):
            code, data = bot.health()
            assert code == 200 and data["plan_sha"] == good[:10]
            assert f"plan at {bad[:7]} is invalid" in data["plan_notice"]
        a.slash("status", key="s")
        assert f"plan at {bad[:7]} is invalid" in text_of(a.reply("s"))
        a.slash("update batch-1 progress=5", key="u")
        assert "not saved" in text_of(a.reply("u"))
        time.sleep(1.0)
        dms = [c for c in fake.calls_to("chat.postMessage") if "is not valid" in str(c.args)]
        assert len(dms) == 1  # one DM per bad commit, across both instances
        fixed = push_upstream(remote, tmp_path, "[[batches]\n", "[[batches]]", name="fix")
        for bot in (a, b):
            bot.wait_sha(fixed)
            assert "plan_notice" not in bot.health()[1]


def test_kill_9_during_a_push_leaves_the_remote_consistent_and_the_instance_recovers(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    slow_pushes(remote, 2)
    bot = start_remote_bot(tmp_path, fake, remote, "a")
    bot.slash("update batch-1 progress=40", key="k")
    deadline = time.time() + 10
    while not (remote / "push-started").exists() and time.time() < deadline:
        time.sleep(0.02)
    bot.stop(signal.SIGKILL)
    git(remote, "fsck", "--no-progress")
    plan_text = git(remote, "show", f"main:{PLAN}")
    assert "[[batches]]" in plan_text
    (remote / "hooks" / "pre-receive").unlink()
    again = start_remote_bot(tmp_path, fake, remote, "a", workdir=bot.workdir)
    with running(again):
        again.slash("update batch-1 progress=41", key="k2")
        assert '"in_channel"' in text_of(again.reply("k2"))
    shutil.rmtree(bot.workdir)  # a throwaway disk: start from nothing
    fresh = start_remote_bot(tmp_path, fake, remote, "a", workdir=bot.workdir)
    with running(fresh):
        fresh.slash("status batch-1", key="s")
        assert "41%" in text_of(fresh.reply("s"))


def test_the_git_token_is_never_logged_nor_written_to_the_workdir(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    secret_token = "ghp_e2eSECRETtoken0123456789"
    bot = start_remote_bot(
        tmp_path, fake, remote, "a", extra_env={"BATCHBOT_GIT_TOKEN": secret_token,
                                                "BATCHBOT_LOG_LEVEL": "DEBUG"},
    )  # fmt: skip
    with running(bot):
        bot.slash("update batch-1 progress=3", key="k")
        bot.reply("k")
    assert secret_token not in bot.logs()
    for path in bot.workdir.rglob("*"):
        if path.is_file() and path.stat().st_size < 1_000_000:
            assert secret_token.encode() not in path.read_bytes()


def test_serve_refuses_local_mode_outside_a_git_checkout(tmp_path: Path, fake: FakeSlack) -> None:
    import subprocess
    import sys

    plan = tmp_path / "plan.toml"
    shutil.copy(Path(__file__).resolve().parents[2] / PLAN, plan)
    env = clean_env()
    env |= {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "x",
        "SLACK_API_URL": fake.url,
        "EXECUTION_PLAN_PATH": str(plan),
    }
    exe = Path(sys.executable).with_name("batchbot")
    proc = subprocess.run(
        [str(exe), "serve"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 1
    assert "not in a git repository" in proc.stderr and "BATCHBOT_GIT_URL" in proc.stderr
    assert "Traceback" not in proc.stderr
    # --plan names the plan for `serve` as for every other command (it used to be ignored)
    env.pop("EXECUTION_PLAN_PATH")
    for args in (["serve", "--plan", str(plan)], ["--plan", str(plan), "serve"]):
        proc = subprocess.run(
            [str(exe), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
        )
        assert proc.returncode == 1
        assert f"{plan} is not in a git repository" in proc.stderr


def test_the_friday_job_in_remote_mode_archives_the_report_on_the_remote(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    import subprocess
    import sys

    env = clean_env()
    env.pop("EXECUTION_PLAN_PATH", None)
    env |= {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": fake.url,
        "BATCHBOT_GIT_URL": str(remote),
        "BATCHBOT_WORKDIR": str(tmp_path / "jobs-work"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
        "BATCHBOT_REPORT_CHANNEL": "C0REPORT",
        "BATCHBOT_TIMEZONE": "Europe/Berlin",
    }
    exe = Path(sys.executable).with_name("batchbot")
    run = subprocess.run(
        [str(exe), "jobs", "run", "weekly-report", "--at", "2026-11-27T15:00:00+01:00"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "posted to C0REPORT" in run.stdout
    assert "plan/reports/2026-W48.md" in git(remote, "show", "--stat", "main")


def test_the_cli_imports_and_updates_through_the_remote_when_git_url_is_set(
    tmp_path: Path, remote: Path
) -> None:
    from tests.conftest import OLD_JSON, run_cli

    env = {
        "BATCHBOT_GIT_URL": str(remote),
        "BATCHBOT_WORKDIR": str(tmp_path / "cli-work"),
        "BATCHBOT_PLAN_FILE": "plan/imported.toml",
    }
    imported = run_cli("import", str(OLD_JSON), "--author", "Ana <ana@x.io>", env=env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "[[batches]]" in git(remote, "show", "main:plan/imported.toml")
    updated = run_cli("update", "batch-1", "progress=12", "--author", "Ana <ana@x.io>", env=env,
                      cwd=tmp_path)  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    assert "progress = 12" in git(remote, "show", "main:plan/imported.toml")
    assert git(remote, "log", "-1", "--format=%an", "main").strip() == "Ana"


def test_a_write_acked_on_one_instance_is_read_on_the_other_within_a_second(
    tmp_path: Path, fake: FakeSlack, remote: Path
) -> None:
    """A load balancer sends the update to A and the next status to B (issue 19 item 5): B
    syncs only every 30 s, so only the tip shared through the database makes it current."""
    a = start_remote_bot(tmp_path, fake, remote, "a", sync_seconds=30)
    b = start_remote_bot(tmp_path, fake, remote, "b", sync_seconds=30)
    with running(a, b):
        b.slash("status batch-1", key="before")
        assert "read-your-write" not in text_of(b.reply("before"))
        a.slash("update batch-1 notes=read-your-write", key="write")
        assert '"in_channel"' in text_of(a.reply("write"))
        started = time.monotonic()
        b.slash("status batch-1", key="after")
        assert "read-your-write" in text_of(b.reply("after"))
        assert time.monotonic() - started < 1.5
