"""Events: the Home tab shows the live dashboard; a DM to the bot is a standup answer."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.render import blocks as kit

log = logging.getLogger("batchbot.slack")


def register(app: App, edge: Any) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            edge.publish_home(event["user"])

    @app.event("message")
    def on_message(event: dict[str, Any], client: Any) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # edits, joins and our own messages are not standups
        user = event.get("user")
        if not user or user == edge.bot_user_id:
            return
        reply = edge.rt.standups.submit(
            user, edge.rt.standups.display_name(user), event.get("text", ""), "dm"
        )
        text, blocks = kit.render(reply)
        from bot.slack.listeners.lead import with_track_it

        blocks = with_track_it(blocks, reply, event.get("text", ""))
        try:
            client.chat_postMessage(channel=event["channel"], text=text, blocks=blocks)
        except Exception as exc:
            log.error("could not answer a DM standup: %s", exc)
