"""`/batch standups …`: standup participation and blockers over weeks, and an export for a
retrospective (`batchbot standups export --since DATE --format csv|md`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from bot.commands.base import Command, Context
from bot.commands.standup import standups_hint
from bot.plan.edits import UsageError
from bot.plan.values import typed_date
from bot.replies import Reply, TableView, TextView, error
from bot.slackids import user_id_in

USAGE = (
    "/batch standups [@person|batch-id] [weeks=4] — participation and blockers over weeks",
    "/batch standups export --since YYYY-MM-DD [--until YYYY-MM-DD] [--format csv|md] — every "
    "standup since then, for a retrospective",
)
MAX_WEEKS = 26
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(text: str, what: str) -> dt.date:
    try:
        return typed_date(text, what)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _options(words: list[str], keys: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """`--since X`, `--since=X` and `since=X` alike (the CLI, Slack and the shell type them so)."""
    rest: list[str] = []
    opts: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        name, sep, value = word.lstrip("-").partition("=")
        if name.lower() in keys and (sep or word.startswith("--")):
            if not sep:
                if i + 1 >= len(words):
                    raise UsageError(f"--{name} needs a value")
                value, i = words[i + 1], i + 1
            opts[name.lower()] = value
        else:
            rest.append(word)
        i += 1
    return rest, opts


def standups(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    # Loaded when used: every CLI word loads this module, and the trends pull in the report.
    from bot.report.trends import blocker_weeks, drifting, participation, sparkline, week_starts

    between = ctx.standups_between
    if between is None:
        return error("standups are not kept here", standups_hint(cmd.actor.slack_id))
    name = ctx.name_of or (lambda uid: uid)
    today = ctx.clock().date()
    if args and args[0].lower() == "export":
        if cmd.origin == "slack":
            return error(
                "the export is a file: run it on the command line",
                "batchbot standups export --since YYYY-MM-DD --format csv|md > standups.csv",
            )
        return _export(ctx, args[1:], today, name)
    rest, opts = _options(args, ("weeks",))
    weeks_text = opts.get("weeks", "4")
    if not (weeks_text.isascii() and weeks_text.isdigit()) or not 1 <= int(weeks_text) <= MAX_WEEKS:
        raise UsageError(f"weeks must be a whole number from 1 to {MAX_WEEKS}, got {weeks_text!r}")
    weeks = int(weeks_text)
    if len(rest) > 1:
        raise UsageError("standups takes one @person or one batch id (and weeks=N)")
    plan = ctx.store.load()
    first = week_starts(today, weeks)[0]
    entries = list(between(first, today))
    labels = [f"W{m.isocalendar().week:02d}" for m in week_starts(today, weeks)]
    span = f"{labels[0]}–{labels[-1]}" if weeks > 1 else labels[0]
    target = rest[0] if rest else ""
    person = user_id_in(target.lstrip("@")) if target else None
    batch = plan.batch(target) if target and person is None else None
    if target and person is None and batch is None:
        raise UsageError(f"{target!r} is neither a person (<@U…>) nor a batch of the plan")
    lines: list[str] = []
    rows: list[tuple[str, ...]] = []
    if batch is None:
        people = (
            [person] if person else list(dict.fromkeys([*ctx.team, *(e.user_id for e in entries)]))
        )
        counts = participation(entries, people, today, weeks, ctx.workdays, ctx.expected_on)
        for uid in people:
            got = sum(c.answered for c in counts[uid])
            owed = sum(c.owed for c in counts[uid])
            pct = f" ({round(100 * got / owed)}%)" if owed else ""
            drift = " ↓ answering less lately" if drifting(counts[uid]) else ""
            lines.append(f"{name(uid)}: {sparkline(counts[uid])} {got} of {owed} days{pct}{drift}")
            rows.append(
                (
                    name(uid),
                    sparkline(counts[uid]),
                    *(f"{c.answered}/{c.owed}" for c in counts[uid]),
                    f"{round(100 * got / owed)}%" if owed else "—",
                    "↓" if drift else "",
                )
            )
        if not people:
            lines.append("Nobody is on the team yet and nobody wrote a standup.")
    iso = [f"{m.isocalendar().year}-W{m.isocalendar().week:02d}" for m in week_starts(today, weeks)]
    mentioned = blocker_weeks(plan, entries, iso)
    shown = [batch.id] if batch else sorted(mentioned, key=lambda b: -sum(mentioned[b].values()))
    block_lines = []
    for bid in shown:
        per = mentioned.get(bid, {})
        total = sum(per.values())
        if not total and batch is None:
            continue
        by_week = ", ".join(f"{w[-3:]} {per[w]}" for w in iso if per.get(w))
        b = plan.batch(bid)
        block_lines.append(
            f"{b.name if b else bid} ({bid}): named in {total} blocked standup"
            f"{'s' if total != 1 else ''}" + (f" — {by_week}" if by_week else "")
        )
    notes = ["Blockers mentioned:", *(block_lines or ["none"])]
    lines += ["", *notes]
    who = f" of {name(person)}" if person else (f" about {batch.name}" if batch else "")
    title = f"Standups{who}, {span} ({weeks} week{'s' if weeks != 1 else ''})"
    if rows:  # Slack shows them in its own table; the terminal shows the lines
        header = ("person", "trend", *labels, "answered", "")
        return Reply(TableView(title, tuple(lines), header, tuple(rows), tuple(notes)))
    return Reply(
        TextView(f"Standups{who}, {span} ({weeks} week{'s' if weeks != 1 else ''})", tuple(lines))
    )


def _export(ctx: Context, words: list[str], today: dt.date, name: Callable[[str], str]) -> Reply:
    from bot.report.trends import export_csv, export_markdown

    rest, opts = _options(words, ("since", "until", "format"))
    if rest:
        raise UsageError(f"export takes --since, --until and --format, not {rest[0]!r}")
    if "since" not in opts:
        raise UsageError("export needs --since YYYY-MM-DD")
    since = _day(opts["since"], "since")
    until = _day(opts["until"], "until") if "until" in opts else today
    if until < since:
        raise UsageError(f"--until {until} is before --since {since}")
    fmt = opts.get("format", "csv").lower()
    if fmt not in ("csv", "md"):
        raise UsageError(f"--format must be csv or md, got {opts['format']!r}")
    between = ctx.standups_between
    if between is None:  # checked by the caller; kept for the type checker
        return error("standups are not kept here")
    entries = list(between(since, until))
    plan = ctx.store.load()
    body = export_csv(entries, plan, name) if fmt == "csv" else export_markdown(entries, plan, name)
    return Reply(TextView(body))


VERBS = {"standups": standups}
NEEDS_SERVICES = ("standups",)
OPTIONS = {
    "standups": (
        ("--since", "YYYY-MM-DD", "export: the first day"),
        ("--until", "YYYY-MM-DD", "export: the last day (default: today)"),
        ("--format", "csv|md", "export: csv (default) or md"),
    ),
}
