"""Shortening text to a limit, in one place (Block Kit's limits, quotes in a report line,
values in a change summary): the cut is always marked with "…"."""

from __future__ import annotations


def clip(text: str, limit: int, *, one_line: bool = False) -> str:
    """At most `limit` characters. `one_line` first folds newlines and runs of spaces into
    single spaces, for text quoted inside a line."""
    if one_line:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
