"""The one question the core asks about a person — what are they called? — and the text rules
that follow from it.

The core never sees Slack: it is handed a `Names` (the database-backed directory in a server,
the same cache without Slack in the CLI, a dict in tests) and turns every user id it shows into
a name with it. A Slack mention a person typed (`<@U…>` or `<@U…|label>`) is parsed once, by
`bot.slackids`, and shown as the name here.

When nothing is known about an id (never looked up, Slack unreachable or rate limiting, the
user deleted from the workspace), the text says `UNKNOWN` rather than the id: an id such as
`U07B2K9QX` means nothing to the reader and looks like a bug, while "unknown user" says plainly
what the bot knows. The id stays in the plan file, the logs and the Block Kit mention where a
ping is meant, and a later reply shows the name as soon as the lookup succeeds (failures are
not remembered for long).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from bot.slackids import MENTION, USER_ID, user_id_in

__all__ = [
    "UNKNOWN",
    "FixedNames",
    "NameOf",
    "Names",
    "humanize",
    "people_in",
    "person_name",
]

#: What a person is called when nothing is known about their id (see the module docstring).
UNKNOWN = "unknown user"

NameOf = Callable[[str], str]


class Names(Protocol):
    """What the core needs from a people directory."""

    def name(self, user_id: str) -> str:
        """The person's display name (display name → real name → user name), never the id."""
        ...

    def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Several at once: one cache read, each unknown id looked up at most once."""
        ...


class FixedNames:
    """Names from a mapping (the plan's people, a test): unknown ids are `UNKNOWN`."""

    def __init__(self, known: Mapping[str, str] | None = None) -> None:
        self.known = dict(known or {})

    def name(self, user_id: str) -> str:
        return self.known.get(user_id) or UNKNOWN

    def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        return {u: self.name(u) for u in user_ids}


def _label_or(name_of: NameOf | None, user_id: str, label: str | None) -> str:
    """A looked-up name first (it follows renames); the label Slack put in the mention when
    the lookup knows nothing; the neutral label last."""
    named = name_of(user_id) if name_of else UNKNOWN
    if named and named != UNKNOWN:
        return named
    return (label or "").strip() or UNKNOWN


def person_name(field: str, name_of: NameOf | None, empty: str = "Unassigned") -> str:
    """An owner-like field for reading: a mention or a bare id becomes the person's name, any
    other text (a team, "Legal") stays as written, an empty field is `empty`."""
    field = field.strip()
    if not field:
        return empty
    user = user_id_in(field)
    if user is None:
        return humanize(field, name_of)
    m = MENTION.fullmatch(field)
    return _label_or(name_of, user, m.group(2) if m else None)


def humanize(text: str, name_of: NameOf | None) -> str:
    """Free text with every Slack mention (`<@U…>`, `<@U…|label>`) replaced by a name."""
    if "<@" not in text:
        return text
    return MENTION.sub(lambda m: _label_or(name_of, m.group(1), m.group(2)), text)


def people_in(texts: Iterable[str]) -> set[str]:
    """Every user id named in these texts (as a mention, or a field that is exactly an id),
    so a reply can look all of them up at once."""
    found: set[str] = set()
    for text in texts:
        text = text.strip()
        if USER_ID.fullmatch(text):
            found.add(text)
        elif "<@" in text:
            found.update(m.group(1) for m in MENTION.finditer(text))
    return found
