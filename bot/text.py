"""Text helpers every layer shares: shortening text to a limit (Block Kit's limits, quotes in
a report line, values in a change summary: the cut is always marked with "…") and reading a
number a person typed.

Numbers are ASCII digits only. Python's `str.isdigit()` is true for `²` (which `int()` then
refuses with a traceback) and `int()` / `float()` / `\\d` accept `١٢` (Arabic-Indic digits),
which the bot would then echo back as "Goal #١". One rule, here, for every number in a command.
"""

from __future__ import annotations

import re

ASCII_WHOLE = re.compile(r"[0-9]+")
ASCII_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def clip(text: str, limit: int, *, one_line: bool = False) -> str:
    """At most `limit` characters. `one_line` first folds newlines and runs of spaces into
    single spaces, for text quoted inside a line."""
    if one_line:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def record_number(text: str) -> int | None:
    """The number of a record as people type it (`2` or `#2`), ASCII digits only; else None.

    At most 18 digits, so the value always fits in 64 bits and `int()` stays cheap."""
    digits = text.strip().removeprefix("#")
    if ASCII_WHOLE.fullmatch(digits) is None or len(digits.lstrip("0")) > 18:
        return None
    return int(digits)


def is_ascii_number(text: str) -> bool:
    """`12`, `-3`, `97.5`, `1e3`: a decimal number in ASCII (no `1_000`, no `١٢`, no `inf`)."""
    return ASCII_NUMBER.fullmatch(text) is not None
