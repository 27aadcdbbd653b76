"""`/batch standup …`: write today's update, list past ones, or skip days.

The grammar lives here beside the rest of `/batch`; storing, posting and time zones belong
to the standup core, reached through `Context.standups` (the `StandupCommands` protocol).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from bot.commands.base import Command, Context, StandupCommands, StandupRow
from bot.people.names import UNKNOWN
from bot.plan.values import typed_date
from bot.replies import ErrorView, OpenModal, Reply, StandupListView, TextView, error
from bot.slackids import is_user_id, mention

#: Said to a Slack user, so it names who can fix it, not a setting they cannot see.
STANDUPS_HINT = (
    "standups are kept in the bot's database; whoever runs batchbot sets one up "
    "(the README's Standups section says how)"
)
OPERATOR_STANDUPS_HINT = "set DATABASE_URL and BATCHBOT_TEAM (the README's Standups section)"


def standups_hint(slack_id: str | None) -> str:
    """A Slack user hears who can fix it; the operator at the terminal, which settings."""
    return OPERATOR_STANDUPS_HINT if slack_id is None else STANDUPS_HINT


def day_label(day: date) -> str:
    """bot.standup.schedule's label, imported when used: every CLI word, the dashboard
    included, loads this module, and the schedule pulls in zoneinfo and the standup rules."""
    from bot.standup.schedule import day_label as label

    return label(day)


USAGE = (
    "/batch standup <2–3 sentences> — today's standup; "
    "standup list [@user|YYYY-MM-DD]; standup skip [until YYYY-MM-DD]",
)

#: The full help of `/batch standup help`.
HELP = (
    "/batch standup <2–3 sentences> — today's update (again the same day replaces it)",
    "/batch standup list [@user|YYYY-MM-DD] — past updates (default: your last 10)",
    "/batch standup skip [until YYYY-MM-DD] — no prompts or reminders today (or through then)",
)

#: `standup list` shows this many updates.
LIST_LIMIT = 10
#: `standup skip until` reaches at most this many days ahead.
MAX_SKIP_DAYS = 60

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: Who a standup from the CLI or shell belongs to when the actor has no Slack id.
LOCAL_USER = "local"


def standup(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    """`/batch standup …`: submit, `list` or `skip` (see HELP).

    A text that merely starts with "list" or "skip" ("Skip tests are gone. …") is a
    standup, not a subcommand, when the rest is not that subcommand's arguments.
    """
    core = ctx.standups
    if core is None:
        return error("standups are not set up here", standups_hint(cmd.actor.slack_id))
    user_id = cmd.actor.slack_id or LOCAL_USER
    name = cmd.actor.name or user_id
    if not args:
        if cmd.origin == "slack":
            return Reply(TextView("Opening the standup form…"), modal=OpenModal("standup"))
        return _usage("write your update after `standup`")
    head = args[0].lower()
    if head in ("help", "-h", "--help"):
        return Reply(TextView("Daily standup", HELP))
    if head == "list" and len(args) <= 2:
        return _list(core, ctx, user_id, args[1:])
    if head == "skip" and (
        len(args) == 1
        or (len(args) == 2 and _ISO_DATE.match(args[1]))
        or (len(args) == 3 and args[1].lower() == "until")
    ):
        return _skip(core, user_id, args[1:])
    source = "slash" if cmd.origin == "slack" else "shell"
    return core.submit(user_id, name, _raw_text(cmd, args), source)


def _usage(problem: str) -> Reply:
    return Reply(ErrorView(problem, "usage:\n" + "\n".join(HELP)), exit_code=2)


def _list(core: StandupCommands, ctx: Context, user_id: str, rest: list[str]) -> Reply:
    if not rest:
        records = _recent(core, user_id)
        title = f"Your last {len(records)} standup{'s' if len(records) != 1 else ''}"
        if not records:
            return Reply(TextView("No standups yet", ("You have not written one yet.",)))
        return Reply(StandupListView(title, _rows(core, records)))
    arg = rest[0].strip()
    if _ISO_DATE.match(arg):
        try:
            day = typed_date(arg)
        except ValueError as exc:
            return _usage(str(exc))
        records = sorted(core.standups_between(day, day), key=lambda r: r.user_name.lower())
        title = f"Standups for {day_label(day)} {day.year}"
        return Reply(StandupListView(title, _rows(core, records)))
    target = resolve_person(core, arg, ctx.clock().date())
    if target is None:
        return _usage(f"no standups found for {arg!r}; name a person as @name or <@U…>")
    records = _recent(core, target)
    who = _who(core, target, records[0].user_name if records else "")
    return Reply(StandupListView(f"Last {len(records)} standups of {who}", _rows(core, records)))


def _recent(core: StandupCommands, user_id: str) -> list[StandupRow]:
    dates = core.standup_dates(user_id, LIST_LIMIT)
    if not dates:
        return []
    records = core.standups_between(min(dates), max(dates), user_id)
    return sorted(records, key=lambda r: r.local_date, reverse=True)


def resolve_person(core: StandupCommands, arg: str, today: date) -> str | None:
    """The user id `arg` names: a mention, an id, or a name someone wrote standups under."""
    named = mention(arg)
    if named:
        return named[0]
    if is_user_id(arg):
        return arg
    wanted = arg.removeprefix("@").strip().lower()
    if not wanted:
        return None
    if wanted == LOCAL_USER:
        return LOCAL_USER
    recent = core.standups_between(today - timedelta(days=365), today + timedelta(days=2))
    for record in reversed(recent):
        names = {record.user_name.lower(), record.user_id.lower()}
        if wanted in names or wanted in core.known_names(record.user_id):
            return record.user_id
    return None


def _skip(core: StandupCommands, user_id: str, rest: list[str]) -> Reply:
    today = core.local_today(user_id)
    end = today
    if rest:
        raw = rest[-1]
        try:
            end = typed_date(raw, "until")
        except ValueError as exc:
            return _usage(str(exc))
        if end < today:
            return Reply(
                ErrorView(
                    f"{end.isoformat()} is in the past (today is {today.isoformat()}).",
                    "Give today or a later date: /batch standup skip until YYYY-MM-DD",
                ),
                exit_code=1,
            )
        if end > today + timedelta(days=MAX_SKIP_DAYS):
            limit = today + timedelta(days=MAX_SKIP_DAYS)
            return Reply(
                ErrorView(
                    f"{end.isoformat()} is more than {MAX_SKIP_DAYS} days ahead.",
                    f"Skip at most until {limit.isoformat()}; you can extend it later.",
                ),
                exit_code=1,
            )
    core.skip(user_id, today, end)
    span = (
        f"today ({day_label(today)})"
        if end == today
        else f"{day_label(today)} through {day_label(end)} {end.year}"
    )
    return Reply(
        TextView(
            f"Skipping standups {span}",
            ("No prompts or reminders until then. Enjoy the time off.",),
        )
    )


def _who(core: StandupCommands, user_id: str, stored: str) -> str:
    """The person's name today (they may have changed it since writing), else as stored."""
    name = core.display_name(user_id)
    return stored if name == UNKNOWN and stored else name


def _rows(core: StandupCommands, records: Iterable[StandupRow]) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (r.local_date.isoformat(), _who(core, r.user_id, r.user_name), r.text) for r in records
    )


def _raw_text(cmd: Command, args: list[str]) -> str:
    """The update as typed, where the edge kept it; else the words joined by spaces.

    `Command.words` went through the /batch word splitter, which drops quotes and folds
    line breaks between words. If the edge gives the raw text (`cmd.text`), prefer it.
    """
    raw = cmd.text
    if isinstance(raw, str):
        m = re.match(r"\s*(?:/?batch\s+)?standup\b\s*", raw, flags=re.IGNORECASE)
        if m and raw[m.end() :].strip():
            return raw[m.end() :]
    return " ".join(args)


VERBS = {"standup": standup}
NEEDS_SERVICES = ("standup",)  # the database (see bot.commands.NEEDS_SERVICES)
