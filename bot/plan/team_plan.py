"""Team settings applied to a whole plan: the cached effective settings of the current plan
(TeamSource) and the edits `/batch team` and `/batch settings` make (each returns the new plan
and its Changes).

Its own module, above both `plan.model` (which parses the team tables with `plan.team`) and
`plan.edits` (whose Change these return): in `plan.team` they made the cycle
team → edits → model → team.
"""

from __future__ import annotations

import _thread  # a plain lock, without importing `threading` on the read path
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.plan.team import (
    PERSON_KEYS,
    SETTING_KEYS,
    SPECS,
    Person,
    TeamSettings,
    _did_you_mean,
    _plain,
    effective,
    parse_value,
    show_value,
)

if TYPE_CHECKING:
    from bot.plan.edits import Change
    from bot.plan.model import Plan


# -- reading the current plan, cheaply ----------------------------------------------------


class TeamSource:
    """The effective team settings of the plan as it is *now* (read at use time, so a lead's
    edit counts at once on every instance that syncs the plan), recomputed only when the store
    hands back a different plan. An unreadable plan means the environment's values."""

    def __init__(self, load: Callable[[], Plan], defaults: TeamSettings) -> None:
        self._load = load
        self.defaults = defaults
        self._lock = _thread.allocate_lock()
        self._last: tuple[Plan, TeamSettings] | None = None

    def current(self) -> TeamSettings:
        try:
            plan = self._load()
        except Exception:  # a broken plan must not stop prompts, reports or access checks
            return self.defaults
        return self.of(plan)

    def of(self, plan: Plan) -> TeamSettings:
        with self._lock:
            last = self._last
        if last is not None and last[0] is plan:
            return last[1]
        found = effective(plan.team, self.defaults)
        with self._lock:
            self._last = (plan, found)
        return found


# -- edits (the one write path, `commands.base.change_plan`, applies these) ------------------

ROLES = ("member", "editor", "lead")


def _with(plan: Plan, values: dict[str, Any]) -> Plan:
    return replace(plan, team=values)


def set_settings(
    plan: Plan, pairs: Sequence[tuple[str, str]], defaults: TeamSettings
) -> tuple[Plan, list[Change]]:
    """`key=value` pairs into the plan; an empty value removes the plan's own value (the
    environment's counts again). Every value is checked before anything changes."""
    from bot.plan.edits import Change, EditError

    values = dict(plan.team)
    changes: list[Change] = []
    before = effective(plan.team, defaults)
    for key, raw in pairs:
        if key not in SETTING_KEYS:
            raise EditError(f"unknown setting {key!r}{_did_you_mean(key, SETTING_KEYS)}")
        if not raw.strip():
            values.pop(key, None)
        else:
            try:
                values[key] = parse_value(key, raw)
            except ValueError as exc:
                raise EditError(f"{key}: {exc}") from None
    after = effective(values, defaults)
    _keep_someone_in_charge(before, after, "that would leave no lead")
    for key, _ in pairs:
        old, new = before.shown(key), after.shown(key)
        if old != new or (key in plan.team) != (key in values):
            changes.append(Change("settings", key, old, new))
    return (_with(plan, values), changes) if changes else (plan, [])


def add_person(
    plan: Plan, person: Person, role: str, defaults: TeamSettings
) -> tuple[Plan, list[Change]]:
    """Add (or update) a teammate; `role` editor/lead also lists them there. The first edit
    copies the environment's list into the plan, so nobody already on the team drops off."""
    from bot.plan.edits import Change, EditError

    if role not in ROLES:
        raise EditError(f"role {role!r} is not known; use one of {', '.join(ROLES)}")
    now = effective(plan.team, defaults)
    values = dict(plan.team)
    changes: list[Change] = []
    old = now.person(person.id)
    merged = (
        replace(
            old,
            **{k: getattr(person, k) for k in PERSON_KEYS[1:] if getattr(person, k)},
        )
        if old is not None
        else person
    )
    if merged != old or "people" not in plan.team:
        people = [merged if p.id == person.id else p for p in now.people]
        if old is None:
            people.append(merged)
        values["people"] = tuple(people)
        what = _person_text(merged)
        changes.append(Change("team", person.id, _person_text(old) if old else None, what))
    for key, wanted in (("editors", "editor"), ("leads", "lead")):
        listed: tuple[str, ...] = getattr(now, key)
        if role == wanted and person.id not in listed:
            values[key] = (*listed, person.id)
            changes.append(Change("team", key, ", ".join(listed) or None, ", ".join(values[key])))
    return (_with(plan, values), changes) if changes else (plan, [])


def remove_person(plan: Plan, user_id: str, defaults: TeamSettings) -> tuple[Plan, list[Change]]:
    """Take someone off the team, and off the editors and leads."""
    from bot.plan.edits import Change, EditError

    now = effective(plan.team, defaults)
    values = dict(plan.team)
    changes: list[Change] = []
    if now.person(user_id) is not None:
        values["people"] = tuple(p for p in now.people if p.id != user_id)
        changes.append(Change("team", user_id, _person_text(now.person(user_id)), None))
    for key in ("editors", "leads"):
        listed: tuple[str, ...] = getattr(now, key)
        if user_id in listed:
            values[key] = tuple(u for u in listed if u != user_id)
            changes.append(Change("team", key, ", ".join(listed), ", ".join(values[key]) or None))
    if not changes:  # a mention, so the reply names them (a bare id read as `U0DAN`)
        raise EditError(f"<@{user_id}> is not on the team, nor an editor or a lead")
    _keep_someone_in_charge(now, effective(values, defaults), f"<@{user_id}> is the last lead")
    return _with(plan, values), changes


def _keep_someone_in_charge(before: TeamSettings, after: TeamSettings, who: str) -> None:
    """Refuse the edit that takes away the last lead and editor. With neither named, anyone
    may change the plan and these settings (the bootstrap rule): a lead removing themselves
    from a team they lead alone, or emptying `leads`, silently opened both to the whole
    workspace."""
    from bot.plan.edits import EditError

    if (before.leads or before.editors) and not (after.leads or after.editors):
        raise EditError(
            f"{who}: with no lead and no editor anyone could change the plan and these "
            "settings; make someone else a lead first (/batch team add @user role=lead)"
        )


def _person_text(person: Person | None) -> str:
    if person is None:
        return ""
    extras = [f"{k}={getattr(person, k)}" for k in PERSON_KEYS[1:] if getattr(person, k)]
    return " ".join([person.id, *extras])


def import_environment(
    plan: Plan, defaults: TeamSettings, skipped: list[str]
) -> tuple[Plan, list[Change]]:
    """Every team setting the environment sets and the plan does not, written into the plan
    (`batchbot settings import`). A value the plan cannot hold (a channel by name, not id) is
    left in the environment and named in `skipped`."""
    from bot.plan.edits import Change

    values = dict(plan.team)
    changes: list[Change] = []
    for spec in SPECS:
        if defaults.source(spec.key) != "environment" or spec.key in values:
            continue
        value = getattr(defaults, spec.key)
        try:
            checked = parse_value(spec.key, _plain(spec.key, value)) if value is not None else None
        except ValueError as exc:
            skipped.append(f"{spec.env}: {exc}")
            continue
        if checked is None:
            continue
        values[spec.key] = checked
        changes.append(Change("settings", spec.key, None, show_value(spec.key, checked)))
    return (_with(plan, values), changes) if changes else (plan, [])
