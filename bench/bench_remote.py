"""Bench remote mode (issue 9): real `batchbot serve` processes on a bare repository on disk.

Prints, side by side with the goals:
1. update end to end (signed /batch → ack → fetch, commit, push → reply at response_url),
   8 writers over 2 instances on a local bare remote: ack and end-to-end p50/p99, push
   retries per update, lost updates (goal: p99 ≤ 400 ms, 0 lost);
2. the same with every push delayed 1.5 s (a pre-receive hook that sleeps, as GitHub is slow):
   ack p99 (goal < 1 s) and throughput in updates/s (queued writers share one push);
3. sync lag after an upstream commit (a merged PR): polling every BATCHBOT_SYNC_SECONDS
   (goal p99 ≤ interval + 1 s) and with the signed webhook (goal p99 ≤ 1 s);
4. read-your-write across two instances (sync every 30 s, so only the shared tip helps): an
   update answered by instance A, then `/batch status` on instance B; the time from A's
   answer until B answers with the new value (goal p99 ≤ 1 s).

Run: python bench/bench_remote.py [--updates 200] [--slow-updates 48] [--lag-commits 10]
     [--ryw-rounds 40] [--sections 1,2,3,4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import git
from tests.e2e.remote_harness import (
    TOKEN,
    USERS,
    make_remote,
    push_upstream,
    running,
    slow_pushes,
    start_remote_bot,
)
from tests.fakeslack import FakeSlack


def loop_seconds() -> float:
    """A reference figure for the host: on a shared 2-core VM the same run varies by 2x with
    the neighbours, so the figures below are read next to this one."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def run_updates(bots: list, count: int, writers: int, tag: str) -> dict:  # type: ignore[type-arg]
    acks: list[float] = []
    ends: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        bot = bots[n % len(bots)]
        key = f"{tag}{n}"
        started = time.time()  # the fake stamps replies with time.time()
        status, ack = bot.slash(f"update batch-{n % 5 + 1} notes={tag}-{n}", key=key)
        reply = bot.fake.wait_for_response(key, 1, timeout=120)[0]
        with lock:
            acks.append(ack)
            ends.append(reply.time - started)
            if status != 200 or reply.body.get("response_type") != "in_channel":
                failures.append(str(reply.body.get("text"))[:120])

    began = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - began
    return {"acks": acks, "ends": ends, "failures": failures, "wall": wall}


def commits(remote: Path) -> int:
    return int(git(remote, "rev-list", "--count", "main"))


def bench_updates(  # type: ignore[type-arg]
    tmp: Path, fake: FakeSlack, count: int, delay: float | None, instances: int = 2
) -> dict:
    remote = make_remote(tmp)
    if delay:
        slow_pushes(remote, delay)
    names = ("a", "b", "c", "d")[:instances]
    bots = [start_remote_bot(tmp, fake, remote, name, sync_seconds=30) for name in names]
    with running(*bots):
        before = commits(remote)
        result = run_updates(bots, count, 8, "s" if delay else "f")
        result["landed"] = commits(remote) - before
        healths = [bot.health()[1] for bot in bots]
        result["attempts"] = sum(h.get("push_attempts", 0) for h in healths)
        result["pushes"] = sum(h.get("pushes", 0) for h in healths)
    return result


def bench_lag(tmp: Path, fake: FakeSlack, commits_n: int, interval: float) -> tuple[list, list]:  # type: ignore[type-arg]
    remote = make_remote(tmp)
    polled = start_remote_bot(tmp, fake, remote, "polled", sync_seconds=interval)
    hooked = start_remote_bot(tmp, fake, remote, "hooked", sync_seconds=600)
    polled_lags, hook_lags = [], []
    with running(polled, hooked):
        for i in range(commits_n):
            time.sleep(interval * (i % 3) / 3)  # land at different points of the interval
            sha = push_upstream(remote, tmp, "[program]", f"[program]\n# change {i}", name=str(i))
            pushed = time.perf_counter()
            hooked.webhook({"ref": "refs/heads/main", "after": sha})
            hooked.wait_sha(sha, timeout=30)
            hook_lags.append(time.perf_counter() - pushed)
            polled.wait_sha(sha, timeout=interval * 3 + 10)
            polled_lags.append(time.perf_counter() - pushed)
            undo = f"[program]\n# change {i}"
            push_upstream(remote, tmp, undo, "[program]", name=f"u{i}")
    return polled_lags, hook_lags


