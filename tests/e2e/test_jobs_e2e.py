"""Scheduled work through the real entry points: `batchbot jobs …` and two `batchbot serve`
processes sharing one database (the scheduler ticks in both; the claims let one act)."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import clean_env, git
from tests.e2e.test_slack_e2e import TOKEN, start_bot
from tests.fakeslack import FakeSlack
from tests.serveproc import run_batchbot

pytestmark = pytest.mark.e2e


def _jobs(tmp: Path, plan: Path, fake: FakeSlack, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env()
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake.url,
            "EXECUTION_PLAN_PATH": str(plan),
            "DATABASE_URL": f"sqlite:///{tmp / 'jobs.db'}",
            "BATCHBOT_REPORT_CHANNEL": "C0REPORT",
            "BATCHBOT_TIMEZONE": "Europe/Berlin",
            "BATCHBOT_TEAM": "U0ALICE",
        }
    )
    return run_batchbot(["jobs", *args], cwd=tmp, env=env, timeout=60)


def test_jobs_run_weekly_report_posts_once_then_says_so(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    at = "2026-11-27T15:00:00+01:00"
    first = _jobs(tmp_path, plan_file, fake, "run", "weekly-report", "--at", at)
    assert first.returncode == 0, first.stderr
    assert "posted to C0REPORT" in first.stdout
    posts = [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "C0REPORT"]
    assert len(posts) == 1 and "DRAFT" in posts[0].args["text"]
    assert "plan/reports/2026-W48.md" in git(plan_file.parent.parent, "show", "--stat", "HEAD")
    again = _jobs(tmp_path, plan_file, fake, "run", "weekly-report", "--at", at)
    assert again.returncode == 0
    assert "already posted" in again.stdout
    assert (
        len([c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "C0REPORT"]) == 1
    )
    forced = _jobs(tmp_path, plan_file, fake, "run", "weekly-report", "--at", at, "--force")
    assert forced.returncode == 0 and "posted to C0REPORT" in forced.stdout


def test_jobs_run_outside_the_grace_window_posts_nothing(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    result = _jobs(
        tmp_path, plan_file, fake, "run", "weekly-report", "--at", "2026-11-29T12:00:00+01:00"
    )
    assert "outside the grace window" in result.stdout + result.stderr
    assert not fake.calls_to("chat.postMessage")


def test_jobs_list_shows_next_runs_in_utc_and_the_team_zone(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    result = _jobs(tmp_path, plan_file, fake, "list")
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("weekly-report"))
    assert "UTC" in line and "Europe/Berlin" in line and "Fri" in line


def test_jobs_refuse_a_bad_instant_and_an_unknown_job(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    bad = _jobs(tmp_path, plan_file, fake, "run", "weekly-report", "--at", "friday")
    assert bad.returncode == 2 and "ISO-8601" in bad.stderr
    unknown = _jobs(tmp_path, plan_file, fake, "run", "weekly-reprot")
    assert unknown.returncode == 2 and "standup-prompts" in unknown.stderr


def test_two_servers_on_one_database_prompt_each_person_once(
    tmp_path: Path, fake: FakeSlack
) -> None:
    ny = dt.datetime.now(ZoneInfo("America/New_York"))
    prompt_at = ny - dt.timedelta(minutes=1)
    if prompt_at.date() != ny.date():
        pytest.skip("New York is in its first minute of the day; the prompt would be yesterday's")
    env = {
        "BATCHBOT_SCHEDULER": "true",
        "BATCHBOT_TEAM": "U0ALICE",
        "BATCHBOT_WORKDAYS": "mon,tue,wed,thu,fri,sat,sun",
        "BATCHBOT_STANDUP_TIME": f"{prompt_at:%H:%M}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}",
    }
    one = start_bot(tmp_path / "a", fake, extra_env=env)
    two = start_bot(tmp_path / "b", fake, extra_env=env)
    try:
        dms = fake.wait_for("chat.postMessage", 1, timeout=20)
        assert dms[0].args["channel"] == "DU0ALICE"
        import time

        time.sleep(3)  # both schedulers have run their start-up catch-up by now
        prompts = [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "DU0ALICE"]
        assert len(prompts) == 1
    finally:
        for bot in (one, two):
            bot.proc.terminate()
            bot.proc.wait(10)
