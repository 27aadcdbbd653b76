"""Bench the faults a team can cause by ordinary use, against the real `batchbot serve`.

Every scenario starts `batchbot serve` (local mode, as the Procfile runs it) against the fake
Slack Web API on loopback and sends requests signed exactly as Slack signs them. Each prints
its figures and its goals, and exits 1 when a goal is missed.

    python bench/bench_faults.py burst     # issue 19: 1,000 mixed at c=16 (20 % updates) and
                                           #   200 updates in one second, next to a bare Bolt app
    python bench/bench_faults.py slow      # issue 19: 24 response_urls answer in 25 s while
                                           #   everyone else is served
    python bench/bench_faults.py sigterm   # issue 19: SIGTERM with slow replies pending
    python bench/bench_faults.py starve    # issue 12: slow response_url and slow git at once

Figures:
* refused — acked with "busy … try again" instead of being done;
* lost — acked but never answered on its response_url, or an update never committed;
* duplicated — answered twice, or committed twice;
* ack p50/p99 — from sending the signed POST to reading the HTTP 200 (what Slack waits for).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_slack import (
    PROXY_VARS,
    SHIPPED_PLAN,
    TEAM,
    TOKEN,
    USER,
    USERS,
    Server,
    base_env,
    default_threads,
    free_port,
    git,
    post,
    read_status_kb,
    start_bare,
    wait_healthy,
)
from tests.fakeslack import FakeSlack, slash_command_body

BATCHBOT = Path(sys.executable).parent / "batchbot"
ACK_RATIO_GOAL = 1.5
OTHERS_REPLY_GOAL_S = 1.0
SIGTERM_EXIT_GOAL_S = 10.0

Result = tuple[int, bytes, float, float]  # what `post` returns: status, body, ack s, wall


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
    """Nearest-rank percentile, in the values' own unit (nan when there are none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def plan_repo(tmp: Path) -> Path:
    repo = tmp / "repo"
    (repo / "plan").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Bench Owner")
    git(repo, "config", "user.email", "bench@example.com")
    git(repo, "config", "commit.gpgsign", "false")
    plan = repo / "plan" / "execution-plan.toml"
    shutil.copy(SHIPPED_PLAN, plan)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "plan")
    return plan


def start_bot(tmp: Path, fake: FakeSlack, env: dict[str, str] | None = None) -> Server:
    """`batchbot serve` on a fresh plan repo; the repo is `<tmp>/repo`."""
    plan = plan_repo(tmp)
    port = free_port()
    full = base_env(fake, port)
    full.update(
        {
            "EXECUTION_PLAN_PATH": str(plan),
            "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
            "BATCHBOT_SCHEDULER": "false",
            **(env or {}),
        }
    )
    log = tmp / "batchbot.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BATCHBOT), "serve"], cwd=tmp, env=full, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server("batchbot", proc, port, log)
    wait_healthy(server)
    return server


def commits(tmp: Path) -> int:
    return int(git(tmp / "repo", "rev-list", "--count", "HEAD").strip())


def _send(port: int, bodies: list[bytes], how: str, arg: float) -> list[Result]:
    """In the driver process: send `bodies` closed loop at concurrency `arg`, or paced over
    `arg` seconds (open loop: body i leaves at i * arg / n whether or not others were acked)."""
    if how == "closed":
        with ThreadPoolExecutor(int(arg)) as pool:
            return list(pool.map(lambda b: post(port, b), bodies))
    start = time.perf_counter() + 0.05

    def at(i: int) -> Result:
        delay = start + i * arg / len(bodies) - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        return post(port, bodies[i])

    with ThreadPoolExecutor(64) as pool:
        return list(pool.map(at, range(len(bodies))))


def step_aside() -> None:
    """Lower every thread of this process (the fake Slack, the bookkeeping) below the servers
    and the driver, already started: Slack's side of a reply runs on Slack's machines, not
    on the bot's CPU. Linux only (elsewhere a no-op)."""
    if sys.platform != "linux":
        return
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, int(tid), 10)


class Driver:
    """Sends the timed requests from a process of its own. The fake Slack receiving
    batchbot's replies lives in this (the bench's) process; were the clients here too, each
    reply it takes would hold the clients' interpreter lock and add to batchbot's measured ack
    times but not to the bare app's (which posts no replies)."""

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        self._pool.submit(time.sleep, 0).result()  # start it now, untimed

    def send(self, port: int, bodies: list[bytes], how: str, arg: float) -> list[Result]:
        return self._pool.submit(_send, port, bodies, how, arg).result()

    def close(self) -> None:
        self._pool.shutdown()


