"""mrkdwn escaping, in one place: user text shown by the bot can never ping or link anyone.

Slack reads `<!channel>`, `<@U123>` and `<http://x|y>` as control sequences; escaping `&`, `<`
and `>` (and only those, as Slack documents) turns them back into plain text.
"""

from __future__ import annotations

from bot.slackids import user_id_in


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def person(owner: str, empty: str = "Unassigned") -> str:
    """An owner as a mention when it names a Slack user (`<@U123>` or `U123…`), else escaped."""
    owner = owner.strip()
    user = user_id_in(owner)
    if user:
        return f"<@{user}>"
    return esc(owner) if owner else empty
