"""Reading and writing the plan file: canonical TOML, or the old tool's JSON layout.

The TOML layout is fixed (sections and keys always in the same order, one key per line,
newlines in notes escaped) so that changing one field changes exactly one line of the diff.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from bot.plan.model import Plan, PlanInvalid, Problem, Program, Targets, parse_plan

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
        data: Any = json.loads(text) if as_json else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if as_json else "TOML"
        raise PlanInvalid([Problem("", f"cannot be read as {kind}: {exc}")], source) from None
    return parse_plan(data, source)


def read(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanInvalid(
            [Problem("", "file not found; set --plan or EXECUTION_PLAN_PATH")], str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanInvalid([Problem("", f"cannot be read: {exc}")], str(path)) from None
    return loads(text, str(path), is_json(path))


def to_data(plan: Plan, *, legacy: bool = False) -> dict[str, Any]:
    """Plain data in the canonical order. `legacy` gives the old JSON layout (no extras)."""
    batches = [
        {key: list(b.blockers) if key == "blockers" else getattr(b, key) for key in BATCH_KEYS}
        for b in plan.batches
    ]
    metrics = _numbers(plan.metrics.model_dump(exclude_none=True))
    if legacy:
        # The old script reads only these two keys; extras ride along only when set, so a
        # JSON plan keeps its start date, targets and risks without growing for nothing.
        legacy_data: dict[str, Any] = {"batches": batches, "metrics": metrics}
        if plan.program != Program():
            legacy_data["program"] = plan.program.model_dump(mode="json", exclude_none=True)
        if plan.targets != Targets():
            legacy_data["targets"] = _numbers(plan.targets.model_dump())
        if plan.risks:
            legacy_data["risks"] = [r.model_dump() for r in plan.risks]
        return legacy_data
    data: dict[str, Any] = {}
    program = plan.program.model_dump(exclude_none=True)
    data["program"] = program
    data["batches"] = batches
    data["metrics"] = metrics
    data["targets"] = _numbers(plan.targets.model_dump())
    data["risks"] = [r.model_dump() for r in plan.risks]
    return data


def _numbers(values: dict[str, Any]) -> dict[str, Any]:
    """Write 95.0 as 95 so hand-written integers stay integers in the file."""
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in values.items()}


def dumps(plan: Plan, *, as_json: bool) -> str:
    if as_json:
        return json.dumps(to_data(plan, legacy=True), indent=2, ensure_ascii=False) + "\n"
    import tomli_w

    return tomli_w.dumps(to_data(plan))
