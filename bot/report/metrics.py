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


def metric_lines(metrics: Metrics, targets: Targets, before: Metrics | None) -> list[MetricLine]:
    def prev(name: str) -> float | int | None:
        return getattr(before, name) if before is not None else None

    m, t = metrics, targets
    lines = [
        MetricLine(
            "PRs merged", _num(m.prsMerged), "", None, _delta(prev("prsMerged"), m.prsMerged)
        ),
        MetricLine(
            "CI pass rate",
            _num(m.ciPassRate, "%"),
            f"≥ {t.ciPassRateMin:g}%",
            m.ciPassRate >= t.ciPassRateMin,
            _delta(prev("ciPassRate"), m.ciPassRate, " pts"),
        ),
        MetricLine(
            "Test coverage",
            _num(m.coverage, "%"),
            f"≥ {t.coverageMin:g}%",
            m.coverage >= t.coverageMin,
            _delta(prev("coverage"), m.coverage, " pts"),
        ),
        MetricLine(
            "Production incidents",
            _num(m.productionIncidents),
            f"≤ {t.productionIncidentsMax}",
            m.productionIncidents <= t.productionIncidentsMax,
            _delta(prev("productionIncidents"), m.productionIncidents),
        ),
        MetricLine(
            "Mean time to deploy",
            _num(m.deploymentMinutes, " min"),
            f"< {t.deploymentMinutesMax:g} min",
            m.deploymentMinutes < t.deploymentMinutesMax,
            _delta(prev("deploymentMinutes"), m.deploymentMinutes, " min"),
        ),
    ]
    optional = [
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
    for label, name, unit, target_text, limit, op in optional:
        value = getattr(m, name)
        if value is None:
            continue
        ok = value < limit if op == "<" else value <= limit
        lines.append(
            MetricLine(label, _num(value, unit), target_text, ok, _delta(prev(name), value, unit))
        )
    return lines
