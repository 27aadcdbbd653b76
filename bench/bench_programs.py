"""Benchmark one deployment serving many programs (plan/<program>.toml files).

Why: routing looks at every program's team settings on each `/batch` line, and the Friday
job posts one report per program; neither may make a deployment with 20 programs slower to
answer than one with a single program.

Figures (real `batchbot serve` over signed HTTP, the fake Slack Web API on loopback):
- `/batch status` in a channel linked to a program: ack (HTTP answer) and end to end (the
  reply reaching response_url), p50/p99, 1 program vs 20 programs × 10 batches (goal ≤ 1.1×);
- the Friday job (`batchbot jobs run weekly-report`) for 20 programs: wall time (goal < 10 s)
  and reports posted;
- server RSS with 1 and with 20 programs, per extra program.

    python bench/bench_programs.py [--requests 200] [--programs 20] [--runs 5]
        [--no-friday | --friday-only]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakeslack import FORM, FakeSlack, signed_headers, slash_command_body  # noqa: E402

BATCHBOT = Path(sys.executable).parent / "batchbot"
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
USERS = {"U0ALICE": {"name": "alice", "real_name": "Alice Doe", "tz": "UTC"}}
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def plan_text(name: str, index: int, batches: int = 10) -> str:
    lines = [f'[program]\nname = "{name}"\nstart = 2026-11-02\n']
    for b in range(1, batches + 1):
        lines.append(
            f'[[batches]]\nid = "b{b}"\nname = "Batch {b}"\npriority = "P1"\n'
            f'status = "in-progress"\nprogress = {(b * 7) % 100}\ntargetDate = "Week {b}"\n'
            f'owner = ""\nblockers = []\nnotes = ""\n'
        )
    lines.append("[metrics]\n\n[targets]\n")
    lines.append(
        f'[team]\neditors = ["U0ALICE"]\nstandup_channel = "C0STAND{index:02d}"\n'
        f'report_channel = "C0REP{index:02d}"\n'
    )
    return "\n".join(lines)


def make_repo(root: Path, programs: int) -> Path:
    plan_dir = root / "plan"
    plan_dir.mkdir(parents=True)
    (plan_dir / "execution-plan.toml").write_text(plan_text("First", 0))
    for i in range(1, programs):
        (plan_dir / f"p{i:02d}.toml").write_text(plan_text(f"Program {i}", i))
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "plans"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return plan_dir / "execution-plan.toml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(fake: FakeSlack, plan: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATCHBOT_"))}
    for var in PROXY_VARS:
        env.pop(var, None)
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "EXECUTION_PLAN_PATH": str(plan),
            "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
            "BATCHBOT_SCHEDULER": "false",
            "BATCHBOT_HOST": "127.0.0.1",
            "BATCHBOT_LOG_LEVEL": "WARNING",
        }
    )
    return env


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve_and_measure(programs: int, requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d, FakeSlack(token=TOKEN, users=USERS) as fake:
        tmp = Path(d)
        plan = make_repo(tmp / "repo", programs)
        port = free_port()
        env = base_env(fake, plan, tmp) | {"PORT": str(port)}
        proc = subprocess.Popen(
            [str(BATCHBOT), "serve"], cwd=tmp, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            acks, ends = [], []
            warm = 2 * programs  # each program's plan is read (and validated) once first
            for n in range(requests + warm):
                channel = f"C0STAND{(n % programs):02d}"
                key = f"k{n}"
                body = slash_command_body(
                    text="status", user_id="U0ALICE", user_name="alice", team_id="T0TEAM",
                    channel_id=channel, response_url=fake.response_url(key), trigger_id=key,
                )  # fmt: skip
                request = urllib.request.Request(
                    url, data=body, headers=signed_headers(SECRET, body, FORM)
                )
                t0 = time.perf_counter()
                with urllib.request.urlopen(request, timeout=30) as r:
                    r.read()
                t1 = time.perf_counter()
                fake.wait_for_response(key, 1, timeout=30)
                t2 = time.perf_counter()
                if n >= warm:  # warm-up left out
                    acks.append((t1 - t0) * 1000)
                    ends.append((t2 - t0) * 1000)
            rss = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=20)

    def p(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1]

    return {
        "ack_p50": statistics.median(acks),
        "ack_p99": p(acks, 99),
        "e2e_p50": statistics.median(ends),
        "e2e_p99": p(ends, 99),
        "rss": rss,
    }


def routing_cost(programs: int, lines: int = 20000) -> float:
    """Routing alone, in process: µs per `/batch` line to pick the program (the handler does
    nothing), with every plan file unchanged — what the HTTP figures cannot resolve."""
    import io

    from bot.commands.programs import dispatch
    from bot.messenger import ConsoleMessenger
    from bot.plan.store import Actor
    from bot.replies import Reply, TextView
    from bot.runtime import build_runtime
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as d:
        plan = make_repo(Path(d) / "repo", programs)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, execution_plan_path=plan, database_url=f"sqlite:///{d}/b.db"
        )
        rt = build_runtime(settings, ConsoleMessenger(out=io.StringIO()))
        from bot.commands import Command

        alice = Actor("alice", slack_id="U0ALICE")
        cmds = [
            Command.from_text(alice, "status", "slack", f"C0STAND{n % programs:02d}")
            for n in range(programs)
        ]
        done = Reply(TextView("routed", ()))
        first = next(iter(rt.programs))
        times = []
        for n in range(lines):
            t0 = time.perf_counter()
            dispatch(cmds[n % programs], rt.programs, first, lambda c, ctx: done)
            times.append(time.perf_counter() - t0)
        return statistics.median(times[lines // 10 :]) * 1e6


def friday(programs: int, charts: bool = True) -> tuple[float, float, str]:
    """(seconds until every report is posted, seconds until the job is done, what it did).
    `charts=False`: as a plain install runs it (no `charts` extra: no PNG to draw)."""
    with tempfile.TemporaryDirectory() as d, FakeSlack(token=TOKEN, users=USERS) as fake:
        tmp = Path(d)
        plan = make_repo(tmp / "repo", programs)
        env = base_env(fake, plan, tmp)
        if not charts:  # hide matplotlib from the job as if the extra were not installed
            (tmp / "plain").mkdir()
            (tmp / "plain" / "sitecustomize.py").write_text(
                "import sys\nsys.modules['matplotlib'] = None\n"
            )
            env["PYTHONPATH"] = str(tmp / "plain")
        start = time.time()
        t0 = time.perf_counter()
        done = subprocess.run(
            [str(BATCHBOT), "jobs", "run", "weekly-report", "--at", "2026-12-04T15:00:00+00:00"],
            cwd=tmp, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        took = time.perf_counter() - t0
        reports = [
            c for c in fake.calls_to("chat.postMessage") if c.args["channel"].startswith("C0REP")
        ]
        pngs = [c for c in fake.calls_to("files.getUploadURLExternal") if ".png" in str(c.args)]
        last = max((c.time for c in reports), default=start) - start
        what = f"{len(reports)} reports posted, {len(pngs)} PNG charts, exit {done.returncode}"
        return last, took, what


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--programs", type=int, default=20)
    ap.add_argument(
        "--runs", type=int, default=1, help="paired runs (1 program, then many); medians shown"
    )
    ap.add_argument("--no-friday", action="store_true", help="leave out the Friday job")
    ap.add_argument("--friday-only", action="store_true", help="only the Friday job figure")
    args = ap.parse_args()
    if args.friday_only:
        friday_figures(args.programs)
        return
    pairs = []
    for _ in range(args.runs):  # paired: both sides see the same moment of a shared machine
        pairs.append(
            (serve_and_measure(1, args.requests), serve_and_measure(args.programs, args.requests))
        )
    med = statistics.median
    one = {k: med(p[0][k] for p in pairs) for k in pairs[0][0]}
    many = {k: med(p[1][k] for p in pairs) for k in pairs[0][1]}
    runs = f", median of {args.runs} paired runs" if args.runs > 1 else ""
    print(f"/batch status over signed HTTP, {args.requests} requests each (ms{runs}):")
    for name, figures in (("1 program", one), (f"{args.programs} programs", many)):
        print(
            f"  {name:<12} ack p50 {figures['ack_p50']:6.1f} p99 {figures['ack_p99']:6.1f}   "
            f"end-to-end p50 {figures['e2e_p50']:6.1f} p99 {figures['e2e_p99']:6.1f}   "
            f"RSS {figures['rss']:.0f} MB"
        )
    ratios = [p[1]["e2e_p99"] / p[0]["e2e_p99"] for p in pairs]
    acks = [p[1]["ack_p99"] / p[0]["ack_p99"] for p in pairs]
    p50s = [p[1]["e2e_p50"] / p[0]["e2e_p50"] for p in pairs]
    each = f"  (each run: {', '.join(f'{r:.2f}' for r in ratios)})" if args.runs > 1 else ""
    print(f"  end-to-end p99 ratio {med(ratios):.2f}× (goal ≤ 1.1×){each}")
    print(f"  end-to-end p50 ratio {med(p50s):.2f}×   ack p99 ratio {med(acks):.2f}×")
    alone = (routing_cost(1), routing_cost(args.programs))
    print(
        f"  routing alone, in process: {alone[0]:.1f} µs a line with 1 program, "
        f"{alone[1]:.1f} µs with {args.programs}"
    )
    extra = (many["rss"] - one["rss"]) / max(1, args.programs - 1)
    print(f"  server RSS per extra program: {extra:.2f} MB")
    if not args.no_friday:
        friday_figures(args.programs)


def friday_figures(programs: int) -> None:
    for charts, how in ((True, "with the charts extra"), (False, "plain install")):
        posted, took, what = friday(programs, charts)
        print(
            f"Friday job, {programs} programs, {how}: all reports posted after {posted:.1f} s "
            f"(goal < 10 s), job done in {took:.1f} s ({what})"
        )


if __name__ == "__main__":
    main()
