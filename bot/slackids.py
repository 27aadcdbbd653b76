"""Slack user ids and mentions: one rule for every place the bot reads one.

A user id is `U` or `W` followed by at least two capital letters or digits (`U012AB3CD`;
Slack's own are 9–11 characters, older workspaces and tests use shorter ones). The same rule
decides who is an editor or on the team (settings), who owns a batch (a bare id or a
`<@U…>` mention in the owner field) and whom `/batch standup list <@U…>` means. Before, the
settings accepted `U0BOB` as an editor while the owner check wanted seven characters, so that
editor's own batches were not recognised as theirs.
"""

from __future__ import annotations

import re

USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|([^>]*))?>")


def is_user_id(text: str) -> bool:
    """`text` is exactly a Slack user id."""
    return USER_ID.fullmatch(text) is not None


def mention(text: str) -> tuple[str, str | None] | None:
    """(user id, label) when `text` is exactly a mention: `<@U123>` or `<@U123|ana>`."""
    m = MENTION.fullmatch(text.strip())
    return (m.group(1), m.group(2)) if m else None


def stored_person(text: str) -> str:
    """A person field as it is kept in the plan: a Slack mention (`<@U123>`, `<@U123|ana>`,
    the way Slack sends a typed @name) becomes the bare user id `U123`; other text stays as
    typed (stripped). Kept as a mention, the `|ana` label went stale and every escaped
    renderer showed the literal `&lt;@U123|ana&gt;`."""
    found = mention(text)
    return found[0] if found else text.strip()


def person_label(text: str) -> str:
    """A person field as plain text: a mention's label (`<@U123|ana>` → `ana`) or its id, a
    bare id as it is, free text as typed. Never markup: shown literally wherever it goes."""
    found = mention(text)
    if found:
        return found[1] or found[0]
    return text.strip()


def user_id_in(text: str) -> str | None:
    """The user a field names — a mention or a bare id — else None (free text)."""
    text = text.strip()
    found = mention(text)
    if found:
        return found[0]
    return text if is_user_id(text) else None
