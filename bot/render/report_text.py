"""The weekly report's template as text: headings, their order and each line's wording.

One source for both renderers beside it: `report_markdown.py` (the file pasted into GitHub
and archived in git) and `report_blocks.py` (the Slack draft). Plain text here; each renderer
escapes for its own medium.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.report.metrics import MetricLine
from bot.report.weekly import Item, WeeklyReport


@dataclass(frozen=True)
class Section:
    """One heading of the template with its lines; `empty` says plainly that there is nothing."""

    heading: str  # e.g. "✅ Completed This Week" (markdown adds the ###)
    items: tuple[str, ...]
    empty: str
    prefix: str = "- "


def metric_text(m: MetricLine) -> str:
    mark = "" if m.ok is None else (" ✅" if m.ok else " ⚠️")
    target = f" (target {m.target})" if m.target else ""
    change_text = f" — {m.change}" if m.change else ""
    return f"{m.label}: {m.value}{target}{mark}{change_text}"


def current_text(report: WeeklyReport) -> str:
    return report.current.name if report.current else "All batches done"


def overall_text(report: WeeklyReport) -> str:
    change = ""
    if report.overall_change:
        sign = "+" if report.overall_change > 0 else "−"
        change = f" ({sign}{abs(report.overall_change)} this week)"
    return f"{report.overall}% complete{change}"


def _texts(items: list[Item]) -> tuple[str, ...]:
    return tuple(i.text for i in items)


def sections(report: WeeklyReport) -> list[Section]:
    """The template's sections in order: one source for the markdown and the Block Kit draft."""
    r = report
    out = [
        Section(
            "✅ Completed This Week",
            _texts(r.completed),
            "Nothing was completed this week.",
            "- [x] ",
        ),
    ]
    if r.week_goals:
        out.append(Section("🎯 This Week's Goals", _texts(r.week_goals), "No goals were set."))
    out += [
        Section("🚧 In Progress", _texts(r.in_progress), "Nothing is in progress.", "- [ ] "),
        Section("⚠️ Blockers", _texts(r.blockers), "No blockers."),
        Section(
            "📊 Metrics This Week",
            tuple(metric_text(m) for m in r.metrics)
            + tuple(f"⚠️ {note}" for note in r.metric_notes),  # what GitHub could not give
            "No metrics recorded.",
        ),
        Section(
            "📅 Next Week Goals",
            _texts(r.next_goals),
            "No batch is due next week and none was unblocked.",
        ),
        Section(
            "⏰ Schedule",
            _texts(r.schedule),
            "Nothing is late, and no batch in progress has moved enough to forecast.",
        ),
    ]
    if r.at_risk:  # only when there is something to warn about: the Schedule says the rest
        out.append(Section("⚠️ At risk", _texts(r.at_risk), ""))
    out += [
        Section("🆘 Help Needed", _texts(r.help_needed), "No help requested."),
        Section("🎉 Wins", _texts(r.wins), "No wins recorded yet this week."),
    ]
    if r.standups_considered:
        out.append(
            Section(
                "👥 Standup Participation",
                _texts(r.participation),
                "No standups were collected this week.",
            )
        )
    out.append(
        Section(
            "🧭 Risks to Review",
            _texts(r.risks),
            "No high or critical risks, and every risk was reviewed in the last two weeks.",
        )
    )
    return out


def title(report: WeeklyReport) -> str:
    return f"Weekly Progress Report - {report.week.label}"


def span_text(report: WeeklyReport) -> str:
    w = report.week
    return f"{w.start:%a %d %b %Y} – {w.end:%a %d %b %Y}"
