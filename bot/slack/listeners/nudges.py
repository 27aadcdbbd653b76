"""The buttons under a nudge DM: **Update** opens the batch's update form, **On track** keeps
the lead out of it, **Snooze** silences it for a few days (see `bot/report/nudge_job.py`).

Thin like the other listeners: ack at once, queue the work; the answers are database claims,
so every instance sees them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App

from bot.commands import Command
from bot.render import blocks as kit
from bot.replies import Reply, TextView, error
from bot.slack.edge import Edge

log = logging.getLogger("batchbot.slack")


def _value(body: dict[str, Any]) -> str:
    return str((body.get("actions") or [{}])[0].get("value") or "")


def _batch(edge: Edge, body: dict[str, Any]) -> tuple[str, str] | None:
    """(program, batch id) from an Update / Mark done button (`beta:batch-2`; the batch alone
    is the first program's). None, after saying so, for a program this deployment lacks."""
    program, _, batch_id = _value(body).rpartition(":")
    if program and program not in edge.rt.programs:
        edge.respond(body.get("response_url"), error(f"no program {program[:40]!r} here"))
        return None
    return program, batch_id


def open_update(edge: Edge, body: dict[str, Any]) -> None:
    found = _batch(edge, body)
    if found is None:
        return
    program, batch_id = found
    channel = (body.get("channel") or {}).get("id")
    meta = json.dumps(
        {
            "response_url": body.get("response_url"),
            "channel": channel,
            "batch": batch_id,
            "program": program,
        }
    )
    plan = edge.context_of(program).store.load()
    batch = plan.batch(batch_id)
    if batch is None:
        edge.respond(body.get("response_url"), error(f"batch {batch_id} no longer exists"))
        return
    try:
        edge.slack.open_view(str(body.get("trigger_id") or ""), kit.update_modal(plan, batch, meta))
    except Exception as exc:
        log.error("views.open for a nudge's update form failed: %s", exc)
        edge.respond(
            body.get("response_url"),
            error(
                "the form could not open",
                f"type it instead: /batch update {batch_id} progress=<0-100> status=<…>",
            ),
        )


def mark_done(edge: Edge, body: dict[str, Any]) -> None:
    """**Mark done**: the typed `/batch update <id> status=done`, as the clicker, through the
    one command path (its access rule and commit)."""
    user = body.get("user") or {}
    actor = edge.actor(str(user.get("id") or ""), user.get("name") or user.get("username"))
    found = _batch(edge, body)
    if found is None:
        return
    program, batch_id = found
    words = ("update", batch_id, "status=done")
    reply = edge.run(Command(actor, (program, *words) if program else words, "slack"))
    edge.respond(body.get("response_url"), reply)
    if reply.plan_changed:
        edge.after_change()


def answer(edge: Edge, body: dict[str, Any], which: str) -> None:
    from bot.report.nudge_job import acknowledge, snooze

    user = str((body.get("user") or {}).get("id") or "")
    key = _value(body)
    if not key:
        return
    say = acknowledge if which == "ontrack" else snooze
    text = say(edge.rt, key, user, edge.rt.clock())
    edge.respond(body.get("response_url"), Reply(TextView(text)))


def register(app: App, edge: Edge) -> None:
    @app.action("nudge_update")
    def update_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if not edge.work.submit(open_update, edge, body):
            log.error("queue full: a nudge's update form was not opened")

    @app.action("nudge_done")
    def done_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if not edge.work.submit(mark_done, edge, body):
            log.error("queue full: a 'mark done' click was not handled")

    @app.action("nudge_ontrack")
    def ontrack_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if not edge.work.submit(answer, edge, body, "ontrack"):
            log.error("queue full: an 'on track' answer was not recorded")

    @app.action("nudge_snooze")
    def snooze_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if not edge.work.submit(answer, edge, body, "snooze"):
            log.error("queue full: a snooze was not recorded")
