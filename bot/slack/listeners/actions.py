"""Buttons: "Write standup" in the daily DM opens the standup form."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App

from bot.slack.edge import Edge

log = logging.getLogger("batchbot.slack")


def open_standup_form(edge: Edge, body: dict[str, Any]) -> None:
    from bot.render.standup_blocks import standup_modal

    user = body["user"]["id"]
    day = (body.get("actions") or [{}])[0].get("value") or (
        edge.standups.local_today(user).isoformat()
    )
    meta = json.dumps({"channel": (body.get("channel") or {}).get("id")})
    existing = edge.rt.db.get_standup(user, date.fromisoformat(day))
    view = standup_modal(day, meta, initial_text=existing.text if existing else "")
    try:
        edge.slack.open_view(body["trigger_id"], view)
    except Exception as exc:
        log.error("views.open for the standup form failed: %s", exc)


def register(app: App, edge: Edge) -> None:
    @app.action("standup_open")
    def standup_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if not edge.work.submit(open_standup_form, edge, body):
            log.error("queue full: the standup form was not opened")
