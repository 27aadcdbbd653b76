"""The weekly report as markdown in the team's template, ready to paste into a GitHub issue.

The Friday job archives exactly this text in git; `batchbot weekly` prints it. It ends with a
Mermaid `gantt` of the batches, which GitHub renders as a timeline, and (from the Friday job,
which has the weeks' history) a Mermaid `xychart-beta` of the burn-up beside it. Slack draws
neither, so the Block Kit draft leaves them out and shows Slack's own chart block instead.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.plan.model import Plan
from bot.render.chart_native import burnup_mermaid
from bot.render.report_text import current_text, overall_text, sections, span_text, title
from bot.report.burnup import BurnUp
from bot.report.schedule import due_date, overdue_days, start_date
from bot.report.weekly import WeeklyReport

_MERMAID_UNSAFE = re.compile(r"[:;#`\n\r]")


def gantt(plan: Plan, today: dt.date) -> list[str]:
    """A Mermaid gantt: one bar per batch with a date, from its start to its due day, tagged
    done, active (in progress) or crit (late). Batches without a due date are left out."""
    lines = ["```mermaid", "gantt", f"    title {_MERMAID_UNSAFE.sub(' ', plan.program.name)}"]
    lines += ["    dateFormat YYYY-MM-DD", "    axisFormat %d %b", "    section Batches"]
    start = plan.program.start
    shown = 0
    for b in plan.batches:
        due = due_date(b, start)
        if due is None:
            continue
        begin = start_date(b, start) or (due - dt.timedelta(days=13))
        begin = min(begin, due)
        if b.status == "done":
            tag = "done, "
        elif overdue_days(b, start, today):
            tag = "crit, "
        elif b.status == "in-progress":
            tag = "active, "
        else:
            tag = ""
        name = _MERMAID_UNSAFE.sub(" ", b.name).strip() or b.id
        task_id = re.sub(r"[^A-Za-z0-9_]", "_", b.id)
        lines.append(f"    {name} :{tag}{task_id}, {begin.isoformat()}, {due.isoformat()}")
        shown += 1
    lines.append("```")
    return lines if shown else []


def to_markdown(report: WeeklyReport, chart: BurnUp | None = None) -> str:
    """The report in the team's template, ready to paste into a GitHub issue; with the
    burn-up's numbers, its chart follows the timeline."""
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
    if r.plan is not None:
        timeline = gantt(r.plan, min(r.generated.date(), r.week.end))
        if timeline:
            lines += ["", "### 🗓️ Timeline", *timeline]
    burn = burnup_mermaid(chart) if chart is not None else []
    if burn:
        lines += ["", "### 📈 Burn-up", *burn]
    return "\n".join(lines) + "\n"
