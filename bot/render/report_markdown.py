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
from bot.render.escape import WORD_JOINER, gfm
from bot.render.report_text import current_text, overall_text, sections, span_text, title
from bot.report.burnup import BurnUp
from bot.report.schedule import due_date, overdue_days, start_date
from bot.report.weekly import WeeklyReport

# Mermaid's own syntax (`:` `;` `#`), a fence (`` ` ``), line breaks and HTML: never in a label.
_MERMAID_UNSAFE = re.compile(r"[:;#`\n\r<>&\"\[\]]")


def mermaid_label(text: str) -> str:
    """A name for the gantt: no Mermaid syntax, and an `@` that no reader takes as a mention
    (GitHub skips code blocks, but the archived file is read elsewhere too)."""
    return _MERMAID_UNSAFE.sub(" ", text).replace("@", "@" + WORD_JOINER).strip()


def gantt(plan: Plan, today: dt.date) -> list[str]:
    """A Mermaid gantt: one bar per batch with a date, from its start to its due day, tagged
    done, active (in progress) or crit (late). Batches without a due date are left out."""
    lines = ["```mermaid", "gantt", f"    title {mermaid_label(plan.program.name)}"]
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
        name = mermaid_label(b.name) or b.id
        task_id = re.sub(r"[^A-Za-z0-9_]", "_", b.id)
        lines.append(f"    {name} :{tag}{task_id}, {begin.isoformat()}, {due.isoformat()}")
        shown += 1
    lines.append("```")
    return lines if shown else []


def to_markdown(report: WeeklyReport, chart: BurnUp | None = None) -> str:
    """The report in the team's template, ready to paste into a GitHub issue; with the
    burn-up's numbers, its chart follows the timeline.

    Every text the template did not write itself goes through `gfm()`: in the issue a batch
    name, goal or standup is shown as typed and never mentions, links, hides or formats."""
    r = report
    lines = [
        f"## {gfm(title(r))}",
        "",
        f"_{gfm(span_text(r))} · {gfm(r.program)}_",
        "",
        f"### 🎯 Current Batch: {gfm(current_text(r))}",
        f"**Overall Progress:** {gfm(overall_text(r))}",
    ]
    for sec in sections(r):
        lines += ["", f"### {sec.heading}"]
        if sec.items:
            lines += [f"{sec.prefix}{gfm(text)}" for text in sec.items]
        else:
            lines.append(f"_{sec.empty}_")
    if r.plan is not None:
        timeline = gantt(r.plan, min(r.generated.date(), r.week.end))
        if timeline:
            lines += ["", "### 🗓️ Timeline", *timeline]
    burn = burnup_mermaid(chart, mermaid_label) if chart is not None else []
    if burn:
        lines += ["", "### 📈 Burn-up", *burn]
    return "\n".join(lines) + "\n"
