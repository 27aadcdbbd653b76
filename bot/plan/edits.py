"""`key=val` edits: splitting what people type, checking each value, applying them.

Every edge (CLI argv, the shell, Slack's one-line text) ends up here with a list of
`(key, value)` pairs, so the rules — known keys, allowed values, did-you-mean — live once.
Applying is all-or-nothing: a plan comes back only if every pair and the whole plan are valid.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Any

from bot.people.names import NameOf, person_name
from bot.plan.model import (
    PRIORITIES,
    STATUSES,
    Measurement,
    Metrics,
    Plan,
    check_batches,
    did_you_mean,
    field_names,
)
from bot.plan.values import (
    MAX_FLOAT,
    MAX_INT,
    control_character,
    control_message,
    looks_like_date,
    typed_date,
)
from bot.slackids import stored_person
from bot.text import clip, is_ascii_number


class EditError(Exception):
    """A user mistake in an edit: one line, naming the key and what is allowed."""


class UsageError(Exception):
    """The command itself is malformed (exit code 2 on the CLI)."""


@dataclass(frozen=True)
class Change:
    """One field's old and new value: the commit message and the reply are built from these."""

    target: str  # batch id, or "metrics"
    field: str
    old: Any
    new: Any

    def describe(self, limit: int = 80, name_of: NameOf | None = None) -> str:
        """`owner "" → <@U…>`; with `name_of` (what people read), `owner "" → Bob`: the ids
        in the values become names. Commit messages keep the ids."""
        if self.field == "batch":
            return str(self.new)  # a whole batch "added" or "removed"
        old, new, key = show(self.old), show(self.new), self.field
        if name_of is not None:
            old, new = person_name(old, name_of, '""'), person_name(new, name_of, '""')
            key = person_name(key, name_of)  # time off is keyed by the person's id
        return f"{key} {clip(old, limit, one_line=True)} → {clip(new, limit, one_line=True)}"


