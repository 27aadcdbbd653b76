"""The lead's buttons and forms: the Friday risk review (**Still accurate** / **Update**), the
risk update form, the blocker form and a standup's **Track it** button.

Thin like the other listeners: ack at once, read the values, then the same command path as
the typed words (`change_risk`, `record_blocker`) — so access rules and validation live once.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App

from bot.commands import Command, may_edit
from bot.commands.blockers import record_blocker
from bot.commands.risks import change_risk
from bot.plan.edits import EditError
from bot.plan.register_edits import risk_values
from bot.render import blocks as kit
from bot.render import lead_blocks as lead
from bot.replies import Reply, error
from bot.report.weekly import mentions_blocker
from bot.slack.listeners.views import _value

log = logging.getLogger("batchbot.slack")


def with_track_it(blocks: list[dict[str, Any]], reply: Reply, text: str) -> list[dict[str, Any]]:
    """A saved standup that mentions a blocker gets a **Track it** button under the answer."""
    if reply.ok and mentions_blocker(text) and len(blocks) < kit.MAX_MESSAGE_BLOCKS:
        return [*blocks, lead.track_it_block(text)]
    return blocks


def _say(
    edge: Any, client: Any, channel: str | None, reply: Reply, thread: str | None = None
) -> None:
    if not channel:
        return
    text, blocks = kit.render(reply)
    try:
        client.chat_postMessage(channel=channel, text=text, blocks=blocks, thread_ts=thread)
    except Exception as exc:
        log.error("could not answer in %s: %s", channel, exc)


def _actor(edge: Any, body: dict[str, Any]) -> Any:
    user = body["user"]
    return edge.actor(user["id"], user.get("name") or user.get("username"))


def register(app: App, edge: Any) -> None:
    @app.action(lead.RISK_REVIEWED)
    def on_still_accurate(ack: Ack, body: dict[str, Any], client: Any) -> None:
        ack()
        number = body["actions"][0]["value"]
        cmd = Command(_actor(edge, body), ("risk", "reviewed", number), "slack")
        reply = edge.run(cmd)
        channel = (body.get("channel") or {}).get("id")
        _say(edge, client, channel, reply, (body.get("message") or {}).get("ts"))
        if reply.plan_changed:
            edge.after_change()

    @app.action(lead.RISK_UPDATE)
    def on_update_risk(ack: Ack, body: dict[str, Any], client: Any) -> None:
        ack()
        number = int(body["actions"][0]["value"])
        plan = edge.rt.store.load()
        if not 1 <= number <= len(plan.risks):
            return
        meta = {"channel": (body.get("channel") or {}).get("id")}
        view = lead.risk_update_modal(number, plan.risks[number - 1], meta)
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except Exception as exc:
            log.error("views.open for the risk form failed: %s", exc)

    @app.view(lead.RISK_FORM)
    def on_risk_form(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        state = view["state"]["values"]
        pairs = [(k, _value(state, k) or "") for k in ("title", "probability", "impact")]
        pairs += [("mitigation", _value(state, "mitigation") or "")]
        owner = _value(state, "owner")
        if owner:
            pairs.append(("owner", owner))
        try:
            risk_values(pairs)
        except EditError as exc:
            field = next((k for k, _ in pairs if str(exc).startswith(k)), "title")
            ack(response_action="errors", errors={field: str(exc)[:150]})
            return
        ack()
        cmd = Command(_actor(edge, body), ("risk", "update", str(meta.get("risk"))), "slack")
        try:
            reply = change_risk(cmd, edge.rt.ctx, str(meta.get("risk")), pairs)
        except Exception as exc:
            reply = error(str(exc))
        _say(edge, client, meta.get("channel"), reply)
        if reply.plan_changed:
            edge.after_change()

    @app.action(lead.BLOCKER_TRACK)
    def on_track_it(ack: Ack, body: dict[str, Any], client: Any) -> None:
        ack()
        text = body["actions"][0].get("value", "")
        meta = {"channel": (body.get("channel") or {}).get("id")}
        view = lead.blocker_modal(edge.rt.store.load(), None, text, meta)
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except Exception as exc:
            log.error("views.open for the blocker form failed: %s", exc)

    @app.view(lead.BLOCKER_FORM)
    def on_blocker_form(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        state = view["state"]["values"]
        batch_id = _value(state, "batch") or ""
        text = " ".join((_value(state, "text") or "").split())
        actor = _actor(edge, body)
        batch = edge.rt.store.load().batch(batch_id)
        if batch is None:
            ack(response_action="errors", errors={"batch": "choose a batch"})
            return
        if not text:
            ack(response_action="errors", errors={"text": "say what is blocking"})
            return
        if not may_edit(edge.rt.ctx, actor, batch.owner):
            msg = "you are not allowed to change this batch (editors and its owner)"
            ack(response_action="errors", errors={"batch": msg})
            return
        ack()
        cmd = Command(actor, ("blocker", "add", batch_id), "slack")
        resolution = _value(state, "resolution") or ""
        owner = _value(state, "owner") or ""
        try:
            reply = record_blocker(cmd, edge.rt.ctx, batch_id, text, resolution, owner)
        except Exception as exc:
            reply = error(str(exc))
        if meta.get("response_url"):
            edge.respond(meta["response_url"], reply)
        else:
            _say(edge, client, meta.get("channel"), reply)
        edge.tell(reply)
        if reply.plan_changed:
            edge.after_change()
