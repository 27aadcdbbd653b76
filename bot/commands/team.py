"""`/batch team …` and `/batch settings …`: the team's own settings, kept in the plan and
changed by a lead from Slack (one commit each, through `change_plan`) — no redeploy.

Anyone may look; only a lead changes them (while no lead is named: the editors; while neither
is named: anyone, as with the plan itself).
"""

from __future__ import annotations

import re

from bot.commands.base import Command, Context, change_plan
from bot.commands.registers import saved_reply, text_and_pairs
from bot.people.names import UNKNOWN
from bot.plan.edits import KEY, Change, EditError, UsageError, parse_pairs
from bot.plan.model import Plan
from bot.plan.team import (
    PERSON_KEYS,
    SETTING_KEYS,
    SPEC,
    SPECS,
    Person,
    TeamSettings,
    parse_person,
)
from bot.plan.team_plan import (
    ROLES,
    add_person,
    import_environment,
    remove_person,
    set_settings,
)
from bot.replies import Reply, TextView
from bot.slackids import MENTION, is_user_id, mention
from bot.text import clip

USAGE = (
    "/batch team — who is on the team, and the editors and leads",
    "/batch team add @user [name=…] [github=…] [tz=Area/City] [country=DE] "
    "[role=member|editor|lead] — add a teammate (leads)",
    "/batch team remove @user — take someone off the team, the editors and the leads (leads)",
    "/batch settings [key=value …] — show the team's settings, or change them (leads); "
    f"keys: {', '.join(SETTING_KEYS)}; key= (empty) goes back to the environment's value",
    "/batch settings import — write the environment's team settings into the plan (one commit)",
)

_SOURCE = {"plan": "plan", "environment": "environment", "default": "default"}


ADD_USAGE = "/batch team add @user [name=…] [github=…] [tz=…] [country=…] [role=…]"
REMOVE_USAGE = "/batch team remove @user"


def _one_person(text: str, keys: tuple[str, ...], usage: str) -> str:
    """The one Slack user `team add|remove` names; else a refusal that says what is wrong (it was
    "whom?" for a field it does not know, for two people and for a lowercase id alike)."""
    for word in text.split():
        key, sep, _ = word.partition("=")
        if sep and re.fullmatch(KEY, key):
            if not keys:
                raise UsageError(f"{clip(word, 40)!r}: nothing but the person goes here: {usage}")
            fields = ", ".join(f"{k}=" for k in keys)
            raise UsageError(f"{clip(key, 40)!r} is not a teammate's field; use {fields}")
    users = list(dict.fromkeys(m.group(1) for m in MENTION.finditer(text)))
    users += [w for w in text.split() if is_user_id(w) and w not in users]
    if len(users) > 1:
        raise UsageError(f"one person at a time: {usage}")
    rest = MENTION.sub(" ", text).split()
    extra = " ".join(w for w in rest if not is_user_id(w))
    if not users:
        if not extra:
            raise UsageError(f"whom? {usage}")
        raise UsageError(f"{clip(extra, 40)!r} is not a Slack user; mention them (@name): {usage}")
    if extra:
        hint = " (a name is name=…)" if "name" in keys else ""
        raise UsageError(f"{clip(extra, 40)!r} is not understood{hint}: {usage}")
    return users[0]


def _who(ctx: Context, user_id: str, typed: str = "") -> str:
    """`Dan (U0DAN)`: the name looked up; else the name Slack put in the mention typed
    (`<@U0DAN|dan>`), as everywhere else (bot.people.names), not `unknown user`."""
    name = ctx.name_of(user_id) if ctx.name_of is not None else user_id
    if not name or name == UNKNOWN:
        found = mention(typed)
        name = (found[1] or "").strip() if found and found[0] == user_id else name
    return user_id if not name or name == user_id else f"{name} ({user_id})"


def _names(ctx: Context, ids: tuple[str, ...]) -> str:
    return ", ".join(_who(ctx, u) for u in ids) or "—"


