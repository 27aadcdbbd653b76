"""The metrics section: each figure against its target, with the change since last week.

Shared by the weekly report and `/batch metrics` (one wording for both).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.plan.model import Metrics, Targets


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


def metric_lines(metrics: Metrics, targets: Targets, before: Metrics | None) -> list[MetricLine]:
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
        lines.append(
            MetricLine(
                label,
                _num(value, unit),
                target_text,
                _on_target(value, limit, op),
                _delta(prev(name), value, unit_delta),
            )
        )
    return lines
