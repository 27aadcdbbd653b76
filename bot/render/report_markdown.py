"""The weekly report as markdown in the team's template, ready to paste into a GitHub issue.

The Friday job archives exactly this text in git; `batchbot weekly` prints it.
"""

from __future__ import annotations

from bot.render.report_text import current_text, overall_text, sections, span_text, title
from bot.report.weekly import WeeklyReport


def to_markdown(report: WeeklyReport) -> str:
    """The report in the team's template, ready to paste into a GitHub issue."""
    r = report
    lines = [
        f"## {title(r)}",
        "",
        f"_{span_text(r)} · {r.program}_",
        "",
        f"### 🎯 Current Batch: {current_text(r)}",
        f"**Overall Progress:** {overall_text(r)}",
    ]
    for sec in sections(r):
        lines += ["", f"### {sec.heading}"]
        if sec.items:
            lines += [f"{sec.prefix}{text}" for text in sec.items]
        else:
            lines.append(f"_{sec.empty}_")
    return "\n".join(lines) + "\n"
