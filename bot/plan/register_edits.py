"""Pure edits of the lead's registers: goals, tracked blockers and the risk register.

Each takes the plan PlanStore just read and returns `(new_plan, changes)`; the store may
re-apply it on a fresh read, so nothing here captures a plan read earlier.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bot.plan.edits import Change, EditError, UsageError
from bot.plan.model import Plan, Risk, did_you_mean
from bot.plan.register import Blocker, Goal, GoalStatus, iso_week, valid_week
from bot.slackids import stored_person
from bot.text import record_number


def parse_week(value: str, today: dt.date) -> str:
    """`next`, `this` or `YYYY-Www` → an ISO week name; anything else is an EditError."""
    word = value.strip().lower()
    if word in ("next", "next-week"):
        return iso_week(today + dt.timedelta(days=7))
    if word in ("this", "this-week", "current"):
        return iso_week(today)
    if valid_week(value.strip().upper()):
        return value.strip().upper()
    raise EditError(f"week {value!r} is not allowed; use next, this or YYYY-Www (e.g. 2026-W49)")


# --------------------------------------------------------------------------- lookups


def _pick(items: tuple[Any, ...], number: str, what: str) -> tuple[int, Any]:
    n = record_number(number)
    if n is None:
        raise UsageError(
            f"which {what}? give its number in digits 0-9, e.g. 2 (see /batch {what}s)"
        )
    if not 1 <= n <= len(items):
        have = f"1–{len(items)}" if items else "none yet"
        raise EditError(f"there is no {what} #{n}; numbers: {have}")
    return n, items[n - 1]


def _batch_id(plan: Plan, value: str) -> str:
    if plan.batch(value) is not None:
        return value
    lowered = {b.id.lower(): b.id for b in plan.batches}
    if value.lower() in lowered:
        return lowered[value.lower()]
    raise EditError(f"unknown batch {value!r}{did_you_mean(value, plan.ids())}")


def _replace_at(items: tuple[Any, ...], n: int, item: Any) -> tuple[Any, ...]:
    return (*items[: n - 1], item, *items[n:])


# --------------------------------------------------------------------------- goals


def add_goal(
    plan: Plan, text: str, week: str, batch: str, by: str, today: dt.date
) -> tuple[Plan, list[Change]]:
    text = " ".join(text.split())
    if not text:
        raise UsageError("what is the goal? /batch goal add <text> [batch=<id>] [week=next]")
    batch_id = _batch_id(plan, batch) if batch else ""
    goal = Goal(text[:500], week, batch_id, "open", by[:100], today)
    n = len(plan.goals) + 1
    changes = [Change(f"goal-{n}", "goal", None, f"{week}: {goal.text}")]
    return dataclasses.replace(plan, goals=(*plan.goals, goal)), changes


def close_goal(
    plan: Plan, number: str, status: GoalStatus, today: dt.date
) -> tuple[Plan, list[Change]]:
    n, goal = _pick(plan.goals, number, "goal")
    if goal.status == status:
        return plan, []
    new = dataclasses.replace(goal, status=status, closedOn=today)
    changes = [Change(f"goal-{n}", "status", goal.status, status)]
    return dataclasses.replace(plan, goals=_replace_at(plan.goals, n, new)), changes


# --------------------------------------------------------------------------- blockers


def add_blocker(
    plan: Plan,
    batch: str,
    text: str,
    *,
    resolution: str,
    owner: str,
    by: str,
    today: dt.date,
    due: dt.date | None = None,
) -> tuple[Plan, list[Change]]:
    text = " ".join(text.split())
    if not text:
        raise UsageError("what is blocking? /batch blocker add <batch-id> <text>")
    if due is not None and due < today:
        raise UsageError(
            f"due={due.isoformat()} is already past: give the day it is to be resolved by"
        )
    batch_id = _batch_id(plan, batch)
    who = stored_person(owner)[:100]
    blocker = Blocker(batch_id, text[:500], today, who, resolution[:1000], by[:100], due=due)
    n = len(plan.blockers) + 1
    changes = [Change(f"blocker-{n}", "blocker", None, f"{batch_id}: {blocker.text}")]
    return dataclasses.replace(plan, blockers=(*plan.blockers, blocker)), changes


def resolve_blocker(
    plan: Plan, number: str, note: str, today: dt.date
) -> tuple[Plan, list[Change]]:
    n, blocker = _pick(plan.blockers, number, "blocker")
    if blocker.status == "resolved":
        raise EditError(f"blocker #{n} was already resolved on {blocker.resolvedOn}")
    new = dataclasses.replace(blocker, status="resolved", resolvedOn=today, note=note[:1000])
    changes = [Change(f"blocker-{n}", "status", "open", "resolved")]
    return dataclasses.replace(plan, blockers=_replace_at(plan.blockers, n, new)), changes


# --------------------------------------------------------------------------- risks

RISK_KEYS = ("title", "probability", "impact", "mitigation", "owner", "status")
PROBABILITIES = ("low", "medium", "high")
IMPACTS = ("low", "medium", "high", "critical")


def _level(key: str, value: str, allowed: tuple[str, ...]) -> str:
    word = value.strip().lower()
    if word not in allowed:
        raise EditError(
            f"{key} {value!r} is not allowed{did_you_mean(word, allowed)}; "
            f"use one of {', '.join(allowed)}"
        )
    return word.capitalize()


def risk_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Checked field values for a Risk from `key=value` pairs (title → the `risk` field)."""
    out: dict[str, str] = {}
    for key, value in pairs:
        if key == "probability":
            out["probability"] = _level(key, value, PROBABILITIES)
        elif key == "impact":
            out["impact"] = _level(key, value, IMPACTS)
        elif key == "status":
            word = value.strip().lower()
            if word not in ("open", "closed"):
                raise EditError(f"status {value!r} is not allowed; use open or closed")
            out["status"] = word
        elif key == "title":
            if not value.strip():
                raise EditError("title cannot be empty")
            out["risk"] = " ".join(value.split())[:300]
        elif key == "mitigation":
            out["mitigation"] = value.strip()[:1000]
        elif key == "owner":
            out["owner"] = stored_person(value)[:100]
    return out


