"""Benchmark the Slack side of batchbot over real HTTP, next to a bare Bolt app.

Why: Slack wants every slash command acknowledged within 3 s and people notice far less.
This measures what a user's Slack client waits for, over loopback HTTP with requests signed
exactly as Slack signs them, against two separate processes served the same way:

* batchbot — the real `batchbot serve` (what the Procfile runs), on a temp git repo holding
  a copy of plan/execution-plan.toml, talking to the fake Slack Web API (tests/fakeslack);
* bare — a Bolt app with the same waitress server (bot.slack.server.wsgi_app, same
  threads / ident / channel_timeout) whose `/batch` handler only calls `ack()`: the floor
  any Bolt app on this server pays (signature check, form parsing, Bolt dispatch, and
  Bolt's ack wait, which polls every 10 ms).

Figures (p50 / p99, milliseconds):

* ack — from sending the signed POST until the HTTP 200 ack is fully read;
* update end-to-end (batchbot only) — from sending the POST until the in-channel reply
  reaches the fake's response_url; it includes the git commit, which happens after the ack;
* status end-to-end and a mixed load (4 users updating while 4 ask for status), for
  information.

Scenarios: `/batch status` and `/batch update batch-K progress=N` at concurrency 1 and 8.
Each client thread is one user who waits for batchbot's reply before sending the next
command (a closed loop: acks overlap other users' background work, but a user never has
two commands in flight). At c=8 that is 8 people updating back to back, far more than any
team does; it is a saturation figure. The bare app sends no reply, so its users go on right
after the ack. Halves of each scenario run in the order batchbot, bare, bare, batchbot, so
drift from other work on the machine hits both alike. The client and the fake Slack share
this process; the fake answering batchbot's replies takes some of its CPU, which slightly
penalises batchbot's figures at c=8 (never the bare app's).

Goals checked: status p99 within 1.5x of bare; update end-to-end p99 under 250 ms; no
update lost with 8 concurrent updaters (new git commits == updates that changed something,
and every update's author and value is in git log); server RSS under 150 MB.

`--trace` runs batchbot serve under a small in-process tracer (same code, a few wrapped
functions) and prints where an update's time goes: Bolt's listener pool queue, the plan
lock, each git command, the fsync'd write, the response_url post.

    python bench/bench_slack.py                  # ~1-2 min, everything in a temp dir
    python bench/bench_slack.py --requests 100   # quicker (c=8 runs twice as many)
    python bench/bench_slack.py --trace          # plus the breakdown inside the server
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.plan.store import TRAILER  # noqa: E402
from tests.fakeslack import FORM, FakeSlack, signed_headers, slash_command_body  # noqa: E402

SHIPPED_PLAN = ROOT / "plan" / "execution-plan.toml"
BATCHBOT = Path(sys.executable).parent / "batchbot"
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
TEAM = "T0TEAM"
USER = "U0ALICE"
USERS = {USER: {"name": "alice", "real_name": "Alice Doe", "tz": "UTC"}}
BATCHES = 5  # batch-1 … batch-5 in the shipped plan, all at progress 0
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
STATUS_RATIO_GOAL = 1.5
UPDATE_E2E_GOAL_MS = 250.0
RSS_GOAL_MB = 150.0
REPLY_TIMEOUT_S = 30.0

# The bare app: same server function, same waitress settings, a handler that only acks.
BARE_APP = """
import os, signal, sys
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server
from bot.slack.server import setup_logging, wsgi_app

setup_logging(os.environ.get("BATCHBOT_LOG_LEVEL", "INFO"))
app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
)

@app.command("/batch")
def on_batch(ack):
    ack()

server = create_server(
    wsgi_app(SlackRequestHandler(app), lambda: (True, {"ok": True})),
    host="127.0.0.1",
    port=int(os.environ["PORT"]),
    threads=int(sys.argv[1]),
    ident="batchbot",
    channel_timeout=30,
)

def on_term(*_):
    raise SystemExit(0)

signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)
server.run()
"""

# --trace: `batchbot serve` with a few functions wrapped to log (event, start, ms) lines.
TRACER = """
import functools, json, os, sys, threading, time
out = open(os.environ["BENCH_TRACE_FILE"], "a", buffering=1)
guard = threading.Lock()

