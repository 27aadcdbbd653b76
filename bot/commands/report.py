"""`/batch metrics collect [--at ISO]` and `/batch report publish [YYYY-Www]`: GitHub words.

GitHub is reached only through `ctx.github` (a `GitHubService` Protocol, wired in
`bot/runtime.py`; the CLI builds it lazily for these words only), so this module stays core.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.commands.base import Command, Context, change_plan, may_edit, refuse
from bot.plan.archive import ArchiveRefused
from bot.plan.edits import UsageError
from bot.plan.store import Actor
from bot.replies import Reply, TextView, error
from bot.report.measurements import record, summary_lines, week_window
from bot.report.publish import (
    GitHubUnavailable,
    IssueRef,
    check_week,
    issue_body,
    issue_title,
    week_monday,
)
from bot.walltime import parse_instant, wall_instant

USAGE = (
    "/batch metrics collect [--at ISO-8601] — collect this week's metrics from GitHub "
    "and commit them",
    "/batch report publish [YYYY-Www] — publish the week's report as a GitHub issue (once)",
)

NOT_SET_UP = (
    "GitHub is not set up for this bot",
    "whoever runs batchbot connects it to GitHub (`batchbot doctor` says what is missing); "
    "then a lead names the repository with `/batch settings github_repo=owner/name`",
)
#: At the terminal the person is the one who runs the bot: there the settings are the answer.
OPERATOR_NOT_SET_UP = (
    "set BATCHBOT_GITHUB_TOKEN and BATCHBOT_GITHUB_REPO (see the README's GitHub section)"
)


def not_set_up(actor: Actor) -> Reply:
    """GitHub missing: a Slack user hears who can fix it, the operator which settings."""
    if actor.slack_id is None:
        return error(NOT_SET_UP[0], OPERATOR_NOT_SET_UP)
    return error(*NOT_SET_UP)


def _option(args: list[str], name: str) -> tuple[str | None, list[str]]:
    """`--name value` or `--name=value` out of args; the rest is returned as it was."""
    rest: list[str] = []
    value: str | None = None
    it = iter(args)
    for word in it:
        if word == f"--{name}":
            value = next(it, None)
            if not value:
                raise UsageError(f"--{name} needs a value")
        elif word.startswith(f"--{name}="):
            value = word.split("=", 1)[1]
        else:
            rest.append(word)
    return value, rest


def _instant(text: str, ctx: Context) -> dt.datetime:
    """`--at`: an ISO-8601 instant; without an offset, wall time in the team's zone."""
    try:
        return parse_instant(text, ctx.clock().tzinfo or dt.UTC)
    except ValueError:
        raise UsageError(
            f"{text!r} is not an ISO-8601 time; give e.g. 2026-11-27T15:00 or 2026-11-27T15:00Z"
        ) from None


