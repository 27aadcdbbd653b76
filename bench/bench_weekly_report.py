"""Benchmark building the weekly report at scale: goal under 500 ms.

Why: the Friday job, `/batch weekly` and `batchbot weekly` all build the report on demand;
after a year a plan may have 1,000 batches, hundreds of commits and 13,000 standups.

Setup (not timed): a temp git repo whose plan has 1,000 batches and a year of history —
COMMITS_PER_WEEK batch/metric changes in each of 52 weeks, with the same commit messages
and `Batchbot-Change:` trailers PlanStore writes, fed through `git fast-import` so setup
takes seconds — and a SQLite file (bot.db.Database) holding 50 people × 260 workdays of
standups. Timed: what the Friday job does for the last week of the year — read the week
from git (`collect_week`), load that week's standups, `build_report`, `to_markdown`.

    python bench/bench_weekly_report.py [--runs 15] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bot.db import Database, standups
from bot.plan import codec
from bot.plan.edits import update_batch, update_metrics
from bot.plan.model import Batch, Plan, Program
from bot.plan.store import Actor, PlanStore, commit_message
from bot.render.report_markdown import to_markdown
from bot.report.weekly import StandupWeek, build_report, collect_week

BATCHES = 1000
WEEKS = 52
COMMITS_PER_WEEK = 12
PEOPLE = 50
GOAL_MS = 500.0
ZONE = ZoneInfo("Europe/Berlin")
START = dt.date(2025, 1, 6)  # a Monday; the program's Week 1
NAMES = [f"Person {i:02d}" for i in range(PEOPLE)]


def initial_plan() -> Plan:
    base = codec.read(Path(__file__).resolve().parent.parent / "plan" / "execution-plan.toml")
    batches = []
    for i in range(1, BATCHES + 1):
        week = (i * WEEKS) // BATCHES + 1
        batches.append(
            Batch(
                id=f"batch-{i}",
                name=f"Workstream {i}",
                priority=("P0", "P1", "P2", "P3")[i % 4],
                status="queued" if i > 1 else "not-started",
                targetDate=f"Week {week}–{week + 1}",
                owner=NAMES[i % PEOPLE],
                blockers=(f"batch-{i - 1}",) if i > 1 and i % 10 else (),
                notes=f"Scope of workstream {i}: services, tests and rollout",
            )
        )
    return dataclasses.replace(
        base, program=Program(name="Bench program", start=START), batches=tuple(batches)
    )


def _fast_import_commit(
    out: list[bytes], ref: str, mark: int, when: dt.datetime, actor: Actor, message: str, text: str
) -> None:
    stamp = f"{int(when.timestamp())} +0000"
    data = text.encode()
    msg = message.encode()
    who = f"{actor.name} <{actor.email}>".encode()
    out.append(b"blob\nmark :%d\ndata %d\n%s\n" % (2 * mark, len(data), data))
    out.append(
        b"commit %s\nmark :%d\nauthor %s %s\ncommitter %s %s\ndata %d\n%s\n"
        % (ref.encode(), 2 * mark + 1, who, stamp.encode(), who, stamp.encode(), len(msg), msg)
    )
    if mark > 1:
        out.append(b"from :%d\n" % (2 * mark - 1))
    out.append(b"M 100644 :%d plan/execution-plan.toml\n\n" % (2 * mark))


def make_repo(root: Path, seed: int = 7) -> tuple[Path, int]:
    """A git repo with a year of plan history; returns (plan path, number of commits)."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    plan = initial_plan()
    stream: list[bytes] = []
    actors = [Actor(n, f"p{i}@example.com") for i, n in enumerate(NAMES)]
    first = dt.datetime.combine(START - dt.timedelta(days=3), dt.time(9), tzinfo=ZONE)
    mark = 1
    _fast_import_commit(
        stream,
        "refs/heads/main",
        mark,
        first,
        actors[0],
        "Initial plan\n",
        codec.dumps(plan, as_json=False),
    )
    next_open = 1  # batches are worked on roughly in order
    for week in range(WEEKS):
        monday = START + dt.timedelta(days=7 * week)
        for n in range(COMMITS_PER_WEEK):
            when = dt.datetime.combine(
                monday + dt.timedelta(days=n % 5),
                dt.time(9 + n % 8, rng.randrange(60)),
                tzinfo=ZONE,
            )
            actor = rng.choice(actors)
            if n == COMMITS_PER_WEEK - 1:
                pairs = [
                    ("prsMerged", str(rng.randrange(5, 40))),
                    ("ciPassRate", str(rng.randrange(85, 100))),
                ]
                new, changes = update_metrics(plan, pairs)
            else:
                i = min(BATCHES, next_open + rng.randrange(0, 25))
                batch = plan.batch(f"batch-{i}")
                assert batch is not None
                if batch.status == "done":
                    continue
                progress = min(100, batch.progress + rng.randrange(10, 50))
                pairs = (
                    [("status", "done")]
                    if progress >= 100
                    else [("status", "in-progress"), ("progress", str(progress))]
                )
                new, changes = update_batch(plan, batch.id, pairs)
                while (b := new.batch(f"batch-{next_open}")) is not None and b.status == "done":
                    next_open += 1
            if not changes:
                continue
            mark += 1
            message = commit_message(new, changes, actor, "slack")
            _fast_import_commit(
                stream,
                "refs/heads/main",
                mark,
                when,
                actor,
                message,
                codec.dumps(new, as_json=False),
            )
            plan = new
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)
    return root / "plan" / "execution-plan.toml", mark


