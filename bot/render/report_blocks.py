"""The weekly report as a Block Kit draft message, always within Slack's limits.

The markdown (attached as a file and archived in git) is the full report; this message is
the readable preview of it. So a section that would not fit is clipped with a plain "and N
more — see the attached markdown" rather than refused by Slack: a 1,000-batch plan still
posts. Every piece of user text goes through `esc()` so nothing in a batch name, an owner or
a standup can ping a channel or fake a link.
"""

from __future__ import annotations

from typing import Any

from bot.render.escape import esc, plain
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
    report: WeeklyReport,
    *,
    draft: bool = True,
    footer: str | None = None,
    publishable: bool = False,
) -> list[Block]:
    """Header, a context line, the summary, then one section per template heading.

    `publishable`: the draft carries **Edit** and **Publish to GitHub**, and says so; without
    GitHub it only says the full markdown is attached (one consistent instruction).
    """
    prefix = "📝 DRAFT · " if draft else ""
    if not draft:
        context = "Weekly progress report"
    elif publishable:
        context = "*Draft for review* — *Edit* it if needed, then *Publish to GitHub*"
    else:
        context = "*Draft for review* — the full report is the attached markdown"
    context += f" · {esc(span_text(report))} · {esc(report.program)}"
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clip(plain(prefix + title(report)), MAX_HEADER_TEXT),
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


# --------------------------------------------------------------------------- GitHub issue

ACTIONS_BLOCK = "report_actions"
LINK_BLOCK = "report_issue"
MAX_INPUT = 3000  # a plain_text_input holds at most 3,000 characters
EDIT_PARTS = 10


def publish_buttons(week: str, program: str = "") -> Block:
    """**Publish to GitHub** and **Edit** under the Friday draft; the value is the ISO week,
    a further program's prefixed with it (`beta/2026-W49`: the click acts on that program)."""
    value = f"{program}/{week}" if program else week
    return {
        "type": "actions",
        "block_id": ACTIONS_BLOCK,
        "elements": [
            {
                "type": "button",
                "action_id": "report_publish",
                "text": {"type": "plain_text", "text": "Publish to GitHub"},
                "style": "primary",
                "value": value,
            },
            {
                "type": "button",
                "action_id": "report_edit",
                "text": {"type": "plain_text", "text": "Edit"},
                "value": value,
            },
        ],
    }


def with_issue_link(blocks: list[Block], url: str, number: int) -> list[Block]:
    """The posted draft with its buttons replaced by a link to the published issue."""
    kept = [b for b in blocks if b.get("block_id") not in (ACTIONS_BLOCK, LINK_BLOCK)]
    link = {
        "type": "context",
        "block_id": LINK_BLOCK,
        "elements": [_mrkdwn(f"📌 Published to GitHub: <{url}|issue #{number}>")],
    }
    return [*kept, link][:MAX_BLOCKS]


def split_markdown(text: str, limit: int = MAX_INPUT) -> list[str]:
    """Cut the markdown at line ends into pieces that each fit one text input.

    Pieces are joined back with a newline (`edited_markdown`): Slack trims an input's
    trailing newline, so no piece relies on keeping one.
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.rstrip("\n").split("\n"):
        while len(line) > limit:  # one enormous line: cut it hard
            if current:
                parts.append("\n".join(current))
                current, size = [], 0
            parts.append(line[:limit])
            line = line[limit:]
        extra = len(line) + (1 if current else 0)
        if current and size + extra > limit:
            parts.append("\n".join(current))
            current, size, extra = [], 0, len(line)
        current.append(line)
        size += extra
    if current or not parts:
        parts.append("\n".join(current))
    return parts


def report_edit_modal(week: str, markdown: str, meta: str) -> dict[str, Any]:
    """A modal holding the report markdown (in several boxes when it is long)."""
    parts = split_markdown(markdown)[:EDIT_PARTS]
    blocks: list[Block] = [
        {
            "type": "context",
            "elements": [
                _mrkdwn(f"Saved to `plan/reports/{week}.md`; *Publish to GitHub* uses this text.")
            ],
        }
    ]
    for n, part in enumerate(parts, start=1):
        label = "Report (markdown)" if len(parts) == 1 else f"Report, part {n} of {len(parts)}"
        blocks.append(
            {
                "type": "input",
                "block_id": f"report_part_{n}",
                "label": {"type": "plain_text", "text": label},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": MAX_INPUT,
                    "initial_value": part,
                },
                "optional": n > 1,
            }
        )
    return {
        "type": "modal",
        "callback_id": "report_edit",
        "private_metadata": meta,
        "title": {"type": "plain_text", "text": f"Edit report {week}"[:24]},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def edited_markdown(state: dict[str, Any]) -> str:
    """The parts of a submitted edit modal, joined back into one markdown text."""
    parts = []
    for n in range(1, EDIT_PARTS + 1):
        element = (state.get(f"report_part_{n}") or {}).get("text")
        if element is None:
            continue
        parts.append((element.get("value") or "").rstrip("\n"))
    return "\n".join(p for p in parts if p) + "\n"
