"""The weekly report as a Block Kit draft message, always within Slack's limits.

The markdown (attached as a file and archived in git) is the full report; this message is
the readable preview of it. So a section that would not fit is clipped with a plain "and N
more — see the attached markdown" rather than refused by Slack: a 1,000-batch plan still
posts. Every piece of user text goes through `esc()` so nothing in a batch name, an owner or
a standup can ping a channel or fake a link.
"""

from __future__ import annotations

from typing import Any

from bot.render.escape import esc
from bot.render.report_text import current_text, overall_text, sections, span_text, title
from bot.report.weekly import WeeklyReport
from bot.text import clip

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_TEXT = 2000  # per context element; Slack documents no smaller limit
MAX_ITEM = 500  # one line of a section, so one long standup cannot take a whole section
SECTION_BUDGET = MAX_SECTION_TEXT - 100  # room for the "and N more" line


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def section_text(heading: str, items: tuple[str, ...], empty: str) -> str:
    """`*heading*` then one bullet per item, clipped to fit one section block (≤ 3,000)."""
    head = f"*{esc(heading)}*"
    if not items:
        return f"{head}\n_{esc(empty)}_"
    lines = [head]
    used = len(head)
    for n, item in enumerate(items):
        line = "• " + clip(esc(" ".join(item.split())), MAX_ITEM)
        if used + 1 + len(line) > SECTION_BUDGET:
            rest = len(items) - n
            lines.append(f"_…and {rest} more — see the attached markdown_")
            break
        lines.append(line)
        used += 1 + len(line)
    return "\n".join(lines)


def report_blocks(
    report: WeeklyReport, *, draft: bool = True, footer: str | None = None
) -> list[Block]:
    """Header, a context line, the summary, then one section per template heading."""
    prefix = "📝 DRAFT · " if draft else ""
    context = (
        "*Draft for review* — edit it, then paste the attached markdown into the GitHub issue"
        if draft
        else "Weekly progress report"
    )
    context += f" · {esc(span_text(report))} · {esc(report.program)}"
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clip(prefix + title(report), MAX_HEADER_TEXT),
                "emoji": True,
            },
        },
        {"type": "context", "elements": [_mrkdwn(clip(context, MAX_CONTEXT_TEXT))]},
        {
            "type": "section",
            "text": _mrkdwn(
                clip(
                    f"*🎯 Current Batch:* {esc(current_text(report))}\n"
                    f"*Overall Progress:* {esc(overall_text(report))}",
                    MAX_SECTION_TEXT,
                )
            ),
        },
    ]
    for sec in sections(report):
        blocks.append({"type": "divider"})
        blocks.append(
            {"type": "section", "text": _mrkdwn(section_text(sec.heading, sec.items, sec.empty))}
        )
    if footer:
        blocks.append({"type": "context", "elements": [_mrkdwn(clip(footer, MAX_CONTEXT_TEXT))]})
    return blocks[:MAX_BLOCKS]


def fallback_text(report: WeeklyReport, *, draft: bool = True) -> str:
    """The notification / screen-reader text that goes with the blocks."""
    head = "DRAFT: " if draft else ""
    return esc(f"{head}{title(report)} — {overall_text(report)} (full markdown attached)")
