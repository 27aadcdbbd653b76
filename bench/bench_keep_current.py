"""Benchmark the plan keeping itself current (issue 21): linked progress and the nudge job.

1. **Linked progress**: 10 batches linked to milestones and labels of a busy repository
   (2,000 issues and pull requests; each link holds 30–60 of them), measured by
   `GitHubAdapter.linked` — real PyGithub over HTTP against the fake GitHub on loopback,
   counting the requests the fake received. Goal: <= 40 API calls, < 5 s.
2. **The daily nudge job**: 20 plans × 10 batches (each with a git history that makes some
   late and some stalled, and a blocker past due), one shared database, the fake Slack Web
   API receiving every DM. Timed: `run_nudges` over all 20 plans, first run (everything new)
   and a second run (everything already said). Goal: < 5 s.

    python bench/bench_keep_current.py [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.db import Database
from bot.github import GitHubConfig
from bot.github.client import GitHubAdapter
from bot.plan.link_edits import link_batch
from bot.plan.store import Actor, PlanStore
from bot.report.nudge_job import run_nudges
from bot.settings import load_settings
from tests.fakegithub import FakeGitHub
from tests.fakeslack import FakeSlack

REPO = "acme/shop"
TOKEN = "ghp_bench_linked"
SLACK_TOKEN = "xoxb-bench"
ZONE = ZoneInfo("Europe/Berlin")
WHEN = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parent.parent


def busy_repo(fake: FakeGitHub) -> dict[str, tuple[str, str]]:
    """2,000 items; links for 10 batches (6 milestones, 4 labels) holding 30–60 items each."""
    fake.add_repo(REPO)
    links: dict[str, tuple[str, str]] = {}
    for m in range(6):
        fake.add_milestone(REPO, f"M{m}")
        links[f"batch-{m + 1}"] = (f"M{m}", "")
    for lab in range(4):
        links[f"batch-{lab + 7}"] = ("", f"area-{lab}")
    n = 0
    for m in range(6):
        for k in range(30 + 5 * m):
            pull = k % 3 == 0
            state = "closed" if k % 2 else "open"
            merged = WHEN if pull and state == "closed" else None
            fake.add_issue(REPO, created=WHEN, pull=pull, merged=merged, state=state,
                           milestone=f"M{m}")  # fmt: skip
            n += 1
    for lab in range(4):
        for k in range(40 + 5 * lab):
            fake.add_issue(REPO, created=WHEN, labels=(f"area-{lab}",),
                           state="closed" if k % 3 else "open")  # fmt: skip
            n += 1
    while n < 2000:
        fake.add_issue(REPO, created=WHEN, state="closed" if n % 2 else "open")
        n += 1
    return links


def bench_linked(runs: int) -> None:
    from bot.plan.links import BatchLink

    with FakeGitHub({TOKEN: {"issues:write"}}) as fake:
        spec = busy_repo(fake)
        links = {b: BatchLink(milestone=m, label=lab) for b, (m, lab) in spec.items()}
        times, calls = [], []
        for _ in range(runs):
            adapter = GitHubAdapter(GitHubConfig(repo=REPO, token=TOKEN, api_url=fake.url))
            before = len(fake.calls)
            t0 = time.perf_counter()
            result = adapter.linked(links, WHEN)
            times.append(time.perf_counter() - t0)
            calls.append(len(fake.calls) - before)
            adapter.close()
            assert not result.failed, result.failed
            assert len(result.measured) == 10
    print("1. linked progress: 10 batches over a 2,000-item repository")
    print(f"   wall time  median {statistics.median(times):.2f} s, max {max(times):.2f} s "
          f"(goal < 5 s)")  # fmt: skip
    print(f"   API calls  {max(calls)} per collection (goal <= 40), incl. the repository lookup")


@dataclass
class Rt:
    settings: Any
    store: PlanStore
    clock: Any
    messenger: Any
    db: Database
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("bench"))
    owner: str = "bench"


def make_plans(tmp: Path, count: int) -> list[PlanStore]:
    """`count` plan repositories of 10 batches, with a history that makes nudges due."""
    seed = tmp / "seed"
    seed.mkdir()
    subprocess.run(["git", "init", "-q", str(seed)], check=True)
    (seed / "plan").mkdir()
    lines = ['[program]\nname = "Bench"\nstart = 2026-11-02\n']
    for i in range(1, 11):
        lines.append(
            f'[[batches]]\nid = "batch-{i}"\nname = "Batch {i}"\nstatus = "queued"\n'
            f'progress = 0\ntargetDate = "Week {i + 3}"\nowner = "<@U{i:08d}>"\n'
        )
    (seed / "plan" / "program.toml").write_text("\n".join(lines))
    env = ["-c", "user.name=b", "-c", "user.email=b@x"]
    subprocess.run(["git", *env, "-C", str(seed), "add", "-A"], check=True)
    subprocess.run(["git", *env, "-C", str(seed), "commit", "-qm", "seed"], check=True)
    stores = []
    for p in range(count):
        repo = tmp / f"p{p}"
        shutil.copytree(seed, repo)
        subprocess.run(["git", *env, "-C", str(repo), "mv", "plan/program.toml",
                        f"plan/p{p}.toml"], check=True)  # fmt: skip
        subprocess.run(["git", *env, "-C", str(repo), "commit", "-qm", "name"], check=True)
        clock = [dt.datetime(2026, 11, 23, 9, tzinfo=ZONE)]
        store = PlanStore(repo / "plan" / f"p{p}.toml", clock=lambda c=clock: c[0])
        actor = Actor("Lea")
        for i in range(1, 11):
            store.change(actor, _update(f"batch-{i}", "in-progress", 10))
        clock[0] = dt.datetime(2026, 11, 26, 9, tzinfo=ZONE)
        for i in range(1, 6):  # half move on (slowly: late), half stall
            store.change(actor, _update(f"batch-{i}", "in-progress", 14))
        store.change(actor, lambda plan: link_batch(plan, "batch-1", "M0", ""))
        stores.append(store)
    return stores


def _update(batch: str, status: str, progress: int) -> Any:
    from bot.plan.edits import update_batch

    return lambda plan: update_batch(plan, batch, [("status", status), ("progress", str(progress))])


def bench_nudges(runs: int) -> None:
    users = {f"U{i:08d}": {"name": f"u{i}", "real_name": f"U {i}", "tz": "Europe/Berlin"}
             for i in range(1, 11)}  # fmt: skip
    users["ULEAD0001"] = {"name": "lea", "real_name": "Lea", "tz": "Europe/Berlin"}
    first, again, sent = [], [], 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp, FakeSlack(token=SLACK_TOKEN, users=users) as sl:
            stores = make_plans(Path(tmp), 20)
            from slack_sdk import WebClient

            from bot.slack.messenger import SlackMessenger

            messenger = SlackMessenger(WebClient(token=SLACK_TOKEN, base_url=sl.url))
            settings = load_settings(
                _env_file=None,
                BATCHBOT_TIMEZONE="Europe/Berlin",
                BATCHBOT_LEAD="ULEAD0001",
                SLACK_API_URL=sl.url,
            )
            db = Database(f"sqlite:///{Path(tmp) / 'b.db'}")
            at = dt.datetime(2026, 12, 3, 10, 5, tzinfo=ZONE)  # Thursday
            rts = [Rt(settings, s, lambda at=at: at, messenger, db, owner=f"p{i}")
                   for i, s in enumerate(stores)]  # fmt: skip
            t0 = time.perf_counter()
            results = [run_nudges(rt, at) for rt in rts]
            first.append(time.perf_counter() - t0)
            sent = sum(r.sent for r in results)
            t0 = time.perf_counter()
            assert sum(run_nudges(rt, at).sent for rt in rts) == 0
            again.append(time.perf_counter() - t0)
    print("2. the daily nudge job: 20 plans × 10 batches, one database, the fake Slack")
    print(f"   first run  median {statistics.median(first):.2f} s ({sent} DMs) (goal < 5 s)")
    print(f"   second run median {statistics.median(again):.2f} s (0 DMs: each condition once)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    bench_linked(args.runs)
    bench_nudges(max(1, args.runs // 2))


if __name__ == "__main__":
    main()
