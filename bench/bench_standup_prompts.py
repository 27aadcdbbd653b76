"""Benchmark the standup prompt job for a 50-person team against the fake Slack Web API.

Why: at 09:30 everyone in one region is due at the same scheduler tick. The job must look
up 50 profiles (users.info, first run of the day), claim 50 once-only rows and send 50 DMs
well inside a minute, with Slack's rate limiting on, or the next tick overlaps it. Goal:
one cold run (nothing cached) under 10 s.

Setup: ``FakeSlack(rate_limit_per_channel=1.0)`` on loopback (DMs go to distinct channels
``D<user>``), a real ``slack_sdk.WebClient`` with ``RateLimitErrorRetryHandler``, the
test suite's ``WebClientMessenger`` adapter, a fresh SQLite file (or ``--url``), and
50 people spread over London, Lisbon, Berlin, Lagos, Helsinki and Johannesburg so all of
them are due at 09:30 UTC with a 180-minute grace window.

Scenarios, each on a fresh database and a fresh fake:

* cold — the first run of the day: 50 × users.info, 50 claims, 50 DMs;
* rerun — the same instant again (a second process, a hand-run ``jobs run``): sends nothing;
* cold, 5 DMs answered 429 (Retry-After: 1) — the retry handler waits and the job still
  sends all 50;
* cold, one send thread — the same job with ``send_workers = 1``, for comparison;
* a whole day of ticks — both jobs every minute for 24 h after the cold run.

    python bench/bench_standup_prompts.py
    python bench/bench_standup_prompts.py --url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
    os.environ.pop(_var, None)  # slack_sdk would send loopback calls through a proxy

from slack_sdk import WebClient  # noqa: E402
from slack_sdk.http_retry.builtin_handlers import (  # noqa: E402
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.db import Database, normalize_url  # noqa: E402
from bot.runtime import standup_config  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.standup.service import Standups, build_standups  # noqa: E402
from tests.fakeslack import FakeSlack  # noqa: E402
from tests.test_standup_service import WebClientMessenger  # noqa: E402

PEOPLE = 50
GOAL_S = 10.0
TOKEN = "xoxb-bench"
ZONES = (
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Africa/Lagos",
    "Europe/Helsinki",
    "Africa/Johannesburg",
)
AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # a Tuesday


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def _users() -> dict[str, dict[str, Any]]:
    return {
        f"U{n:08d}": {"name": f"person{n}", "real_name": f"Person {n}", "tz": ZONES[n % 6]}
        for n in range(PEOPLE)
    }


def _settings(users: dict[str, dict[str, Any]]) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        BATCHBOT_TEAM=",".join(users),
        BATCHBOT_STANDUP_CHANNEL="CSTANDUP",
        BATCHBOT_TIMEZONE="Europe/London",
        BATCHBOT_PROMPT_GRACE_MINUTES="180",
    )


class _Databases:
    """Fresh databases: SQLite files in a temp dir, or new PostgreSQL databases by --url."""

    def __init__(self, admin_url: str | None, tmp: Path) -> None:
        self.admin_url = admin_url
        self.tmp = tmp
        self.made: list[str] = []

    def new(self) -> Database:
        if self.admin_url is None:
            return Database(f"sqlite:///{self.tmp / f'{uuid.uuid4().hex}.db'}")
        name = f"bench_{uuid.uuid4().hex[:12]}"
        engine = create_engine(normalize_url(self.admin_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        self.made.append(name)
        return Database(make_url(self.admin_url).set(database=name))

    def drop_all(self) -> None:
        if self.admin_url is None or not self.made:
            return
        engine = create_engine(normalize_url(self.admin_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in self.made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _calls(fake: FakeSlack) -> str:
    counts = Counter(c.method for c in fake.calls)
    limited = sum(1 for c in fake.calls if c.status == 429)
    parts = [f"{m} {n}" for m, n in sorted(counts.items()) if m != "auth.test"]
    return ", ".join(parts) + f"; 429 answers {limited}"


def _scenario(
    dbs: _Databases, label: str, *, fail_429: int = 0, workers: int | None = None
) -> tuple[float, Standups, FakeSlack, Database]:
    users = _users()
    fake = FakeSlack(token=TOKEN, users=users, rate_limit_per_channel=1.0).start()
    client = WebClient(
        token=TOKEN,
        base_url=fake.url,
        retry_handlers=[
            ConnectionErrorRetryHandler(),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )
    messenger = WebClientMessenger(client)
    db = dbs.new()
    clock = Clock(AT)
    service = build_standups(
        db=db, messenger=messenger, config=standup_config(_settings(users)), clock=clock
    )
    if workers is not None:
        service.prompts.send_workers = workers
    if fail_429:
        fake.fail_next("chat.postMessage", status=429, retry_after=1, times=fail_429)
    start = time.perf_counter()
    result = service.prompts.run_prompts(AT)
    wall = time.perf_counter() - start
    assert result.sent == PEOPLE and result.failed == 0, result
    print(f"{label}: {wall:.2f} s wall, {result.sent} sent; calls: {_calls(fake)}")
    return wall, service, fake, db


def run(admin_url: str | None) -> bool:
    with tempfile.TemporaryDirectory(prefix="batchbot-bench-") as tmp:
        dbs = _Databases(admin_url, Path(tmp))
        try:
            backend = "postgresql" if admin_url else "sqlite"
            print(f"people {PEOPLE}; backend {backend}; goal cold run < {GOAL_S:.0f} s")
            cold, service, fake, db = _scenario(dbs, "cold run")
            before = len(fake.calls)
            start = time.perf_counter()
            again = service.prompts.run_prompts(AT)
            rerun = time.perf_counter() - start
            print(
                f"rerun at the same instant: {rerun * 1000:.0f} ms wall, {again.sent} sent, "
                f"{again.skipped} skipped, {len(fake.calls) - before} calls"
            )
            start = time.perf_counter()
            ticks, sent = 0, Counter[str]()
            at = AT + timedelta(minutes=1)
            while at < AT + timedelta(hours=24):
                assert isinstance(service.clock, Clock)
                service.clock.now = at
                for result in (service.prompts.run_prompts(at), service.prompts.run_reminders(at)):
                    sent[result.job] += result.sent
                ticks += 1
                at += timedelta(minutes=1)
            day = time.perf_counter() - start
            print(
                f"a day of ticks ({ticks} x prompts + reminders): {day:.2f} s wall, "
                f"{day / ticks * 1000:.2f} ms per tick, "
                f"reminders sent {sent['standup-reminders']}, "
                f"next day's prompts sent {sent['standup-prompts']} (zones due before 09:30 UTC)"
            )
            fake.stop()
            db.close()

            limited, _, fake2, db2 = _scenario(dbs, "cold run, 5 DMs answered 429", fail_429=5)
            fake2.stop()
            db2.close()
            _single, _, fake3, db3 = _scenario(dbs, "cold run, one send thread", workers=1)
            fake3.stop()
            db3.close()
            worst = max(cold, limited)
            print(f"worst cold run {worst:.2f} s (goal < {GOAL_S:.0f} s)")
            return worst < GOAL_S and again.sent == 0
        finally:
            dbs.drop_all()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL admin URL (default: SQLite files in a temp dir)")
    args = parser.parse_args(argv)
    return 0 if run(args.url) else 1


if __name__ == "__main__":
    raise SystemExit(main())
