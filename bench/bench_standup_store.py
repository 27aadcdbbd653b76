"""Benchmark the standup store at a realistic one-year scale.

Why: the weekly report and "show my history" must stay instant after a year of
updates. This stores 50 people x 260 workdays (13,000 updates, the way the bot does
it: one ``save_standup`` per answer), then times the weekly query (``standups_between``
for one Mon-Fri week) and one person's history.

    python bench/bench_standup_store.py                 # fresh SQLite file in a temp dir
    python bench/bench_standup_store.py --url postgresql://postgres@127.0.0.1:5432/bench

With --url the database should be empty (rows are upserted, so reruns still work).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.db import Database

PEOPLE = 50
WORKDAYS = 260
FIRST_MONDAY = date(2024, 1, 1)
GOAL_MS = 20.0

_DONE = [
    "Finished the CSV importer for batch {n}",
    "Fixed the flaky login test on CI",
    "Reviewed {n} pull requests for the billing service",
    "Paired with the data team on the schema migration",
    "Shipped v1.{n}.2 of the mobile app to beta testers",
    "Cut the report query from 2.5 s to 300 ms",
    "Wrote the runbook for the on-call rotation",
]
_NEXT = [
    "Today I start on the exporter",
    "Next up is load testing the queue with {n}k messages",
    "Today I'm writing docs for the public API",
    "Planning to close the remaining {n} bugs in batch 3",
    "I'll pair with Ana on the search ranking",
]
_BLOCKERS = [
    "No blockers.",
    "Blocked on the vendor's sandbox credentials.",
    "Waiting for design sign-off, e.g. on the empty states.",
    "",
]


def _text(rng: random.Random) -> str:
    """A realistic 2–3 sentence update."""
    n = rng.randint(2, 19)
    parts = [rng.choice(_DONE).format(n=n) + ".", rng.choice(_NEXT).format(n=n) + "."]
    blocker = rng.choice(_BLOCKERS)
    if blocker:
        parts.append(blocker)
    return " ".join(parts)


def _workdays(count: int) -> Iterator[date]:
    day = FIRST_MONDAY
    produced = 0
    while produced < count:
        if day.weekday() < 5:
            yield day
            produced += 1
        day += timedelta(days=1)


def _timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Wall time of each call in milliseconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _pct(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def run(url: str, runs: int) -> bool:
    """Fill the store, time the queries, print the figures; True if within goal."""
    rng = random.Random(42)
    users = [(f"U{index:08d}", f"person{index}") for index in range(PEOPLE)]
    days = list(_workdays(WORKDAYS))
    db = Database(url)
    try:
        print(f"backend {db.backend}")
        start = time.perf_counter()
        for day in days:
            for user_id, name in users:
                submitted = datetime.combine(day, dtime(8, rng.randint(0, 59)), tzinfo=UTC)
                db.save_standup(user_id, name, day, _text(rng), submitted, "dm")
        elapsed = time.perf_counter() - start
        rows = len(days) * len(users)
        print(
            f"inserted {rows:,} updates in {elapsed:.1f} s "
            f"({rows / elapsed:,.0f} per s, {elapsed / rows * 1000:.2f} ms each)"
        )

        mondays = [day for day in days if day.weekday() == 0]
        monday = mondays[len(mondays) // 2]
        friday = monday + timedelta(days=4)
        week = db.standups_between(monday, friday)
        assert len(week) == 5 * PEOPLE, len(week)
        weekly = _timed(lambda: db.standups_between(monday, friday), runs)
        print(
            f"weekly query ({len(week)} rows) p50 {_pct(weekly, 50):.1f} ms "
            f"p99 {_pct(weekly, 99):.1f} ms (goal < {GOAL_MS:.0f} ms)"
        )

        person = users[PEOPLE // 2][0]
        history = db.standups_between(days[0], days[-1], user_id=person)
        assert len(history) == WORKDAYS, len(history)
        full = _timed(lambda: db.standups_between(days[0], days[-1], user_id=person), runs)
        print(
            f"one person's year ({len(history)} rows) p50 {_pct(full, 50):.1f} ms "
            f"p99 {_pct(full, 99):.1f} ms"
        )
        recent = _timed(lambda: db.standup_dates(person, limit=30), runs)
        print(
            f"one person's last 30 dates p50 {_pct(recent, 50):.1f} ms "
            f"p99 {_pct(recent, 99):.1f} ms"
        )
        return _pct(weekly, 99) < GOAL_MS
    finally:
        db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: fresh SQLite file in a temp dir)")
    parser.add_argument("--runs", type=int, default=500, help="timed repetitions per query")
    args = parser.parse_args(argv)
    if args.url:
        return 0 if run(args.url, args.runs) else 1
    with tempfile.TemporaryDirectory(prefix="batchbot-bench-") as tmp:
        return 0 if run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