def metrics_collect(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    """Collect from GitHub, show each value with its source, commit them as one change."""
    at_text, rest = _option(args, "at")
    if rest:
        raise UsageError(f"unexpected {' '.join(rest)!r}; only --at ISO-8601 is allowed")
    if ctx.github is None:
        return not_set_up(cmd.actor)
    if not may_edit(ctx, cmd.actor, None):
        return refuse("the metrics", ctx, owners=False)
    now = ctx.clock()
    at = _instant(at_text, ctx) if at_text else now
    if at > now + dt.timedelta(minutes=1):
        raise UsageError("--at is in the future; metrics can be collected up to now")
    window = week_window(at, now.tzinfo or dt.UTC)
    collection = ctx.github.collect(window, at)
    lines = summary_lines(collection)
    # Linked batches (/batch link) are measured by the same word: one collection, one answer.
    from bot.report.linked import refresh_links

    linked, linked_saved = refresh_links(ctx.store, ctx.github, at, cmd.actor, via=cmd.origin)
    names = {b.id: b.name for b in ctx.store.load().batches}
    linked_lines = linked.lines(names)
    if not collection.measured and not linked.measured:
        return error(
            "nothing collected from GitHub; the plan is unchanged",
            "\n".join([*lines, *linked_lines]),
        )
    changed = bool(linked_saved and linked_saved.changes)
    if collection.measured:
        saved = change_plan(
            ctx,
            cmd.actor,
            lambda plan: record(plan, collection),
            via=cmd.origin,
            what="the metrics",
        )
        changed = changed or bool(saved.changes)
        if saved.commit:
            lines.append(f"committed {saved.commit[:10]}")
        elif not saved.changes:
            lines.append("the plan already held these values")
        if saved.warning:
            lines.append(saved.warning)
    if linked_lines:
        lines += ["Linked batches:", *linked_lines]
        if linked_saved and linked_saved.commit:
            lines.append(f"progress committed {linked_saved.commit[:10]}")
    title = f"Metrics collected for {window.text()}"
    return Reply(TextView(title, tuple(lines)), plan_changed=changed)


def report_publish(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    """`report publish [--week] YYYY-Www`: the week defaults to the current one."""
    week_text, rest = _option(args, "week")
    if rest and week_text is None and len(rest) == 1:
        week_text, rest = rest[0], []
    if rest:
        raise UsageError(f"unexpected {' '.join(rest)!r}; give one week like 2026-W48")
    now = ctx.clock()
    if week_text is None:
        year, number, _ = now.date().isocalendar()
        week_text = f"{year}-W{number:02d}"
    try:
        week = check_week(week_text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return publish_for(ctx, cmd.actor, week)[0]


def publish_for(ctx: Context, actor: Actor, week: str) -> tuple[Reply, IssueRef | None]:
    """Publish the week's archived report (or its draft) as the week's one GitHub issue.

    The single path for the command, the Slack button and nothing else: the Friday job's
    autopublish calls `GitHubService.publish_week` with the draft it just posted.
    """
    now = ctx.clock()
    try:
        week = check_week(week)
    except ValueError as exc:
        return error(str(exc)), None
    if ctx.github is None:
        return not_set_up(actor), None
    if not may_edit(ctx, actor, None):
        return refuse("the weekly report", ctx, owners=False), None
    plan = ctx.store.load()
    try:
        markdown = archived_report(ctx, week)
    except ArchiveRefused as exc:
        return error(f"the {week} report was not published: {exc}"), None
    from bot.report.weekly import week_of

    label = week_of(plan, week_monday(week)).label
    if markdown is None:
        from bot.commands.weekly_draft import weekly

        friday = wall_instant(
            week_monday(week) + dt.timedelta(days=4), dt.time(23, 59), now.tzinfo or dt.UTC
        )
        if friday.date() - dt.timedelta(days=4) > now.date():
            return error(f"{week} has not started yet; nothing to publish"), None
        reply = weekly(ctx, label, now=min(now, friday))
        markdown = getattr(reply.view, "markdown", None)
        if markdown is None:
            return reply, None
    title = issue_title(label, week, ctx.program)
    body = issue_body(markdown, plan, week, ctx.program)
    try:
        published = ctx.github.publish_week(week, title, body, now)
    except GitHubUnavailable as exc:
        return error(f"the {week} report was not published: {exc}"), None
    return Reply(TextView(published.message), visibility="channel"), published.ref


def archived_report(ctx: Context, week: str) -> str | None:
    """`plan/reports/YYYY-Www.md` (the Friday draft, as edited), as committed; None if absent.

    Read from git objects, never through the working tree (the checkout in local mode, the
    tracked branch in remote mode): a link committed there is refused, not followed
    (ArchiveRefused, one line). A plan outside git reads the file itself, links refused too.
    """
    from bot.plan import archive

    folder = f"{archive.REPORTS}/{ctx.program}" if ctx.program else archive.REPORTS
    rel = f"{folder}/{week}.md"
    repo = ctx.store.repo
    if repo is None:
        return archive.read_disk(Path(ctx.store.path).parent, rel)
    try:
        rev = getattr(ctx.store, "tracking_ref", None) or "HEAD"
    except RuntimeError:  # remote mode before the first sync
        return None
    return archive.read_committed(repo, rev, rel)


def report(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args or args[0].lower() != "publish":
        raise UsageError("the report word takes: publish [YYYY-Www]")
    return report_publish(cmd, ctx, args[1:])


VERBS = {"report": report}
# GitHub and the database come from Settings (see bot.commands.NEEDS_SERVICES); `metrics`
# alone stays a fast plan word, only `metrics collect` builds them.
NEEDS_SERVICES = ("report", "metrics collect")
OPTIONS = {
    "metrics": (("--at", "ISO-8601", "collect: as of this instant (default: now)"),),
    "report": (("--week", "YYYY-Www", "publish: the ISO week (default: this week)"),),
}
