"""Benchmark the burn-up chart at scale: 1,000 batches × 52 weeks. Goal: < 1 s, < 200 MB peak.

Why: `/batch chart`, `batchbot chart --out` and the Friday post draw it on demand; after a
year a plan may have 1,000 batches with a progress change every week.

Each run is a fresh process (as `batchbot chart` is), so matplotlib's import is paid every
time and the peak resident memory (ru_maxrss) is that of one chart. Timed parts: the
matplotlib import, the numbers (`burnup`: each batch's progress at each week's end, from
52,000 progress samples), the drawing (`draw_png`, Agg: what `burnup_png`'s child process
runs), and the whole.

    python bench/bench_chart.py [--runs 5] [--batches 1000] [--weeks 52]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import datetime as dt, json, random, resource, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from bot.plan.model import Batch, Plan, Program
from bot.report.burnup import burnup
batches, weeks = {batches}, {weeks}
start = dt.date(2026, 1, 5)
rng = random.Random(7)
plan_batches, samples = [], {{}}
for i in range(batches):
    first = rng.randrange(1, weeks - 4)
    last = min(weeks, first + rng.randrange(2, 10))
    progress, points = 0, []
    for w in range(first, weeks + 1):
        when = dt.datetime.combine(start + dt.timedelta(days=7 * (w - 1) + 2), dt.time(10),
                                   tzinfo=dt.UTC)
        points.append((when, progress))
        progress = min(100, progress + rng.randrange(0, 25))
    samples[f"b{{i}}"] = points
    plan_batches.append(Batch(id=f"b{{i}}", name=f"Batch {{i}}", progress=progress,
                              status="done" if progress == 100 else "in-progress",
                              targetDate=f"Week {{first}}–{{last}}"))
plan = Plan(program=Program(name="Bench program", start=start), batches=tuple(plan_batches))
today = start + dt.timedelta(days=7 * weeks - 1)
t_setup = time.perf_counter(); c_setup = time.process_time()
import matplotlib
matplotlib.use("Agg")
import matplotlib.figure, matplotlib.collections
t_import = time.perf_counter()
chart = burnup(plan, samples, today)
t_numbers = time.perf_counter()
from bot.render.chart_png import draw_png  # burnup_png's child does this; here in process
png = draw_png(chart)
t_draw = time.perf_counter(); c_draw = time.process_time()
print(json.dumps({{
    "import_ms": (t_import - t_setup) * 1000,
    "numbers_ms": (t_numbers - t_import) * 1000,
    "draw_ms": (t_draw - t_numbers) * 1000,
    "chart_ms": (t_draw - t_setup) * 1000,
    "chart_cpu_ms": (c_draw - c_setup) * 1000,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "png_bytes": len(png),
    "weeks": len(chart.weeks),
    "series": len(chart.batches),
}}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batches", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    code = CHILD.format(root=str(ROOT), batches=args.batches, weeks=args.weeks)
    runs = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        runs.append(json.loads(out))

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    work = [r["numbers_ms"] + r["draw_ms"] for r in runs]
    worst = max(r["chart_ms"] for r in runs)
    peak = max(r["peak_mb"] for r in runs)
    print(
        f"burn-up chart, {runs[0]['series']} batches × {runs[0]['weeks']} weeks, "
        f"{args.runs} fresh processes: numbers {med('numbers_ms'):.0f} ms + drawing "
        f"{med('draw_ms'):.0f} ms = median {statistics.median(work):.0f} ms, worst "
        f"{max(work):.0f} ms; PNG {runs[0]['png_bytes']:,} bytes"
    )
    print(
        f"with matplotlib's import ({med('import_ms'):.0f} ms) the whole cold chart takes "
        f"median {med('chart_ms'):.0f} ms, worst {worst:.0f} ms wall, "
        f"{med('chart_cpu_ms'):.0f} ms CPU (wall includes waiting for a shared CPU)"
    )
    print(f"peak memory (max RSS of one chart process): {peak:.0f} MB")
    ok_time, ok_mem = max(work) < 1000, peak < 200
    print(
        f"goal chart < 1 s: {'met' if ok_time else 'NOT met'}; "
        f"goal < 200 MB: {'met' if ok_mem else 'NOT met'}"
    )
    return 0 if ok_time and ok_mem else 1


if __name__ == "__main__":
    raise SystemExit(main())
