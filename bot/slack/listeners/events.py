"""Events: the Home tab shows the live dashboard; a DM to the bot is a standup answer.

Bolt acknowledges events itself; the work still goes to the edge's queue so no event ever
holds the request thread while the Web API answers.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.messenger import UserInfo
from bot.render import blocks as kit
from bot.slack.edge import Edge
from bot.slack.messenger import user_info_from

log = logging.getLogger("batchbot.slack")


def on_home(edge: Edge, event: dict[str, Any]) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    if not edge.work.submit(edge.publish_home, event["user"]):
        log.error("queue full: App Home for %s not refreshed", event["user"])


def on_message(edge: Edge, event: dict[str, Any]) -> None:
    if event.get("channel_type") == "im" and event.get("subtype") == "message_changed":
        changed = event.get("message") or {}
        by_person = changed.get("user") and not changed.get("bot_id")
        if by_person and not edge.work.submit(answer_dm_edit, edge, event):
            log.error("queue full: an edited DM standup waits for Slack's retry")
        return
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return  # joins, deletions and our own messages are not standups
    user = event.get("user")
    if not user or user == edge.bot_user_id:
        return
    if not edge.work.submit(answer_dm, edge, event):
        log.error("queue full: a DM standup from %s waits for Slack's retry", user)


def answer_dm(edge: Edge, event: dict[str, Any]) -> None:
    user = event["user"]
    reply = edge.standups.submit(
        user, edge.standups.display_name(user), event.get("text", ""), "dm"
    )
    text, blocks = kit.render(reply)
    from bot.slack.listeners.lead import standup_programs, with_track_it

    blocks = with_track_it(blocks, reply, event.get("text", ""), standup_programs(edge, user))
    edge.post(event["channel"], text, blocks, what=f"answer to {user}'s DM standup")


def answer_dm_edit(edge: Edge, event: dict[str, Any]) -> None:
    """An edited DM standup: the core decides; the person hears back in the DM."""
    changed, before = event["message"], event.get("previous_message") or {}
    reply = edge.standups.edit_dm(
        changed["user"], changed.get("text", ""), before.get("text", ""), changed.get("ts", "")
    )
    if reply is None:
        return
    text, blocks = kit.render(reply)
    edge.post(event["channel"], text, blocks, what="answer to an edited DM standup")


def on_user_change(edge: Edge, event: dict[str, Any]) -> None:
    """Slack says someone changed their profile: their name (and zone) is replaced at once,
    so the next reply uses it without a users.info call. Runs on the queue: a database write
    never holds the event's acknowledgement."""
    user = event.get("user")
    if not isinstance(user, dict) or not user.get("id"):
        return
    info = user_info_from(user)
    if not edge.work.submit(remember_user, edge, info):
        log.error("queue full: the new name of %s waits for the next lookup", info.user_id)


def remember_user(edge: Edge, info: UserInfo) -> None:
    edge.rt.names.remember(info)
    edge.standups.people.forget(info.user_id)


def register(app: App, edge: Edge) -> None:
    @app.event("user_change")
    def user_change(event: dict[str, Any]) -> None:
        on_user_change(edge, event)

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any]) -> None:
        on_home(edge, event)

    @app.event("message")
    def message(event: dict[str, Any]) -> None:
        on_message(edge, event)
