"""Resident memory of `batchbot serve` after a mixed load, next to a bare Bolt app's.

Why: a team runs the bot on the smallest instance that holds it; what the server keeps
imported and cached is paid for every hour it runs. The floor is a bare Bolt app on the
same server (bench/bench_slack.py's BARE_APP: same waitress settings, a `/batch` handler
that only acks).

Both processes get the same load over loopback HTTP, signed as Slack signs it: every
`/batch` word a team uses in a week (status, update, dashboard, weekly, history, standup,
standups, goals, blockers, risks, team, holiday list, chart, links), in turns from four
users at once. batchbot runs as the Procfile runs it (`batchbot serve`, scheduler on), on a
temp git repository with a copy of plan/execution-plan.toml, talking to the fake Slack Web
API (tests/fakeslack). RSS is read from /proc/<pid>/status after the load (VmRSS) and at its
peak (VmHWM). The database exists before the start (a restart, not a first deployment).

Goal (issue 20): batchbot's RSS after the load ≤ 1.5× the bare app's.

    python bench/bench_serve_rss.py [--rounds 5] [--modules] [--venv DIR] [--country DE]

`--venv DIR` serves both apps with DIR's Python and `batchbot` (e.g. a plain
`pip install -e .` without the charts extra, as a team deploys it); the default is the
running interpreter's.

`--modules` also prints the third-party packages the server has imported after the load
(from a copy of its sys.modules, dumped on SIGUSR1 by a tiny wrapper).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_slack as bs  # noqa: E402

from tests.fakeslack import FakeSlack, slash_command_body  # noqa: E402

GOAL = 1.5
PYTHON = sys.executable


class _Sys:
    """bench_slack's `sys` with another interpreter as `executable` (its start_bare uses it)."""

    def __init__(self, executable: str) -> None:
        self.executable = executable

    def __getattr__(self, name: str) -> object:
        return getattr(sys, name)


# One week of a team's /batch words. `update` changes progress (a real commit each time).
WORDS = (
    "status",
    "status batch-1",
    "update batch-{n} progress={p}",
    "dashboard",
    "weekly",
    "history batch-1",
    "standup Yesterday I wired the tests. Today the docs. No blockers.",
    "standups",
    "goals",
    "blockers",
    "risks",
    "team",
    "holiday list",
    "chart",
    "links",
    "help",
)

# The floor under batchbot's own code: the bare app's libraries plus the ones serve needs for
# its work (settings: pydantic-settings; the database: SQLAlchemy Core; replies: aiohttp via
# slack_sdk's async client; jobs: APScheduler), imported and nothing else.
FLOOR = """
import os
import slack_bolt, slack_bolt.adapter.wsgi, waitress.server
import pydantic_settings, sqlalchemy, slack_sdk.web.async_client
import apscheduler.schedulers.background
for line in open(f"/proc/{os.getpid()}/status"):
    if line.startswith("VmRSS:"):
        print(line.split()[1])
"""

# `batchbot serve` with a SIGUSR1 handler that writes the top-level names in sys.modules.
MODULES_WRAPPER = """
import os, signal, sys
def dump(*_):
    with open(os.environ["BENCH_MODULES_FILE"], "w") as out:
        out.write("\\n".join(sorted({m.split(".")[0] for m in list(sys.modules)})))
signal.signal(signal.SIGUSR1, dump)
from bot.cli import main
sys.argv = ["batchbot", "serve"]
sys.exit(main())
"""


def start_batchbot(
    tmp: Path, fake: FakeSlack, plan: Path, modules: Path | None, country: str | None
) -> bs.Server:
    port = bs.free_port()
    env = bs.base_env(fake, port)
    env.update(
        {
            "EXECUTION_PLAN_PATH": str(plan),
            "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
        }
    )
    if country:
        env["BATCHBOT_HOLIDAY_COUNTRY"] = country
    # The database exists already, as on every start but a deployment's very first (which
    # creates the schema with Alembic, and then keeps Alembic imported).
    create = "import sys; from bot.db import Database; Database(sys.argv[1]).close()"
    subprocess.run([PYTHON, "-c", create, env["DATABASE_URL"]], env=env, check=True)
    cmd = [str(bs.BATCHBOT), "serve"]  # what the Procfile runs
    if modules is not None:
        env["BENCH_MODULES_FILE"] = str(modules)
        cmd = [PYTHON, "-c", MODULES_WRAPPER]
    log = tmp / "batchbot.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = bs.Server("batchbot", proc, port, log)
    bs.wait_healthy(server)
    return server


