"""The lead's settings form on App Home: **Edit settings** opens it, Save writes it.

Save takes the same path as the typed `/batch <program> settings key=value …` (`handle` →
`bot/commands/team.py` → `change_plan(rule="lead")`): one commit authored by the lead, the
same access rule and the same checks. The checks also run before the form closes, so a bad
value is shown on its field (`response_action: errors`) and nothing is written; only the
fields the lead changed are sent, so saving an untouched form changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.commands import Command, handle
from bot.commands.base import lead_hint, may_lead
from bot.commands.programs import named
from bot.people.names import UNKNOWN, humanize, people_in
from bot.plan.store import Actor
from bot.plan.team import TeamSettings, parse_value
from bot.render import home_blocks as home
from bot.replies import Reply, error, with_names
from bot.slack.edge import BUSY, Edge
from bot.slack.listeners.forms import form_meta, submitted_value

log = logging.getLogger("batchbot.slack")

#: the answer to a settings form whose metadata the bot cannot read (not one it made)
STALE_FORM = "this form is out of date; close it and click Edit settings on Home again"


def _actor(edge: Edge, body: dict[str, Any]) -> Actor:
    user = body["user"]
    return edge.actor(user["id"], user.get("name") or user.get("username"))


def _dm(edge: Edge, user_id: str | None, reply: Reply) -> None:
    """Home has no channel: the answer goes to the person's DM with the bot."""
    edge.say(user_id, reply, what=f"settings answer to {user_id}")


def on_open(edge: Edge, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    if not edge.work.submit(open_form, edge, body):
        log.error("queue full: the settings form was not opened")


def open_form(edge: Edge, body: dict[str, Any]) -> None:
    pid = str(body["actions"][0].get("value", ""))
    actor = _actor(edge, body)
    ctx = edge.rt.programs.get(pid)
    if ctx is None:
        _dm(edge, actor.slack_id, error(edge.gone(pid)))
        return
    plan = ctx.store.load()
    if not may_lead(ctx, actor, plan):
        refusal = error(
            f"you are not allowed to change the team's settings; {lead_hint(ctx, plan)}"
        )
        _dm(edge, actor.slack_id, with_names(named(refusal, pid), ctx.names))
        return

    from bot.slack.listeners.commands import open_or_answer

    view = home.settings_modal(pid, plan.program.name, ctx.team_settings(plan))
    open_or_answer(
        edge,
        {**body, "channel": {"id": actor.slack_id}},
        view,
        f"/batch {pid} settings key=value …",
    )


def changed_pairs(view: dict[str, Any], now: TeamSettings) -> list[tuple[str, str]]:
    """The fields whose value differs from what the form showed, as `key=value` pairs (an
    emptied field is `key=`: back to the default). A form whose metadata does not say what
    it showed is compared with the values in force `now`: else every untouched field counted
    as changed and the lead's Save pinned each environment value and default into the plan."""
    shown = form_meta(view).get("shown")
    if not isinstance(shown, dict):
        shown = {k: home.form_value(k, now) for k in home.FORM_KEYS}
    state = view["state"]["values"]
    pairs = []
    for key in home.FORM_KEYS:
        value = submitted_value(state, key)
        if value is None:
            continue
        if value.strip() != str(shown.get(key, "")).strip():
            pairs.append((key, value.strip()))
    return pairs


def on_submit(edge: Edge, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Check on the request thread (values, and that the person leads this program), then
    queue the one write."""
    meta = form_meta(view)
    actor = _actor(edge, body)
    first = home.FORM_KEYS[0]
    if not isinstance(meta.get("program"), str):
        ack(response_action="errors", errors={first: STALE_FORM})
        return
    pid = meta["program"]
    ctx = edge.rt.programs.get(pid)
    if ctx is None:
        ack(response_action="errors", errors={first: edge.gone(pid)})
        return
    plan = ctx.store.load()
    if not may_lead(ctx, actor, plan):
        hint = lead_hint(ctx, plan)
        names = ctx.names.names(people_in([hint])) if ctx.names else {}
        hint = humanize(hint, lambda u: names.get(u, UNKNOWN))
        said = f"you are not allowed to change these; {hint}"
        ack(response_action="errors", errors={first: said[:150]})
        return
    pairs = changed_pairs(view, ctx.team_settings(plan))
    errors = {}
    for key, raw in pairs:
        if not raw:
            continue  # back to the default: always allowed
        try:
            parse_value(key, raw)
        except ValueError as exc:
            errors[key] = str(exc)[:150]
    if errors:
        ack(response_action="errors", errors=errors)
        return
    if not pairs:
        ack()
        return
    if not edge.work.submit(save, edge, actor, pid, pairs):
        ack(response_action="errors", errors={first: BUSY[:150]})
        return
    ack()


def save(edge: Edge, actor: Actor, pid: str, pairs: list[tuple[str, str]]) -> None:
    """The typed command's path, word for word: `/batch <program> settings key=value …`."""
    words = ("settings", *(f"{k}={v}" for k, v in pairs))
    try:
        reply = handle(Command(actor, words, "slack"), edge.rt.programs[pid])
        reply = named(reply, pid) if len(edge.rt.programs) > 1 else reply
    except Exception:  # the lead gets a line; the log gets the details
        log.exception("saving the settings form failed")
        reply = error("something went wrong on our side; the settings were not changed")
    _dm(edge, actor.slack_id, edge.paths.reply(reply))
    if reply.plan_changed:
        edge.after_change()


def register(app: App, edge: Edge) -> None:
    @app.action(home.SETTINGS_OPEN)
    def open_settings(ack: Ack, body: dict[str, Any]) -> None:
        on_open(edge, ack, body)

    @app.view(home.SETTINGS_FORM)
    def settings_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        on_submit(edge, ack, body, view)