def emit(ev, t0, ms, **kw):
    with guard:
        out.write(json.dumps({"ev": ev, "t0": t0, "ms": ms, **kw}) + "\\n")

def timed(owner, attr, ev, extra=None):
    orig = getattr(owner, attr)
    @functools.wraps(orig)
    def wrapper(*a, **k):
        t0, p0 = time.time(), time.perf_counter()
        try:
            return orig(*a, **k)
        finally:
            emit(ev, t0, (time.perf_counter() - p0) * 1000, **(extra(a, k) if extra else {}))
    setattr(owner, attr, wrapper)

import filelock
import bot.plan.gitrepo as gitrepo, bot.plan.store as store, bot.slack.app as slackapp
import slack_bolt.listener.custom_listener as custom, slack_bolt.listener.thread_runner as runner
timed(gitrepo.GitRepo, "run", "git", lambda a, k: {"cmd": a[1]})
timed(store.PlanStore, "change", "plan change (lock wait + held)")
timed(store.PlanStore, "_atomic_write", "write plan (fsync)")
timed(filelock.BaseFileLock, "acquire", "plan lock wait")
timed(slackapp.Edge, "run", "command (edge.run)")
timed(slackapp.Edge, "respond", "reply to response_url")

orig_run = runner.ThreadListenerRunner.run
def run(self, request, *a, **k):
    emit("pool submit", time.time(), 0, rid=id(request))
    return orig_run(self, request, *a, **k)
runner.ThreadListenerRunner.run = run
orig_ack_fn = custom.CustomListener.run_ack_function
def run_ack_function(self, *, request, response):
    emit("listener start", time.time(), 0, rid=id(request))
    return orig_ack_fn(self, request=request, response=response)
custom.CustomListener.run_ack_function = run_ack_function

from bot.cli import main
sys.argv = ["batchbot", *sys.argv[1:]]
sys.exit(main())
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def default_threads() -> int:
    """waitress threads `batchbot serve` uses when BATCHBOT_THREADS is unset (we unset it)."""
    from bot.settings import Settings

    return int(Settings.model_fields["server_threads"].default)


