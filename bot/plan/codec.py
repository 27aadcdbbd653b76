"""Reading and writing the plan file: canonical TOML, or the old tool's JSON layout.

The TOML layout is fixed (sections and keys always in the same order, one key per line,
newlines in notes escaped) so that changing one field changes exactly one line of the diff.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from bot.plan import model as model_module
from bot.plan.calendar import Calendar, calendar_data
from bot.plan.edits import EditError
from bot.plan.model import (
    Plan,
    PlanInvalid,
    Problem,
    Program,
    Targets,
    as_dict,
    legacy_placeholders_removed,
    parse_plan,
    plan_from_trusted,
)
from bot.plan.values import value_problems

BATCH_KEYS = (
    "id",
    "name",
    "priority",
    "status",
    "progress",
    "targetDate",
    "owner",
    "blockers",
    "notes",
)


def is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def loads(text: str, source: str, as_json: bool) -> Plan:
    try:
        if as_json:
            import json  # only old-layout plans need it; TOML plans (the default) do not

            data: Any = legacy_placeholders_removed(json.loads(text))
        else:
            import tomllib  # and JSON plans (the old layout) do not need this one

            data = tomllib.loads(text)
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError both are
        kind = "JSON" if as_json else "TOML"
        raise PlanInvalid([Problem("", f"cannot be read as {kind}: {exc}")], source) from None
    marker = _marker(text, as_json)
    if marker is not None and marker.exists():
        try:
            return plan_from_trusted(data)
        except (TypeError, ValueError, AttributeError):
            pass  # a stale or foreign marker: validate properly below
    plan = parse_plan(data, source)
    remember_valid(text, as_json)
    return plan


def remember_valid(text: str, as_json: bool) -> None:
    """Record that `text` holds a valid plan (the store writes only plans it validated)."""
    marker = _marker(text, as_json)
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass


def _sha256_hex(data: bytes) -> str:
    """SHA-256 from CPython's built-in module: `hashlib` loads OpenSSL first, which costs the
    dashboard a few milliseconds for the same digest."""
    import importlib

    for name in ("_sha2", "_sha256"):  # Python 3.12+, 3.11
        try:
            return str(importlib.import_module(name).sha256(data).hexdigest())
        except (ImportError, AttributeError):
            continue
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _marker(text: str, as_json: bool) -> Path | None:
    """Where to remember "these exact bytes passed validation".

    pydantic's import alone takes longer than the CLI's whole 100 ms budget, so a plan that
    has been validated once (same bytes, same model code) is read without it. The key covers
    the text, the format and the model module's size and mtime, so any change to the file or
    to the rules means a full validation again.
    """
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        rules = Path(model_module.__file__ or "").stat()
    except (OSError, RuntimeError):
        return None
    salt = f"{rules.st_size}:{rules.st_mtime_ns}:{'json' if as_json else 'toml'}\0"
    digest = _sha256_hex((salt + text).encode("utf-8"))
    return base / "batchbot" / "validated" / digest[:2] / digest


def read(path: Path) -> Plan:
    return loads(read_text(path), str(path), is_json(path))


def read_text(path: Path) -> str:
    """The plan file's text; PlanInvalid (with what to do) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanInvalid(
            [Problem("", "file not found; set --plan or EXECUTION_PLAN_PATH")], str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanInvalid([Problem("", f"cannot be read: {exc}")], str(path)) from None