def load(fake: FakeSlack, server: bs.Server, rounds: int, users: int = 4) -> list[str]:
    """`rounds` passes over WORDS by each of `users` users at once; the errors seen."""
    errors: list[str] = []
    seq = iter(range(10**9))
    lock = threading.Lock()

    def user(u: int) -> None:
        for r in range(rounds):
            for w in WORDS:
                with lock:
                    i = next(seq)
                text = w.format(n=i % bs.BATCHES + 1, p=i % 100 + 1)
                key = f"{server.name}-{i}"
                body = slash_command_body(
                    text=text,
                    user_id=bs.USER,
                    user_name="alice",
                    team_id=bs.TEAM,
                    channel_id="C0PLAN",
                    response_url=fake.response_url(key),
                    trigger_id=f"trig-{key}",
                )
                status, data, _, _ = bs.post(server.port, body)
                if status != 200:
                    errors.append(f"{server.name} {text!r}: HTTP {status} {data[:120]!r}")
                    continue
                if server.name == "batchbot":
                    try:  # the reply leaves after the ack; the next word waits for it
                        fake.wait_for_response(key, timeout=bs.REPLY_TIMEOUT_S)
                    except TimeoutError:
                        errors.append(f"{server.name} {text!r}: no reply at response_url")
            del r

    threads = [threading.Thread(target=user, args=(u,)) for u in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="passes over the words per user")
    ap.add_argument("--modules", action="store_true", help="list what the server imported")
    ap.add_argument("--venv", type=Path, help="serve with this venv's python and batchbot")
    ap.add_argument("--country", help="BATCHBOT_HOLIDAY_COUNTRY for batchbot (e.g. DE)")
    args = ap.parse_args(argv)
    if args.venv is not None:
        python = args.venv.resolve() / "bin" / "python"
        bs.BATCHBOT = python.parent / "batchbot"
        bs.sys = _Sys(str(python))  # type: ignore[assignment]  # start_bare's interpreter
        global PYTHON
        PYTHON = str(python)
    for name in bs.PROXY_VARS:
        os.environ.pop(name, None)
    tmp = Path(tempfile.mkdtemp(prefix="bench-rss-"))
    servers: list[bs.Server] = []
    modules = tmp / "modules.txt" if args.modules else None
    started = time.monotonic()
    try:
        with FakeSlack(token=bs.TOKEN, team_id=bs.TEAM, users=bs.USERS) as fake:
            repo = tmp / "repo"
            (repo / "plan").mkdir(parents=True)
            bs.git(repo, "init", "-q", "-b", "main")
            bs.git(repo, "config", "user.name", "Bench Owner")
            bs.git(repo, "config", "user.email", "bench@example.com")
            bs.git(repo, "config", "commit.gpgsign", "false")
            plan = repo / "plan" / "execution-plan.toml"
            shutil.copy(bs.SHIPPED_PLAN, plan)
            bs.git(repo, "add", ".")
            bs.git(repo, "commit", "-qm", "plan")
            bot = start_batchbot(tmp, fake, plan, modules, args.country)
            servers.append(bot)
            bare = bs.start_bare(tmp, fake, bs.default_threads())
            servers.append(bare)
            idle = {s.name: bs.read_status_kb(s.proc.pid, "VmRSS") for s in servers}
            errors: list[str] = []
            for s in (bot, bare):
                errors += load(fake, s, args.rounds)
            time.sleep(1.0)  # replies still leaving; let the outbox drain
            after = {s.name: bs.read_status_kb(s.proc.pid, "VmRSS") for s in servers}
            peak = {s.name: bs.read_status_kb(s.proc.pid, "VmHWM") for s in servers}
            requests = args.rounds * len(WORDS) * 4
            print(
                f"{requests} requests each ({len(WORDS)} /batch words x {args.rounds} rounds "
                f"x 4 users); {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}"
            )
            for s in servers:
                print(
                    f"{s.name:9s} RSS idle {idle[s.name] / 1024:6.1f} MB, after the load "
                    f"{after[s.name] / 1024:6.1f} MB, peak {peak[s.name] / 1024:6.1f} MB"
                )
            floor = int(
                subprocess.run(
                    [PYTHON, "-c", FLOOR], capture_output=True, text=True, check=True
                ).stdout
            )
            print(
                f"{'libraries':9s} RSS {floor / 1024:6.1f} MB: the bare app's plus pydantic-"
                f"settings, SQLAlchemy, aiohttp, APScheduler imported, no batchbot code "
                f"({floor / after['bare']:.2f}x bare)"
            )
            ratio = after["batchbot"] / after["bare"]
            ok = ratio <= GOAL and not errors
            print(
                f"batchbot / bare after the load: {ratio:.2f}x "
                f"(goal <= {GOAL}x: {'ok' if ratio <= GOAL else 'MISSED'}); "
                f"peak {peak['batchbot'] / peak['bare']:.2f}x"
            )
            if modules is not None:
                os.kill(bot.proc.pid, signal.SIGUSR1)
                for _ in range(50):
                    if modules.exists():
                        break
                    time.sleep(0.1)
                names = modules.read_text().split() if modules.exists() else []
                third = [n for n in names if n not in sys.stdlib_module_names and n != "bot"]
                print(f"third-party packages imported by the server: {' '.join(third)}")
            for e in errors[:10]:
                print(f"error: {e}")
            print(f"total {time.monotonic() - started:.0f} s")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, bs._on_term)
    sys.exit(main())