def read_status_kb(pid: int, key: str) -> int:
    """A `VmRSS` / `VmHWM` line of /proc/<pid>/status, in kB (0 once the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    peak_rss_kb: int = 0

    def rss_kb(self) -> int:
        return read_status_kb(self.proc.pid, "VmRSS")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def base_env(fake: FakeSlack, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BATCHBOT_")) and k not in PROXY_VARS
    }
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "PORT": str(port),
            "BATCHBOT_HOST": "127.0.0.1",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def wait_healthy(server: Server, timeout: float = 30.0) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with opener.open(f"http://127.0.0.1:{server.port}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if server.proc.poll() is not None:
                break
            time.sleep(0.05)
    server.stop()
    raise SystemExit(f"{server.name} did not start:\n{server.log.read_text()[-3000:]}")


def start_batchbot(tmp: Path, fake: FakeSlack, plan: Path, trace: Path | None) -> Server:
    port = free_port()
    env = base_env(fake, port)
    env.update(
        {
            "EXECUTION_PLAN_PATH": str(plan),
            "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
            "BATCHBOT_SCHEDULER": "false",
        }
    )
    cmd = [str(BATCHBOT), "serve"]  # exactly what the Procfile runs
    if trace is not None:
        env["BENCH_TRACE_FILE"] = str(trace)
        cmd = [sys.executable, "-c", TRACER, "serve"]
    log = tmp / "batchbot.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server("batchbot", proc, port, log)
    wait_healthy(server)
    return server


def start_bare(tmp: Path, fake: FakeSlack, threads: int) -> Server:
    port = free_port()
    log = tmp / "bare.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", BARE_APP, str(threads)],
            cwd=tmp,
            env=base_env(fake, port),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server("bare", proc, port, log)
    wait_healthy(server)
    return server


def post(port: int, body: bytes) -> tuple[int, bytes, float, float]:
    """POST a Slack-signed body; (status, ack body, ack seconds, wall clock at send).

    Signed before the clock starts (Slack signs before it sends); a fresh connection per
    request, as Slack makes them; headers and body leave in one send()."""
    headers = signed_headers(SECRET, body, FORM)
    headers["User-Agent"] = "Slackbot 1.0 (+https://api.slack.com/robots)"
    wall = time.time()
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/slack/events", body, headers)
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    return resp.status, data, time.perf_counter() - started, wall


@dataclass
class Update:
    index: int
    user_name: str
    batch: str
    progress: int
    changed: bool = False


@dataclass
class Sample:
    ack: list[float] = field(default_factory=list)
    e2e: list[float] = field(default_factory=list)
    windows: list[tuple[float, float]] = field(default_factory=list)


class Bench:
    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.updates: list[Update] = []
        self.errors: list[str] = []
        self._seq = itertools.count()
        self._update_seq = itertools.count()
        self._lock = threading.Lock()

    def next_update(self) -> Update:
        with self._lock:
            i = next(self._update_seq)
            # batch-(i%5+1) gets progress i%100+1: never 0 (the shipped value), and a batch
            # sees the same value again only 100 updates later, so no update is a no-op.
            # The user name carries i, so git log shows which request made which commit.
            upd = Update(i, f"bench{i}", f"batch-{i % BATCHES + 1}", i % 100 + 1)
            self.updates.append(upd)
        return upd

    def one(self, server: Server, kind: str, sample: Sample) -> None:
        key = f"r{next(self._seq)}"
        upd: Update | None = None
        if kind == "update":
            # The bare app gets the same command text; it only acks, so nothing is counted.
            upd = self.next_update() if server.name == "batchbot" else None
            text = f"update {upd.batch} progress={upd.progress}" if upd else "update batch-1 x"
            user_name = upd.user_name if upd else "alice"
        else:
            text, user_name = "status", "alice"
        body = slash_command_body(
            text=text,
            user_id=USER,
            user_name=user_name,
            team_id=TEAM,
            channel_id="C0PLAN",
            response_url=self.fake.response_url(key),
            trigger_id=f"trig-{key}",
        )
        status, data, ack_s, wall = post(server.port, body)
        if status != 200:
            self.errors.append(f"{server.name} {kind}: HTTP {status} {data[:200]!r}")
            return
        sample.ack.append(ack_s)
        if server.name != "batchbot":
            return
        try:
            reply = self.fake.wait_for_response(key, timeout=REPLY_TIMEOUT_S)[0]
        except TimeoutError as exc:
            self.errors.append(f"{server.name} {kind}: no reply ({exc})"[:300])
            return
        sample.e2e.append(reply.time - wall)
        if upd is not None:
            upd.changed = reply.body.get("response_type") == "in_channel"
            if not upd.changed:
                self.errors.append(f"update {upd}: {json.dumps(reply.body)[:300]}")

    def run(self, server: Server, users: list[tuple[str, Sample]], per_user: int) -> None:
        """One thread per (kind, sample) user, each sending `per_user` commands in turn."""

        def user(kind: str, sample: Sample) -> None:
            for _ in range(per_user):
                self.one(server, kind, sample)

        threads = [
            threading.Thread(target=user, args=u, name=f"user-{i}") for i, u in enumerate(users)
        ]
        started = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for _, sample in users:
            sample.windows.append((started, time.time()))


class RssSampler(threading.Thread):
    def __init__(self, servers: list[Server], every: float = 0.05) -> None:
        super().__init__(name="rss", daemon=True)
        self.servers = servers
        self.every = every
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(self.every):
            for s in self.servers:
                s.peak_rss_kb = max(s.peak_rss_kb, s.rss_kb())


def pct(values: list[float], q: int) -> float:
    """Percentile q (1..99) in ms, inclusive method (p99 of 200 values ≈ the 2nd highest)."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def check_git(repo: Path, before: int, bench: Bench) -> tuple[bool, list[str]]:
    """New commits == updates that changed something; each update's author+value in git log."""
    after = int(git(repo, "rev-list", "--count", "HEAD").strip())
    changed = [u for u in bench.updates if u.changed]
    log = git(repo, "log", f"-{max(1, after - before)}", "--format=%an%x1f%B%x1e")
    seen: set[tuple[str, str, int]] = set()
    for entry in log.split("\x1e"):
        if "\x1f" not in entry:
            continue
        author, body = entry.strip("\n").split("\x1f", 1)
        name = author.split(" (", 1)[0]  # Slack commits are authored "name (U…)"
        for line in body.splitlines():
            if not line.startswith(TRAILER):
                continue
            try:
                item = json.loads(line[len(TRAILER) :])
                if item.get("field") == "progress":
                    seen.add((name, str(item.get("target")), int(item["new"])))
            except (ValueError, TypeError, KeyError):
                continue
    missing = [u for u in bench.updates if (u.user_name, u.batch, u.progress) not in seen]
    ok = after - before == len(changed) == len(bench.updates) and not missing
    lines = [
        f"updates: {len(bench.updates)} sent, {len(changed)} changed something, "
        f"{after - before} new git commits (git rev-list --count {before} → {after}), "
        f"{len(missing)} missing from git log — {'nothing lost' if ok else 'LOST UPDATES'}"
    ]
    lines += [f"  missing: {u}" for u in missing[:5]]
    return ok, lines