def add_risk(
    plan: Plan, title: str, pairs: list[tuple[str, str]], today: dt.date
) -> tuple[Plan, list[Change]]:
    values = risk_values([("title", title), *pairs])
    missing = [k for k in ("probability", "impact", "mitigation") if not values.get(k)]
    if missing:
        raise EditError(
            f"a risk needs {', '.join(m + '=' for m in missing)}; "
            "probability=low|medium|high impact=low|medium|high|critical mitigation=<text>"
        )
    risk = Risk(
        risk=values["risk"],
        probability=values["probability"],  # type: ignore[arg-type]
        impact=values["impact"],  # type: ignore[arg-type]
        mitigation=values["mitigation"],
        owner=values.get("owner", ""),
        reviewed=today,
    )
    n = len(plan.risks) + 1
    changes = [Change(f"risk-{n}", "risk", None, risk.risk)]
    return dataclasses.replace(plan, risks=(*plan.risks, risk)), changes


def update_risk(
    plan: Plan, number: str, pairs: list[tuple[str, str]], today: dt.date
) -> tuple[Plan, list[Change]]:
    """Change a risk's fields; any update (even none) counts as a review today."""
    n, risk = _pick(plan.risks, number, "risk")
    values = risk_values(pairs)
    changes = [
        Change(f"risk-{n}", "title" if k == "risk" else k, getattr(risk, k), v)
        for k, v in values.items()
        if getattr(risk, k) != v
    ]
    if risk.reviewed != today:
        was = risk.reviewed.isoformat() if risk.reviewed else None
        changes.append(Change(f"risk-{n}", "reviewed", was, today.isoformat()))
    if not changes:
        return plan, []
    new = dataclasses.replace(risk, **values, reviewed=today)
    return dataclasses.replace(plan, risks=_replace_at(plan.risks, n, new)), changes
