"""`/batch …`: ack at once, run the shared command path, answer through response_url."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App

from bot.commands import Command
from bot.render import blocks as kit
from bot.replies import Reply, error

log = logging.getLogger("batchbot.slack")


def register(app: App, edge: Any) -> None:
    from bot.slack.app import command_from

    @app.command("/batch")
    def on_batch(ack: Ack, body: dict[str, Any], client: Any) -> None:
        ack()  # within Slack's 3 s whatever git or the Web API do next
        cmd = command_from(edge, body)
        reply = cmd if isinstance(cmd, Reply) else edge.run(cmd)
        if reply.modal is not None and isinstance(cmd, Command):
            reply = open_modal(edge, client, body, reply)
            if reply is None:
                return
        edge.respond(body.get("response_url"), reply)
        edge.tell(reply)
        if reply.plan_changed:
            edge.after_change()


def open_modal(edge: Any, client: Any, body: dict[str, Any], reply: Reply) -> Reply | None:
    """Open the form a command asked for; the response_url rides along to announce the change."""
    meta = json.dumps(
        {
            "response_url": body.get("response_url"),
            "channel": body.get("channel_id"),
            "batch": reply.modal.batch_id if reply.modal else None,
        }
    )
    try:
        if reply.modal and reply.modal.kind == "blocker":
            from bot.render.lead_blocks import blocker_modal

            plan = edge.rt.store.load()
            view = blocker_modal(plan, reply.modal.batch_id, "", json.loads(meta))
        elif reply.modal and reply.modal.kind == "update":
            plan = edge.rt.store.load()
            batch = plan.batch(reply.modal.batch_id)
            view = kit.update_modal(plan, batch, meta)
        else:
            from bot.render.standup_blocks import standup_modal

            today = edge.rt.standups.local_today(body.get("user_id", ""))
            view = standup_modal(today.isoformat(), meta)
        client.views_open(trigger_id=body.get("trigger_id"), view=view)
        return None
    except Exception as exc:
        log.error("views.open failed: %s", exc)
        return error(
            "could not open the form", "type the change instead: /batch update <id> key=value"
        )
