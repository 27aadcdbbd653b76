"""The lead's buttons and forms: the Friday risk review (**Still accurate** / **Update**), the
risk update form, the blocker form and a standup's **Track it** button.

Thin like the other listeners: check what can be checked on the request thread, queue the
rest (see `bot/slack/edge.py`) and ack; the write goes through the same command path as the
typed words (`change_risk`, `record_blocker`), so access rules and validation live once.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.commands import Command, Context, may_edit
from bot.commands.blockers import record_blocker
from bot.commands.risks import change_risk
from bot.plan.edits import EditError
from bot.plan.register_edits import risk_values
from bot.plan.store import Actor
from bot.render import blocks as kit
from bot.render import lead_blocks as lead
from bot.replies import Reply, error
from bot.report.weekly import mentions_blocker
from bot.slack.edge import BUSY, Edge
from bot.slack.listeners.commands import open_or_answer
from bot.slack.listeners.forms import form_meta, submitted_value
from bot.text import clip, record_number

log = logging.getLogger("batchbot.slack")
Block = dict[str, Any]


def with_track_it(
    blocks: list[Block], reply: Reply, text: str, programs: list[str] | None = None
) -> list[Block]:
    """A saved standup that mentions a blocker gets a **Track it** button under the answer,
    acting on the program(s) the standup was filed in (`standup_programs`)."""
    if reply.ok and mentions_blocker(text) and len(blocks) < kit.MAX_MESSAGE_BLOCKS:
        return [*blocks, lead.track_it_block(text, programs or ())]
    return blocks


def standup_programs(edge: Edge, user_id: str) -> list[str]:
    """The programs a person's standup is filed in, when the deployment has several: each of
    their programs, else none named (the first program, as with one program)."""
    group = getattr(edge.standups, "group", None)
    if group is None:
        return []
    return [pid for pid, _ in group.programs_of(user_id)]


def _actor(edge: Edge, body: dict[str, Any]) -> Actor:
    user = body["user"]
    return edge.actor(user["id"], user.get("name") or user.get("username"))


def _say(edge: Edge, channel: str | None, reply: Reply, thread: str | None = None) -> None:
    edge.say(channel, reply, thread)


# --------------------------------------------------------------------------- risk review


def on_still_accurate(edge: Edge, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    edge.work.submit(mark_reviewed, edge, body)


def _answer(edge: Edge, body: dict[str, Any], reply: Reply) -> None:
    """A button's answer: where it was clicked (its response_url, else its channel)."""
    if body.get("response_url"):
        edge.respond(body["response_url"], reply)
    else:
        _say(edge, (body.get("channel") or {}).get("id"), reply)


def _risk_button(edge: Edge, body: dict[str, Any]) -> tuple[str, str] | None:
    """(program, risk number) of a risk button; None, after saying so, for a program this
    deployment does not have (its plan file removed since the Friday DM): that button read
    `nosuch` as a command and answered with the whole help page, or opened the first
    program's risk."""
    program, number = lead.risk_of(str(body["actions"][0].get("value", "")))
    if program and program not in edge.rt.programs:
        _answer(edge, body, error(edge.gone(program)))
        return None
    return program, clip(number, 20)


def mark_reviewed(edge: Edge, body: dict[str, Any]) -> None:
    found = _risk_button(edge, body)
    if found is None:
        return
    program, number = found
    words = ("risk", "reviewed", number)
    reply = edge.run(Command(_actor(edge, body), (program, *words) if program else words, "slack"))
    channel = (body.get("channel") or {}).get("id")
    _say(edge, channel, reply, (body.get("message") or {}).get("ts"))
    if reply.plan_changed:
        edge.after_change()


