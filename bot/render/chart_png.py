"""The burn-up chart as a PNG: overall progress, each batch, and the planned line.

matplotlib (with the non-interactive Agg backend) is the optional `batchbot[charts]` extra:
the plotting stack (matplotlib, numpy, Pillow, fontTools, …) is more than half of a full
install for one chart, and Slack and GitHub draw their own (`chart_native`). It is imported
here, inside the function, and nowhere else: it costs about half a second to import, and only
a drawn PNG should pay it. Per-batch lines are one LineCollection, so 1,000 batches draw as
fast as ten.
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
