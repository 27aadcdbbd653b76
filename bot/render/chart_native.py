"""The burn-up drawn where people look, with no plotting library: Slack's own chart block and
a Mermaid chart GitHub draws in the report issue. The PNG (`chart_png`) needs the optional
`batchbot[charts]` extra (matplotlib); these need nothing but the numbers.

Slack's `data_visualization` block (Block Kit reference, "Data visualization block"): a
`title` of at most 50 characters and a `line` chart of 1–6 series, each a `name` of at most
20 characters (names unique) and 1–20 points `{label, value}` whose labels are the
`axis_config.categories` (each at most 20 characters; axis titles at most 50). So the block
shows the last 20 weeks that have happened, the overall and planned lines, and each batch's
line only while all of them fit in the six series.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.report.burnup import BurnUp
from bot.text import clip

MAX_TITLE = 50
MAX_SERIES = 6
MAX_POINTS = 20
MAX_NAME = 20
MAX_CATEGORY = 20
MAX_AXIS_TITLE = 50


def _unique_names(names: list[str]) -> list[str]:
    """Names clipped to Slack's 20 characters and made unique again (two long names can clip
    to the same text), keeping the order."""
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        base = clip(name.strip() or "batch", MAX_NAME)
        candidate, n = base, 2
        while candidate in seen:
            suffix = f" {n}"
            candidate = clip(base, MAX_NAME - len(suffix)) + suffix
            n += 1
        seen.add(candidate)
        out.append(candidate)
    return out


def _shown_weeks(chart: BurnUp) -> range:
    """The weeks the native charts show: up to this week, the last 20 of them."""
    end = chart.actual_weeks
    return range(max(0, end - MAX_POINTS), end)


def burnup_block(chart: BurnUp) -> dict[str, Any] | None:
    """A `data_visualization` line chart of the burn-up, or None before the first week."""
    weeks = _shown_weeks(chart)
    if not weeks:
        return None
    categories = _unique_names([chart.weeks[i] for i in weeks])
    series: list[tuple[str, list[float]]] = [
        ("Overall", [chart.overall[i] for i in weeks]),
        ("Planned", [chart.planned[i] for i in weeks]),
    ]
    if len(series) + len(chart.batches) <= MAX_SERIES:
        series += [(name, [points[i] for i in weeks]) for name, points in chart.batches]
    names = _unique_names([name for name, _ in series])
    return {
        "type": "data_visualization",
        "title": clip(f"{chart.title} — burn-up", MAX_TITLE),
        "chart": {
            "type": "line",
            "series": [
                {
                    "name": name,
                    "data": [
                        {"label": label, "value": round(value, 1)}
                        for label, value in zip(categories, values, strict=True)
                    ],
                }
                for name, (_, values) in zip(names, series, strict=True)
            ],
            "axis_config": {
                "categories": categories,
                "x_label": "week",
                "y_label": "progress %",
            },
        },
    }


def burnup_mermaid(chart: BurnUp, label: Callable[[str], str]) -> list[str]:
    """A Mermaid `xychart-beta` (GitHub draws it): the overall and planned lines, week by
    week up to this week. Empty before the first week. `label` makes a text safe inside
    Mermaid (the report's own rule, `report_markdown.mermaid_label`)."""
    weeks = _shown_weeks(chart)
    if not weeks:
        return []

    def numbers(values: list[float]) -> str:
        return ", ".join(f"{v:.1f}".rstrip("0").rstrip(".") for v in values)

    labels = ", ".join(f'"{label(chart.weeks[i])}"' for i in weeks)
    title = label(f"{chart.title} — burn-up (overall, then planned)")
    return [
        "```mermaid",
        "xychart-beta",
        f'    title "{title}"',
        f"    x-axis [{labels}]",
        '    y-axis "progress %" 0 --> 100',
        f"    line [{numbers([chart.overall[i] for i in weeks])}]",
        f"    line [{numbers([chart.planned[i] for i in weeks])}]",
        "```",
    ]