def bench_read_your_write(tmp: Path, fake: FakeSlack, rounds: int) -> list[float]:
    remote = make_remote(tmp)
    a = start_remote_bot(tmp, fake, remote, "ryw-a", sync_seconds=30)
    b = start_remote_bot(tmp, fake, remote, "ryw-b", sync_seconds=30)
    lags: list[float] = []
    with running(a, b):
        for i in range(rounds):
            a.slash(f"update batch-1 notes=ryw-{i}", key=f"rw{i}")
            answered = a.fake.wait_for_response(f"rw{i}", 1, timeout=60)[0].time
            tries = 0
            while True:  # the lag: until B's answer shows the write (normally the first)
                key = f"rr{i}-{tries}"
                b.slash("status batch-1", key=key)
                reply = b.fake.wait_for_response(key, 1, timeout=60)[0]
                if f"ryw-{i}" in str(reply.body):
                    lags.append(reply.time - answered)
                    break
                tries += 1
    return lags


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=200)
    ap.add_argument("--slow-updates", type=int, default=48)
    ap.add_argument("--lag-commits", type=int, default=10)
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--ryw-rounds", type=int, default=40)
    ap.add_argument("--sections", default="1,2,3,4", help="which figures to measure, e.g. 1,4")
    ap.add_argument("--instances", type=int, default=2, choices=(1, 2, 3, 4))
    args = ap.parse_args()
    print(f"host speed: a 10M-step Python loop takes {loop_seconds():.2f} s (lower is faster)")
    with tempfile.TemporaryDirectory() as d, FakeSlack(token=TOKEN, users=USERS) as fake:
        tmp = Path(d)
        sections = {int(x) for x in args.sections.split(",") if x.strip()}
        if 1 in sections:
            report_fast(bench_updates(tmp / "fast", fake, args.updates, None, args.instances), args)
        if 2 in sections:
            report_slow(
                bench_updates(tmp / "slow", fake, args.slow_updates, 1.5, args.instances), args
            )
        if 3 in sections:
            report_lag(*bench_lag(tmp / "lag", fake, args.lag_commits, args.interval), args)
        if 4 in sections:
            lags = bench_read_your_write(tmp / "ryw", fake, args.ryw_rounds)
            print(f"4. read-your-write across two instances ({args.ryw_rounds} rounds, sync 30 s)")
            print(
                f"   B answers with A's write after p50 {statistics.median(lags):.2f} s, "
                f"p99 {pct(lags, 99):.2f} s, max {max(lags):.2f} s   (goal p99 ≤ 1 s)"
            )
    return 0


def report_fast(fast: dict, args: argparse.Namespace) -> None:  # type: ignore[type-arg]
    if True:
        print(
            f"1. update end to end, 8 writers over {args.instances} instance(s), local bare remote"
        )
        print(f"   ack p50 {ms(pct(fast['acks'], 50))}, p99 {ms(pct(fast['acks'], 99))}")
        print(
            f"   end to end p50 {ms(pct(fast['ends'], 50))}, p99 {ms(pct(fast['ends'], 99))}"
            "   (goal p99 ≤ 400 ms)"
        )
        retries = (fast["attempts"] - fast["pushes"]) / max(1, args.updates)
        print(
            f"   {args.updates} updates → {fast['landed']} commits, "
            f"{args.updates - fast['landed']} lost, {len(fast['failures'])} not saved "
            f"{fast['failures'][:3]}; "
            f"{fast['pushes']} pushes ({args.updates / max(1, fast['pushes']):.1f} updates per "
            f"push), {retries:.2f} push retries per update"
        )


def report_slow(slow: dict, args: argparse.Namespace) -> None:  # type: ignore[type-arg]
    if True:
        print("2. the same with every push taking 1.5 s")
        print(
            f"   ack p50 {ms(pct(slow['acks'], 50))}, p99 {ms(pct(slow['acks'], 99))}, "
            f"max {ms(max(slow['acks']))}   (goal: all < 1 s)"
        )
        print(
            f"   end to end p50 {ms(pct(slow['ends'], 50))}, p99 {ms(pct(slow['ends'], 99))}; "
            f"throughput {args.slow_updates / slow['wall']:.1f} updates/s "
            f"(one push at a time would be {1 / 1.5:.2f}/s); "
            f"{args.slow_updates - slow['landed']} lost, {len(slow['failures'])} not saved"
        )


def report_lag(polled: list, hooked: list, args: argparse.Namespace) -> None:  # type: ignore[type-arg]
    if True:
        print(f"3. sync lag after an upstream commit ({args.lag_commits} commits)")
        print(
            f"   polling every {args.interval:g} s: p50 {statistics.median(polled):.2f} s, "
            f"p99 {pct(polled, 99):.2f} s   (goal ≤ {args.interval + 1:g} s)"
        )
        print(
            f"   signed webhook: p50 {statistics.median(hooked):.2f} s, "
            f"p99 {pct(hooked, 99):.2f} s   (goal ≤ 1 s)"
        )


if __name__ == "__main__":
    raise SystemExit(main())
