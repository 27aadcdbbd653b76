"""The `/batch` grammar: words in, a Reply out. Shared by Slack, `batchbot shell` and the CLI.

Parsing, access checks and calls into the core happen here and only here; an edge turns its
request into a `Command` and renders the `Reply`. Nothing in this module knows about Slack.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.plan.edits import (
    BATCH_KEYS,
    METRIC_KEYS,
    EditError,
    UsageError,
    parse_pairs,
    split_words,
    update_batch,
    update_metrics,
)
from bot.plan.model import Plan, PlanInvalid, did_you_mean
from bot.plan.store import Actor, PlanConflict, PlanStore
from bot.replies import (
    BatchView,
    ChangeView,
    DashboardView,
    HistoryView,
    OpenModal,
    Reply,
    StatusView,
    TextView,
    WeeklyView,
    error,
)
from bot.report.weekly import collect_week, report_for, to_markdown

Origin = Literal["cli", "shell", "slack"]


@dataclass(frozen=True)
class Command:
    actor: Actor
    words: tuple[str, ...]
    origin: Origin = "cli"
    channel: str | None = None
    text: str | None = None  # the line as typed, for free text (standups keep quotes, lines)

    @staticmethod
    def from_text(actor: Actor, text: str, origin: Origin, channel: str | None = None) -> Command:
        """`text` is what follows `/batch` (a leading `/batch` is tolerated, as people paste it).

        A standup is prose, not key=value pairs: it is not run through the quote-aware
        splitter (an apostrophe as in `'til` must not be an unclosed quote).
        """
        body = re.sub(r"^\s*/?batch\b", "", text, count=1, flags=re.IGNORECASE)
        first = body.split(maxsplit=1)
        if first and first[0].lower() == "standup":
            return Command(actor, tuple(body.split()), origin, channel, text)
        return Command(actor, tuple(split_words(body)), origin, channel, text)


StandupHandler = Callable[["Command", list[str]], Reply]


@dataclass
class Context:
    """Everything a command may touch, built once by the edge and passed in."""

    store: PlanStore
    clock: Callable[[], dt.datetime]
    editors: frozenset[str] = frozenset()
    standup: StandupHandler | None = None
    standups_between: Callable[[dt.date, dt.date], list] | None = None  # type: ignore[type-arg]
    team: tuple[str, ...] = ()
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    name_of: Callable[[str], str] | None = None


SUBCOMMANDS = (
    "help",
    "status",
    "dashboard",
    "update",
    "metrics",
    "weekly",
    "history",
    "validate",
    "standup",
)

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
    "/batch standup <2–3 sentences> — today's standup; "
    "standup list [@user|YYYY-MM-DD]; standup skip [until YYYY-MM-DD]",
    "/batch help — this text",
)

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def help_reply(prefix: str = "") -> Reply:
    lines = ((prefix,) if prefix else ()) + USAGE
    return Reply(TextView("batchbot — keeps the delivery plan", lines))


def handle(cmd: Command, ctx: Context) -> Reply:
    """Run one command. Never raises for user mistakes: they become an error Reply."""
    if not cmd.words:
        return help_reply()
    verb, args = cmd.words[0].lower(), list(cmd.words[1:])
    try:
        if verb in ("help", "-h", "--help"):
            return help_reply()
        if verb == "status":
            return _status(ctx, args)
        if verb == "dashboard":
            return Reply(DashboardView(ctx.store.load()))
        if verb == "update":
            return _update(cmd, ctx, args)
        if verb == "metrics":
            return _metrics(cmd, ctx, args)
        if verb == "weekly":
            return weekly(ctx, " ".join(args) or None)
        if verb == "history":
            return _history(ctx, args)
        if verb == "validate":
            ctx.store.load()
            return Reply(TextView("Plan is valid"))
        if verb == "standup":
            if ctx.standup is None:
                return error("standups are not set up here", "set DATABASE_URL and BATCHBOT_TEAM")
            return ctx.standup(cmd, args)
    except UsageError as exc:
        usage = _usage_for(verb)
        if cmd.origin == "cli":
            usage = usage.replace("/batch ", "batchbot ", 1)
        return error(str(exc), f"usage: {usage}", code=2)
    except EditError as exc:
        return error(str(exc))
    except PlanInvalid as exc:
        if len(exc.problems) == 1 and not exc.problems[0].where:  # unreadable, not invalid
            return error(f"{exc.source or 'the plan'}: {exc.problems[0].message}")
        return error(
            f"{exc.source or 'the plan'} is not valid ({len(exc.problems)} problem"
            f"{'s' if len(exc.problems) != 1 else ''}):",
            "\n".join(f"- {p}" for p in exc.problems),
        )
    except PlanConflict as exc:
        return error(str(exc))
    hint = did_you_mean(verb, SUBCOMMANDS)
    return Reply(help_reply(f"Unknown command {verb!r}{hint}.").view, exit_code=2)


def _usage_for(verb: str) -> str:
    for line in USAGE:
        if line.startswith(f"/batch {verb}"):
            return line.split(" — ")[0]
    return "/batch help"


def _status(ctx: Context, args: list[str]) -> Reply:
    plan = ctx.store.load()
    if not args:
        return Reply(StatusView(plan))
    if len(args) > 1:
        raise UsageError("status takes at most one batch id")
    batch = _find_batch(plan, args[0])
    return Reply(BatchView(plan, batch, tuple(ctx.store.history(batch.id, limit=5))))


def _find_batch(plan: Plan, batch_id: str):  # type: ignore[no-untyped-def]
    batch = plan.batch(batch_id)
    if batch is None:
        lowered = {b.id.lower(): b for b in plan.batches}
        named = {b.name.lower(): b for b in plan.batches}
        batch = lowered.get(batch_id.lower()) or named.get(batch_id.lower())
    if batch is None:
        ids = plan.ids()
        raise EditError(
            f"unknown batch {batch_id!r}{did_you_mean(batch_id, ids)}; "
            f"batches: {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}"
        )
    return batch


def owner_id(owner: str) -> str | None:
    """The Slack user id an owner field names (`<@U123>` or a bare `U123…`), if any."""
    m = _MENTION.match(owner.strip())
    if m:
        return m.group(1)
    if re.fullmatch(r"[UW][A-Z0-9]{6,}", owner.strip()):
        return owner.strip()
    return None


def may_edit(ctx: Context, actor: Actor, owner: str | None) -> bool:
    """Editors list empty: everyone may change. Otherwise editors and the batch's owner."""
    if not ctx.editors:
        return True
    if actor.slack_id is None:
        return True  # local CLI/shell users act with the file system's permissions
    if actor.slack_id in ctx.editors:
        return True
    return owner is not None and owner_id(owner) == actor.slack_id