def fill_standups(db: Database, seed: int = 11) -> int:
    rng = random.Random(seed)
    rows = []
    for week in range(WEEKS):
        for d in range(5):
            day = START + dt.timedelta(days=7 * week + d)
            for p, name in enumerate(NAMES):
                text = rng.choice(
                    [
                        f"Finished part {rng.randrange(9)} of my batch. Reviewing PRs next.",
                        "Blocked on staging credentials. Need help from ops today.",
                        "Paired on the migration. Writing tests for it now.",
                    ]
                )
                rows.append(
                    {
                        "user_id": f"U{p:08d}",
                        "user_name": name,
                        "local_date": day,
                        "text": text,
                        "submitted_at": dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC),
                        "source": "dm",
                    }
                )
    with db.engine.begin() as conn:
        conn.execute(insert(standups), rows)
    return len(rows)


def build_once(store: PlanStore, db: Database, now: dt.datetime) -> str:
    plan = store.load()
    data = collect_week(store, plan, None, now)
    recs = db.standups_between(data.week.start, data.week.end)
    team = tuple(f"U{p:08d}" for p in range(PEOPLE))
    report = build_report(data, now, StandupWeek(recs, team))
    return to_markdown(report)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
        plan_path, commits = make_repo(Path(tmp) / "repo")
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        rows = fill_standups(db)
        print(
            f"setup: {BATCHES} batches, {commits} commits over {WEEKS} weeks, "
            f"{rows} standups in {time.perf_counter() - t0:.1f} s"
        )
        # Friday 15:00 of the last week; the plan cache is per PlanStore, so a fresh store
        # per run measures what a new `batchbot weekly` process pays.
        friday = START + dt.timedelta(days=7 * (WEEKS - 1) + 4)
        now = dt.datetime.combine(friday, dt.time(15), tzinfo=ZONE)
        times = []
        markdown = ""
        for _ in range(args.runs):
            store = PlanStore(plan_path)
            t = time.perf_counter()
            markdown = build_once(store, db, now)
            times.append((time.perf_counter() - t) * 1000)
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            build_once(PlanStore(plan_path), db, now)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(20)
        db.close()
    times.sort()
    median = statistics.median(times)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    lines = markdown.count("\n")
    print(
        f"weekly report (collect_week + standups + build_report + to_markdown), "
        f"{args.runs} runs: median {median:.0f} ms, p95 {p95:.0f} ms, min {times[0]:.0f} ms "
        f"({lines} markdown lines)"
    )
    ok = p95 < GOAL_MS
    print(f"goal p95 < {GOAL_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
