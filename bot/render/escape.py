"""mrkdwn escaping, in one place: user text shown by the bot can never ping or link anyone.

Slack reads `<!channel>`, `<@U123>` and `<http://x|y>` as control sequences; escaping `&`, `<`
and `>` (and only those, as Slack documents) turns them back into plain text.
"""

from __future__ import annotations

import re

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def person(owner: str, empty: str = "Unassigned") -> str:
    """An owner as a mention when it names a Slack user (`<@U123>` or `U123…`), else escaped."""
    owner = owner.strip()
    m = _MENTION.match(owner)
    if m:
        return f"<@{m.group(1)}>"
    if _USER_ID.match(owner):
        return f"<@{owner}>"
    return esc(owner) if owner else empty


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters (Block Kit limits), marking the cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
