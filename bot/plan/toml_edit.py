"""Writing a changed plan over the team's TOML file without losing their comments or layout.

Why: the plan is a reviewed file; people annotate it (`# waiting on legal`) and lay it out
their way. Re-serialising the whole plan after every bot edit (tomli-w) dropped every comment
(issue 18 item 9). Here the old text is parsed with tomlkit, a round-trip TOML library, and
only the values that differ are set; everything else keeps its bytes.

Speed: tomlkit is pure Python (≈ 0.4 s to parse a 1,000-batch file), so a file that is exactly
what tomli-w would write — no comments, canonical layout, which is every file the bot wrote
fresh — skips it: its canonical rewrite already changes only the changed lines. Reading never
comes here (tomllib reads the plan).

Safety: the merged text is checked against the canonical text (both parsed with tomllib); on
any difference — a shape this merge does not handle — the canonical text is written instead,
so a comment may be lost but a value never is.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

__all__ = ["edit_text"]


class _Unhandled(Exception):
    """A change this merge does not do in place (the caller writes the canonical text)."""


def edit_text(before: str, before_canonical: str, data: dict[str, Any], canonical: str) -> str:
    """The new file: `before` with its values changed to `data` (whose tomli-w text is
    `canonical`), keeping comments and layout. `before_canonical` is the tomli-w text of the
    plan `before` holds: when they are equal, `canonical` is returned as it is."""
    if before == before_canonical:
        return canonical
    import tomlkit

    try:
        doc = tomlkit.parse(before)
        _merge_table(doc, data)
        text = tomlkit.dumps(doc)
        if text.endswith("\n\n") and not before.endswith("\n\n"):
            text = text.rstrip("\n") + "\n"  # a table added last leaves no blank line at the end
        if tomllib.loads(text) == tomllib.loads(canonical):
            return text
    except (_Unhandled, ValueError, KeyError, TypeError, AttributeError) as exc:
        import logging  # only here: an update that keeps the comments never loads it

        logging.getLogger("batchbot.store").debug("comment-keeping edit fell back: %r", exc)
    return canonical


def _merge_table(table: Any, data: dict[str, Any]) -> None:
    for key in [k for k in table if k not in data]:
        del table[key]
    for key, new in data.items():
        if key not in table:
            table[key] = _fresh(new)
            continue
        old = table[key]
        if isinstance(new, dict):
            if not hasattr(old, "keys"):
                raise _Unhandled(key)
            _merge_table(old, new)
        elif _is_records(new) and _is_aot(old):
            _merge_records(old, new)
        elif _same(old, new):
            continue
        elif isinstance(new, list) and not _is_records(new) and not _is_aot(old):
            table[key] = _array(new, multiline=_multiline(old, new))
        elif isinstance(new, list) or _is_aot(old):
            raise _Unhandled(key)  # a list of records appears or goes: canonical text
        else:
            table[key] = new


def _merge_records(aot: Any, items: list[dict[str, Any]]) -> None:
    """Batches by id (one removed or added keeps the others' comments); other records (goals,
    blockers, risks: lists the bot appends to or edits in place) by position."""
    olds = list(aot)
    keyed = all("id" in i for i in items) and all("id" in o for o in olds)
    if keyed:
        wanted = {i["id"] for i in items}
        for at in reversed(range(len(olds))):
            if olds[at]["id"] not in wanted:
                del aot[at]
        kept = [str(o["id"]) for o in aot]
        if [i["id"] for i in items[: len(kept)]] != kept:
            raise _Unhandled("batches reordered")
    else:
        while len(aot) > len(items):
            del aot[len(aot) - 1]
    for at, item in enumerate(items):
        if at < len(aot):
            _merge_table(aot[at], item)
        else:
            aot.append(_fresh_table(item))


def _fresh(value: Any) -> Any:
    import tomlkit

    if _is_records(value):
        aot = tomlkit.aot()
        for item in value:
            aot.append(_fresh_table(item))
        return aot
    if isinstance(value, dict):
        table = _fresh_table(value)
        return table
    if isinstance(value, list):
        return _array(value, multiline=bool(value))
    return value


def _fresh_table(values: dict[str, Any]) -> Any:
    import tomlkit

    table = tomlkit.table()
    for key, value in values.items():
        table[key] = _fresh(value)
    last = list(values.values())[-1] if values else None
    if not (isinstance(last, dict) or _is_records(last)):  # those end with their own
        table.add(tomlkit.nl())  # a blank line after it, as tomli-w leaves between tables
    return table


def _array(values: list[Any], *, multiline: bool) -> Any:
    import tomlkit

    arr = tomlkit.array()
    arr.extend(values)
    if multiline and values:
        arr.multiline(True)
    return arr


def _multiline(old: Any, new: list[Any]) -> bool:
    """Keep an array's style: one item per line unless it was a one-line list of items."""
    text = old.as_string() if hasattr(old, "as_string") else ""
    return "\n" in text or not list(old)


def _same(old: Any, new: Any) -> bool:
    value = old.unwrap() if hasattr(old, "unwrap") else old
    if isinstance(value, bool) or isinstance(new, bool):
        return type(value) is type(new) and value == new
    if isinstance(value, dt.datetime) != isinstance(new, dt.datetime):
        return False
    return bool(value == new)


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _is_aot(value: Any) -> bool:
    import tomlkit.items

    return isinstance(value, tomlkit.items.AoT)
