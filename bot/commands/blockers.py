"""`/batch blocker add|resolve` and `/batch blockers`: blockers tracked until resolved, with
who owns them, how they get resolved and how long they have been open."""

from __future__ import annotations

import datetime as dt

from bot.commands.base import Command, Context, change_plan, find_batch, owner_id
from bot.commands.registers import check_access, nth, number_of, saved_reply, text_and_pairs
from bot.people.names import NameOf, person_name
from bot.plan.edits import UsageError
from bot.plan.model import Plan
from bot.plan.register import Blocker
from bot.plan.register_edits import add_blocker, resolve_blocker
from bot.plan.values import typed_date
from bot.replies import Notice, OpenModal, Reply, TextView

USAGE = (
    "/batch blocker add <batch-id> <text> [resolution=<plan>] [owner=@user] [due=YYYY-MM-DD] — "
    "track a blocker (the batch owner is told; past `due` its owner gets a nudge; no text opens "
    "a form in Slack)",
    "/batch blocker resolve <n> [note] — close blocker n",
    "/batch blockers — the open blockers, oldest first, with their age",
)


def age_days(blocker: Blocker, today: dt.date) -> int:
    return max(0, (today - blocker.raised).days)


def blocker_line(
    plan: Plan, n: int, b: Blocker, today: dt.date, name_of: NameOf | None = None
) -> str:
    """`#2 batch-2: Staging DB access — ops grants a read role (Ana, 4 days)`."""
    days = age_days(b, today)
    resolution = b.resolution or "no resolution plan yet"
    owner = person_name(b.owner, name_of, "no owner")
    # The `due=` typed at `blocker add` shows here: otherwise nothing but a nudge ever shows it.
    due = ""
    if b.due is not None:
        due = f", past due {b.due:%a %d %b}" if b.due < today else f", due {b.due:%a %d %b}"
        due += f" {b.due.year}" if b.due.year != today.year else ""
    return (
        f"#{n} {b.batch}: {b.text} — {resolution} "
        f"({owner}, {days} day{'s' if days != 1 else ''}{due})"
    )


def blocker(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args:
        raise UsageError("blocker add <batch-id> <text> | blocker resolve <n> [note]")
    action, rest = args[0].lower(), args[1:]
    today = ctx.clock().date()
    plan = ctx.store.load()
    if action == "add":
        if not rest:
            raise UsageError("which batch? /batch blocker add <batch-id> <text>")
        batch = find_batch(plan, rest[0])
        text, pairs = text_and_pairs(rest[1:], ("resolution", "owner", "due"))
        due = resolve_by(pairs["due"]) if "due" in pairs else None
        refused = check_access(ctx, cmd.actor, batch.owner, f"the blockers of {batch.id}")
        if refused:
            return refused
        if not text and cmd.origin == "slack":
            return Reply(
                TextView("Opening the blocker form…"), modal=OpenModal("blocker", batch.id)
            )
        return record_blocker(
            cmd, ctx, batch.id, text, pairs.get("resolution", ""), pairs.get("owner", ""), due
        )
    if action == "resolve":
        if not rest:
            raise UsageError("which blocker? /batch blocker resolve <n> [note]")
        number, note = str(number_of(rest[0], "blocker")), " ".join(rest[1:])
        target = nth(plan.blockers, number)
        of = plan.batch(target.batch) if target else None
        owner = of.owner if of else None
        refused = check_access(ctx, cmd.actor, owner, "this blocker")
        if refused:
            return refused
        saved = change_plan(
            ctx,
            cmd.actor,
            lambda p: resolve_blocker(p, number, note, today),
            via=cmd.origin,
            what="this blocker",
            owner=owner,
        )
        return saved_reply(saved, f"Blocker #{number} resolved")
    raise UsageError(f"blocker {action!r}: use blocker add or blocker resolve")


def resolve_by(text: str) -> dt.date:
    """`due=2026-12-18`: ASCII digits only, a real calendar day."""
    try:
        return typed_date(text, "due")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def record_blocker(
    cmd: Command,
    ctx: Context,
    batch_id: str,
    text: str,
    resolution: str,
    owner: str,
    due: dt.date | None = None,
) -> Reply:
    """The single write path for a new blocker (typed command and Slack form alike)."""
    today = ctx.clock().date()
    saved = change_plan(
        ctx,
        cmd.actor,
        lambda p: add_blocker(
            p,
            batch_id,
            text,
            resolution=resolution,
            owner=owner,
            by=cmd.actor.name,
            today=today,
            due=due,
        ),
        via=cmd.origin,
        what=f"the blockers of {batch_id}",
        owner=lambda p: b.owner if (b := p.batch(batch_id)) else None,
    )
    n = len(saved.plan.blockers)
    added = saved.plan.blockers[-1]
    batch = saved.plan.batch(batch_id)
    notices: tuple[Notice, ...] = ()
    who = owner_id(batch.owner) if batch else None
    if who and who != cmd.actor.slack_id and batch is not None:
        notices = (
            Notice(
                who,
                f"New blocker #{n} on {batch.name} ({batch.id}), raised by {cmd.actor.name}: "
                f"{added.text} — {added.resolution or 'no resolution plan yet'}"
                f" (owner: {person_name(added.owner, ctx.name_of, 'none')})."
                " /batch blockers lists them all.",
            ),
        )
    return saved_reply(saved, f"Blocker #{n} on {batch_id}: {added.text}", notices)


def blockers(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if args:
        raise UsageError("blockers takes no arguments")
    plan = ctx.store.load()
    today = ctx.clock().date()
    open_ones = [(n, b) for n, b in enumerate(plan.blockers, 1) if b.status == "open"]
    open_ones.sort(key=lambda nb: nb[1].raised)
    lines = tuple(blocker_line(plan, n, b, today, ctx.name_of) for n, b in open_ones)
    return Reply(TextView("Open blockers", lines or ("No open blockers.",)))


VERBS = {"blocker": blocker, "blockers": blockers}
