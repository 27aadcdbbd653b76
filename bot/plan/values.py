"""What a value in the plan may hold, beyond its type: the limits every reader of the file shares.

One place for the rules that both the typed edits (`edits.py`) and the validation of a
hand-edited file (`model.py`) enforce, so the two can never disagree:

- **Control characters** (Unicode category Cc: U+0000–U+001F, U+007F, U+0080–U+009F) are
  refused in every text value; only a newline and a tab are allowed, and only in prose fields
  (`notes`, a risk's `mitigation`). They break git's log format (batchbot history read
  U+001E as a field separator), terminals (ESC sequences) and Slack's rendering.
- **Integers** stay within TOML's signed 64 bits; **other numbers** within ±2**53, the range
  where a float holds every whole number exactly (so 1e308 is not written as a 309-digit TOML
  integer that other TOML readers reject). nan and inf are never numbers here.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from typing import Any

MAX_INT = 2**63 - 1
MAX_FLOAT = float(2**53)
MULTILINE_FIELDS = frozenset({"notes", "mitigation"})
_PROSE_WHITESPACE = frozenset("\n\t")


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first control character in `text` as `U+001E`, or None when there is none."""
    for ch in text:
        if unicodedata.category(ch) == "Cc" and not (multiline and ch in _PROSE_WHITESPACE):
            return f"U+{ord(ch):04X}"
    return None


def control_message(field: str, code: str) -> str:
    allowed = (
        "only newlines and tabs are allowed"
        if field in MULTILINE_FIELDS
        else "no control characters are allowed here"
    )
    return f"contains a control character ({code}); {allowed}"


def number_problem(value: Any) -> str | None:
    """Why a number from a file cannot be kept, or None when it can."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) > MAX_INT:
        return f"is beyond 64 bits (at most {MAX_INT})"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return f"must be a number (got {value!r})"
        if abs(value) > MAX_FLOAT:
            return f"is too large (at most {int(MAX_FLOAT)})"
    return None


def value_problems(data: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(where, message) for every control character and unkeepable number in raw plan data."""
    if isinstance(data, dict):
        for key, value in data.items():
            label = _label(data, where, str(key))
            yield from value_problems(value, label)
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            yield from value_problems(value, f"{where}[{i}]")
    elif isinstance(data, str):
        field = where.rsplit(".", 1)[-1]
        code = control_character(data, multiline=field in MULTILINE_FIELDS)
        if code:
            yield where, control_message(field, code)
    else:
        problem = number_problem(data)
        if problem:
            yield where, problem


def _label(table: dict[str, Any], where: str, key: str) -> str:
    """`batch-1.name` for a batch with a usable id (as model.py names places), else a path."""
    if where.startswith("batches[") and "." not in where:
        batch_id = table.get("id")
        if isinstance(batch_id, str) and not control_character(batch_id):
            where = batch_id
    return f"{where}.{key}" if where else key
