"""Acks never wait (issue 12 items 1 and 11), through the real `batchbot serve` process.

Before the fix, 24 commands whose response_url answered slowly, or a burst of updates while
each git step took 1.5 s, filled Bolt's listener pool and later requests — `/batch status`
included — got HTTP 404 after 3 s. And SIGTERM with updates in flight logged "cannot schedule
new futures after shutdown" and dropped their App Home refresh.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import git
from tests.e2e.test_slack_e2e import TOKEN, USERS, running, start_bot
from tests.fakeslack import FakeSlack

pytestmark = pytest.mark.e2e
REAL_GIT = shutil.which("git") or "/usr/bin/git"


def slow_git_env(tmp: Path, step: str, seconds: float) -> dict[str, str]:
    """PATH with a `git` whose `step` (e.g. update-ref: the commit itself) takes `seconds`."""
    folder = tmp / "slowgit"
    folder.mkdir(exist_ok=True)
    (folder / "git").write_text(
        f'#!/bin/sh\nif [ "$1" = "{step}" ]; then sleep {seconds}; fi\nexec {REAL_GIT} "$@"\n'
    )
    (folder / "git").chmod(0o755)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}


@pytest.fixture
def fake() -> FakeSlack:
    with FakeSlack(token=TOKEN, team_id="T0TEAM", users=USERS) as f:
        yield f  # type: ignore[misc]


def test_acks_stay_fast_while_response_urls_and_git_are_slow(
    tmp_path: Path, fake: FakeSlack
) -> None:
    fake.response_delay = 6.0
    bot = start_bot(tmp_path, fake, extra_env=slow_git_env(tmp_path, "update-ref", 1.5))
    with running(bot):
        before = bot.commits()
        requests = [("status", f"s{i}") for i in range(24)]
        requests += [(f"update batch-{i % 5 + 1} notes=n{i}", f"u{i}") for i in range(8)]
        requests += [("status", f"late{i}") for i in range(10)]

        def send(item: tuple[str, str]) -> tuple[int, float]:
            started = time.perf_counter()
            status, _ = bot.slash(item[0], key=item[1])
            return status, time.perf_counter() - started

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(send, requests))
        assert all(status == 200 for status, _ in results), results
        # Before the fix these waited 3 s and got 404. The < 1 s p99 figure is the bench's
        # (bench/bench_faults.py); here a loaded CI host gets headroom, not a pass for 404s.
        assert max(seconds for _, seconds in results) < 2.0, results
        for _, key in requests:  # nothing lost: every command answered, once
            assert len(fake.wait_for_response(key, 1, timeout=60)) == 1
        assert bot.commits() == before + 8


def test_sigterm_finishes_the_updates_in_flight(tmp_path: Path, fake: FakeSlack) -> None:
    bot = start_bot(tmp_path, fake, extra_env=slow_git_env(tmp_path, "update-ref", 0.5))
    before = bot.commits()
    with running(bot):
        for i in range(4):
            assert bot.slash(f"update batch-1 notes=term{i}", key=f"t{i}")[0] == 200
        bot.proc.send_signal(signal.SIGTERM)
        assert bot.proc.wait(30) == 0
    assert bot.commits() == before + 4
    for i in range(4):
        assert len([r for r in fake.responses if r.name == f"t{i}"]) == 1
    assert "cannot schedule new futures" not in bot.logs()
    assert "term3" in git(bot.repo, "log", "--format=%B")


def test_a_full_queue_answers_busy_at_once_and_does_nothing(
    tmp_path: Path, fake: FakeSlack
) -> None:
    env = {**slow_git_env(tmp_path, "update-ref", 2.0), "BATCHBOT_QUEUE_SIZE": "1"}
    bot = start_bot(tmp_path, fake, extra_env=env)
    with running(bot):
        before = bot.commits()
        assert bot.slash("update batch-1 notes=first", key="q1")[0] == 200
        time.sleep(0.3)  # the first is now inside its slow commit, holding the only slot
        started = time.perf_counter()
        status, body = bot.slash("update batch-2 notes=second", key="q2")
        assert status == 200 and time.perf_counter() - started < 1.0
        assert b"busy" in body and b"nothing was done" in body
        fake.wait_for_response("q1", 1, timeout=30)
        assert bot.commits() == before + 1
        assert "second" not in bot.plan.read_text()
