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
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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

    def one(self, item: Sent) -> Sent:
        body = slash_command_body(
            text=item.text,
            user_id=USER,
            user_name="alice",
            team_id=TEAM,
            channel_id="C0PLAN",
            response_url=self.fake.response_url(item.key),
            trigger_id=f"trig-{item.key}",
        )
        item.status, item.body, item.ack_s, item.wall = post(self.server.port, body)
        return item

    def closed_loop(self, texts: list[str], concurrency: int) -> None:
        """`concurrency` clients, each sending its next command as soon as the last is acked."""
        items = [Sent(f"{self.prefix}{i}", t) for i, t in enumerate(texts)]
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
    ok = True
    threads = default_threads()
    with (
        tempfile.TemporaryDirectory() as d,
        FakeSlack(token=TOKEN, team_id=TEAM, users=USERS) as fake,
    ):
        tmp = Path(d)
        bot = start_bot(tmp, fake, dict(kv.split("=", 1) for kv in args.set))
        bare = start_bare(tmp, fake, threads)
        try:
            for server in (bot, bare):  # untimed: imports, caches, first connections
                Load(fake, server, f"warm-{server.name}-").closed_loop(["status"] * 20, 4)
            scenarios: list[tuple[str, Callable[[Load, list[str]], None], list[str]]] = [
                (
                    f"{args.commands} mixed (20 % updates) at concurrency {args.concurrency}",
                    lambda load, t: load.closed_loop(t, args.concurrency),
                    mixed_texts(args.commands, "burst"),
                ),
                (
                    f"{args.updates} updates in one second",
                    lambda load, t: load.paced(t, 1.0),
                    [f"update batch-{i % 5 + 1} notes=second-{i}" for i in range(args.updates)],
                ),
            ]
            for title, send, texts in scenarios:
                tag = texts[-1].rsplit("=", 1)[1].split("-")[0]
                before = commits(tmp)
                loads = {}
                bare_acks: list[float] = []
                # bare, batchbot, bare: drift from other work on the machine hits both alike
                for n, server in enumerate((bare, bot, bare)):
                    load = Load(fake, server, f"{tag}-{server.name}{n}-")
                    send(load, texts)
                    loads[server.name] = load
                    if server is bare:
                        bare_acks += load.acks()
                load = loads["batchbot"]
                load.wait_answered(args.reply_timeout)
                answers = load.answers()
                refusals = {s.key for s in load.refused()}
                done = [s for s in load.sent if s.key not in refusals]
                lost = sum(1 for s in done if answers.get(s.key, 0) == 0)
                dup = sum(1 for s in load.sent if answers.get(s.key, 0) > 1)
                missing, twice = count_updates(tmp, [s.text for s in done])
                refused = len(refusals)
                updates = sum(1 for t in texts if t.startswith("update"))
                b50, b99 = pct(load.acks(), 50) * 1000, pct(load.acks(), 99) * 1000
                r50, r99 = pct(bare_acks, 50) * 1000, pct(bare_acks, 99) * 1000
                ratio = b99 / r99
                good = refused == 0 and lost + missing == 0 and dup + twice == 0
                ok = ok and good and ratio <= ACK_RATIO_GOAL
                print(title)
                print(
                    f"  refused {refused}, lost {lost} unanswered + {missing} of {updates} "
                    f"updates not committed, duplicated {dup} answered twice + {twice} "
                    f"committed twice ({commits(tmp) - before} commits) "
                    f"(goal 0/0/0: {verdict(good)})"
                )
                print(
                    f"  ack batchbot p50 {b50:.1f} ms p99 {b99:.1f} ms | bare Bolt p50 "
                    f"{r50:.1f} ms p99 {r99:.1f} ms | p99 ratio {ratio:.2f} "
                    f"(goal ≤ {ACK_RATIO_GOAL}: {verdict(ratio <= ACK_RATIO_GOAL)})"
                )
                last = max(
                    (r.time for r in fake.responses if r.name.startswith(load.prefix)), default=0
                )
                first = min(s.wall for s in load.sent)
                print(
                    f"  every reply posted {last - first:.1f} s after the first request "
                    f"({len(done) / max(0.001, last - first):.0f} commands/s); batchbot peak "
                    f"RSS {read_status_kb(bot.proc.pid, 'VmHWM') / 1024:.0f} MB"
                )
        finally:
            bot.stop()
            bare.stop()
    return ok


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