def to_data(plan: Plan, *, legacy: bool = False) -> dict[str, Any]:
    """Plain data in the canonical order. `legacy` gives the old JSON layout (no extras)."""
    batches = [
        {key: list(b.blockers) if key == "blockers" else getattr(b, key) for key in BATCH_KEYS}
        for b in plan.batches
    ]
    metrics = _numbers(as_dict(plan.metrics, drop_none=True))
    if legacy:
        # The old script reads only these two keys; extras ride along only when set, so a
        # JSON plan keeps its start date, targets and risks without growing for nothing.
        legacy_data: dict[str, Any] = {"batches": batches, "metrics": metrics}
        if plan.program != Program():
            legacy_data["program"] = {
                k: v.isoformat() if isinstance(v, dt.date) else v
                for k, v in as_dict(plan.program, drop_none=True).items()
            }
        if plan.targets != Targets():
            legacy_data["targets"] = _numbers(as_dict(plan.targets))
        if plan.risks:
            legacy_data["risks"] = [_iso(record_data(r)) for r in plan.risks]
        for key in ("goals", "blockers"):
            if getattr(plan, key):
                legacy_data[key] = [_iso(record_data(r)) for r in getattr(plan, key)]
        if plan.calendar != Calendar():
            legacy_data["calendar"] = calendar_data(plan.calendar, iso=True)
        if plan.people:
            legacy_data["people"] = dict(plan.people)
        if plan.measured:
            legacy_data["measured"] = {
                k: {"source": m.source, "at": m.at.isoformat()} for k, m in plan.measured.items()
            }
        legacy_data.update(_team_tables(plan))
        if plan.links:
            legacy_data["links"] = {k: _iso(link_data(v)) for k, v in plan.links.items()}
        return legacy_data
    data: dict[str, Any] = {}
    program = as_dict(plan.program, drop_none=True)
    data["program"] = program
    data["batches"] = batches
    data["metrics"] = metrics
    data["targets"] = _numbers(as_dict(plan.targets))
    data["risks"] = [record_data(r) for r in plan.risks]
    for key in ("goals", "blockers"):  # written only once used, so older files stay as they were
        if getattr(plan, key):
            data[key] = [record_data(r) for r in getattr(plan, key)]
    if plan.calendar != Calendar():  # written only once used, so older plans stay byte-equal
        data["calendar"] = calendar_data(plan.calendar)
    if plan.people:  # only when used, so existing plan files keep their exact bytes
        data["people"] = dict(plan.people)
    if plan.measured:
        data["measured"] = {k: as_dict(m) for k, m in plan.measured.items()}
    data.update(_team_tables(plan))  # only the tables in use: older plans stay byte-equal
    if plan.links:  # only when used, like people and measured
        data["links"] = {k: link_data(v) for k, v in plan.links.items()}
    return data


def _team_tables(plan: Plan) -> dict[str, dict[str, Any]]:
    """`[team]`/`[schedule]` as written; bot.plan.team (its settings' specs, ~2 ms to import)
    loads only for a plan that has them, so writing a plan without them stays lean."""
    if not plan.team:
        return {}
    from bot.plan.team import table_data

    return table_data(plan.team)


def link_data(link: Any) -> dict[str, Any]:
    """A link as written: only the fields that say something (no empty label, no None)."""
    return {k: v for k, v in as_dict(link, drop_none=True).items() if v != ""}


def record_data(record: Any) -> dict[str, Any]:
    """A register record's fields, leaving out optional ones still at their default (a risk
    written before the register grew owners and review dates reads and writes unchanged)."""
    out: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if value is None or (f.default is not MISSING and value == f.default and f.name in _QUIET):
            continue
        out[f.name] = value
    return out


# Fields left out of the file while they hold their default value.
_QUIET = frozenset({"owner", "status", "reviewed", "batch", "setBy", "resolution", "note"})


def _iso(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}


def _numbers(values: dict[str, Any]) -> dict[str, Any]:
    """Write 95.0 as 95 so hand-written integers stay integers in the file."""
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in values.items()}


def dumps(plan: Plan, *, as_json: bool) -> str:
    """The file's text. Every write goes through here, whatever edit made the plan, so this
    refuses (EditError, before anything is written) a value the next reader would reject:
    a control character, a number beyond 64 bits (bot/plan/values.py)."""
    data = to_data(plan)
    problems = value_problems(data)
    if problems:
        where, message = problems[0]
        raise EditError(f"{where} {message}; nothing was saved")
    if as_json:
        import json

        return json.dumps(to_data(plan, legacy=True), indent=2, ensure_ascii=False) + "\n"
    import tomli_w

    return tomli_w.dumps(data)


def dumps_over(before: str | None, old: Plan | None, plan: Plan, *, as_json: bool) -> str:
    """The file's text for `plan` after an edit of the file `before` (holding `old`): the
    team's comments and layout kept (bot/plan/toml_edit.py). JSON has no comments: it is
    written as `dumps` writes it, and so is a file written fresh."""
    text = dumps(plan, as_json=as_json)
    if as_json or before is None or old is None:
        return text
    import tomli_w

    from bot.plan import toml_edit

    return toml_edit.edit_text(before, tomli_w.dumps(to_data(old)), to_data(plan), text)
