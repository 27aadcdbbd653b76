"""Bench the fault that starved acks (issue 12): slow response_url and slow git at once.

A real `batchbot serve` (local mode, as the Procfile runs it) against the fake Slack whose
response_url answers in 25 s, with a `git` on PATH whose commit step (update-ref) takes 1.5 s.
200 mixed commands (status, status <id>, update, history, help) at concurrency 16.
Prints: ack p50/p99/max (goal: p99 < 1 s, every request acked), lost (a command never
answered, or an update never committed) and duplicated (answered twice, or committed twice).

Run: python bench/bench_faults.py [--commands 200] [--concurrency 16] [--response-delay 25]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import git
from tests.e2e.test_slack_e2e import TOKEN, USERS, running, start_bot
from tests.fakeslack import FakeSlack


def slow_git(folder: Path, seconds: float) -> dict[str, str]:
    real = shutil.which("git") or "/usr/bin/git"
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "git"
    script.write_text(
        f'#!/bin/sh\nif [ "$1" = "update-ref" ]; then sleep {seconds}; fi\nexec {real} "$@"\n'
    )
    script.chmod(0o755)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commands", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--response-delay", type=float, default=25.0)
    ap.add_argument("--commit-seconds", type=float, default=1.5)
    args = ap.parse_args()
    kinds = ["status", "status batch-2", "update", "history", "help"]
    with tempfile.TemporaryDirectory() as d, FakeSlack(token=TOKEN, users=USERS) as fake:
        tmp = Path(d)
        fake.response_delay = args.response_delay
        env = slow_git(tmp / "slowgit", args.commit_seconds)
        bot = start_bot(tmp, fake, extra_env={**env, "BATCHBOT_QUEUE_SIZE": "1000"})
        with running(bot):
            before = bot.commits()
            plan: list[tuple[str, str]] = []
            for n in range(args.commands):
                kind = kinds[n % len(kinds)]
                text = f"update batch-{n % 5 + 1} notes=bench-{n}" if kind == "update" else kind
                plan.append((text, f"c{n}"))
            updates = sum(1 for text, _ in plan if text.startswith("update"))

            def send(item: tuple[str, str]) -> tuple[int, float]:
                started = time.perf_counter()
                status, _ = bot.slash(item[0], key=item[1])
                return status, time.perf_counter() - started

            began = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(send, plan))
            acked_in = time.perf_counter() - began
            acks = [seconds for status, seconds in results if status == 200]
            deadline = time.time() + args.response_delay * args.commands / 16 + 120
            while time.time() < deadline and len(fake.responses) < len(plan):
                time.sleep(0.5)
            time.sleep(2)  # anything answered twice shows up by now
            answered: dict[str, int] = {}
            for r in fake.responses:
                answered[r.name] = answered.get(r.name, 0) + 1
            lost = sum(1 for _, key in plan if answered.get(key, 0) == 0)
            duplicated = sum(1 for _, key in plan if answered.get(key, 0) > 1)
            commits = bot.commits() - before
            bodies = git(bot.repo, "log", "--format=%B")
            committed_twice = sum(
                1
                for text, key in plan
                if text.startswith("update") and bodies.count(f'"new": "bench-{key[1:]}"') > 1
            )
            print(
                f"{args.commands} commands at concurrency {args.concurrency}; response_url "
                f"answers in {args.response_delay:g} s, each commit takes {args.commit_seconds:g} s"
            )
            print(
                f"acked: {len(acks)} of {len(plan)} ({100 * len(acks) / len(plan):.0f} %) in "
                f"{acked_in:.1f} s; ack p50 {pct(acks, 50) * 1000:.0f} ms, "
                f"p99 {pct(acks, 99) * 1000:.0f} ms, max {max(acks) * 1000:.0f} ms (goal p99 < 1 s)"
            )
            print(
                f"lost: {lost} unanswered, {updates - commits} updates not committed; "
                f"duplicated: {duplicated} answered twice, {committed_twice} committed twice "
                f"({commits} commits for {updates} updates)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