def on_update_risk(edge: Edge, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    if not edge.work.submit(open_risk_form, edge, body):
        log.error("queue full: the risk form was not opened")


def open_risk_form(edge: Edge, body: dict[str, Any]) -> None:
    found = _risk_button(edge, body)
    if found is None:
        return
    program, value = found
    plan = edge.context_of(program).store.load()
    n = record_number(value)
    if n is None or not 1 <= n <= len(plan.risks):  # was silence: the click did nothing
        have = f"1–{len(plan.risks)}" if plan.risks else "none yet"
        _answer(edge, body, error(f"there is no risk #{value} any more; numbers: {have}"))
        return
    meta = {"channel": (body.get("channel") or {}).get("id"), "program": program}
    view = lead.risk_update_modal(n, plan.risks[n - 1], meta)
    typed = f"/batch risk update {n} probability=… impact=… mitigation=…"
    open_or_answer(edge, body, view, typed)


def risk_form_pairs(state: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = [
        (k, submitted_value(state, k) or "")
        for k in ("title", "probability", "impact", "mitigation")
    ]
    owner = submitted_value(state, "owner")
    if owner:
        pairs.append(("owner", owner))
    return pairs


def on_risk_form(edge: Edge, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    meta = form_meta(view)
    ctx = edge.form_context(meta)
    if ctx is None:
        ack(response_action="errors", errors={"title": edge.gone(meta.get("program"))})
        return
    pairs = risk_form_pairs(view["state"]["values"])
    try:
        risk_values(pairs)
        for key in ("title", "mitigation"):
            if not dict(pairs)[key].strip():
                raise EditError(f"{key} cannot be empty")
    except EditError as exc:
        field = next((k for k, _ in pairs if str(exc).startswith(k)), "title")
        ack(response_action="errors", errors={field: str(exc)[:150]})
        return
    if not edge.work.submit(
        save_risk, edge, ctx, _actor(edge, body), str(meta.get("risk")), pairs, meta
    ):
        ack(response_action="errors", errors={"title": BUSY[:150]})
        return
    ack()


def save_risk(
    edge: Edge,
    ctx: Context,
    actor: Actor,
    number: str,
    pairs: list[tuple[str, str]],
    meta: dict[str, Any],
) -> None:
    """`ctx`: the program the form was checked against on submit (never looked up again)."""
    cmd = Command(actor, ("risk", "update", number), "slack")
    try:
        reply = change_risk(cmd, ctx, number, pairs)
    except Exception as exc:
        reply = error(str(exc))
    _say(edge, meta.get("channel"), reply)
    if reply.plan_changed:
        edge.after_change()


# --------------------------------------------------------------------------- blockers


def on_track_it(edge: Edge, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    if not edge.work.submit(open_blocker_form, edge, body):
        log.error("queue full: the blocker form was not opened")


def open_blocker_form(edge: Edge, body: dict[str, Any]) -> None:
    program, text = lead.track_of(str(body["actions"][0].get("value", "")))
    if program and program not in edge.rt.programs:
        log.warning("Track it for an unknown program %r: not opened", program[:40])
        return
    meta = {"channel": (body.get("channel") or {}).get("id"), "program": program}
    view = lead.blocker_modal(edge.context_of(program).store.load(), None, text, meta)
    open_or_answer(edge, body, view, "/batch blocker add <batch-id> <what is blocking>")


def on_blocker_form(edge: Edge, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    meta = form_meta(view)
    state = view["state"]["values"]
    batch_id = submitted_value(state, "batch") or ""
    text = " ".join((submitted_value(state, "text") or "").split())
    actor = _actor(edge, body)
    ctx = edge.form_context(meta)
    if ctx is None:
        ack(response_action="errors", errors={"batch": edge.gone(meta.get("program"))})
        return
    batch = ctx.store.load().batch(batch_id)
    if batch is None:
        ack(response_action="errors", errors={"batch": "choose a batch"})
        return
    if not text:
        ack(response_action="errors", errors={"text": "say what is blocking"})
        return
    if not may_edit(ctx, actor, batch.owner):
        msg = "you are not allowed to change this batch (editors and its owner)"
        ack(response_action="errors", errors={"batch": msg})
        return
    extra = (submitted_value(state, "resolution") or "", submitted_value(state, "owner") or "")
    if not edge.work.submit(save_blocker, edge, ctx, actor, batch_id, text, extra, meta):
        ack(response_action="errors", errors={"text": BUSY[:150]})
        return
    ack()


def save_blocker(
    edge: Edge,
    ctx: Context,
    actor: Actor,
    batch_id: str,
    text: str,
    extra: tuple[str, str],
    meta: dict[str, Any],
) -> None:
    cmd = Command(actor, ("blocker", "add", batch_id), "slack")
    try:
        reply = record_blocker(cmd, ctx, batch_id, text, *extra)
    except Exception as exc:
        reply = error(str(exc))
    if meta.get("response_url"):
        edge.respond(meta["response_url"], reply)
    else:
        _say(edge, meta.get("channel"), reply)
    edge.tell(reply)
    if reply.plan_changed:
        edge.after_change()


def register(app: App, edge: Edge) -> None:
    @app.action(lead.RISK_REVIEWED)
    def still_accurate(ack: Ack, body: dict[str, Any]) -> None:
        on_still_accurate(edge, ack, body)

    @app.action(lead.RISK_UPDATE)
    def update_risk(ack: Ack, body: dict[str, Any]) -> None:
        on_update_risk(edge, ack, body)

    @app.view(lead.RISK_FORM)
    def risk_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        on_risk_form(edge, ack, body, view)

    @app.action(lead.BLOCKER_TRACK)
    def track_it(ack: Ack, body: dict[str, Any]) -> None:
        on_track_it(edge, ack, body)

    @app.view(lead.BLOCKER_FORM)
    def blocker_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        on_blocker_form(edge, ack, body, view)
