"""Block Kit and fallback text for the day's standup digest (one post in the day thread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.render.escape import esc
from bot.standup.schedule import day_label
from bot.text import clip

__all__ = ["DigestFacts", "digest_blocks", "digest_text"]

_SECTION_MAX = 3000
#: Blockers shown in full; more are counted (a section holds 3,000 characters).
_MAX_BLOCKERS = 10


@dataclass(frozen=True)
class DigestFacts:
    """What the digest says: who answered, who is missing, who is blocked."""

    day: date
    answered: int
    expected: int
    missing: tuple[str, ...]  # display names
    off: int  # people on time off (not counted as missing)
    blockers: tuple[tuple[str, str], ...]  # (display name, standup text)


def digest_text(facts: DigestFacts, program: str = "") -> str:
    """Notification / fallback text: the counts and the missing names (and the program's
    name when the deployment has several)."""
    named = f"{program} " if program else ""
    head = (
        f"Standup digest {named}{day_label(facts.day)}: "
        f"answered {facts.answered} of {facts.expected}"
    )
    if facts.missing:
        head += " — missing: " + ", ".join(esc(n) for n in facts.missing)
    if facts.blockers:
        head += f" — {len(facts.blockers)} new blocker{'s' if len(facts.blockers) != 1 else ''}"
    return head


def digest_blocks(facts: DigestFacts, program: str = "") -> list[dict[str, Any]]:
    named = f"{program} — " if program else ""
    lines = [
        f"*Standup digest — {named}{day_label(facts.day)}*",
        f"Answered *{facts.answered} of {facts.expected}*"
        + (f" ({facts.off} on time off)" if facts.off else ""),
        "Missing: " + (", ".join(esc(n) for n in facts.missing) if facts.missing else "nobody 🎉"),
    ]
    if facts.blockers:
        lines.append("New blockers:")
        for name, text in facts.blockers[:_MAX_BLOCKERS]:
            lines.append(f"• *{esc(name)}*: {esc(clip(' '.join(text.split()), 240))}")
        if len(facts.blockers) > _MAX_BLOCKERS:
            lines.append(f"… and {len(facts.blockers) - _MAX_BLOCKERS} more")
    else:
        lines.append("New blockers: none")
    return [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": clip("\n".join(lines), _SECTION_MAX)},
        }
    ]