def trace_report(path: Path, label: str, windows: list[tuple[float, float]]) -> list[str]:
    """Per-phase p50/p90/max inside batchbot serve for the events inside `windows`."""
    events = []
    for line in path.read_text().splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if any(lo <= e["t0"] <= hi for lo, hi in windows):
            events.append(e)
    phases: dict[str, list[float]] = defaultdict(list)
    submitted: dict[int, float] = {}  # ids get reused, so pair each start with its submit
    for e in events:
        if e["ev"] == "pool submit":
            submitted[e["rid"]] = e["t0"]
        elif e["ev"] == "listener start" and e["rid"] in submitted:
            phases["Bolt listener pool queue (delays ack)"].append(
                (e["t0"] - submitted.pop(e["rid"])) * 1000
            )
        elif e["ev"] == "git":
            phases[f"git {e['cmd']}"].append(e["ms"])
        elif e["ms"] or e["ev"] == "plan lock wait":
            phases[e["ev"]].append(e["ms"])
    out = [f"where the time goes inside batchbot serve, {label} (ms):"]
    for name, vals in phases.items():
        vals.sort()
        out.append(
            f"  {name:40s} n={len(vals):4d} p50 {vals[len(vals) // 2]:7.1f} "
            f"p90 {vals[int(len(vals) * 0.9)]:7.1f} max {vals[-1]:7.1f} sum {sum(vals):7.0f}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=200, help="requests at c=1 (c=8: twice)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed requests per kind/server")
    ap.add_argument("--trace", action="store_true", help="time phases inside batchbot serve")
    args = ap.parse_args(argv)
    for name in PROXY_VARS:
        os.environ.pop(name, None)

    threads = default_threads()
    started = time.monotonic()
    servers: list[Server] = []
    sampler: RssSampler | None = None
    tmp = Path(tempfile.mkdtemp(prefix="bench-slack-"))
    trace = tmp / "trace.jsonl" if args.trace else None
    ok = True
    try:
        with FakeSlack(token=TOKEN, team_id=TEAM, users=USERS) as fake:
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
            before = int(git(repo, "rev-list", "--count", "HEAD").strip())

            bot = start_batchbot(tmp, fake, plan, trace)
            servers.append(bot)
            bare = start_bare(tmp, fake, threads)
            servers.append(bare)
            sampler = RssSampler(servers)
            sampler.start()
            bench = Bench(fake)
            print(
                f"batchbot serve (pid {bot.proc.pid}{', traced' if trace else ''}) vs bare "
                f"Bolt app (pid {bare.proc.pid}), both waitress threads={threads}; "
                f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}"
            )
            for server in (bot, bare):  # untimed: first-request imports, caches, connections
                warm = Sample()
                bench.run(server, [("status", warm)], args.warmup)
                bench.run(server, [("update", warm)], args.warmup)

            res: dict[tuple[str, int, str], Sample] = defaultdict(Sample)
            for kind in ("status", "update"):
                for conc in (1, 8):
                    total = args.requests * (2 if conc > 1 else 1)
                    for server in (bot, bare, bare, bot):
                        users = [(kind, res[(kind, conc, server.name)])] * conc
                        bench.run(server, users, max(1, total // 2 // conc))
            for server in (bot, bare, bare, bot):  # 4 updaters + 4 asking for status
                users = [
                    (kind, res[(f"mixed {kind}", 8, server.name)]) for kind in ("update", "status")
                ] * 4
                bench.run(server, users, max(1, args.requests // 2 // 8))
            sampler.halt.set()
            sampler.join()
            for s in servers:
                s.peak_rss_kb = max(s.peak_rss_kb, s.rss_kb())
            end_rss = {s.name: s.rss_kb() for s in servers}
            hwm = {s.name: read_status_kb(s.proc.pid, "VmHWM") for s in servers}

            print()
            for kind in ("status", "update", "mixed status", "mixed update"):
                for conc in (1, 8) if not kind.startswith("mixed") else (8,):
                    b, r = res[(kind, conc, "batchbot")], res[(kind, conc, "bare")]
                    ratio = pct(b.ack, 99) / pct(r.ack, 99)
                    if kind == "status":
                        goal = (
                            f"(goal ≤ {STATUS_RATIO_GOAL}: {verdict(ratio <= STATUS_RATIO_GOAL)})"
                        )
                        ok = ok and ratio <= STATUS_RATIO_GOAL
                    else:
                        goal = "(for information)"
                    print(
                        f"{kind} c={conc}: batchbot p50 {pct(b.ack, 50):.1f} ms "
                        f"p99 {pct(b.ack, 99):.1f} ms | bare p50 {pct(r.ack, 50):.1f} ms "
                        f"p99 {pct(r.ack, 99):.1f} ms | p99 ratio {ratio:.2f} {goal} "
                        f"[n={len(b.ack)}/{len(r.ack)}]"
                    )
            for kind, conc in (("update", 1), ("update", 8), ("mixed update", 8)):
                b = res[(kind, conc, "batchbot")]
                p99 = pct(b.e2e, 99)
                ok = ok and p99 < UPDATE_E2E_GOAL_MS
                print(
                    f"{kind} end-to-end c={conc} (request → ack → git commit → reply at "
                    f"response_url): p50 {pct(b.e2e, 50):.1f} ms p99 {p99:.1f} ms "
                    f"max {max(b.e2e, default=0) * 1000:.1f} ms (goal p99 < "
                    f"{UPDATE_E2E_GOAL_MS:.0f} ms: {verdict(p99 < UPDATE_E2E_GOAL_MS)}) "
                    f"[n={len(b.e2e)}]"
                )
            for kind, conc in (("status", 1), ("status", 8), ("mixed status", 8)):
                b = res[(kind, conc, "batchbot")]
                print(
                    f"{kind} end-to-end c={conc} (reply at response_url, for information): "
                    f"p50 {pct(b.e2e, 50):.1f} ms p99 {pct(b.e2e, 99):.1f} ms [n={len(b.e2e)}]"
                )
            git_ok, lines = check_git(repo, before, bench)
            ok = ok and git_ok
            for line in lines:
                print(line)
            for s in servers:
                mb = max(s.peak_rss_kb, hwm[s.name]) / 1024
                goal = ""
                if s.name == "batchbot":
                    goal = f" (goal < {RSS_GOAL_MB:.0f} MB: {verdict(mb < RSS_GOAL_MB)})"
                    ok = ok and mb < RSS_GOAL_MB
                print(
                    f"{s.name} RSS: after run {end_rss[s.name] / 1024:.1f} MB, peak sampled "
                    f"every 50 ms {s.peak_rss_kb / 1024:.1f} MB, kernel VmHWM "
                    f"{hwm[s.name] / 1024:.1f} MB{goal}"
                )
            if trace is not None:
                for kind, conc in (("update", 1), ("update", 8)):
                    windows = res[(kind, conc, "batchbot")].windows
                    for line in trace_report(trace, f"{kind} c={conc}", windows):
                        print(line)
            for e in bench.errors[:10]:
                print(f"error: {e}")
            if bench.errors:
                ok = False
                print(f"{len(bench.errors)} errors; batchbot log tail:")
                print(bot.log.read_text()[-2000:])
            print(
                f"total {time.monotonic() - started:.0f} s; "
                f"{'all goals met' if ok else 'some goals MISSED'}"
            )
    finally:
        if sampler is not None:
            sampler.halt.set()
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


def _on_term(*_: object) -> None:
    raise SystemExit(143)  # run the finally: blocks, so no server outlives the bench


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_term)
    sys.exit(main())
