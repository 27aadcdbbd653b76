"""The `/batch` grammar: words in, a Reply out. Shared by Slack, `batchbot shell` and the CLI.

One module per family of words (`plan.py`, `standup.py`, …), each exporting `VERBS` (word →
handler) and `USAGE` lines; `handle` routes and turns user mistakes into error Replies. To add
a word: write its handler in the module that owns its data and list it in that `VERBS`; add a
new module to `_MODULES` below. Nothing in this package knows about Slack.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.commands import blockers as _blockers
from bot.commands import calendar as _calendar
from bot.commands import chart as _chart
from bot.commands import goals as _goals
from bot.commands import links as _links
from bot.commands import plan as _plan
from bot.commands import report as _report
from bot.commands import risks as _risks
from bot.commands import standup as _standup
from bot.commands import team as _team
from bot.commands import trends as _trends
from bot.commands.base import (
    Command,
    Context,
    NotAllowed,
    Origin,
    StandupCommands,
    change_plan,
    find_batch,
    may_edit,
    owner_id,
    refuse,
)
from bot.commands.plan import apply_batch_update, weekly
from bot.errors import StorageUnavailable
from bot.plan.edits import EditError, UsageError
from bot.plan.model import PlanInvalid, did_you_mean
from bot.plan.store import PlanConflict
from bot.replies import Reply, TextView, error, with_names

Handler = Callable[[Command, Context, list[str]], Reply]

_MODULES = (
    _plan,
    _standup,
    _trends,
    _calendar,
    _goals,
    _blockers,
    _risks,
    _links,
    _chart,
    _report,
    _team,
)

VERBS: dict[str, Handler] = {}
for _module in _MODULES:
    VERBS.update(_module.VERBS)

USAGE: tuple[str, ...] = (
    *(line for m in _MODULES for line in m.USAGE),
    "/batch help — this text",
)
SUBCOMMANDS = ("help", *VERBS)
# Words whose handlers need services built from Settings (the database, later GitHub): an edge
# that keeps a bare Context for speed (the CLI) builds the full one for these words only.
NEEDS_SERVICES: frozenset[str] = frozenset(
    word for m in _MODULES for word in getattr(m, "NEEDS_SERVICES", ())
)


# `--name` options of a word, for edges that parse options themselves (the CLI's argparse):
# word → ((option, metavar, help), …). In Slack and the shell they are just words.
OPTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {}
for _module in _MODULES:
    OPTIONS.update(getattr(_module, "OPTIONS", {}))


def help_reply(prefix: str = "") -> Reply:
    lines = ((prefix,) if prefix else ()) + USAGE
    return Reply(TextView("batchbot — keeps the delivery plan", lines))


def handle(cmd: Command, ctx: Context) -> Reply:
    """Run one command. Never raises for user mistakes: they become an error Reply."""
    if not cmd.words:
        return help_reply()
    verb, args = cmd.words[0].lower(), list(cmd.words[1:])
    if verb in ("help", "-h", "--help"):
        return help_reply()
    handler = VERBS.get(verb)
    if handler is None:
        hint = did_you_mean(verb, SUBCOMMANDS)
        return Reply(help_reply(f"Unknown command {verb!r}{hint}.").view, exit_code=2)
    return with_names(_run(handler, verb, cmd, ctx, args), ctx.names)


def _run(handler: Handler, verb: str, cmd: Command, ctx: Context, args: list[str]) -> Reply:
    try:
        return handler(cmd, ctx, args)
    except UsageError as exc:
        usage = usage_for(verb)
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
    except StorageUnavailable as exc:
        return error(f"not saved, try again: {exc}", "nothing was changed")


def usage_for(verb: str) -> str:
    for line in USAGE:
        if line.startswith(f"/batch {verb}"):
            return line.split(" — ")[0]
    return "/batch help"


__all__ = [
    "NEEDS_SERVICES",
    "OPTIONS",
    "SUBCOMMANDS",
    "USAGE",
    "VERBS",
    "Command",
    "Context",
    "NotAllowed",
    "Origin",
    "StandupCommands",
    "apply_batch_update",
    "change_plan",
    "find_batch",
    "handle",
    "help_reply",
    "may_edit",
    "owner_id",
    "refuse",
    "weekly",
]
