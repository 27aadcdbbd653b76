"""Block Kit for standups: the prompt DM, the reminder, the modal, the day thread and replies.

Plain dicts, kept inside Slack's limits by construction (see tests/fakeslack for the
limits the fake enforces): every piece of user text goes through ``esc`` and ``clip``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.render.escape import esc
from bot.standup.schedule import day_label
from bot.standup.sentences import MAX_CHARS
from bot.text import clip

__all__ = [
    "MODAL_CALLBACK_ID",
    "MODAL_INPUT_ACTION_ID",
    "MODAL_INPUT_BLOCK_ID",
    "OPEN_ACTION_ID",
    "day_thread_blocks",
    "day_thread_text",
    "modal_date",
    "prompt_blocks",
    "prompt_text",
    "reminder_blocks",
    "reminder_text",
    "standup_modal",
    "standup_reply_blocks",
    "standup_reply_text",
]

OPEN_ACTION_ID = "standup_open"
MODAL_CALLBACK_ID = "standup_submit"
MODAL_INPUT_BLOCK_ID = "standup"
MODAL_INPUT_ACTION_ID = "text"

_SECTION_MAX = 3000
_MAX_METADATA = 3000
_HOW = "Reply here with 2–3 sentences, press the button, or use `/batch standup …` anywhere."

Block = dict[str, Any]


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, _SECTION_MAX)}}


def _open_button(local_date: date, label: str = "Write standup") -> Block:
    return {
        "type": "actions",
        "block_id": "standup_prompt",
        "elements": [
            {
                "type": "button",
                "action_id": OPEN_ACTION_ID,
                "text": {"type": "plain_text", "text": label},
                "style": "primary",
                "value": local_date.isoformat(),
            }
        ],
    }


def prompt_text(local_date: date) -> str:
    """Notification / fallback text of the prompt DM."""
    day = day_label(local_date)
    return f"Time for your standup for {day}: what you did, what's next, blockers."


def prompt_blocks(local_date: date, programs: Sequence[str] = ()) -> list[Block]:
    """The morning DM: what to write and a "Write standup" button (value = the local date).
    Someone in several `programs` is asked once and told that one answer reaches each."""
    each = ""
    if len(programs) > 1:
        names = ", ".join(esc(p) for p in programs[:-1]) + f" and {esc(programs[-1])}"
        each = f"\nOne answer goes to each of your programs: {names}."
    return [
        _section(
            f"Good morning! Time for your standup for *{day_label(local_date)}*: "
            "what you did, what's next and anything blocking you.\n" + _HOW + each
        ),
        _open_button(local_date),
    ]


def reminder_text(local_date: date) -> str:
    return f"Reminder: your standup for {day_label(local_date)} is still open."


def reminder_blocks(local_date: date) -> list[Block]:
    """The one reminder, hours after the prompt, with the same button."""
    return [
        _section(
            f"Friendly reminder: your standup for *{day_label(local_date)}* is still open.\n" + _HOW
        ),
        _open_button(local_date),
    ]


def standup_modal(
    local_date: date | str,
    private_metadata: str | None = None,
    *,
    initial_text: str = "",
) -> dict[str, Any]:
    """The "Write standup" modal: one multi-line field, the date in private_metadata.

    ``local_date`` is a date or its ISO form (a button's value). ``private_metadata`` is
    the edge's own JSON object (e.g. the channel or response_url to answer in); the date
    is merged into it as ``"date"`` (read it back with ``modal_date``). ``initial_text``
    pre-fills the field (e.g. today's answer, to edit); plain text, clipped to the limit.
    """
    day = local_date if isinstance(local_date, date) else date.fromisoformat(local_date)
    meta: dict[str, Any] = {}
    if private_metadata:
        try:
            loaded = json.loads(private_metadata)
        except ValueError:
            loaded = None
        meta = loaded if isinstance(loaded, dict) else {"edge": private_metadata}
    meta["date"] = day.isoformat()
    metadata = json.dumps(meta)
    if len(metadata) > _MAX_METADATA:  # Slack refuses the view; the date matters most
        metadata = json.dumps({"date": day.isoformat()})
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": MODAL_INPUT_ACTION_ID,
        "multiline": True,
        "max_length": MAX_CHARS,
        "placeholder": {"type": "plain_text", "text": "Done, next, blockers: 2–3 sentences"},
    }
    if initial_text:
        element["initial_value"] = initial_text[:MAX_CHARS]
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK_ID,
        "title": {"type": "plain_text", "text": "Daily standup"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata,
        "blocks": [
            {
                "type": "input",
                "block_id": MODAL_INPUT_BLOCK_ID,
                "label": {"type": "plain_text", "text": f"Standup for {day_label(day)}"},
                "hint": {
                    "type": "plain_text",
                    "text": "2–3 sentences, up to 1,000 characters. Saving again replaces it.",
                },
                "element": element,
            }
        ],
    }


def modal_date(private_metadata: str | None) -> date | None:
    """The date a modal was opened for, or None if the metadata is missing or mangled."""
    if not private_metadata:
        return None
    try:
        value = json.loads(private_metadata).get("date")
        return date.fromisoformat(value) if isinstance(value, str) else None
    except (ValueError, AttributeError):
        return None


def day_thread_text(local_date: date, program: str = "") -> str:
    """The day's parent message, e.g. "Daily standup — Tue 24 Nov"; with several programs
    it names the program ("Daily standup — beta — Tue 24 Nov"): two programs may share a
    channel, and each has its own thread there."""
    named = f"{program} — " if program else ""
    return f"Daily standup — {named}{day_label(local_date)}"


def day_thread_blocks(local_date: date, program: str = "") -> list[Block]:
    return [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": day_thread_text(local_date, program)},
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Updates arrive as replies in this thread."}],
        },
    ]


def standup_reply_text(name: str, text: str) -> str:
    """Fallback/notification text of a standup post ("Name: text"), escaped."""
    return clip(f"{esc(name)}: {esc(text)}", _SECTION_MAX)


def standup_reply_blocks(name: str, text: str) -> list[Block]:
    """One person's update in the day thread: "*Name*: text", both escaped."""
    return [_section(f"*{esc(name)}*: {esc(text)}")]
