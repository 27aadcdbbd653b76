"""`/batch goal add|done|drop` and `/batch goals`: goals the lead sets for a week, kept in the
plan file so next Friday's report can say which were met."""

from __future__ import annotations

import datetime as dt

from bot.commands.base import Command, Context, change_plan
from bot.commands.registers import check_access, nth, number_of, saved_reply, text_and_pairs
from bot.plan.edits import UsageError
from bot.plan.model import Plan
from bot.plan.register import Goal, GoalStatus, iso_week
from bot.plan.register_edits import add_goal, close_goal, parse_week
from bot.replies import Reply, TextView

USAGE = (
    "/batch goal add <text> [batch=<id>] [week=next|this|YYYY-Www] — set a goal "
    "(default: next week)",
    "/batch goal done <n> | goal drop <n> — mark goal n met, or drop it",
    "/batch goals [this|next|YYYY-Www] — the goals of this and next week, or of one week",
)

MARK = {"open": "⬜", "done": "✅", "dropped": "✖️"}


def goal_line(n: int, g: Goal) -> str:
    batch = f" ({g.batch})" if g.batch else ""
    return f"#{n} {MARK[g.status]} {g.text}{batch} — {g.week}"


def _owner(plan: Plan, batch_id: str) -> str | None:
    batch = plan.batch(batch_id) if batch_id else None
    return batch.owner if batch else None


def goal(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args:
        raise UsageError("goal add <text> | goal done <n> | goal drop <n>")
    action, rest = args[0].lower(), args[1:]
    today = ctx.clock().date()
    plan = ctx.store.load()
    if action == "add":
        text, pairs = text_and_pairs(rest, ("batch", "week"))
        week = parse_week(pairs.get("week") or "next", today)
        batch = pairs.get("batch", "")
        refused = check_access(ctx, cmd.actor, _owner(plan, batch), "the goals")
        if refused:
            return refused
        saved = change_plan(
            ctx,
            cmd.actor,
            lambda p: add_goal(p, text, week, batch, cmd.actor.name, today),
            via=cmd.origin,
            what="the goals",
            owner=lambda p: _owner(p, batch),
        )
        n = len(saved.plan.goals)
        return saved_reply(saved, f"Goal #{n} set for {week}: {' '.join(text.split())}")
    if action in ("done", "drop"):
        if len(rest) != 1:
            raise UsageError(f"goal {action} takes one goal number")
        status: GoalStatus = "done" if action == "done" else "dropped"
        number = str(number_of(rest[0], "goal"))
        target = nth(plan.goals, number)
        refused = check_access(
            ctx, cmd.actor, _owner(plan, target.batch) if target else None, "the goals"
        )
        if refused:
            return refused
        saved = change_plan(
            ctx,
            cmd.actor,
            lambda p: close_goal(p, number, status, today),
            via=cmd.origin,
            what="the goals",
            owner=lambda p: _owner(p, g.batch) if (g := nth(p.goals, number)) else None,
        )
        return saved_reply(saved, f"Goal #{number} {status}")
    raise UsageError(f"goal {action!r}: use goal add, goal done or goal drop")


def goals(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if len(args) > 1:
        raise UsageError("goals takes at most one week (this, next or YYYY-Www)")
    plan = ctx.store.load()
    today = ctx.clock().date()
    this, nxt = iso_week(today), iso_week(today + dt.timedelta(days=7))
    weeks = [parse_week(args[0], today)] if args else [this, nxt]
    names = {this: f"{this} (this week)", nxt: f"{nxt} (next week)"}
    lines: list[str] = []
    for week in weeks:
        mine = [(n, g) for n, g in enumerate(plan.goals, 1) if g.week == week]
        lines.append(f"{names.get(week, week)}:")
        lines += [f"  {goal_line(n, g)}" for n, g in mine] or ["  no goals set"]
    return Reply(TextView("Goals", tuple(lines)))


VERBS = {"goal": goal, "goals": goals}
