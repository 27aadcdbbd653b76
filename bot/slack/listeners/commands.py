"""`/batch …`: queue the work and ack at once; the shared command path answers via response_url."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from slack_bolt import Ack, App

from bot.commands import Command
from bot.messenger import MessengerError
from bot.render import blocks as kit
from bot.replies import ChartView, OpenModal, Reply, error
from bot.slack.edge import BUSY, Edge

log = logging.getLogger("batchbot.slack")


def on_batch(edge: Edge, ack: Ack, body: dict[str, Any]) -> None:
    body["_batchbot_queued"] = time.monotonic()
    if edge.work.submit(run_batch, edge, body):
        ack()
    else:
        ack(response_type="ephemeral", text=BUSY)


def run_batch(edge: Edge, body: dict[str, Any]) -> None:
    started = time.monotonic()
    cmd = edge.command_from(body)
    reply = cmd if isinstance(cmd, Reply) else edge.run(cmd)
    log.debug(
        "/batch %s: queued %.0f ms, ran %.0f ms",
        str(body.get("text") or "").split(" ", 1)[0][:20],
        (started - body.get("_batchbot_queued", started)) * 1000,
        (time.monotonic() - started) * 1000,
    )
    if reply.modal is not None and isinstance(cmd, Command):
        opened = open_modal(edge, body, reply)
        if opened is None:
            return
        reply = opened
    verb = str(body.get("text") or "").split(" ", 1)[0][:20]
    edge.respond(
        body.get("response_url"), reply, f"reply to /batch {verb} of {body.get('user_id')}"
    )
    edge.tell(reply)
    if isinstance(reply.view, ChartView):  # the reply holds Slack's own chart; a PNG too?
        from bot.render.chart_png import can_draw_png

        if can_draw_png():
            edge.work.submit(upload_chart, edge, str(body.get("channel_id") or ""), reply.view)
    if reply.plan_changed:
        edge.after_change()


def upload_chart(edge: Edge, channel: str, view: ChartView) -> None:
    """With the `charts` extra, draw the burn-up as a PNG too and upload it (files_upload_v2)
    where the command was typed, for those who want a file."""
    from bot.render.chart_png import burnup_png

    try:
        png = burnup_png(view.chart)
        edge.outbox.upload(channel, "burnup.png", png, f"{view.chart.title} — burn-up")
    except Exception as exc:
        log.error("could not upload the burn-up chart to %s: %s", channel, exc)


def open_modal(edge: Edge, body: dict[str, Any], reply: Reply) -> Reply | None:
    """Open the form a command asked for; the response_url rides along to announce the change."""
    meta = json.dumps(
        {
            "response_url": body.get("response_url"),
            "channel": body.get("channel_id"),
            "batch": reply.modal.batch_id if reply.modal else None,
            "program": reply.modal.program if reply.modal else "",
        }
    )
    store = edge.context_of(reply.modal.program if reply.modal else None).store
    try:
        if reply.modal and reply.modal.kind == "blocker":
            from bot.render.lead_blocks import blocker_modal

            view = blocker_modal(store.load(), reply.modal.batch_id, "", json.loads(meta))
        elif reply.modal and reply.modal.kind == "update":
            plan = store.load()
            batch = plan.batch(reply.modal.batch_id or "")
            if batch is None:  # removed upstream between the command and the form
                return error(f"batch {reply.modal.batch_id} no longer exists")
            view = kit.update_modal(plan, batch, meta)
        else:
            from bot.render.standup_blocks import standup_modal

            today = edge.standups.local_today(body.get("user_id", ""))
            view = standup_modal(today.isoformat(), meta)
        edge.slack.open_view(str(body.get("trigger_id") or ""), view)
        return None
    except Exception as exc:
        log.error("views.open failed: %s", exc)
        said = exc.reason if isinstance(exc, MessengerError) else type(exc).__name__
        return form_failed(reply.modal, said)


#: What to type when a form cannot open, by the form's kind ({id}: the batch).
TYPED_FORMS = {
    "update": "/batch update {id} status=… progress=…",
    "blocker": "/batch blocker add {id} <what is blocking>",
    "standup": "/batch standup <2–3 sentences: what you did, what is next, any blocker>",
}


def form_failed(modal: OpenModal | None, said: str) -> Reply:
    """The answer when views.open failed (a 429, a 500, an expired trigger): the same command
    in its typed form, at once — a retry cannot help, the trigger expires 3 s after the click."""
    kind = modal.kind if modal else "update"
    typed = TYPED_FORMS.get(kind, TYPED_FORMS["update"]).format(id=modal.batch_id if modal else "")
    return cannot_open(said, typed)


def cannot_open(said: str, typed: str) -> Reply:
    return error(f"The form could not open (Slack said {said}).", f"Type: `{typed}`")


def open_or_answer(edge: Edge, body: dict[str, Any], view: dict[str, Any], typed: str) -> None:
    """Open a form from a button; when Slack refuses, answer where the button was (its
    response_url, else the channel) with the command to type instead."""
    try:
        edge.slack.open_view(str(body.get("trigger_id") or ""), view)
    except Exception as exc:
        log.error("views.open failed: %s", exc)
        said = exc.reason if isinstance(exc, MessengerError) else type(exc).__name__
        if body.get("response_url"):
            edge.respond(body["response_url"], cannot_open(said, typed))
        else:
            edge.say((body.get("channel") or {}).get("id"), cannot_open(said, typed))


def register(app: App, edge: Edge) -> None:
    @app.command("/batch")
    def batch_command(ack: Ack, body: dict[str, Any]) -> None:
        on_batch(edge, ack, body)
