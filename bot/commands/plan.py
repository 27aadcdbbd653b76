"""`/batch status|dashboard|update|metrics|weekly|history|validate`: the plan's own words."""

from __future__ import annotations

from bot.commands.base import Command, Context, change_plan, find_batch, may_edit, refuse
from bot.commands.weekly_draft import weekly
from bot.plan.edits import (
    BATCH_KEYS,
    METRIC_KEYS,
    EditError,
    UsageError,
    parse_pairs,
    update_batch,
    update_metrics,
)
from bot.plan.model import Plan
from bot.plan.store import Actor
from bot.replies import ChangeView, DashboardView, Reply, TextView, error

# The other views (bot.reply_views) load in the words that answer with them: the dashboard
# is timed against the node tool it replaces, and each dataclass costs at start-up.

USAGE = (
    "/batch status [batch-id] — the plan, or one batch in full",
    "/batch update <batch-id> key=value … — change a batch "
    f"(keys: {', '.join(BATCH_KEYS)}; no pairs opens a form in Slack)",
    "/batch metrics [key=value …] — show or set this week's metrics "
    f"({', '.join(METRIC_KEYS[:5])})",
    '/batch weekly ["Week N"] — preview the weekly progress report',
    "/batch history [batch-id] — who changed what, from git",
    "/batch validate — check the plan file",
    "/batch dashboard — the dashboard table",
)


def status(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    from bot.reply_views import BatchView, StatusView

    plan = ctx.store.load()
    today = ctx.clock().date()
    if not args:
        return Reply(StatusView(plan, ctx.store.notice(), today))
    if len(args) > 1:
        raise UsageError("status takes at most one batch id")
    batch = find_batch(plan, args[0])
    from bot.report.schedule import forecast, progress_samples

    history = ctx.store.history(batch.id, limit=0)  # all of it: the pace needs the start
    pace = forecast(plan, batch, progress_samples(history).get(batch.id, []), today)
    view = BatchView(
        plan, batch, tuple(history[:5]), today, pace.text() if pace else "", ctx.clock().tzinfo
    )
    return Reply(view)


def dashboard(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    return Reply(DashboardView(ctx.store.load(), ctx.clock().date()))


def validate(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    ctx.store.load()
    return Reply(TextView("Plan is valid"))


def update(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args:
        raise UsageError("which batch? give a batch id")
    plan = ctx.store.load()
    batch = find_batch(plan, args[0])
    if not may_edit(ctx, cmd.actor, batch.owner):
        return refuse(batch.id, ctx)
    if len(args) == 1:
        if cmd.origin == "slack":
            from bot.reply_views import OpenModal

            return Reply(TextView("Opening the update form…"), modal=OpenModal("update", batch.id))
        raise UsageError(
            f"give key=value pairs to change {batch.id}; keys: {', '.join(BATCH_KEYS)}"
        )
    pairs = parse_pairs(args[1:], BATCH_KEYS)
    return apply_batch_update(cmd.actor, ctx, batch.id, pairs, via=cmd.origin)


def linked_progress_refused(
    plan: Plan, batch_id: str, pairs: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """A batch linked to GitHub work takes its progress from there: a typed progress that
    differs is refused with the way out (the update form resends the same value: fine)."""
    link = plan.links.get(batch_id)
    batch = plan.batch(batch_id)
    if link is None or batch is None:
        return pairs
    for key, value in pairs:
        if key == "progress" and value.strip() != str(batch.progress):
            raise EditError(
                f"{batch_id}'s progress is measured from GitHub ({link.what}); "
                f"/batch unlink {batch_id} to set it by hand"
            )
    return pairs


def apply_batch_update(
    actor: Actor, ctx: Context, batch_id: str, pairs: list[tuple[str, str]], via: str
) -> Reply:
    """The single write path for batch edits (text command and Slack modal alike)."""
    saved = change_plan(
        ctx,
        actor,
        lambda p: update_batch(p, batch_id, linked_progress_refused(p, batch_id, pairs)),
        via=via,
        what=batch_id,
        owner=lambda p: b.owner if (b := p.batch(batch_id)) else None,
    )
    batch = saved.plan.batch(batch_id)
    name = batch.name if batch else batch_id
    if not saved.changes:
        return Reply(TextView(f"{name} ({batch_id}): nothing to change — already so"))
    view = ChangeView(
        actor.name,
        actor.slack_id,
        batch_id,
        name,
        tuple(saved.changes),
        saved.commit,
        saved.warning,
    )
    return Reply(view, visibility="channel", plan_changed=True)


def metrics(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if args and args[0].lower() == "collect":
        from bot.commands.report import metrics_collect

        return metrics_collect(cmd, ctx, args[1:])
    if not args:
        plan = ctx.store.load()
        from bot.report.metrics import metric_lines
        from bot.report.weeks import week_of

        now = ctx.clock()
        zone = now.tzinfo
        since = week_of(plan, now.date()).start  # older figures say when they were measured
        lines = tuple(
            f"{m.label}: {m.value}"
            + (f" (target {m.target})" if m.target else "")
            + ("" if m.ok is None else (" ✅" if m.ok else " ⚠️"))
            + (f" — {m.change}" if m.change.startswith(("last", "when")) else "")
            for m in metric_lines(plan.metrics, plan.targets, None, plan.measured, since, zone)
        )
        lines += tuple(
            f"{name}: "
            + (m.source if m.source.startswith("typed") else f"from {m.source}")
            + f", {m.at.astimezone(zone):%a %d %b %H:%M}"
            for name, m in plan.measured.items()
        )
        return Reply(TextView("Metrics this week", lines))
    if not may_edit(ctx, cmd.actor, None):
        return refuse("the metrics", ctx, owners=False)
    pairs = parse_pairs(args, METRIC_KEYS)
    saved = change_plan(
        ctx,
        cmd.actor,
        lambda p: update_metrics(p, pairs, ctx.clock(), cmd.actor.name),
        via=cmd.origin,
        what="the metrics",
    )
    if not saved.changes:
        return Reply(TextView("Metrics: nothing to change — already so"))
    view = ChangeView(
        cmd.actor.name,
        cmd.actor.slack_id,
        "metrics",
        "Metrics",
        tuple(saved.changes),
        saved.commit,
        saved.warning,
    )
    return Reply(view, visibility="channel", plan_changed=True)


def weekly_command(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    return weekly(ctx, " ".join(args) or None)


def history(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    from bot.reply_views import HistoryView

    if len(args) > 1:
        raise UsageError("history takes at most one batch id")
    plan = ctx.store.load()  # a missing or broken plan says so, not "no changes"
    batch_id = None
    if args:
        batch_id = find_batch(plan, args[0]).id if args[0] != "metrics" else "metrics"
    if ctx.store.repo is None:
        return error(
            f"{ctx.store.path.name} is not in a git repository, so there is no history",
            "run `git init` in its folder and commit it",
        )
    return Reply(HistoryView(tuple(ctx.store.history(batch_id, limit=20)), batch_id))


VERBS = {
    "status": status,
    "dashboard": dashboard,
    "update": update,
    "metrics": metrics,
    "weekly": weekly_command,
    "history": history,
    "validate": validate,
}
