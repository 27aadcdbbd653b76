"""The metrics section: each figure against its target, with the change since last week.

Shared by the weekly report and `/batch metrics` (one wording for both).

A figure counts for a week only when it was measured or typed in that week (`[measured]`
holds when). An older one is shown as "last measured <date>" and is never compared and never
a win: a value typed in week 1 and never re-entered is not week 2's. A value without any
date (plans written before dates were kept, the old JSON's figures) says so, the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from bot.plan.model import Measurement, Metrics, Targets


@dataclass(frozen=True)
class MetricLine:
    label: str
    value: str
    target: str
    ok: bool | None  # None: no target
    change: str = ""


def _num(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "not measured"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text}{unit}"


def _delta(old: float | int | None, new: float | int | None, unit: str = "") -> str:
    if old is None or new is None or old == new:
        return "no change" if old == new and old is not None else ""
    diff = new - old
    return f"{'+' if diff > 0 else '−'}{abs(diff):g}{unit} since last week"


def _on_target(value: float | int | None, limit: float | int | None, op: str) -> bool | None:
    """None when there is no target, and when nothing was measured: never a win by default."""
    if limit is None or value is None:
        return None
    if op == ">=":
        return value >= limit
    return value < limit if op == "<" else value <= limit


def _stale(
    value: float | int | None,
    name: str,
    measured: Mapping[str, Measurement] | None,
    since: dt.date | None,
    zone: dt.tzinfo | None,
) -> str:
    """Why a figure does not count for the week starting `since` ("" when it does)."""
    if since is None or value is None or measured is None:
        return ""
    m = measured.get(name)
    if m is None:
        return "when it was measured is not known"
    day = m.at.astimezone(zone).date() if zone is not None and m.at.tzinfo else m.at.date()
    return "" if day >= since else f"last measured {day:%a %d %b %Y}"


def metric_lines(
    metrics: Metrics,
    targets: Targets,
    before: Metrics | None,
    measured: Mapping[str, Measurement] | None = None,
    since: dt.date | None = None,
    zone: dt.tzinfo | None = None,
) -> list[MetricLine]:
    """One line per metric. With `measured` and `since` (the first day of the report's week),
    a figure from before `since` is marked and never compared nor counted as on target."""

    def prev(name: str) -> float | int | None:
        return getattr(before, name) if before is not None else None

    m, t = metrics, targets
    rows = [
        ("PRs merged", "prsMerged", "", "", None, ""),
        ("CI pass rate", "ciPassRate", "%", f"≥ {t.ciPassRateMin:g}%", t.ciPassRateMin, ">="),
        ("Test coverage", "coverage", "%", f"≥ {t.coverageMin:g}%", t.coverageMin, ">="),
        (
            "Production incidents",
            "productionIncidents",
            "",
            f"≤ {t.productionIncidentsMax}",
            t.productionIncidentsMax,
            "<=",
        ),
        (
            "Mean time to deploy",
            "deploymentMinutes",
            " min",
            f"< {t.deploymentMinutesMax:g} min",
            t.deploymentMinutesMax,
            "<",
        ),
        ("CI flake rate", "ciFlakeRate", "%", f"< {t.ciFlakeRateMax:g}%", t.ciFlakeRateMax, "<"),
        (
            "Workflow time",
            "workflowMinutes",
            " min",
            f"< {t.workflowMinutesMax:g} min",
            t.workflowMinutesMax,
            "<",
        ),
        (
            "Open critical/high vulnerabilities",
            "openCriticalVulns",
            "",
            f"≤ {t.openCriticalVulnsMax}",
            t.openCriticalVulnsMax,
            "<=",
        ),
    ]
    core = 5  # the template's own five are always listed; the monitoring ones once measured
    lines = []
    for i, (label, name, unit, target_text, limit, op) in enumerate(rows):
        value = getattr(m, name)
        if value is None and i >= core:
            continue
        unit_delta = " pts" if unit == "%" and i < core else unit
        stale = _stale(value, name, measured, since, zone)
        lines.append(
            MetricLine(
                label,
                _num(value, unit),
                target_text,
                None if stale else _on_target(value, limit, op),
                stale or _delta(prev(name), value, unit_delta),
            )
        )
    return lines