@dataclass
class Sent:
    key: str
    text: str
    status: int = 0
    body: bytes = b""
    ack_s: float = 0.0
    wall: float = 0.0


@dataclass
class Load:
    """Signed slash commands sent to one server; what each one got back."""

    fake: FakeSlack
    server: Server
    prefix: str
    sent: list[Sent] = field(default_factory=list)

    driver: Driver | None = None

    def body(self, item: Sent) -> bytes:
        return slash_command_body(
            text=item.text,
            user_id=USER,
            user_name="alice",
            team_id=TEAM,
            channel_id="C0PLAN",
            response_url=self.fake.response_url(item.key),
            trigger_id=f"trig-{item.key}",
        )

    def one(self, item: Sent) -> Sent:
        item.status, item.body, item.ack_s, item.wall = post(self.server.port, self.body(item))
        return item

    def _driven(self, items: list[Sent], how: str, arg: float) -> None:
        assert self.driver is not None
        bodies = [self.body(item) for item in items]
        results = self.driver.send(self.server.port, bodies, how, arg)
        for item, got in zip(items, results, strict=True):
            item.status, item.body, item.ack_s, item.wall = got
        self.sent += items

    def closed_loop(self, texts: list[str], concurrency: int) -> None:
        """`concurrency` clients, each sending its next command as soon as the last is acked."""
        items = [Sent(f"{self.prefix}{i}", t) for i, t in enumerate(texts)]
        if self.driver is not None:
            self._driven(items, "closed", concurrency)
            return
        with ThreadPoolExecutor(concurrency) as pool:
            self.sent += list(pool.map(self.one, items))

    def one_answered(self, item: Sent) -> Sent:
        """Send and wait for the reply: a person does not type the next command before."""
        self.one(item)
        if item.status == 200:
            with contextlib.suppress(TimeoutError):
                self.fake.wait_for_response(item.key, 1, timeout=60)
        return item

    def people(self, texts: list[str], concurrency: int) -> None:
        """`concurrency` people, each sending their next command once the last was answered."""
        items = [Sent(f"{self.prefix}{i}", t) for i, t in enumerate(texts)]
        with ThreadPoolExecutor(concurrency) as pool:
            self.sent += list(pool.map(self.one_answered, items))

    def paced(self, texts: list[str], seconds: float) -> None:
        """Open loop: command i leaves at i * seconds / n, whether or not others were acked."""
        items = [Sent(f"{self.prefix}{i}", t) for i, t in enumerate(texts)]
        if self.driver is not None:
            self._driven(items, "paced", seconds)
            return
        start = time.perf_counter() + 0.05

        def at(i: int) -> Sent:
            delay = start + i * seconds / len(items) - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            return self.one(items[i])

        with ThreadPoolExecutor(64) as pool:
            self.sent += list(pool.map(at, range(len(items))))

    def acks(self) -> list[float]:
        return [s.ack_s for s in self.sent if s.status == 200]

    def refused(self) -> list[Sent]:
        return [s for s in self.sent if s.status != 200 or b"busy" in s.body]

    def wait_answered(self, timeout: float) -> None:
        keys = {s.key for s in self.sent}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = {r.name for r in self.fake.responses if r.name in keys}
            if len(got) >= len(keys):
                break
            time.sleep(0.2)
        time.sleep(1.0)  # anything answered twice shows up by now

    def answers(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.fake.responses:
            if r.name.startswith(self.prefix):
                counts[r.name] = counts.get(r.name, 0) + 1
        return counts


def mixed_texts(n: int, tag: str) -> list[str]:
    """Every fifth an update (20 %), the rest what people ask for most."""
    reads = ["status", "status batch-2", "history", "help"]
    out = []
    for i in range(n):
        if i % 5 == 4:
            out.append(f"update batch-{(i // 5) % 5 + 1} notes={tag}-{i}")
        else:
            out.append(reads[i % 5])
    return out


def count_updates(tmp: Path, texts: list[str]) -> tuple[int, int]:
    """(updates not in git log, updates in git log twice)."""
    bodies = git(tmp / "repo", "log", "--format=%B")
    missing = twice = 0
    for text in texts:
        if not text.startswith("update"):
            continue
        value = text.rsplit("=", 1)[1]
        seen = bodies.count(f'"new": "{value}"')
        missing += seen == 0
        twice += seen > 1
    return missing, twice


def burst(args: argparse.Namespace) -> bool:
    """Each scenario runs `--rounds` times, alternating which server goes first; a pass starts
    only once the other server is idle (batchbot's every reply posted), so neither server's
    acks are measured while the other is still working. A round's ratio is batchbot's ack p99
    over the bare app's in that round; the goal is on the median round."""
    ok = True
    threads = default_threads()
    driver = Driver()
    with (
        tempfile.TemporaryDirectory() as d,
        FakeSlack(token=TOKEN, team_id=TEAM, users=USERS) as fake,
    ):
        tmp = Path(d)
        bot = start_bot(tmp, fake, dict(kv.split("=", 1) for kv in args.set))
        bare = start_bare(tmp, fake, threads)
        step_aside()  # after the servers and the driver started: they keep their priority
        try:
            # untimed: imports, caches, first connections — every kind of command the rounds
            # send (the first update imports the writing path: ~100 ms of one thread's time)
            for server in (bot, bare):
                warm = Load(fake, server, f"warm-{server.name}-", driver=driver)
                warm.closed_loop(mixed_texts(40, "warm"), 4)
                if server is bot:
                    warm.wait_answered(60)
            scenarios: list[tuple[str, Callable[[Load, list[str]], None], Texts]] = [
                (
                    f"{args.commands} mixed (20 % updates) at concurrency {args.concurrency}",
                    lambda load, t: load.closed_loop(t, args.concurrency),
                    lambda tag: mixed_texts(args.commands, tag),
                ),
                (
                    f"{args.updates} updates in one second",
                    lambda load, t: load.paced(t, 1.0),
                    lambda tag: [
                        f"update batch-{i % 5 + 1} notes={tag}-{i}" for i in range(args.updates)
                    ],
                ),
            ]
            for number, (title, send, make) in enumerate(scenarios):
                ok = (
                    burst_scenario(args, fake, tmp, bot, bare, driver, number, title, send, make)
                    and ok
                )
        finally:
            bot.stop()
            bare.stop()
            driver.close()
    return ok


Texts = Callable[[str], list[str]]


def burst_scenario(
    args: argparse.Namespace,
    fake: FakeSlack,
    tmp: Path,
    bot: Server,
    bare: Server,
    driver: Driver,
    number: int,
    title: str,
    send: Callable[[Load, list[str]], None],
    make: Texts,
) -> bool:
    print(f"{title}; {args.rounds} rounds, bare Bolt and batchbot alternating")
    before = commits(tmp)
    refused = lost = missing = dup = twice = updates = sent = 0
    ratios: list[float] = []
    all_bot: list[float] = []
    all_bare: list[float] = []
    spans: list[float] = []
    for r in range(args.rounds):
        tag = f"s{number}r{r}"
        texts = make(tag)
        acks: dict[str, list[float]] = {}
        for server in (bare, bot) if r % 2 == 0 else (bot, bare):
            load = Load(fake, server, f"{tag}-{server.name}-", driver=driver)
            send(load, texts)
            acks[server.name] = load.acks()
            if server is not bot:
                continue
            load.wait_answered(args.reply_timeout)  # idle before the next pass starts
            answers = load.answers()
            refusals = {s.key for s in load.refused()}
            done = [s for s in load.sent if s.key not in refusals]
            refused += len(refusals)
            lost += sum(1 for s in done if answers.get(s.key, 0) == 0)
            dup += sum(1 for s in load.sent if answers.get(s.key, 0) > 1)
            m, t = count_updates(tmp, [s.text for s in done])
            missing, twice = missing + m, twice + t
            updates += sum(1 for t in texts if t.startswith("update"))
            sent += len(done)
            last = max(
                (x.time for x in fake.responses if x.name.startswith(load.prefix)), default=0
            )
            spans.append(last - min(s.wall for s in load.sent))
        b99, r99 = pct(acks["batchbot"], 99) * 1000, pct(acks["bare"], 99) * 1000
        ratios.append(b99 / r99)
        all_bot += acks["batchbot"]
        all_bare += acks["bare"]
        print(
            f"  round {r + 1} ({'bare first' if r % 2 == 0 else 'batchbot first'}): ack p99 "
            f"batchbot {b99:.1f} ms | bare Bolt {r99:.1f} ms | ratio {ratios[-1]:.2f}"
        )
    good = refused == 0 and lost + missing == 0 and dup + twice == 0
    median = statistics.median(ratios)
    pooled = pct(all_bot, 99) / pct(all_bare, 99)
    print(
        f"  refused {refused}, lost {lost} unanswered + {missing} of {updates} updates not "
        f"committed, duplicated {dup} answered twice + {twice} committed twice "
        f"({commits(tmp) - before} commits) (goal 0/0/0: {verdict(good)})"
    )
    print(
        f"  ack batchbot p50 {pct(all_bot, 50) * 1000:.1f} ms p99 {pct(all_bot, 99) * 1000:.1f} ms"
        f" | bare Bolt p50 {pct(all_bare, 50) * 1000:.1f} ms p99 "
        f"{pct(all_bare, 99) * 1000:.1f} ms (all rounds)"
    )
    print(
        f"  p99 ratio: rounds {', '.join(f'{x:.2f}' for x in ratios)}; median {median:.2f} "
        f"(goal ≤ {ACK_RATIO_GOAL}: {verdict(median <= ACK_RATIO_GOAL)}); all rounds pooled "
        f"{pooled:.2f}"
    )
    print(
        f"  a round's replies all posted {min(spans):.1f}–{max(spans):.1f} s after its first "
        f"request ({sent / max(0.001, sum(spans)):.0f} commands/s); batchbot peak RSS "
        f"{read_status_kb(bot.proc.pid, 'VmHWM') / 1024:.0f} MB"
    )
    return good and median <= ACK_RATIO_GOAL


def slow(args: argparse.Namespace) -> bool:
    """24 response_urls answer in 25 s; meanwhile others send commands and wait for replies."""
    with (
        tempfile.TemporaryDirectory() as d,
        FakeSlack(token=TOKEN, team_id=TEAM, users=USERS) as fake,
    ):
        tmp = Path(d)
        fake.response_delays["slow-"] = args.response_delay
        bot = start_bot(tmp, fake)
        try:
            Load(fake, bot, "warm-").closed_loop(["status"] * 20, 4)
            stuck = Load(fake, bot, "slow-")
            stuck.closed_loop(["status"] * args.slow, args.slow)
            time.sleep(0.5)
            others = Load(fake, bot, "other-")
            texts = mixed_texts(args.commands, "other")
            others.people(texts, args.concurrency)
            others.wait_answered(60)
            replies = {r.name: r.time for r in fake.responses if r.name.startswith("other-")}
            late = [replies[s.key] - (s.wall + s.ack_s) for s in others.sent if s.key in replies]
            lost = len(others.sent) - len(late)
            p99 = pct(late, 99)
            good = lost == 0 and p99 <= OTHERS_REPLY_GOAL_S
            print(
                f"{args.slow} response_urls answer in {args.response_delay:g} s; meanwhile "
                f"{args.concurrency} people send {args.commands} mixed commands (20 % updates), "
                "each waiting for the answer before the next"
            )
            print(
                f"  everyone else's reply after their ack: p50 {pct(late, 50) * 1000:.0f} ms "
                f"p99 {p99 * 1000:.0f} ms max {max(late, default=0) * 1000:.0f} ms; "
                f"{lost} unanswered (goal p99 ≤ {OTHERS_REPLY_GOAL_S:g} s, none lost: "
                f"{verdict(good)})"
            )
        finally:
            bot.stop()
    return good


def sigterm(args: argparse.Namespace) -> bool:
    """SIGTERM while 24 replies wait on a 25 s response_url and updates are queued."""
    with (
        tempfile.TemporaryDirectory() as d,
        FakeSlack(token=TOKEN, team_id=TEAM, users=USERS) as fake,
    ):
        tmp = Path(d)
        fake.response_delay = args.response_delay
        bot = start_bot(tmp, fake)
        try:
            before = commits(tmp)
            Load(fake, bot, "slow-").closed_loop(["status"] * args.slow, args.slow)
            updates = Load(fake, bot, "upd-")
            texts = [f"update batch-{i % 5 + 1} notes=term-{i}" for i in range(args.updates)]
            updates.closed_loop(texts, 8)
            acked = [s.text for s in updates.sent if s.status == 200 and b"busy" not in s.body]
            started = time.monotonic()
            bot.proc.send_signal(signal.SIGTERM)
            code = bot.proc.wait(60)
            took = time.monotonic() - started
            missing, twice = count_updates(tmp, acked)
            unsent = [line for line in bot.log.read_text().splitlines() if "not sent" in line]
            good = took <= SIGTERM_EXIT_GOAL_S and missing == 0 and twice == 0 and code == 0
            print(
                f"SIGTERM with {args.slow} replies waiting on a {args.response_delay:g} s "
                f"response_url and {len(acked)} acknowledged updates"
            )
            print(
                f"  exit {code} after {took:.1f} s; {len(acked) - missing} of {len(acked)} "
                f"acknowledged updates committed ({commits(tmp) - before} commits, {twice} "
                f"twice); logged as not sent: {len(unsent)} line(s) "
                f"(goal exit ≤ {SIGTERM_EXIT_GOAL_S:g} s, every acked write committed: "
                f"{verdict(good)})"
            )
        finally:
            bot.stop()
    return good


def starve(args: argparse.Namespace) -> bool:
    """Issue 12: 200 mixed commands at c=16, response_url answering in 25 s, 1.5 s commits."""
    kinds = ["status", "status batch-2", "update", "history", "help"]
    with (
        tempfile.TemporaryDirectory() as d,
        FakeSlack(token=TOKEN, team_id=TEAM, users=USERS) as fake,
    ):
        tmp = Path(d)
        fake.response_delay = args.response_delay
        bot = start_bot(tmp, fake, slow_git(tmp / "slowgit", args.commit_seconds))
        try:
            before = commits(tmp)
            texts = []
            for n in range(args.commands):
                kind = kinds[n % len(kinds)]
                texts.append(
                    f"update batch-{n % 5 + 1} notes=bench-{n}" if kind == "update" else kind
                )
            load = Load(fake, bot, "c")
            began = time.perf_counter()
            load.closed_loop(texts, args.concurrency)
            acked_in = time.perf_counter() - began
            load.wait_answered(args.response_delay * 4 + 120)
            answers = load.answers()
            lost = sum(1 for s in load.sent if answers.get(s.key, 0) == 0)
            dup = sum(1 for s in load.sent if answers.get(s.key, 0) > 1)
            missing, twice = count_updates(tmp, texts)
            acks = load.acks()
            good = len(acks) == len(texts) and pct(acks, 99) < 1.0 and lost + missing + dup == 0
            print(
                f"{args.commands} commands at concurrency {args.concurrency}; response_url "
                f"answers in {args.response_delay:g} s, each commit takes {args.commit_seconds:g} s"
            )
            print(
                f"  acked {len(acks)} of {len(texts)} in {acked_in:.1f} s; ack p50 "
                f"{pct(acks, 50) * 1000:.0f} ms p99 {pct(acks, 99) * 1000:.0f} ms "
                f"(goal p99 < 1 s); lost {lost} unanswered + {missing} updates not committed; "
                f"duplicated {dup} + {twice} ({commits(tmp) - before} commits): {verdict(good)}"
            )
        finally:
            bot.stop()
    return good


def main() -> int:
    for name in PROXY_VARS:
        os.environ.pop(name, None)
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = ap.add_subparsers(dest="scenario", required=True)
    b = sub.add_parser("burst", help="1,000 mixed at c=16 and 200 updates in one second")
    b.add_argument("--commands", type=int, default=1000)
    b.add_argument("--concurrency", type=int, default=16)
    b.add_argument("--updates", type=int, default=200)
    b.add_argument("--reply-timeout", type=float, default=180.0)
    b.add_argument("--rounds", type=int, default=5, help="alternating passes per scenario")
    b.add_argument("--set", action="append", default=[], help="NAME=VALUE for batchbot serve")
    sl = sub.add_parser("slow", help="24 slow response_urls while others are served")
    sl.add_argument("--slow", type=int, default=24)
    sl.add_argument("--response-delay", type=float, default=25.0)
    sl.add_argument("--commands", type=int, default=200)
    sl.add_argument("--concurrency", type=int, default=4)
    t = sub.add_parser("sigterm", help="SIGTERM with slow replies pending")
    t.add_argument("--slow", type=int, default=24)
    t.add_argument("--response-delay", type=float, default=25.0)
    t.add_argument("--updates", type=int, default=20)
    st = sub.add_parser("starve", help="issue 12: slow response_url and slow git at once")
    st.add_argument("--commands", type=int, default=200)
    st.add_argument("--concurrency", type=int, default=16)
    st.add_argument("--response-delay", type=float, default=25.0)
    st.add_argument("--commit-seconds", type=float, default=1.5)
    args = ap.parse_args()
    started = time.monotonic()
    scenarios = {"burst": burst, "slow": slow, "sigterm": sigterm, "starve": starve}
    ok = scenarios[args.scenario](args)
    outcome = "all goals met" if ok else "some goals MISSED"
    print(f"total {time.monotonic() - started:.0f} s; {outcome}")
    return 0 if ok else 1


def _on_term(*_: object) -> None:
    raise SystemExit(143)  # run the finally: blocks, so no server outlives the bench


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_term)
    raise SystemExit(main())
