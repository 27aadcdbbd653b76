"""Form submissions. Mistakes go back onto the form's fields; good input takes the same path as
typed commands (`apply_batch_update`, `Standups.submit`)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.commands import Context, apply_batch_update, may_edit
from bot.plan.edits import BATCH_KEYS, EditError, parse_pairs, update_batch
from bot.plan.model import PlanInvalid
from bot.plan.store import PlanConflict
from bot.render.escape import esc
from bot.replies import error
from bot.slack.edge import BUSY, Edge
from bot.slack.listeners.forms import form_meta, submitted_value

log = logging.getLogger("batchbot.slack")


def update_pairs(state: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for key in ("status", "progress", "owner", "targetDate", "blockers", "notes"):
        value = submitted_value(state, key)
        if value is not None:
            pairs.append((key, value))
    return parse_pairs([f"{k}={v}" for k, v in pairs], BATCH_KEYS)


def on_update(edge: Edge, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Check the form on the request thread (the plan is in memory), then queue the write."""
    meta = form_meta(view)
    user = body["user"]
    actor = edge.actor(user["id"], user.get("name") or user.get("username"))
    batch_id = meta.get("batch", "")
    state = view["state"]["values"]
    try:
        pairs = update_pairs(state)
        ctx = edge.form_context(meta)
        if ctx is None:
            raise EditError(edge.gone(meta.get("program")))
        plan = ctx.store.load()
        batch = plan.batch(batch_id)
        if batch is None:
            raise EditError(f"batch {batch_id} no longer exists")
        if not may_edit(ctx, actor, batch.owner):
            raise EditError("you are not allowed to change this batch (editors and its owner)")
        if ("status", "done") in pairs and ("progress", str(batch.progress)) in pairs:
            # the form shows the old progress; choosing done and saving means 100 %
            pairs = [p for p in pairs if p[0] != "progress"]
        update_batch(plan, batch_id, pairs)  # check before closing the form
    except (EditError, PlanInvalid) as exc:
        field = next((k for k in BATCH_KEYS if str(exc).startswith(k)), "notes")
        field = field if field in state else "status"
        ack(response_action="errors", errors={field: edge.paths.text(str(exc))[:150]})
        return
    if not edge.work.submit(save_update, edge, ctx, actor, batch_id, pairs, meta):
        ack(response_action="errors", errors={"status": BUSY[:150]})
        return
    ack()


def save_update(
    edge: Edge,
    ctx: Context,
    actor: Any,
    batch_id: str,
    pairs: list[tuple[str, str]],
    meta: dict[str, Any],
) -> None:
    """`ctx`: the program the form was checked against on submit (never looked up again)."""
    try:
        reply = apply_batch_update(actor, ctx, batch_id, pairs, via="slack")
    except (EditError, PlanConflict, PlanInvalid) as exc:
        reply = error(str(exc))
    edge.respond(meta.get("response_url"), edge.paths.reply(reply))
    if reply.plan_changed:
        edge.after_change()


def on_standup(edge: Edge, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    from bot.standup.sentences import check_standup

    text = submitted_value(view["state"]["values"], "standup") or ""
    check = check_standup(text)
    if not check.ok:
        ack(response_action="errors", errors={"standup": check.reason[:150]})
        return
    if not edge.work.submit(save_standup, edge, body["user"]["id"], text, view):
        ack(response_action="errors", errors={"standup": BUSY[:150]})
        return
    ack()


def save_standup(edge: Edge, user_id: str, text: str, view: dict[str, Any]) -> None:
    from bot.render import blocks as kit
    from bot.render.standup_blocks import modal_date

    reply = edge.standups.submit(
        user_id,
        edge.standups.display_name(user_id),
        text,
        "modal",
        local_date=modal_date(view.get("private_metadata")),
    )
    meta = form_meta(view)
    if meta.get("response_url"):
        edge.respond(meta["response_url"], reply)
    elif meta.get("channel"):  # opened from the DM prompt: confirm there
        from bot.slack.listeners.lead import standup_programs, with_track_it

        text_out, blocks = kit.render(reply)
        blocks = with_track_it(blocks, reply, text, standup_programs(edge, user_id))
        edge.post(meta["channel"], text_out, blocks, what=f"standup confirmation to {user_id}")


def on_report_edit(edge: Edge, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    """The edited report markdown goes back to its archive file (what Publish uses)."""
    from bot.render.report_blocks import edited_markdown

    meta = form_meta(view)
    text = edited_markdown(view["state"]["values"])
    if not text.strip():
        ack(response_action="errors", errors={"report_part_1": "the report cannot be empty"})
        return
    user = body["user"]
    actor = edge.actor(user["id"], user.get("name") or user.get("username"))
    ctx = edge.form_context(meta)
    if ctx is None:
        ack(response_action="errors", errors={"report_part_1": edge.gone(meta.get("program"))})
        return
    if not may_edit(ctx, actor, None):
        ack(response_action="errors", errors={"report_part_1": "only editors may edit it"})
        return
    if not edge.work.submit(save_report_edit, edge, ctx, actor, meta, text):
        ack(response_action="errors", errors={"report_part_1": BUSY[:150]})
        return
    ack()


def save_report_edit(edge: Edge, ctx: Context, actor: Any, meta: dict[str, Any], text: str) -> None:
    from bot.plan.archive import ArchiveRefused
    from bot.report.publish import check_week

    week = check_week(str(meta.get("week") or ""))
    path = f"plan/reports/{ctx.program + '/' if ctx.program else ''}{week}.md"
    try:
        sha = ctx.store.commit_file(path, text, actor, f"Weekly report {week}: edited in Slack")
        note = f"{actor.name} edited the report; saved to `{path}`" + (
            f" @ {sha[:10]}" if sha else " (unchanged)"
        )
    except ArchiveRefused as exc:  # a link in plan/reports: say why, never write through it
        note = f"The edit by {actor.name} was not saved: {exc}"
    except Exception as exc:
        log.error("saving the edited report failed: %s", exc)
        note = f"The edit by {actor.name} could not be saved: {type(exc).__name__}"
    if meta.get("channel") and meta.get("ts"):
        edge.post(meta["channel"], esc(note), None, meta["ts"], "report edit confirmation")


def register(app: App, edge: Edge) -> None:
    @app.view("report_edit")
    def report_edit_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        on_report_edit(edge, ack, body, view)

    @app.view("batch_update")
    def update_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        on_update(edge, ack, body, view)

    @app.view("standup_submit")
    def standup_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        on_standup(edge, ack, body, view)
