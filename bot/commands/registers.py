"""What the lead's register words share: splitting free text from key=value pairs, access,
and the confirmation a saved change answers with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from bot.commands.base import Context, may_edit, refuse
from bot.plan.edits import UsageError
from bot.plan.store import Actor, Saved
from bot.replies import Notice, Reply, TextView, error
from bot.text import record_number


def text_and_pairs(words: list[str], keys: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """`Ship the PR batch=b2 week=next` → ("Ship the PR", {"batch": "b2", "week": "next"}).

    Words that look like `key=` for a key this word does not know stay part of the text.
    """
    text: list[str] = []
    pairs: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key.lower() in keys:
            pairs[key.lower()] = value.strip()
        else:
            text.append(word)
    return " ".join(text).strip(), pairs


T = TypeVar("T")


def nth(items: Sequence[T], number: str) -> T | None:
    """Record `#n` of a register (1-based), or None; the edit itself reports a bad number."""
    n = record_number(number)
    return items[n - 1] if n is not None and 0 < n <= len(items) else None


def number_of(number: str, what: str) -> int:
    """The record number a person typed (`2`, `#2`), refused in one line unless it is ASCII
    digits: `²` and `١` are digits to Python but not numbers people mean here."""
    n = record_number(number)
    if n is None:
        raise UsageError(
            f"{what} number {number!r} is not a number; give it in digits 0-9, e.g. {what} 2"
        )
    return n


def check_access(ctx: Context, actor: Actor, owner: str | None, what: str) -> Reply | None:
    return None if may_edit(ctx, actor, owner) else refuse(what, ctx)


def saved_reply(saved: Saved, title: str, notices: tuple[Notice, ...] = ()) -> Reply:
    if not saved.changes:
        return Reply(TextView(f"{title} — nothing to change, already so"))
    lines: list[str] = []
    if saved.commit:
        lines.append(f"commit {saved.commit[:10]}")
    if saved.warning:
        lines.append(f"Warning: {saved.warning}")
    return Reply(
        TextView(title, tuple(lines)), visibility="channel", plan_changed=True, notices=notices
    )


def no_records(what: str, how: str) -> Reply:
    return error(f"no {what} yet", how)