def show(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ",".join(value) if value else "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return "unset"
    if value == "":
        return '""'
    return str(value)


BATCH_KEYS = ("status", "progress", "owner", "blockers", "targetDate", "notes", "priority", "name")
METRIC_KEYS = field_names(Metrics)

_ALIASES = {
    "target": "targetDate",
    "target_date": "targetDate",
    "targetdate": "targetDate",
    "due": "targetDate",
    "blocker": "blockers",
    "note": "notes",
    "prs": "prsMerged",
    "prs_merged": "prsMerged",
    "ci": "ciPassRate",
    "ci_pass_rate": "ciPassRate",
    "incidents": "productionIncidents",
    "deploy": "deploymentMinutes",
    "mttd": "deploymentMinutes",
}

_QUOTES = {'"': '"', "'": "'", "“": "”", "”": "”", "‘": "’", "’": "’"}
#: What may stand before `=` in a `key=value` word.
KEY = r"[A-Za-z_][A-Za-z0-9_.-]*"
_KEY_AT = re.compile(f"({KEY})=")
_NEXT_KEY = re.compile(rf"\s+(?={KEY}=)")


def split_words(text: str) -> list[str]:
    """Split a command line the way a shell would for our grammar, argv-like.

    A `key=value` value runs to the next ` key=` (so `notes=a = b c` needs no quotes) or is
    quoted with straight or curly quotes (Slack clients turn " into “ ”). Plain words before the
    first pair are split on whitespace (quotes allowed: `weekly "Week 3"`).
    """
    words: list[str] = []
    pos = 0
    n = len(text)
    while pos < n:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            break
        m = _KEY_AT.match(text, pos)
        if m:
            value_start = m.end()
            value, pos = _read_value(text, value_start, until_next_key=True)
            words.append(f"{m.group(1)}={value}")
            continue
        value, pos = _read_value(text, pos, until_next_key=False)
        words.append(value)
    return words


def _read_value(text: str, pos: int, *, until_next_key: bool) -> tuple[str, int]:
    n = len(text)
    if pos < n and text[pos] in _QUOTES:
        close = _QUOTES[text[pos]]
        end = text.find(close, pos + 1)
        if end == -1 and close == "”":
            end = text.find("“", pos + 1)  # some clients use “ twice
        if end == -1:
            raise UsageError(f"a quote opened at {text[pos : pos + 20]!r} is never closed")
        return text[pos + 1 : end], end + 1
    if until_next_key:
        m = _NEXT_KEY.search(text, pos)
        end = m.start() if m else n
        return text[pos:end].strip(), end
    end = pos
    while end < n and not text[end].isspace():
        end += 1
    return text[pos:end], end


def parse_pairs(words: list[str], allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    """Turn `key=value` words into pairs with canonical key names; refuse unknown keys."""
    if not words:
        raise UsageError(f"give at least one key=value; keys: {', '.join(allowed)}")
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    lower = {k.lower(): k for k in allowed}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise UsageError(f"{word!r} is not key=value; keys: {', '.join(allowed)}")
        canonical = lower.get(key.lower()) or _ALIASES.get(key.lower())
        if canonical not in allowed:
            hint = did_you_mean(key, allowed)
            raise EditError(f"unknown key {key!r}{hint}; allowed keys: {', '.join(allowed)}")
        if canonical in seen:
            raise EditError(f"{canonical} is given twice; give each key once")
        seen.add(canonical)
        pairs.append((canonical, value.strip()))
    return pairs


def _status(value: str) -> str:
    norm = re.sub(r"[\s_]+", "-", value.strip().lower())
    norm = {"todo": "not-started", "wip": "in-progress", "complete": "done"}.get(norm, norm)
    if norm not in STATUSES:
        raise EditError(
            f"status {value!r} is not allowed{did_you_mean(norm, STATUSES)}; "
            f"use one of {', '.join(STATUSES)}"
        )
    return norm


def _int(key: str, value: str, low: int, high: int | None) -> int:
    text = value.strip().rstrip("%").strip()
    if not re.fullmatch(r"[+-]?[0-9]+", text):  # ASCII only: int() also reads "١٢"
        span = f"{low}–{high}" if high is not None else f"{low} or more"
        raise EditError(f"{key} must be a whole number {span}, got {value!r}")
    if len(text.lstrip("+-").lstrip("0")) > len(str(MAX_INT)):  # before int(): 10**5000 digits
        raise EditError(f"{key} is beyond 64 bits (at most {MAX_INT})")
    number = int(text)
    if abs(number) > MAX_INT:
        raise EditError(f"{key} is beyond 64 bits (at most {MAX_INT})")
    if number < low or (high is not None and number > high):
        span = f"{low}–{high}" if high is not None else f"{low} or more"
        raise EditError(f"{key} must be {span}, got {number}")
    return number


def _number(key: str, value: str, low: float, high: float | None) -> float:
    text = value.strip().rstrip("%").strip()
    text = re.sub(r"\s*(min|mins|minutes|m)$", "", text)
    # ASCII only: float() also reads "١٢", "1_000" and "infinity"
    number = float(text) if is_ascii_number(text) else float("nan")
    if number != number or number in (float("inf"), float("-inf")):
        raise EditError(f"{key} must be a number, got {value!r}")
    if high is None and abs(number) > MAX_FLOAT:
        raise EditError(f"{key} is too large (at most {int(MAX_FLOAT)})")
    if number < low or (high is not None and number > high):
        span = f"{low:g}–{high:g}" if high is not None else f"{low:g} or more"
        raise EditError(f"{key} must be {span}, got {number:g}")
    return number


def _blockers(value: str, plan: Plan, batch_id: str) -> tuple[str, ...]:
    if value.strip().lower() in ("", "none", "-", "[]"):
        return ()
    ids = [part.strip() for part in re.split(r"[,\s]+", value) if part.strip()]
    known = plan.ids()
    result: list[str] = []
    for item in ids:
        if item == batch_id:
            raise EditError(f"blockers: {batch_id} cannot block itself")
        if item not in known:
            raise EditError(
                f"blockers: {item!r} is not a batch id{did_you_mean(item, known)}; "
                f"batches: {', '.join(known[:10])}{' …' if len(known) > 10 else ''}"
            )
        if item not in result:
            result.append(item)
    return tuple(result)


def _text(key: str, value: str, limit: int, required: bool = False) -> str:
    if required and not value.strip():
        raise EditError(f"{key} cannot be empty")
    if key == "notes":
        value = value.replace("\r\n", "\n")  # a pasted Windows line end is just a line end
    code = control_character(value, multiline=key == "notes")
    if code:
        raise EditError(f"{key} {control_message(key, code)}")
    if len(value) > limit:
        raise EditError(f"{key} is {len(value)} characters; the limit is {limit}")
    return value


def _batch_value(key: str, value: str, plan: Plan, batch_id: str) -> Any:
    if key == "status":
        return _status(value)
    if key == "progress":
        return _int("progress", value, 0, 100)
    if key == "priority":
        norm = value.strip().upper()
        if norm not in PRIORITIES:
            raise EditError(
                f"priority {value!r} is not allowed; use one of {', '.join(PRIORITIES)}"
            )
        return norm
    if key == "blockers":
        return _blockers(value, plan, batch_id)
    if key == "owner":
        return _text("owner", stored_person(value), 100)
    if key == "targetDate":
        if looks_like_date(value):  # a date must be a real day within the plan's years
            try:
                typed_date(value, "targetDate")
            except ValueError as exc:
                raise EditError(str(exc)) from None
        return _text("targetDate", value.strip(), 100)
    if key == "name":
        return _text("name", value.strip(), 200, required=True)
    return _text("notes", value, 2000)


def update_batch(
    plan: Plan, batch_id: str, pairs: list[tuple[str, str]]
) -> tuple[Plan, list[Change]]:
    """Apply `pairs` to one batch. Marking a batch done also sets its progress to 100."""
    batch = plan.batch(batch_id)
    if batch is None:
        raise EditError(
            f"unknown batch {batch_id!r}{did_you_mean(batch_id, plan.ids())}; "
            f"batches: {', '.join(plan.ids()[:10])}"
        )
    values = {key: _batch_value(key, value, plan, batch_id) for key, value in pairs}
    if values.get("status") == "done" and "progress" not in values:
        values["progress"] = 100
    status, progress = values.get("status", batch.status), values.get("progress", batch.progress)
    if ("status" in values or "progress" in values) and status == "done" and progress != 100:
        raise EditError(
            f"progress={progress} with status done: done means 100; "
            "leave progress out (it becomes 100) or choose another status"
        )
    changes = [
        Change(batch_id, key, getattr(batch, key), new)
        for key, new in values.items()
        if getattr(batch, key) != new
    ]
    if not changes:
        return plan, []
    updated = replace(batch, **{c.field: c.new for c in changes})
    batches = tuple(updated if b.id == batch_id else b for b in plan.batches)
    problems = check_batches(batches)
    if problems:
        raise EditError(str(problems[0]))
    return replace(plan, batches=batches), changes


def update_metrics(
    plan: Plan,
    pairs: list[tuple[str, str]],
    at: dt.datetime | None = None,
    by: str = "",
) -> tuple[Plan, list[Change]]:
    """Set metrics as typed. With `at` (the commands always pass it) each value typed keeps
    when and by whom (`[measured.NAME]`), so the report can tell this week's figure from one
    typed weeks ago; typing the same value again renews that date."""
    values: dict[str, Any] = {}
    for key, value in pairs:
        optional = getattr(Metrics(), key) is None
        if optional and value.strip().lower() in ("", "none", "unset", "-"):
            values[key] = None
            continue
        is_int = key in ("prsMerged", "productionIncidents", "openCriticalVulns")
        percent = key in ("ciPassRate", "coverage", "ciFlakeRate")
        if is_int:
            values[key] = _int(key, value, 0, None)
        else:
            values[key] = _number(key, value, 0, 100 if percent else None)
    changes = [
        Change("metrics", key, getattr(plan.metrics, key), new)
        for key, new in values.items()
        if getattr(plan.metrics, key) != new
    ]
    # A typed value is no longer what `metrics collect` measured: it was typed, now, by `by`.
    measured = {k: v for k, v in plan.measured.items() if k not in values}
    if at is not None:
        typed = Measurement(f"typed by {by}" if by else "typed", at.astimezone(dt.UTC))
        measured.update({k: typed for k, v in values.items() if v is not None})
    if not changes and measured == plan.measured:
        return plan, []
    if not changes:  # the same figure measured again: still one visible change in the history
        changes = [Change("metrics", "measured", None, ", ".join(values))]
    metrics = replace(plan.metrics, **{c.field: c.new for c in changes if c.field in values})
    return replace(plan, metrics=metrics, measured=measured), changes
