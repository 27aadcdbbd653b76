"""Benchmark the `batchbot` command line the way people (and scripts) run it.

Why: `batchbot` replaces `node batchTracker.js`, whose dashboard takes ~60 ms. The goal is
`batchbot dashboard` on the shipped plan in under 100 ms wall, measured as a fresh process
each time (interpreter start and imports included — that is what a user waits for). It also
times `update` (one git commit per change) and checks that the plan path never imports the
Slack / scheduler / database / settings stack, then shows where the import time goes.

    python bench/bench_cli.py            # ~15-60 s; works in temp dirs, touches nothing else
    python bench/bench_cli.py --runs 30 --updates 40
    python bench/bench_cli.py --side-by-side   # only the comparisons with node, to repeat

Ratios are printed three ways: of the medians, the median of the round-by-round (paired)
ratios, and of the CPU time (user + sys, git's processes included), which a busy machine
moves least.

Side by side with node: bench/batchTracker.js is a small copy of the seed tool's dashboard
path (read JSON, check, print the table — the same bytes, which this script checks). Both
run on the same plan (the old JSON layout, tests/data_old_plan.json), interleaved run by run
so a busy machine slows both alike; batchbot on the shipped TOML plan is shown beside it.
The goal is batchbot ≤ 1.0× node's wall time. Without node, `python -c pass` is the floor.

Plans: the shipped plan/execution-plan.toml and a generated valid 1,000-batch plan (unique
ids, blockers name earlier batches only), written with the project's own TOML codec.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.plan import codec  # noqa: E402
from bot.plan.model import STATUSES, parse_plan  # noqa: E402

SHIPPED_PLAN = ROOT / "plan" / "execution-plan.toml"
OLD_JSON = ROOT / "tests" / "data_old_plan.json"
NODE_TRACKER = ROOT / "bench" / "batchTracker.js"
NODE_GOAL_RATIO = 1.0
UPDATE_GOAL_RATIO = 1.3
BATCHBOT = Path(sys.executable).parent / "batchbot"
GOAL_MS = 100.0
BIG_BATCHES = 1000
TIMEOUT_S = 60
FORBIDDEN = ("slack_bolt", "slack_sdk", "apscheduler", "sqlalchemy", "pydantic_settings")

# Runs in a fresh interpreter: the dashboard through bot.cli.main, then what got imported
# (beyond what the interpreter had at start-up) and how long imports plus work took.
_MODULE_CHECK = """
import contextlib, io, json, sys, time
start = set(sys.modules)
began = time.perf_counter()
import bot.cli
imported = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    rc = bot.cli.main(["--plan", sys.argv[1], "dashboard"])
done = time.perf_counter()
roots = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"rc": rc, "roots": roots, "count": len(sys.modules),
                  "added": len(set(sys.modules) - start - {"contextlib", "io", "json", "time"}),
                  "main_ms": (done - began) * 1000}))
"""

# The console script's own body, so -X importtime sees exactly the dashboard path.
_IMPORTTIME = """
import sys
from bot.cli import main
sys.argv = ["batchbot", "--plan", sys.argv[1], "dashboard"]
main()
"""


def _env() -> dict[str, str]:
    """The caller's environment minus settings that would point batchbot elsewhere."""
    env = dict(os.environ)
    for key in (
        "EXECUTION_PLAN_PATH",
        "BATCHBOT_GIT_PUSH",
        "BATCHBOT_GIT_REMOTE",
        "BATCHBOT_EDITORS",
    ):
        env.pop(key, None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let the runs use cached .pyc files, as users do
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr or proc.stdout}"
        )
    return proc


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall time of one fresh process, in ms."""
    return _timed_cpu(cmd, cwd, env)[0]


def _timed_cpu(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) of one fresh process and the processes it started (git), in ms. CPU time
    (user + sys) moves far less than wall time on a machine other people are using."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    _run(cmd, cwd, env)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu * 1000


def _paired(ours: list[float], theirs: list[float]) -> str:
    """The median of the round-by-round ratios: each round ran both within milliseconds of
    each other, so a neighbour's burst slows both sides of the same pair."""
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    return f"{statistics.median(ratios):.2f}× median of paired ratios"


