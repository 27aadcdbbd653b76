"""What a value in the plan may hold, beyond its type: the limits every reader of the file shares.

One place for the rules that both the typed edits (`edits.py`) and the validation of a
hand-edited file (`model.py`) enforce, so the two can never disagree:

- **Control characters** (Unicode category Cc: U+0000–U+001F, U+007F, U+0080–U+009F) are
  refused in every text value; only a newline and a tab are allowed, and only in prose fields
  (`notes`, a risk's `mitigation`). They break git's log format (batchbot history read
  U+001E as a field separator), terminals (ESC sequences) and Slack's rendering.
- **Dates** lie between 1970-01-01 and 2200-12-31. Python's dates end at year 9999 and start
  at year 1, so `targetDate=0001-01-01` made the gantt's "13 days before" overflow and
  `[program] start = 9999-12-27` made every week after it overflow: status, dashboard, the
  weekly report and the chart all crashed on a plan that `validate` passed. A delivery plan
  has no business outside these years, so both the typed edits and `validate` refuse them.
- **Integers** stay within TOML's signed 64 bits; **other numbers** within ±2**53, the range
  where a float holds every whole number exactly (so 1e308 is not written as a 309-digit TOML
  integer that other TOML readers reject). nan and inf are never numbers here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from typing import Any

MAX_INT = 2**63 - 1
MAX_FLOAT = float(2**53)
MULTILINE_FIELDS = frozenset({"notes", "mitigation"})


MIN_DATE = dt.date(1970, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)
DATE_RANGE = f"dates must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def date_problem(day: dt.date) -> str | None:
    """Why a date (or the day of a datetime) cannot be kept, or None when it can."""
    if isinstance(day, dt.datetime):
        day = day.date()
    if MIN_DATE <= day <= MAX_DATE:
        return None
    return f"{day.isoformat()} is out of range; {DATE_RANGE}"


def looks_like_date(text: str) -> bool:
    """`2026-12-18` (ASCII digits): text meant as a date, to be checked as one."""
    return _ISO_DATE.fullmatch(text.strip()) is not None


def typed_date(text: str, what: str = "date") -> dt.date:
    """A date a person typed, YYYY-MM-DD in ASCII digits, a real day, within the range;
    anything else is a ValueError with one line saying what is allowed."""
    text = text.strip()
    if not looks_like_date(text):
        raise ValueError(f"{what} must be a date like 2026-12-18, got {text!r}")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} {text} is not a date: not a day in the calendar") from None
    problem = date_problem(day)
    if problem:
        raise ValueError(f"{what} {problem}")
    return day


# Unicode category Cc is exactly these ranges (a regex, not a per-character lookup).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_PROSE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # \t and \n allowed


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first control character in `text` as `U+001E`, or None when there is none."""
    found = (_CONTROL_IN_PROSE if multiline else _CONTROL).search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def printable(text: str) -> str:
    """`text` with each control character turned into a space (runs of spaces kept as one).

    For names that arrive from elsewhere (a Slack user name, an OS account) and must not be
    refused: they reach git (which refuses NUL), commit messages and terminals."""
    if control_character(text) is None:
        return text
    return " ".join(_CONTROL.sub(" ", text).split())


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


def value_problems(data: Any) -> list[tuple[str, str]]:
    """(where, message) for every control character and unkeepable number in raw plan data.

    A plain scan first (a plan is almost always clean); places are named only on a hit."""
    return list(_problems(data, "")) if _suspicious(data) else []


def _suspicious(data: Any) -> bool:
    search = _CONTROL.search
    stack = [data]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            if search(item):
                return True
        elif kind is dict:
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is int:
            if not -MAX_INT <= item <= MAX_INT:
                return True
        elif kind is float:
            if not -MAX_FLOAT <= item <= MAX_FLOAT:  # also true for nan
                return True
        elif number_problem(item) or (isinstance(item, str) and search(item)):
            return True  # subclasses (bool is harmless): the careful path
    return False


def _problems(data: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            label = _label(data, where, str(key))
            yield from _problems(value, label)
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            yield from _problems(value, f"{where}[{i}]")
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
