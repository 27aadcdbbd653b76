"""The burn-up chart as a PNG: overall progress, each batch, and the planned line.

matplotlib (with the non-interactive Agg backend) is imported here, inside the function, and
nowhere else: it costs about half a second to import, and only a drawn chart should pay it
(`batchbot dashboard` never does). Per-batch lines are one LineCollection, so 1,000 batches
draw as fast as ten.
"""

from __future__ import annotations

import io

from bot.report.burnup import BurnUp

MAX_LEGEND = 12


def burnup_png(chart: BurnUp, *, width: float = 10.0, height: float = 5.5, dpi: int = 100) -> bytes:
    import matplotlib
    import numpy as np

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
