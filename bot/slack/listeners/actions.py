"""Buttons: "Write standup" in the daily DM opens the standup form."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App

log = logging.getLogger("batchbot.slack")


def register(app: App, edge: Any) -> None:
    @app.action("standup_open")
    def on_standup_button(ack: Ack, body: dict[str, Any], client: Any) -> None:
        ack()
        from bot.render.standup_blocks import standup_modal

        user = body["user"]["id"]
        day = (body.get("actions") or [{}])[0].get("value") or (
            edge.rt.standups.local_today(user).isoformat()
        )
        meta = json.dumps({"channel": (body.get("channel") or {}).get("id")})
        existing = edge.rt.db.get_standup(user, date.fromisoformat(day))
        view = standup_modal(day, meta, initial_text=existing.text if existing else "")
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except Exception as exc:
            log.error("views.open for the standup form failed: %s", exc)