def _refuse(what: str) -> Reply:
    return error(
        f"you are not allowed to change {what}",
        "changes are limited to the editors list (BATCHBOT_EDITORS) and each batch's owner; "
        "ask an editor to add you",
    )


def _update(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args:
        raise UsageError("which batch? give a batch id")
    plan = ctx.store.load()
    batch = _find_batch(plan, args[0])
    if not may_edit(ctx, cmd.actor, batch.owner):
        return _refuse(batch.id)
    if len(args) == 1:
        if cmd.origin == "slack":
            return Reply(TextView("Opening the update form…"), modal=OpenModal("update", batch.id))
        raise UsageError(
            f"give key=value pairs to change {batch.id}; keys: {', '.join(BATCH_KEYS)}"
        )
    pairs = parse_pairs(args[1:], BATCH_KEYS)
    return apply_batch_update(cmd.actor, ctx, batch.id, pairs, via=cmd.origin)


def apply_batch_update(
    actor: Actor, ctx: Context, batch_id: str, pairs: list[tuple[str, str]], via: str
) -> Reply:
    """The single write path for batch edits (text command and Slack modal alike)."""
    saved = ctx.store.change(actor, lambda p: update_batch(p, batch_id, pairs), via=via)
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


def _metrics(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args:
        plan = ctx.store.load()
        from bot.report.weekly import metric_lines

        lines = tuple(
            f"{m.label}: {m.value}"
            + (f" (target {m.target}) {'✅' if m.ok else '⚠️'}" if m.target else "")
            for m in metric_lines(plan.metrics, plan.targets, None)
        )
        return Reply(TextView("Metrics this week", lines))
    if not may_edit(ctx, cmd.actor, None):
        return _refuse("the metrics")
    pairs = parse_pairs(args, METRIC_KEYS)
    saved = ctx.store.change(cmd.actor, lambda p: update_metrics(p, pairs), via=cmd.origin)
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


def weekly(ctx: Context, label: str | None, now: dt.datetime | None = None) -> Reply:
    """The weekly report draft: the same builder the Friday job posts."""
    now = now or ctx.clock()
    plan = ctx.store.load()
    try:
        data = collect_week(ctx.store, plan, label, now)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    report = report_for(
        data,
        now,
        standups_between=ctx.standups_between,
        team=ctx.team,
        workdays=ctx.workdays,
        name_of=ctx.name_of,
    )
    return Reply(WeeklyView(report, to_markdown(report)))


def _history(ctx: Context, args: list[str]) -> Reply:
    if len(args) > 1:
        raise UsageError("history takes at most one batch id")
    plan = ctx.store.load()  # a missing or broken plan says so, not "no changes"
    batch_id = None
    if args:
        batch_id = _find_batch(plan, args[0]).id if args[0] != "metrics" else "metrics"
    if ctx.store.repo is None:
        return error(
            f"{ctx.store.path.name} is not in a git repository, so there is no history",
            "run `git init` in its folder and commit it",
        )
    return Reply(HistoryView(tuple(ctx.store.history(batch_id, limit=20)), batch_id))
