"""Logs a host can index: scheduled jobs named for what they run, APScheduler's per-tick lines
quiet, and `BATCHBOT_LOG_FORMAT=json` as one JSON object per line with tokens masked."""

from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.jobs import JOBS, start_scheduler
from bot.logs import setup_logging
from bot.messenger import ConsoleMessenger
from bot.runtime import build_runtime
from bot.settings import Settings
from tests.conftest import ROOT, clean_env


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.NOTSET)


def test_json_log_lines_are_one_object_each_with_tokens_masked(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    setup_logging("INFO", "json")
    log = logging.getLogger("batchbot.test")
    log.info("token %s in a message", "xoxb-123-456-abcdef")
    try:
        raise RuntimeError("boom with xapp-1-A0-secret")
    except RuntimeError:
        log.exception("it failed")
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"time", "level", "logger", "message"}
    assert (first["level"], first["logger"]) == ("INFO", "batchbot.test")
    assert first["message"] == "token xox…[redacted] in a message"
    assert first["time"].endswith("+00:00")
    assert second["message"] == "it failed" and "RuntimeError" in second["exc"]
    assert "secret" not in lines[1]


def test_text_log_masks_tokens_in_tracebacks_too(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    setup_logging("INFO")
    try:
        raise RuntimeError("xoxb-1-2-secret")
    except RuntimeError:
        logging.getLogger("batchbot").exception("failed")
    err = capsys.readouterr().err
    assert "INFO" not in err and "ERROR batchbot: failed" in err
    assert "secret" not in err


def test_jobs_run_writes_json_logs_when_asked(plan_file: Path, tmp_path: Path) -> None:
    env = clean_env()
    env.update(
        {
            "EXECUTION_PLAN_PATH": str(plan_file),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
            "BATCHBOT_REPORT_CHANNEL": "#delivery",
            "BATCHBOT_LOG_FORMAT": "json",
        }
    )
    at = "2026-11-27T15:00:00+00:00"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "jobs", "run", "weekly-report", "--at", at],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stderr.strip().splitlines()]
    assert any(
        e["logger"] == "batchbot.jobs" and e["message"].startswith("job weekly-report")
        for e in entries
    ), entries


def test_scheduled_jobs_are_named_and_apscheduler_ticks_are_quiet(
    plan_file: Path, tmp_path: Path, restore_logging: None
) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    root.handlers[:] = [Keep()]
    root.setLevel(logging.INFO)
    plan = tmp_path / "plan.toml"
    shutil.copy(plan_file, plan)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, execution_plan_path=plan, database_url=f"sqlite:///{tmp_path / 'b.db'}"
    )
    rt = build_runtime(settings, ConsoleMessenger(out=io.StringIO()))
    scheduler = start_scheduler(rt)
    try:
        names = {job.id: job.name for job in scheduler.get_jobs()}
        deadline = time.monotonic() + 10
        while scheduler.get_job("standup-prompts-start") and time.monotonic() < deadline:
            time.sleep(0.05)  # the catch-up run at start has run once it is gone
        assert scheduler.get_job("standup-prompts-start") is None
    finally:
        scheduler.shutdown(wait=True)
        rt.db.close()
    assert set(names.values()) <= set(JOBS), names
    assert names["weekly-report"] == "weekly-report"
    chatter = [r.getMessage() for r in records if r.name.startswith("apscheduler")]
    assert chatter == []
    assert any("scheduler started" in r.getMessage() for r in records)