def team(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args:
        return show_team(ctx, ctx.team_settings())
    action, rest = args[0].lower(), args[1:]
    if action == "add":
        return _add(cmd, ctx, rest)
    if action in ("remove", "rm", "delete"):
        user = _one_person(" ".join(rest), (), REMOVE_USAGE)
        saved = change_plan(
            ctx,
            cmd.actor,
            lambda p: remove_person(p, user, ctx.defaults()),
            via=cmd.origin,
            what="the team",
            rule="lead",
        )
        return saved_reply(saved, f"{_who(ctx, user, ' '.join(rest))} is off the team")
    raise UsageError(f"team {action!r}: use team, team add @user … or team remove @user")


def _add(cmd: Command, ctx: Context, rest: list[str]) -> Reply:
    keys = (*PERSON_KEYS[1:], "role")
    user_text, pairs = text_and_pairs(rest, keys)
    user = _one_person(user_text, keys, ADD_USAGE)
    role = pairs.pop("role", "member").lower() or "member"
    if role not in ROLES:
        raise EditError(f"role {role!r} is not known; use one of {', '.join(ROLES)}")
    try:
        person = parse_person({"id": user, **pairs})
    except ValueError as exc:
        raise EditError(str(exc)) from None
    saved = change_plan(
        ctx,
        cmd.actor,
        lambda p: add_person(p, person, role, ctx.defaults()),
        via=cmd.origin,
        what="the team",
        rule="lead",
    )
    extra = f" as {role}" if role != "member" else ""
    return saved_reply(saved, f"{_who(ctx, user, user_text)} is on the team{extra}")


def show_team(ctx: Context, settings: TeamSettings) -> Reply:
    lines = []
    for p in settings.people:
        roles = [
            r for r, ids in (("lead", settings.leads), ("editor", settings.editors)) if p.id in ids
        ]
        extras = [f"{k} {getattr(p, k)}" for k in PERSON_KEYS[2:] if getattr(p, k)]
        name = p.name or (ctx.name_of(p.id) if ctx.name_of else "") or p.id
        detail = ", ".join([*roles, *extras])
        lines.append(f"{name} ({p.id})" + (f" — {detail}" if detail else ""))
    if not settings.people:
        lines.append("nobody is listed; `/batch team add @user` adds someone")
    lines.append(f"Editors: {_names(ctx, settings.editors)} (from {settings.source('editors')})")
    lines.append(f"Leads: {_names(ctx, settings.leads)} (from {settings.source('leads')})")
    lines.append(f"People from {settings.source('people')}")
    return Reply(TextView(f"Team ({len(settings.people)})", tuple(lines)))


def settings(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args:
        return show_settings(ctx, ctx.team_settings())
    if args[0].lower() in ("show", "list"):
        return show_settings(ctx, ctx.team_settings())
    if args[0].lower() == "import":
        return import_settings(cmd, ctx)
    pairs = parse_pairs(args, SETTING_KEYS)
    saved = change_plan(
        ctx,
        cmd.actor,
        lambda p: set_settings(p, pairs, ctx.defaults()),
        via=cmd.origin,
        what="the team's settings",
        rule="lead",
    )
    now = ctx.team_settings(saved.plan)
    shown = ", ".join(f"{k}={now.shown(k)}" for k, _ in pairs)
    if not saved.changes:  # nothing was written: never say "saved" for it
        return Reply(TextView(f"Settings unchanged: already {shown}"))
    return saved_reply(saved, f"Settings saved: {shown}")


def import_settings(cmd: Command, ctx: Context) -> Reply:
    """The environment's team settings into the plan, as one commit (a one-shot move)."""
    skipped: list[str] = []

    def edit(plan: Plan) -> tuple[Plan, list[Change]]:
        skipped.clear()  # the edit may run again on a fresher plan
        return import_environment(plan, ctx.defaults(), skipped)

    saved = change_plan(
        ctx, cmd.actor, edit, via=cmd.origin, what="the team's settings", rule="lead"
    )
    notes = tuple(f"left in the environment: {s}" for s in skipped)
    if not saved.changes:
        return Reply(
            TextView(
                "Nothing to import: the environment sets no team setting the plan lacks", notes
            )
        )
    names = ", ".join(str(c.field) for c in saved.changes)
    envs = ", ".join(SPEC[str(c.field)].env for c in saved.changes if SPEC[str(c.field)].env)
    lines = [f"imported {names}"]
    if saved.commit:
        lines.append(f"commit {saved.commit[:10]}")
    lines.append(f"the plan now wins; these variables may be removed: {envs}")
    return Reply(
        TextView("Team settings imported into the plan", (*lines, *notes)),
        visibility="channel",
        plan_changed=True,
    )


def show_settings(ctx: Context, settings: TeamSettings) -> Reply:
    lines = []
    for spec in SPECS:
        if spec.key == "people":
            value = f"{len(settings.people)} people (`/batch team`)"
        elif SPEC[spec.key].kind == "users":
            value = _names(ctx, getattr(settings, spec.key))
        else:
            value = settings.shown(spec.key)
        source = settings.source(spec.key)
        origin = f"{source}: {spec.env}" if source == "environment" and spec.env else source
        lines.append(f"{spec.key} = {value}  ({origin}) — {spec.help}")
    lines.append("Leads change these: /batch settings key=value …  (key= goes back to the default)")
    return Reply(TextView("Team settings", tuple(lines)))


VERBS = {"team": team, "settings": settings}
# The environment's values (the defaults, and what `settings import` writes) come from Settings.
NEEDS_SERVICES = ("team", "settings")

__all__ = ["USAGE", "VERBS", "Person"]