def interleaved(
    cmds: dict[str, list[str]], runs: int, env: dict[str, str]
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU times of fresh processes, one of each command per round (2 warm-up
    rounds)."""
    samples: dict[str, list[float]] = {name: [] for name in cmds}
    cpus: dict[str, list[float]] = {name: [] for name in cmds}
    for i in range(runs + 2):
        for name, cmd in cmds.items():
            ms, cpu = _timed_cpu(cmd, ROOT, env)
            if i >= 2:
                samples[name].append(ms)
                cpus[name].append(cpu)
    return samples, cpus


def side_by_side(runs: int, env: dict[str, str]) -> None:
    """batchbot dashboard against the node tool it replaces, on the same plan."""
    node = shutil.which("node")
    batchbot_json = [str(BATCHBOT), "--plan", str(OLD_JSON), "dashboard"]
    cmds = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "batchbot dashboard (old JSON plan)": batchbot_json,
        "batchbot dashboard (shipped TOML plan)": [
            str(BATCHBOT),
            "--plan",
            str(SHIPPED_PLAN),
            "dashboard",
        ],
    }
    if node:
        node_cmd = [node, str(NODE_TRACKER), "dashboard"]
        node_env = {**env, "EXECUTION_PLAN_PATH": str(OLD_JSON)}
        ours = _run(batchbot_json, ROOT, env).stdout
        theirs = subprocess.run(
            node_cmd, cwd=ROOT, env=node_env, capture_output=True, text=True, check=True
        ).stdout
        if ours != theirs:
            raise SystemExit("bench/batchTracker.js and batchbot print different dashboards")
        cmds["node batchTracker.js dashboard"] = [
            "env",
            f"EXECUTION_PLAN_PATH={OLD_JSON}",
            *node_cmd,
        ]
    print(f"side by side, {runs} interleaved rounds (same output checked byte for byte):")
    samples, cpus = interleaved(cmds, runs, env)
    for name, values in samples.items():
        print(f"  {name:<40} {_summary(values)}; CPU median {statistics.median(cpus[name]):.1f} ms")
    base_name = "node batchTracker.js dashboard" if node else "python -c pass"
    base = statistics.median(samples[base_name])
    base_min = min(samples[base_name])
    for name in ("batchbot dashboard (old JSON plan)", "batchbot dashboard (shipped TOML plan)"):
        ratio = statistics.median(samples[name]) / base
        fastest = min(samples[name]) / base_min
        goal = (
            f" (goal ≤ {NODE_GOAL_RATIO:.1f}×: {'met' if ratio <= NODE_GOAL_RATIO else 'MISSED'})"
            if node
            else " (node not found: ratio to the interpreter floor)"
        )
        cpu = statistics.median(cpus[name]) / statistics.median(cpus[base_name])
        print(
            f"  ratio {name} / {base_name}: {ratio:.2f}× of medians, "
            f"{_paired(samples[name], samples[base_name])}, {fastest:.2f}× of minimums, "
            f"{cpu:.2f}× of CPU{goal}"
        )


def update_side_by_side(runs: int, env: dict[str, str]) -> None:
    """`batchbot update` (validate, write, one git commit) against the node tool's `update`
    (validate, write the JSON, no commit), interleaved, each on its own copy of the old plan."""
    node = shutil.which("node")
    if not node:
        print("update side by side: node not found, skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        node_plan = Path(tmp) / "node.json"
        shutil.copy(OLD_JSON, node_plan)
        repo = Path(tmp) / "repo"
        repo.mkdir()
        shutil.copy(OLD_JSON, repo / "plan.json")
        for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "plan"]):
            subprocess.run(["git", *args], cwd=repo, env=env, check=True)
        samples: dict[str, list[float]] = {"node": [], "batchbot": []}
        cpus: dict[str, list[float]] = {"node": [], "batchbot": []}
        for i in range(runs + 2):
            value = f"progress={i % 90 + 1}"
            for name, cmd in (
                ("node", ["env", f"EXECUTION_PLAN_PATH={node_plan}", node, str(NODE_TRACKER)]),
                ("batchbot", [str(BATCHBOT), "--plan", str(repo / "plan.json")]),
            ):
                ms, cpu = _timed_cpu([*cmd, "update", "batch-1", value], repo, env)
                if i >= 2:
                    samples[name].append(ms)
                    cpus[name].append(cpu)
        count = ["git", "rev-list", "--count", "HEAD"]
        commits = subprocess.run(count, cwd=repo, env=env, capture_output=True, text=True).stdout
        commits = commits.strip()
    print(f"update side by side, {runs} interleaved rounds (batchbot made {commits} commits):")
    print(f"  {'node batchTracker.js update (no commit)':<40} {_summary(samples['node'])}")
    print(f"  {'batchbot update (one commit each)':<40} {_summary(samples['batchbot'])}")
    ratio = statistics.median(samples["batchbot"]) / statistics.median(samples["node"])
    cpu = statistics.median(cpus["batchbot"]) / statistics.median(cpus["node"])
    verdict = "met" if ratio <= UPDATE_GOAL_RATIO else "MISSED"
    print(
        f"  ratio batchbot / node update: {ratio:.2f}× of medians, "
        f"{_paired(samples['batchbot'], samples['node'])}, {cpu:.2f}× of CPU (CPU medians "
        f"{statistics.median(cpus['batchbot']):.1f} vs {statistics.median(cpus['node']):.1f} "
        f"ms, git included) (goal ≤ 1.3×: {verdict})"
    )


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def _summary(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples):.1f} ms, p90 {_p90(samples):.1f} ms, "
        f"min {min(samples):.1f} ms"
    )


def big_plan_text(count: int) -> str:
    """A valid plan of `count` batches: blockers only ever name earlier batches."""
    batches = []
    for i in range(1, count + 1):
        blockers = [f"batch-{j}" for j in (i - 1, i - 7, i - 50) if j >= 1]
        batches.append(
            {
                "id": f"batch-{i}",
                "name": f"Workstream {i}: migrate service {i % 37} to the new platform",
                "priority": f"P{i % 4}",
                "status": STATUSES[i % len(STATUSES)],
                "progress": (i * 7) % 101,
                "targetDate": f"Week {i // 10 + 1}",
                "owner": f"person{i % 50}" if i % 3 else "",
                "blockers": blockers,
                "notes": f"Scope note for batch {i}: endpoints, tests, rollout and docs.",
            }
        )
    data = {
        "program": {"name": f"Generated program: {count} batches"},
        "batches": batches,
        "metrics": {"prsMerged": 120, "ciPassRate": 93.5, "coverage": 78},
        "targets": {},
        "risks": [
            {"risk": "Vendor API changes", "probability": "Medium", "impact": "High"},
        ],
    }
    return codec.dumps(parse_plan(data, "generated"), as_json=False)


def make_repo(folder: Path, plan_text: str, env: dict[str, str]) -> Path:
    """A throwaway git repo with the plan committed and a local identity."""
    folder.mkdir(parents=True)
    plan = folder / "plan" / "execution-plan.toml"
    plan.parent.mkdir()
    plan.write_text(plan_text, encoding="utf-8")
    for args in (
        ["init", "-q"],
        ["config", "user.name", "Bench Runner"],
        ["config", "user.email", "bench@example.invalid"],
        ["config", "commit.gpgsign", "false"],
        ["add", "plan/execution-plan.toml"],
        ["commit", "-q", "--no-verify", "-m", "Initial plan"],
    ):
        _run(["git", *args], folder, env)
    return plan


def bench_dashboard(plan: Path, runs: int, env: dict[str, str]) -> list[float]:
    cmd = [str(BATCHBOT), "--plan", str(plan), "dashboard"]
    for _ in range(2):  # warm the OS file cache and the .pyc files
        _timed(cmd, ROOT, env)
    return [_timed(cmd, ROOT, env) for _ in range(runs)]


def bench_updates(plan: Path, updates: int, env: dict[str, str]) -> list[float]:
    """Wall time of `updates` fresh `batchbot update` processes, each making one commit."""
    repo = plan.parent.parent
    batches = codec.read(plan).batches
    progress = {b.id: b.progress for b in batches}
    ids = [b.id for b in batches if b.status != "done"]  # done means 100: not settable
    before = int(_run(["git", "rev-list", "--count", "HEAD"], repo, env).stdout)
    samples = []
    for i in range(updates):
        batch_id = ids[(i * 97) % len(ids)]  # spread over the plan
        value = 1 + (i * 13) % 99
        if value == progress[batch_id]:
            value = value % 99 + 1  # always a real change, so always a commit
        progress[batch_id] = value
        cmd = [str(BATCHBOT), "--plan", str(plan), "update", batch_id, f"progress={value}"]
        samples.append(_timed(cmd, repo, env))
    after = int(_run(["git", "rev-list", "--count", "HEAD"], repo, env).stdout)
    if after - before != updates:
        raise SystemExit(f"expected {updates} commits in {repo}, got {after - before}")
    dirty = _run(["git", "status", "--porcelain"], repo, env).stdout.strip()
    if dirty:
        raise SystemExit(f"{repo} is left dirty after the updates:\n{dirty}")
    final = {b.id: b.progress for b in codec.read(plan).batches}
    if final != progress:
        raise SystemExit(f"{plan} does not hold the progress values that were set")
    return samples


def check_modules(plan: Path, env: dict[str, str]) -> tuple[list[str], int, int, float]:
    """(forbidden roots loaded, modules in all, modules batchbot added, ms for imports+work)."""
    proc = _run([sys.executable, "-c", _MODULE_CHECK, str(plan)], ROOT, env)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise SystemExit(f"dashboard via bot.cli.main returned {result['rc']}")
    found = [m for m in FORBIDDEN if m in result["roots"]]
    return found, result["count"], result["added"], result["main_ms"]


PYDANTIC_FAMILY = {"pydantic", "pydantic_core", "annotated_types", "typing_inspection"}


class Imported(NamedTuple):
    self_us: int
    cum_us: int
    depth: int
    parent: str | None  # the module whose import pulled this one in (None: top level)


def import_times(plan: Path, env: dict[str, str], repeats: int = 3) -> dict[str, Imported]:
    """Per module imported on the dashboard path: median over `repeats` -X importtime runs."""
    seen: dict[str, list[tuple[int, int]]] = {}
    shape: dict[str, tuple[int, str | None]] = {}
    for _ in range(repeats):
        proc = _run([sys.executable, "-X", "importtime", "-c", _IMPORTTIME, str(plan)], ROOT, env)
        waiting: dict[int, list[str]] = {}  # children come before their parent in the output
        for line in proc.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, cum_us, raw = line[len("import time:") :].split("|")
            name = raw.strip()
            depth = (len(raw) - len(raw.lstrip()) - 1) // 2
            for child in waiting.pop(depth + 1, []):
                shape[child] = (shape[child][0], name)
            waiting.setdefault(depth, []).append(name)
            shape.setdefault(name, (depth, None))
            seen.setdefault(name, []).append((int(self_us), int(cum_us)))
    return {
        name: Imported(
            int(statistics.median(s for s, _ in rows)),
            int(statistics.median(c for _, c in rows)),
            *shape[name],
        )
        for name, rows in seen.items()
    }


def print_import_report(times: dict[str, Imported]) -> None:
    total = sum(m.self_us for m in times.values())
    print(
        f"imports on the dashboard path (python -X importtime, shipped plan; its own overhead "
        f"inflates these): {len(times)} modules, {total / 1000:.1f} ms of self time in all"
    )
    print("  top 5 by cumulative time (nesting depth in brackets):")
    for name, m in sorted(times.items(), key=lambda kv: -kv[1].cum_us)[:5]:
        print(f"    {m.cum_us / 1000:7.1f} ms  {name} [{m.depth}]")
    print("  top 5 by self time:")
    for name, m in sorted(times.items(), key=lambda kv: -kv[1].self_us)[:5]:
        print(f"    {m.self_us / 1000:7.1f} ms  {name}")

    def family(name: str | None) -> bool:
        return name is not None and name.split(".")[0] in PYDANTIC_FAMILY

    # Whole subtrees rooted at a pydantic module (what pydantic imports, stdlib included);
    # pydantic imports lazily, so several roots hang under bot.plan.model, not under pydantic.
    roots = [(n, m) for n, m in times.items() if family(n) and not family(m.parent)]
    pulled = sum(m.cum_us for _, m in roots)
    where = sorted({str(m.parent) for _, m in roots})
    print(
        f"  pydantic and everything it pulls in: {pulled / 1000:.1f} ms "
        f"({len(roots)} import subtrees, triggered from {', '.join(where)})"
    )
    groups: dict[str, int] = {}
    for name, m in times.items():
        groups[name.split(".")[0]] = groups.get(name.split(".")[0], 0) + m.self_us
    top = sorted(groups.items(), key=lambda kv: -kv[1])[:6]
    print(
        "  self time by top-level package: " + ", ".join(f"{k} {v / 1000:.1f} ms" for k, v in top)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="dashboard runs per plan")
    parser.add_argument("--updates", type=int, default=20, help="update commits per plan")
    parser.add_argument(
        "--side-by-side",
        action="store_true",
        help="only the two comparisons with node (dashboard, update); ~4x quicker, to repeat",
    )
    args = parser.parse_args()
    if not BATCHBOT.exists():
        raise SystemExit(f"no batchbot console script at {BATCHBOT}; pip install -e . first")
    env = _env()
    began = time.perf_counter()
    shipped_count = len(codec.read(SHIPPED_PLAN).batches)
    print(f"batchbot: {BATCHBOT}")
    print(f"python {sys.version.split()[0]}, {args.runs} dashboard runs, {args.updates} updates")

    floor = [_timed([sys.executable, "-c", "pass"], ROOT, env) for _ in range(args.runs)]
    print(f"python startup alone (python -c pass): {_summary(floor)}")
    side_by_side(args.runs, env)
    update_side_by_side(args.runs, env)
    if args.side_by_side:
        print(f"bench took {time.perf_counter() - began:.1f} s")
        return 0

    with tempfile.TemporaryDirectory(prefix="batchbot-bench-") as tmp:
        work = Path(tmp)
        big_plan = work / "big" / "execution-plan.toml"
        big_plan.parent.mkdir()
        big_plan.write_text(big_plan_text(BIG_BATCHES), encoding="utf-8")
        codec.read(big_plan)  # the generated plan must itself be valid

        shipped = bench_dashboard(SHIPPED_PLAN, args.runs, env)
        verdict = "met" if statistics.median(shipped) < GOAL_MS else "MISSED"
        print(
            f"dashboard (shipped plan, {shipped_count} batches): {_summary(shipped)} "
            f"(goal < {GOAL_MS:.0f} ms: {verdict}; old node script ~60 ms)"
        )
        big = bench_dashboard(big_plan, args.runs, env)
        print(f"dashboard (generated plan, {BIG_BATCHES} batches): {_summary(big)}")

        for label, text, count in (
            (
                f"shipped plan, {shipped_count} batches",
                SHIPPED_PLAN.read_text("utf-8"),
                shipped_count,
            ),
            (f"generated plan, {BIG_BATCHES} batches", big_plan.read_text("utf-8"), BIG_BATCHES),
        ):
            repo_plan = make_repo(work / f"repo-{count}", text, env)
            samples = bench_updates(repo_plan, args.updates, env)
            print(
                f"update ({label}, {args.updates} commits): median "
                f"{statistics.median(samples):.1f} ms per update incl. git commit, "
                f"p90 {_p90(samples):.1f} ms, min {min(samples):.1f} ms"
            )

        leaked = False
        for label, plan in (("shipped plan", SHIPPED_PLAN), ("generated plan", big_plan)):
            found, count, added, main_ms = check_modules(plan, env)
            leaked = leaked or bool(found)
            status = (
                f"ok, none of {', '.join(FORBIDDEN)} imported"
                if not found
                else "FAIL, imported " + ", ".join(found)
            )
            print(
                f"dashboard path via bot.cli.main ({label}): {added} modules imported beyond "
                f"start-up ({count} in all), imports + work {main_ms:.1f} ms in process; "
                f"heavy modules: {status}"
            )

        print_import_report(import_times(SHIPPED_PLAN, env))
    print(f"bench took {time.perf_counter() - began:.1f} s")
    return 1 if leaked else 0  # a leak is a bug; a missed time goal is only reported


if __name__ == "__main__":
    raise SystemExit(main())
