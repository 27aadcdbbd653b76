"""The `/batch` grammar: words in, a Reply out. Shared by Slack, `batchbot shell` and the CLI.

One module per family of words (`plan.py`, `standup.py`, …), each exporting `VERBS` (word →
handler) and `USAGE` lines; `handle` routes and turns user mistakes into error Replies. To add
a word: write its handler in the module that owns its data, list it in that `VERBS` and in
`WORDS` below (a test checks the two agree); a new module also goes in `FAMILIES`. Nothing in
this package knows about Slack.

Why `WORDS` is written out rather than read from the modules: a command imports only its own
family. `batchbot dashboard` then loads the plan words, not the report builder, GitHub
publishing or the standup service (about half of the CLI's start-up before). The registry-wide
names (`VERBS`, `USAGE`, `OPTIONS`, `NEEDS_SERVICES`, `SUBCOMMANDS`) still exist; they load
every family on first use, for help texts and edges that list everything.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

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
from bot.errors import StorageUnavailable
from bot.plan.edits import EditError, UsageError
from bot.plan.model import PlanInvalid, did_you_mean
from bot.plan.store import PlanConflict
from bot.replies import Reply, TextView, error, with_names

if TYPE_CHECKING:
    from bot.commands.plan import apply_batch_update
    from bot.commands.weekly_draft import weekly

Handler = Callable[[Command, Context, list[str]], Reply]

# The families in the order `help` lists them.
FAMILIES = (
    "plan",
    "standup",
    "trends",
    "calendar",
    "goals",
    "blockers",
    "risks",
    "links",
    "chart",
    "report",
    "team",
)

# word → the family (module of bot.commands) that owns it.
WORDS: dict[str, str] = {
    "status": "plan",
    "dashboard": "plan",
    "update": "plan",
    "metrics": "plan",
    "weekly": "plan",
    "history": "plan",
    "validate": "plan",
    "standup": "standup",
    "standups": "trends",
    "timeoff": "calendar",
    "holiday": "calendar",
    "goal": "goals",
    "goals": "goals",
    "blocker": "blockers",
    "blockers": "blockers",
    "risk": "risks",
    "risks": "risks",
    "link": "links",
    "unlink": "links",
    "links": "links",
    "chart": "chart",
    "report": "report",
    "team": "team",
    "settings": "team",
}
#: Every first word that is a command: a program named like one (`plan/team.toml`) must not
#: take it away (programs.named_program; doctor warns about such a name).
COMMAND_WORDS = frozenset({"help", *WORDS})

# Words one of whose forms another family serves: `metrics collect` (GitHub) is report.py's.
# Their usage lines, options and service needs are read from those families too.
ALSO: dict[str, tuple[str, ...]] = {"metrics": ("report",)}


def family(word: str) -> ModuleType | None:
    """The module that owns `word` (imported now), or None for an unknown word."""
    name = WORDS.get(word)
    return importlib.import_module(f"bot.commands.{name}") if name else None


def _families_of(word: str) -> list[ModuleType]:
    names = (WORDS[word], *ALSO.get(word, ())) if word in WORDS else ()
    return [importlib.import_module(f"bot.commands.{name}") for name in names]


def handler_for(word: str) -> Handler | None:
    module = family(word)
    return module.VERBS.get(word) if module is not None else None


def usage_of(word: str) -> tuple[str, ...]:
    """The USAGE lines of one word (`/batch word …`), from its own families only."""
    lines = (line for m in _families_of(word) for line in m.USAGE)
    return tuple(line for line in lines if line.split(" — ")[0].split()[1:2] == [word])


def options_of(word: str) -> tuple[tuple[str, str, str], ...]:
    """`--name` options of a word, for edges that parse options themselves (the CLI's
    argparse): ((option, metavar, help), …). In Slack and the shell they are just words."""
    return tuple(o for m in _families_of(word) for o in getattr(m, "OPTIONS", {}).get(word, ()))


def needs_services(words: tuple[str, ...]) -> bool:
    """Whether a command needs services built from Settings (the database, GitHub): its word,
    or its first two words (`metrics collect`), listed in its family's NEEDS_SERVICES. An edge
    that keeps a bare Context for speed (the CLI) builds the full one for these only."""
    if not words:
        return False
    word = words[0].lower()
    declared = {w for m in _families_of(word) for w in getattr(m, "NEEDS_SERVICES", ())}
    phrase = " ".join(w.lower() for w in words[:2])
    return word in declared or phrase in declared


def _families() -> list[ModuleType]:
    return [importlib.import_module(f"bot.commands.{name}") for name in FAMILIES]


def __getattr__(name: str) -> Any:
    """The registry-wide names, built on first use (they import every family)."""
    if name == "VERBS":
        verbs: dict[str, Handler] = {}
        for module in _families():
            verbs.update(module.VERBS)
        value: Any = verbs
    elif name == "USAGE":
        value = (*(line for m in _families() for line in m.USAGE), "/batch help — this text")
    elif name == "SUBCOMMANDS":
        value = ("help", *WORDS)
    elif name == "NEEDS_SERVICES":
        value = frozenset(w for m in _families() for w in getattr(m, "NEEDS_SERVICES", ()))
    elif name == "OPTIONS":
        value = {k: v for m in _families() for k, v in getattr(m, "OPTIONS", {}).items()}
    elif name == "apply_batch_update":
        from bot.commands.plan import apply_batch_update as value
    elif name == "weekly":
        from bot.commands.weekly_draft import weekly as value
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


if TYPE_CHECKING:
    VERBS: dict[str, Handler]
    USAGE: tuple[str, ...]
    SUBCOMMANDS: tuple[str, ...]
    NEEDS_SERVICES: frozenset[str]
    OPTIONS: dict[str, tuple[tuple[str, str, str], ...]]


def help_reply(prefix: str = "") -> Reply:
    usage: tuple[str, ...] = __getattr__("USAGE")  # a module's own names skip __getattr__
    lines = ((prefix,) if prefix else ()) + usage
    return Reply(TextView("batchbot — keeps the delivery plan", lines))


def handle(cmd: Command, ctx: Context) -> Reply:
    """Run one command. Never raises for user mistakes: they become an error Reply."""
    if not cmd.words:
        return help_reply()
    verb, args = cmd.words[0].lower(), list(cmd.words[1:])
    if verb in ("help", "-h", "--help"):
        return help_reply()
    handler = handler_for(verb)
    if handler is None:
        hint = did_you_mean(verb, ("help", *WORDS))
        return Reply(help_reply(f"Unknown command {verb!r}{hint}.").view, exit_code=2)
    return with_names(_run(handler, verb, cmd, ctx, args), ctx.names)


def _run(handler: Handler, verb: str, cmd: Command, ctx: Context, args: list[str]) -> Reply:
    try:
        return handler(cmd, ctx, args)
    except UsageError as exc:
        usage = usage_for(verb, args[0] if args else "")
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


def usage_for(verb: str, sub: str = "") -> str:
    """The usage line of what was typed: `standups export …` gets the export's line, not the
    word's first one (a usage that names other options reads as a second mistake)."""
    lines = usage_of(verb)
    if not lines:
        return "/batch help"
    wanted = f"/batch {verb} {sub.lower()} " if sub else ""
    chosen = next((line for line in lines if wanted and line.startswith(wanted)), lines[0])
    return chosen.split(" — ")[0]


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
