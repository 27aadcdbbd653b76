"""Buttons: "Write standup" in the daily DM opens the standup form; "Publish to GitHub" and
"Edit" under the Friday report draft publish it (bot/commands/report.py) or open its text."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App

from bot.messenger import MessengerError
from bot.replies import OpenModal, error
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
        from bot.slack.listeners.commands import form_failed

        said = exc.reason if isinstance(exc, MessengerError) else type(exc).__name__
        edge.respond(body.get("response_url"), form_failed(OpenModal("standup"), said))


def _message(body: dict[str, Any]) -> tuple[str, str, str]:
    """(channel, ts, value) of the draft whose button was clicked."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts") or ""
    week = (body.get("actions") or [{}])[0].get("value") or ""
    return channel, ts, week


def program_week(edge: Edge, value: str) -> tuple[Any, str]:
    """(the program's Context, the ISO week) of a report button: `beta/2026-W49` is beta's
    draft, a bare week the first program's (drafts posted before programs too). The Context
    is None for a program this deployment no longer has: its draft must not act on the first
    program's report."""
    program, _, week = value.rpartition("/")
    programs = getattr(edge.rt, "programs", None) or {}
    if program:
        return programs.get(program), week
    return edge.rt.ctx, week


def _gone(edge: Edge, body: dict[str, Any], value: str) -> None:
    edge.respond(body.get("response_url"), error(edge.gone(value.rpartition("/")[0])))


def publish_report(edge: Edge, body: dict[str, Any]) -> None:
    """Publish (once) and link the issue from the draft; the clicker gets the outcome."""
    from bot.commands.report import publish_for
    from bot.render.report_blocks import with_issue_link

    user = body["user"]
    channel, ts, value = _message(body)
    ctx, week = program_week(edge, value)
    if ctx is None:
        _gone(edge, body, value)
        return
    actor = edge.actor(user["id"], user.get("name") or user.get("username"))
    reply, ref = publish_for(ctx, actor, week)
    if ref is not None and channel and ts:
        message = body.get("message") or {}
        blocks = with_issue_link(message.get("blocks") or [], ref.url, ref.number)
        edge.outbox.call(
            "chat.update",
            "the report draft's issue link",
            channel=channel,
            ts=ts,
            text=message.get("text") or "Weekly report",
            blocks=blocks,
        )
    edge.respond(body.get("response_url"), reply)


def open_report_editor(edge: Edge, body: dict[str, Any]) -> None:
    from bot.commands.report import archived_report
    from bot.plan.archive import ArchiveRefused
    from bot.render.report_blocks import report_edit_modal

    channel, ts, value = _message(body)
    ctx, week = program_week(edge, value)
    if ctx is None:
        _gone(edge, body, value)
        return
    try:
        markdown = archived_report(ctx, week) or ""
    except ArchiveRefused as exc:  # a link in the reports folder: never opened for editing
        log.error("the %s report cannot be edited: %s", week, exc)
        # The clicker hears why, not silence (the log is the admin's, not theirs).
        edge.respond(body.get("response_url"), error(f"the {week} report cannot be edited: {exc}"))
        return
    meta = json.dumps({"week": week, "channel": channel, "ts": ts, "program": ctx.program})
    try:
        edge.slack.open_view(body["trigger_id"], report_edit_modal(week, markdown, meta))
    except Exception as exc:
        log.error("views.open for the report editor failed: %s", exc)
        edge.respond(
            body.get("response_url"),
            error(f"the {week} report editor could not open ({exc}); click Edit again"),
        )


def register(app: App, edge: Edge) -> None:
    @app.action("report_publish")
    def report_publish_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if not edge.work.submit(publish_report, edge, body):
            log.error("queue full: the report was not published")

    @app.action("report_edit")
    def report_edit_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if not edge.work.submit(open_report_editor, edge, body):
            log.error("queue full: the report editor was not opened")

    @app.action("standup_open")
    def standup_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if not edge.work.submit(open_standup_form, edge, body):
            log.error("queue full: the standup form was not opened")
