"""`/batch link|unlink|links`: a batch follows its GitHub work (a milestone or a label).

Its progress is then measured — closed issues and merged pull requests over all linked ones —
by `batchbot metrics collect`, the Friday job and GitHub's issue and pull-request webhooks;
a hand-typed progress on a linked batch is refused (see `commands.plan`).
"""

from __future__ import annotations

from bot.commands.base import Command, Context, change_plan, find_batch
from bot.commands.registers import check_access, saved_reply, text_and_pairs
from bot.plan.edits import UsageError
from bot.plan.link_edits import link_batch, unlink_batch
from bot.replies import Reply, TextView

USAGE = (
    '/batch link <batch-id> milestone="Infra v1" | label=infra — its progress follows the '
    "linked GitHub issues and pull requests (closed and merged over all)",
    "/batch unlink <batch-id> — progress is typed by hand again",
    "/batch links — every linked batch with its last measurement",
)


def link(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args:
        raise UsageError('which batch? /batch link <batch-id> milestone="Infra v1" | label=infra')
    plan = ctx.store.load()
    batch = find_batch(plan, args[0])
    text, pairs = text_and_pairs(args[1:], ("milestone", "label"))
    if text:
        raise UsageError(f'link takes milestone="…" or label=…, not {text!r}')
    refused = check_access(ctx, cmd.actor, batch.owner, f"the link of {batch.id}")
    if refused:
        return refused
    saved = change_plan(
        ctx,
        cmd.actor,
        lambda p: link_batch(p, batch.id, pairs.get("milestone", ""), pairs.get("label", "")),
        via=cmd.origin,
        what=f"the link of {batch.id}",
        owner=lambda p: b.owner if (b := p.batch(batch.id)) else None,
    )
    linked = saved.plan.links.get(batch.id)
    what = linked.what if linked else "GitHub"
    return saved_reply(
        saved,
        f"{batch.name} ({batch.id}) follows {what}: its progress is measured at the next "
        "collection (batchbot metrics collect, the Friday job, or a GitHub webhook)",
    )


def unlink(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if len(args) != 1:
        raise UsageError("unlink <batch-id>")
    plan = ctx.store.load()
    batch = find_batch(plan, args[0])
    refused = check_access(ctx, cmd.actor, batch.owner, f"the link of {batch.id}")
    if refused:
        return refused
    saved = change_plan(
        ctx,
        cmd.actor,
        lambda p: unlink_batch(p, batch.id),
        via=cmd.origin,
        what=f"the link of {batch.id}",
        owner=lambda p: b.owner if (b := p.batch(batch.id)) else None,
    )
    return saved_reply(saved, f"{batch.name} ({batch.id}): progress is typed by hand again")


def links(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if args:
        raise UsageError("links takes no arguments")
    plan = ctx.store.load()
    zone = ctx.clock().tzinfo
    lines = tuple(
        f"{b.id} {b.name}: {b.progress}% — {plan.links[b.id].source(zone)}"
        for b in plan.batches
        if b.id in plan.links
    )
    return Reply(TextView("Batches linked to GitHub", lines or ("No batch is linked yet.",)))


VERBS = {"link": link, "unlink": unlink, "links": links}
