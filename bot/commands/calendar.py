"""`/batch timeoff …` and `/batch holiday …`: days nobody should be asked for a standup.

Both are kept in the plan file (`[calendar]`), so every bot instance shares them and the team
reviews them in git; each change is one commit through `PlanStore.change`. Time off of anyone
is for editors; everyone may record their own. Holidays are for editors.
"""

from __future__ import annotations

import datetime as dt

from bot.commands.base import Command, Context, change_plan, may_edit, refuse
from bot.plan.calendar import Calendar
from bot.plan.calendar_edits import add_holiday, add_timeoff, remove_holiday
from bot.plan.edits import EditError, UsageError
from bot.plan.values import typed_date
from bot.replies import ChangeView, Reply, TextView
from bot.slackids import is_user_id, mention

USAGE = (
    "/batch timeoff [@user] from YYYY-MM-DD [until YYYY-MM-DD] — time off: no standup asked "
    "those days (editors for anyone, everyone for themselves)",
    "/batch timeoff list — time off from today on",
    "/batch holiday add YYYY-MM-DD [name] — a team holiday (editors)",
    "/batch holiday list — holidays ahead: the plan's, the bot's own list and the country's",
    "/batch holiday remove YYYY-MM-DD — no longer a holiday (editors)",
)

#: Time off longer than this is surely a typo in a year.
MAX_TIMEOFF_DAYS = 366
#: `holiday list` and `timeoff list` look this far ahead.
LIST_DAYS = 120


def _date(text: str, what: str) -> dt.date:
    try:
        return typed_date(text, what)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _person(cmd: Command, ctx: Context, word: str) -> str:
    """The user id `word` names: <@U…>, U…, @name (someone the bot knows), or me."""
    if word.lower() in ("me", "myself"):
        if cmd.actor.slack_id is None:
            raise UsageError("name the person as <@U…>: the command line has no Slack id")
        return cmd.actor.slack_id
    named = mention(word)
    if named:
        return named[0]
    bare = word.removeprefix("@")
    if is_user_id(bare):
        return bare
    if ctx.standups is not None:
        from bot.commands.standup import resolve_person

        found = resolve_person(ctx.standups, word, ctx.clock().date())
        if found is not None and is_user_id(found):
            return found
    raise UsageError(f"who is {word!r}? name a person as @name (a Slack mention) or <@U…>")


def _name(ctx: Context, user_id: str) -> str:
    return ctx.name_of(user_id) if ctx.name_of else user_id


def timeoff(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args:
        raise UsageError("say whose time off and when")
    if args[0].lower() == "list":
        if len(args) > 1:
            raise UsageError("timeoff list takes no more words")
        return _timeoff_list(ctx)
    rest = list(args)
    who = rest.pop(0) if rest[0].lower() != "from" else "me"
    if not rest or rest[0].lower() != "from" or len(rest) not in (2, 4):
        raise UsageError("write: timeoff @user from YYYY-MM-DD until YYYY-MM-DD")
    start = _date(rest[1], "from")
    end = start
    if len(rest) == 4:
        if rest[2].lower() not in ("until", "to", "till"):
            raise UsageError(f"expected `until` after the first date, got {rest[2]!r}")
        end = _date(rest[3], "until")
    if end < start:
        raise EditError(f"time off ends ({end}) before it starts ({start})")
    if (end - start).days >= MAX_TIMEOFF_DAYS:
        raise EditError(f"time off is at most {MAX_TIMEOFF_DAYS} days; split longer absences")
    user = _person(cmd, ctx, who)
    if not may_edit(ctx, cmd.actor, f"<@{user}>"):
        return refuse("someone else's time off", ctx, owners=False)
    saved = change_plan(
        ctx,
        cmd.actor,
        add_timeoff(user, start, end),
        via=cmd.origin,
        what="someone else's time off",
        owner=f"<@{user}>",
    )
    span = start.isoformat() if start == end else f"{start} until {end}"
    if not saved.changes:
        return Reply(TextView(f"{_name(ctx, user)} already has time off {span}"))
    view = ChangeView(
        cmd.actor.name,
        cmd.actor.slack_id,
        "timeoff",
        f"Time off of {_name(ctx, user)}",
        tuple(saved.changes),
        saved.commit,
        saved.warning,
    )
    return Reply(view, visibility="channel", plan_changed=True)


def _timeoff_list(ctx: Context) -> Reply:
    today = ctx.clock().date()
    calendar: Calendar = ctx.store.load().calendar
    lines = tuple(
        f"{_name(ctx, t.user)}: {t.start}" + ("" if t.start == t.end else f" until {t.end}")
        for t in calendar.timeoff
        if t.end >= today and t.start <= today + dt.timedelta(days=LIST_DAYS)
    )
    if not lines:
        return Reply(TextView("No time off ahead", ("Nobody has time off recorded from today.",)))
    return Reply(TextView("Time off ahead", lines))


def holiday(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args:
        raise UsageError("holiday add|list|remove")
    sub, rest = args[0].lower(), args[1:]
    if sub == "list":
        if rest:
            raise UsageError("holiday list takes no more words")
        return _holiday_list(ctx)
    if sub not in ("add", "remove"):
        raise UsageError(f"unknown holiday word {args[0]!r}; use add, list or remove")
    if not rest:
        raise UsageError(f"holiday {sub} needs a date (YYYY-MM-DD)")
    day = _date(rest[0], "the holiday")
    if sub == "remove" and len(rest) > 1:
        raise UsageError("holiday remove takes one date")
    if not may_edit(ctx, cmd.actor, None):
        return refuse("the team's holidays", ctx, owners=False)
    name = " ".join(rest[1:]).strip()
    edit = add_holiday(day, name) if sub == "add" else remove_holiday(day)
    saved = change_plan(ctx, cmd.actor, edit, via=cmd.origin, what="the team's holidays")
    if not saved.changes:
        return Reply(TextView(f"{day} is already a holiday"))
    view = ChangeView(
        cmd.actor.name,
        cmd.actor.slack_id,
        "holiday",
        "Holidays",
        tuple(saved.changes),
        saved.commit,
        saved.warning,
    )
    return Reply(view, visibility="channel", plan_changed=True)


def _holiday_list(ctx: Context) -> Reply:
    today = ctx.clock().date()
    until = today + dt.timedelta(days=LIST_DAYS)
    days = {h.day: h.name or "holiday" for h in ctx.store.load().calendar.holidays}
    if ctx.standups is not None:
        for day, name in ctx.standups.configured_holidays(today, until).items():
            days.setdefault(day, name)
    lines = tuple(
        f"{day.isoformat()} {day:%a} — {days[day]}" for day in sorted(days) if today <= day <= until
    )
    if not lines:
        return Reply(TextView("No holidays ahead", (f"None in the next {LIST_DAYS} days.",)))
    return Reply(TextView("Holidays ahead", lines))


VERBS = {"timeoff": timeoff, "holiday": holiday}
# Country holidays and names of people come from settings-built services (see
# bot.commands.NEEDS_SERVICES); the CLI builds them only for these words.
NEEDS_SERVICES = ("timeoff", "holiday")
