"""The burn-up chart as a PNG: overall progress, each batch, and the planned line.

matplotlib (with the non-interactive Agg backend) is the optional `batchbot[charts]` extra:
the plotting stack (matplotlib, numpy, Pillow, fontTools, …) is more than half of a full
install for one chart, and Slack and GitHub draw their own (`chart_native`). It is imported
only in a child process that draws one PNG (`burnup_png`): it costs about half a second to
import and ~100 MB of memory, which a server would otherwise hold after its first chart.
Per-batch lines are one LineCollection, so 1,000 batches draw as fast as ten.
"""

from __future__ import annotations

import io

from bot.report.burnup import BurnUp

MAX_LEGEND = 12
INSTALL_HINT = "pip install 'batchbot[charts]'"


class ChartsNotInstalled(RuntimeError):
    """The PNG needs the `charts` extra; the message says how to install it."""

    def __init__(self) -> None:
        super().__init__(f"the PNG chart needs the charts extra (matplotlib): {INSTALL_HINT}")


def can_draw_png() -> bool:
    """Whether matplotlib is installed, without importing it (half a second)."""
    from importlib.util import find_spec

    try:
        return find_spec("matplotlib") is not None
    except ValueError:  # imported and then removed from sys.modules
        return False


def burnup_png(chart: BurnUp, *, width: float = 10.0, height: float = 5.5, dpi: int = 100) -> bytes:
    """The PNG, drawn in a child process: matplotlib and numpy are ~100 MB of memory that a
    server (the `/batch chart` upload, the Friday thread) would otherwise keep for good after
    its first chart. The child costs a Python start (tens of ms) beside the import itself."""
    import json
    import subprocess
    import sys

    if not can_draw_png():
        raise ChartsNotInstalled()
    size = {"width": width, "height": height, "dpi": dpi}
    done = subprocess.run(
        [sys.executable, "-c", "from bot.render.chart_png import _child; _child()"],
        input=json.dumps({"chart": _to_data(chart), **size}).encode(),
        capture_output=True,
        timeout=CHILD_SECONDS,
    )
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        why = (done.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the PNG chart could not be drawn: {why}")
    return done.stdout


CHILD_SECONDS = 120.0


def _to_data(chart: BurnUp) -> dict[str, object]:
    return {
        "title": chart.title,
        "weeks": list(chart.weeks),
        "ends": [d.isoformat() for d in chart.ends],
        "actual_weeks": chart.actual_weeks,
        "overall": list(chart.overall),
        "planned": list(chart.planned),
        "batches": [[name, list(series)] for name, series in chart.batches],
    }


def _child() -> None:
    """In the child: the chart as JSON on stdin, the PNG on stdout."""
    import datetime as dt
    import json
    import sys

    given = json.load(sys.stdin)
    data = given["chart"]
    chart = BurnUp(
        title=data["title"],
        weeks=tuple(data["weeks"]),
        ends=tuple(dt.date.fromisoformat(d) for d in data["ends"]),
        actual_weeks=int(data["actual_weeks"]),
        overall=tuple(float(v) for v in data["overall"]),
        planned=tuple(float(v) for v in data["planned"]),
        batches=tuple((str(n), tuple(float(v) for v in s)) for n, s in data["batches"]),
    )
    png = draw_png(chart, width=given["width"], height=given["height"], dpi=given["dpi"])
    sys.stdout.buffer.write(png)
    sys.stdout.buffer.flush()


def draw_png(chart: BurnUp, *, width: float = 10.0, height: float = 5.5, dpi: int = 100) -> bytes:
    """The PNG, drawn in this process (the child's half of `burnup_png`)."""
    try:
        import matplotlib
        import numpy as np
    except ImportError:
        raise ChartsNotInstalled() from None

    matplotlib.use("Agg", force=True)
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    ax = fig.add_subplot()
    xs = list(range(len(chart.weeks)))
    actual = list(range(chart.actual_weeks))
    if len(chart.batches) <= MAX_LEGEND:
        for name, series in chart.batches:
            ax.plot(actual, series, linewidth=1.2, alpha=0.8, marker="o", markersize=3, label=name)
    elif chart.batches and chart.actual_weeks:
        ys = np.array([series for _, series in chart.batches], dtype=float)
        xs_grid = np.broadcast_to(np.arange(chart.actual_weeks, dtype=float), ys.shape)
        lines = np.stack([xs_grid, ys], axis=-1)  # (batches, weeks, 2): one artist for all
        faint = LineCollection(list(lines), linewidths=0.5, colors="#c3cad3", antialiaseds=False)
        ax.add_collection(faint)
    ax.plot(xs, chart.planned, linestyle="--", color="#555555", linewidth=1.5, label="planned")
    ax.plot(actual, chart.overall, color="#1f6feb", linewidth=3, marker="o", label="overall")
    ax.set_ylim(0, 105)
    ax.set_xlim(-0.2, max(len(xs) - 0.8, 0.2))
    step = max(1, len(xs) // 20)
    ax.set_xticks(xs[::step], chart.weeks[::step])
    ax.set_ylabel("progress %")
    ax.set_title(f"{chart.title} — burn-up")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    out = io.BytesIO()
    fig.savefig(out, format="png", pil_kwargs={"compress_level": 3})
    return out.getvalue()
