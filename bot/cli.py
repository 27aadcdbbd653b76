"""`batchbot` on the command line: a drop-in for `node batchTracker.js <command>`, on argparse.

Every word in the `/batch` registry (`bot.commands.VERBS`) is a subcommand here too, routed
through the same `commands.handle` as Slack and the shell, with its usage taken from the
command module's `USAGE` lines: a new word needs no edit in this file. Words a module lists in
`NEEDS_SERVICES` (standup → the database) get their Context from the composition root
(`bot.runtime`), built from `Settings`; every other word gets a bare Context (store + clock), so
`batchbot dashboard` never imports pydantic-settings, the database or Slack.

Why two parsing stages instead of argparse sub-parsers: people type global options anywhere,
node-style (`batchbot update batch-1 progress=40 --plan X`), and argparse's
`parse_intermixed_args` refuses sub-parsers. So a top-level parser reads the global options
and the command word, and each command has its own parser (with its own `--help`) that reads
the rest intermixed. Only the chosen command's parser is built.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from bot.localenv import EnvFileError, environment, plan_path, truthy

if TYPE_CHECKING:
    from bot.commands import Context
    from bot.plan.store import Actor, PlanStore
    from bot.replies import ChartView

HEADER = """\
batchbot — keeps a multi-batch delivery plan in git; a drop-in for batchTracker.js.

Plan commands (the same words as /batch in Slack):"""

RUNNING = """\
Running the bot:
  batchbot shell [--demo]         talk to the bot in a terminal, as in Slack (no Slack needed)
  batchbot serve [--socket-mode]  run the Slack app (HTTP on $PORT, or Socket Mode)
  batchbot jobs list | jobs run NAME [--at ISO-8601] [--force]
{jobs}
  batchbot import OLD.json [--to PATH]
                                  convert the old execution-plan.json to TOML (and commit it)
  batchbot init [DIR] [--socket-mode | --http --url https://HOST]
                                  start a folder: starter plan, manifest.yml for that mode,
                                  .env.example, deploy files (Heroku, systemd), git
  batchbot doctor                 check settings, git, the plan, the database, Slack, GitHub
  batchbot help [COMMAND]         this text, or one command's usage (as COMMAND --help)

Global options (before or after the command): --plan PATH, --program NAME,
--author "Name <email>", --push.
The plan path comes from --plan, else EXECUTION_PLAN_PATH, else plan/execution-plan.toml;
settings are read from the environment and from a .env file in the current folder (the
environment wins). `batchbot COMMAND --help` shows one command's usage; --version the version.
Exit codes: 0 ok, 1 bad data (invalid value, unknown batch, invalid plan), 2 bad usage."""


class CliUsage(Exception):
    """Bad usage: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with errors as one line (exit 2) instead of usage + message."""

    def error(self, message: str) -> NoReturn:
        raise CliUsage(f"{message} (see `{self.prog} --help`)")


class _Formatter(argparse.HelpFormatter):
    """Help text as written, each line wrapped to the terminal on its own.

    Also: argparse asks `shutil` for the terminal width on every parser it builds, and shutil
    imports bz2, lzma and fnmatch — more than the dashboard's own work. Same rule here (COLUMNS,
    else the terminal, else 80) without them; textwrap is imported only to print help.
    """

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            try:
                width = int(os.environ["COLUMNS"])
            except (KeyError, ValueError):
                try:
                    width = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
                except (AttributeError, OSError, ValueError):  # no stdout, or not a terminal
                    width = 80
            width = min(width, 102) - 2
        super().__init__(prog, indent_increment, max_help_position, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        return "\n".join(
            textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent)
            if line.strip()
            else ""
            for line in text.splitlines()
        )


class _Version(argparse.Action):
    """`--version`, read from the installed package's metadata only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"batchbot {version('batchbot')}")
        except PackageNotFoundError:
            print("batchbot (not installed)")
        parser.exit()


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # Below the top level the defaults are SUPPRESS, so a sub-parser never overwrites a value
    # given before the command word with its own default.
    keep = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("global options")
    group.add_argument("--plan", metavar="PATH", default=keep, help="the plan file")
    group.add_argument(
        "--program",
        metavar="NAME",
        default=keep,
        help="act on plan/NAME.toml, next to the plan file (or BATCHBOT_PROGRAM)",
    )
    group.add_argument(
        "--author", metavar='"NAME <EMAIL>"', default=keep, help="commit author (default: git's)"
    )
    group.add_argument(
        "--push",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="push after each commit (or BATCHBOT_GIT_PUSH=true)",
    )


def _parser(command: str, usage: str, description: str) -> _Parser:
    parser = _Parser(
        prog=f"batchbot {command}",
        usage=usage.replace("%", "%%") if usage else None,
        description=description or None,
        allow_abbrev=False,
        formatter_class=_Formatter,
    )
    _global_options(parser, top=False)
    return parser


# -- the commands ------------------------------------------------------------------------------


def _verb_usage(verb: str) -> tuple[list[str], list[str]]:
    """(usage forms, descriptions) for a registry word, from its module's USAGE lines."""
    from bot.commands import usage_of

    forms: list[str] = []
    notes: list[str] = []
    for line in usage_of(verb):
        head, _, note = line.partition(" — ")
        forms.append("batchbot " + " ".join(head.split()[1:]))
        if note:
            notes.append(note)
    return forms, notes


def _verb_parser(verb: str) -> _Parser:
    forms, notes = _verb_usage(verb)
    takes_words = not forms or any(len(f.split()) > 2 for f in forms)
    usage = "\n       ".join(f"{f} [global options]" for f in forms) if forms else ""
    parser = _parser(verb, usage, "\n".join(notes))
    if takes_words:
        parser.add_argument("words", nargs="*", help=argparse.SUPPRESS)
    if verb == "chart":  # the one word whose answer is a file, not text
        parser.add_argument(
            "--out", metavar="FILE.png", default="burnup.png", help="where to write the PNG"
        )
    for option, meta, help_text in _verb_options(verb):
        parser.add_argument(option, metavar=meta, help=help_text)
    return parser


def _verb_options(verb: str) -> tuple[tuple[str, str, str], ...]:
    """`--name` options a command module declares for its word (`OPTIONS`), e.g. `--at`."""
    from bot.commands import options_of

    return options_of(verb)


def _run_verb(verb: str, ns: argparse.Namespace, env: Mapping[str, str]) -> int:
    from bot.commands import Command, handle, needs_services
    from bot.plan.store import Actor
    from bot.render.markdown import render

    words = tuple(getattr(ns, "words", ()))
    for option, _meta, _help in _verb_options(verb):  # back into the words, as Slack types them
        value = getattr(ns, option.lstrip("-").replace("-", "_"), None)
        if value is not None:
            words += (option, value)
    store = _store(ns, env)
    # A bare word only reads; a word with arguments may commit, so it carries who you are
    # (reading the git identity costs two git processes the dashboard does not pay).
    actor = _actor(ns, store) if words or ns.author else Actor("local")
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    if needs_services((verb, *words)):
        ctx, cleanup = _service_context(ns, env)
    else:
        ctx = _bare_context(store, env)
    try:
        reply = handle(Command(actor, (verb, *words), "cli"), ctx)
    finally:
        cleanup()
    views = sys.modules.get("bot.reply_views")  # a ChartView exists only once it is loaded
    if views is not None and isinstance(reply.view, views.ChartView):
        return _write_chart(reply.view, str(getattr(ns, "out", None) or "burnup.png"))
    print(render(reply), file=sys.stdout if reply.ok else sys.stderr)
    return reply.exit_code


def _write_chart(view: ChartView, path: str) -> int:
    """`batchbot chart [--out FILE.png]`: draw the burn-up (matplotlib loads only here; it is
    the optional `charts` extra, and without it the answer is how to install it)."""
    from pathlib import Path

    from bot.render.chart_png import ChartsNotInstalled, burnup_png

    try:
        png = burnup_png(view.chart)
    except ChartsNotInstalled as exc:
        raise CliFailure(f"Error: {exc}") from None
    try:
        Path(path).write_bytes(png)
    except OSError as exc:
        raise CliFailure(f"Error: cannot write {path}: {exc.strerror or exc}") from None
    print(f"{view.summary}\nwrote {path} ({len(png):,} bytes)")
    return 0


def _bare_context(store: PlanStore, env: Mapping[str, str]) -> Context:
    from pathlib import Path

    from bot.commands import Context
    from bot.people.offline import OfflineNames, cache_url

    ctx = Context(store=store, clock=_clock(env))
    # Owners by name, as in Slack: the bot's users cache, else the plan's people list.
    names = OfflineNames(
        lambda: {p.id: p.name for p in ctx.team_settings().people if p.name},
        cache_url(env, Path.cwd()),
    )
    ctx.names, ctx.name_of = names, names.name
    return ctx


def _clock(env: Mapping[str, str]) -> Callable[[], dt.datetime]:
    """The wall clock, or `BATCHBOT_TODAY=YYYY-MM-DD` (that day at the current time): what
    the dashboard and status take as today for overdue marks and forecasts, so their output
    can be reproduced (and pinned in tests) whatever the date."""
    value = (env.get("BATCHBOT_TODAY") or "").strip()
    if not value:
        return lambda: dt.datetime.now().astimezone()
    from bot.plan.values import looks_like_date, typed_date

    if not looks_like_date(value):
        raise CliUsage(f"BATCHBOT_TODAY must be a YYYY-MM-DD date, got {value!r}")
    try:
        day = typed_date(value, "BATCHBOT_TODAY")
    except ValueError as exc:
        raise CliUsage(str(exc)) from None
    from bot.walltime import wall_instant

    def today_now() -> dt.datetime:
        now = dt.datetime.now().astimezone()
        return wall_instant(day, now.time(), now.tzinfo or dt.UTC)

    return today_now


def _service_context(
    ns: argparse.Namespace, env: Mapping[str, str]
) -> tuple[Context, Callable[[], None]]:
    """A Context from the composition root, for words that need the database (and later more)."""
    from bot.messenger import ConsoleMessenger, Messenger
    from bot.runtime import build_runtime
    from bot.settings import SettingsError, load_settings

    first_plan = getattr(ns, "first_plan", None)
    overrides: dict[str, Any] = {"execution_plan_path": plan_path(first_plan or ns.plan, env)}
    if getattr(ns, "remote_plan_file", None):  # --program NAME in remote mode
        overrides["plan_file"] = ns.remote_plan_file
    if ns.push:
        overrides["git_push"] = True
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        raise CliFailure(str(exc)) from None
    messenger: Messenger
    if settings.slack_bot_token:
        from bot.slack.messenger import SlackMessenger, make_client

        token = settings.slack_bot_token.get_secret_value()
        messenger = SlackMessenger(make_client(token, settings.slack_api_url))
    else:
        messenger = ConsoleMessenger(zone=settings.timezone)
    rt = build_runtime(settings, messenger, local_access=True)
    from bot.plan.store import PlanConflict
    from bot.runtime import start_store

    try:
        start_store(rt)
    except PlanConflict as exc:
        raise CliFailure(f"Error: {exc}") from None
    return rt.programs.get(getattr(ns, "program_id", ""), rt.ctx), rt.db.close


class CliFailure(Exception):
    """Bad data or settings: the message as is on stderr, exit 1."""


def _actor(ns: argparse.Namespace, store: PlanStore) -> Actor:
    from bot.plan.store import Actor

    if ns.author:
        try:
            return Actor.parse(ns.author)
        except ValueError as exc:
            raise CliUsage(str(exc)) from None
    return store.local_actor()


def _store(ns: argparse.Namespace, env: Mapping[str, str]) -> PlanStore:
    from bot.plan.store import PlanStore

    if env.get("BATCHBOT_GIT_URL", "").strip() and not ns.plan:
        return _remote_store(env, plan_file=getattr(ns, "remote_plan_file", None))
    return PlanStore(
        plan_path(ns.plan, env),
        push=bool(ns.push) or truthy(env.get("BATCHBOT_GIT_PUSH")),
        remote=env.get("BATCHBOT_GIT_REMOTE") or "origin",
    )


def _remote_store(
    env: Mapping[str, str], *, creating: bool = False, plan_file: str | None = None
) -> PlanStore:
    """BATCHBOT_GIT_URL set (and no --plan): the CLI reads and writes the team's remote too,
    through the same clone cache and push path as the bot. `plan_file`: the program chosen
    with --program (BATCHBOT_PROGRAM), else BATCHBOT_PLAN_FILE's."""
    import logging
    from pathlib import PurePosixPath

    from bot.plan.store import PlanConflict
    from bot.runtime import build_store, system_clock
    from bot.settings import SettingsError, load_settings

    # The CLI says what went wrong itself, once; the store's log lines are for a server's log.
    logging.getLogger("batchbot.remote").setLevel(logging.ERROR)
    try:
        settings = load_settings(**({"plan_file": plan_file} if plan_file else {}))
        store = build_store(settings, system_clock)
        store.start(creating=creating)  # type: ignore[attr-defined]
        state = store.state()  # type: ignore[attr-defined]
        if plan_file and state.plan is None and "missing" in (state.invalid_reason or ""):
            known = sorted(
                PurePosixPath(s.config.plan_file).stem
                for s in store.programs()  # type: ignore[attr-defined]
                if s.state().plan is not None
            )
            raise CliUsage(
                f"no program {PurePosixPath(plan_file).stem!r}: the team's repository has no "
                f"{plan_file}; programs: {', '.join(known) or 'none'}"
            )
    except SettingsError as exc:
        raise CliFailure(str(exc)) from None
    except PlanConflict as exc:
        raise CliFailure(f"Error: {exc}") from None
    return store


def _import_parser() -> _Parser:
    parser = _parser(
        "import",
        "batchbot import OLD.json [--to PATH] [global options]",
        "Convert the old execution-plan.json to TOML and commit it (to --to, else the plan path).",
    )
    parser.add_argument("source", metavar="OLD.json")
    parser.add_argument("--to", metavar="PATH", help="where to write the TOML plan")
    return parser


def _run_import(ns: argparse.Namespace, env: Mapping[str, str]) -> int:
    from pathlib import Path

    from bot.plan import codec
    from bot.plan.model import PlanInvalid
    from bot.plan.store import PlanConflict, PlanStore

    source = Path(ns.source)
    remote = not ns.to and not ns.plan and bool(env.get("BATCHBOT_GIT_URL", "").strip())
    target = Path(ns.to) if ns.to else plan_path(ns.plan, env)
    try:
        plan = codec.read(source)
        # BATCHBOT_GIT_URL set: the import is pushed to the team's repository like any write.
        store = _remote_store(env, creating=True) if remote else PlanStore(target)
        if remote:
            target = Path(env.get("BATCHBOT_PLAN_FILE") or "plan/execution-plan.toml")
        saved = store.replace(plan, _actor(ns, store), f"Import plan from {source.name}")
    except (PlanInvalid, PlanConflict) as exc:
        raise CliFailure(f"Error: {exc}") from None
    if not saved.changes:
        print(f"{target} already holds that plan; nothing changed.")
    else:
        print(
            f"Imported {len(plan.batches)} batches from {source} into {target}"
            + (f" (commit {saved.commit[:10]})" if saved.commit else "")
        )
    return 0


def _shell_parser() -> _Parser:
    parser = _parser(
        "shell",
        "batchbot shell [--demo] [global options]",
        "Talk to the bot in a terminal with the words Slack knows (/batch …, /jobs …).\n"
        "Messages it would send to Slack are printed instead. Piped input works too.",
    )
    parser.add_argument(
        "--demo", action="store_true", help="work on a throwaway copy of the plan and database"
    )
    return parser


def _run_shell(ns: argparse.Namespace, env: Mapping[str, str]) -> int:
    from bot.shell import main as shell_main

    return shell_main({"plan": ns.plan, "demo": ns.demo})


def _serve_parser() -> _Parser:
    parser = _parser(
        "serve",
        "batchbot serve [--socket-mode] [--no-scheduler]",
        "Run the Slack app: HTTP on $PORT (default 3000), or Socket Mode with SLACK_APP_TOKEN.\n"
        "Needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN.",
    )
    parser.add_argument("--socket-mode", action="store_true", help="connect over Socket Mode")
    parser.add_argument(
        "--no-scheduler", action="store_true", help="do not run the scheduled jobs here"
    )
    return parser


def _run_serve(ns: argparse.Namespace, env: Mapping[str, str]) -> int:
    from bot.slack.server import main as serve_main

    return serve_main(
        {
            "socket-mode": ns.socket_mode,
            "no-scheduler": ns.no_scheduler,
            "plan": ns.plan,  # --plan and --push apply to the bot as to every other command
            "push": ns.push,
        }
    )


def _jobs_parser() -> _Parser:
    from bot.jobs import JOBS

    parser = _parser(
        "jobs",
        "batchbot jobs list\n       batchbot jobs run NAME [--at ISO-8601] [--force]",
        "The scheduled jobs:\n"
        + "\n".join(f"  {name:<19} {about}" for name, (_, about) in JOBS.items())
        + "\n`list` shows when each runs next; `run` runs one now (or as if at --at);\n"
        "`--force` sends again what was already sent, or what an outage missed today.",
    )
    parser.add_argument("action", nargs="?", choices=("list", "run"), help=argparse.SUPPRESS)
    parser.add_argument("job", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--at", metavar="ISO-8601", help="run as if it were this instant")
    parser.add_argument("--force", action="store_true", help="run even if it already ran")
    return parser


def _run_jobs(ns: argparse.Namespace, env: Mapping[str, str]) -> int:
    from bot.jobs import cli as jobs_cli

    if ns.action == "list" and ns.job:
        raise CliUsage(f"jobs list takes no job name, got {ns.job!r}")
    words = [w for w in (ns.action, ns.job) if w]
    plan = getattr(ns, "first_plan", None) or ns.plan  # --program: that program of the deployment
    opts = {
        "plan": plan,
        "at": ns.at,
        "force": ns.force,
        "program": getattr(ns, "program_id", None),
    }
    return jobs_cli(opts, words)


def _init_parser() -> _Parser:
    parser = _parser(
        "init",
        "batchbot init [DIR] [--socket-mode | --http [--url https://HOST]] [--source PIP-URL]",
        "Start a folder for batchbot (default: this one): a starter plan dated today in\n"
        "plan/execution-plan.toml, the Slack app manifest.yml for the mode you run in,\n"
        ".env.example, and what the deploy guides need (requirements.txt, .python-version,\n"
        "Procfile, deploy/batchbot.service), committed to a new git repository. Existing\n"
        "files are never overwritten. Without a mode, init asks (Socket Mode when it cannot).",
    )
    parser.add_argument("folder", nargs="?", default=".", metavar="DIR")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--socket-mode",
        dest="socket_mode",
        action="store_true",
        default=None,
        help="the app connects over Socket Mode (no public URL needed)",
    )
    mode.add_argument(
        "--http",
        dest="socket_mode",
        action="store_false",
        help="Slack sends requests to the bot's public URL",
    )
    parser.add_argument(
        "--url", metavar="https://HOST", help="the bot's public URL (HTTP mode; implies --http)"
    )
    parser.add_argument(
        "--source",
        metavar="PIP-URL",
        help="what requirements.txt installs batchbot from (default: where this copy came from)",
    )
    return parser


def _ask_mode(ns: argparse.Namespace) -> tuple[bool, str | None]:
    """(socket mode?, URL) from the options, else asked on a terminal, else Socket Mode."""
    if ns.url is not None:  # `--url ''` too: an empty URL is a wrong one, not no option
        if ns.socket_mode:
            raise CliUsage("--url is for HTTP mode; leave out --socket-mode")
        return False, ns.url
    if ns.socket_mode is not None:
        return ns.socket_mode, None
    if sys.stdin is None or not sys.stdin.isatty():  # piped, or stdin closed (`<&-`)
        return True, None
    answer = _ask("Slack mode — Socket Mode (no public URL) or HTTP? [socket/http] ").strip()
    if answer.lower() in ("", "s", "socket", "socket mode", "socket-mode"):
        return True, None
    if answer.lower() not in ("h", "http"):
        raise CliUsage(f"{answer!r} is not a mode: say socket or http")
    url = _ask("The bot's public URL (like https://bot.example.com; empty: later) ").strip()
    return False, url or None


def _ask(prompt: str) -> str:
    """One answer from the terminal; Ctrl-D (end of input) stops init before it writes."""
    try:
        return input(prompt)
    except EOFError:
        print(file=sys.stderr)
        raise CliUsage(
            "no answer (end of input); nothing was written. Give the mode as an option: "
            "--socket-mode, or --http [--url https://HOST]"
        ) from None


def _run_init(ns: argparse.Namespace, env: Mapping[str, str]) -> int:
    from pathlib import Path

    from bot.starter import InitError, SlackMode, init_folder

    target = Path(ns.folder)
    socket, url = _ask_mode(ns)
    try:
        started = init_folder(target, SlackMode(socket, url), source=ns.source)
    except InitError as exc:
        raise CliFailure(f"Error: {exc}") from None
    for path in started.written:
        print(f"wrote {path}")
    mode = "Socket Mode" if socket else "HTTP"
    serve = "batchbot serve --socket-mode" if socket else "batchbot serve"
    print(
        f"manifest.yml and the Procfile are for {mode} (`{serve}`); "
        f"{'--http --url https://HOST' if socket else '--socket-mode'} makes the other."
    )
    for note in started.notes:
        print(f"to do: {note}")
    where = (
        f"{target} is a git repository with a first commit"
        if started.new_repository
        else "The starter files are committed to the git repository that holds "
        f"{os.path.normpath(target.absolute())}"
    )
    print(
        f"{where}. Next: cp .env.example .env, fill in\n"
        "the Slack tokens (see manifest.yml), then `batchbot doctor` and `batchbot dashboard`."
    )
    return 0


def _doctor_parser() -> _Parser:
    parser = _parser(
        "doctor",
        "batchbot doctor [--http | --socket-mode]",
        "Check the installation: settings, what `serve` needs for the Slack mode, git (present,\n"
        "identity, repository state, remote), the plan, the database, Slack (auth.test, scopes\n"
        "against manifest.yml) and GitHub (token, repository, issues write). One line per\n"
        "check with what to do when it fails; every check runs; exit 1 when any failed.\n"
        "The Slack mode: --http or --socket-mode, else manifest.yml's socket_mode_enabled.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--socket-mode",
        dest="socket_mode",
        action="store_true",
        default=None,
        help="check for `serve --socket-mode`",
    )
    mode.add_argument(
        "--http", dest="socket_mode", action="store_false", help="check for HTTP `serve`"
    )
    return parser


def _run_doctor(ns: argparse.Namespace, env: Mapping[str, str]) -> int:
    from bot.doctor import main as doctor_main

    return doctor_main({"plan": ns.plan, "socket_mode": ns.socket_mode})


def _help_parser() -> _Parser:
    parser = _parser("help", "batchbot help [COMMAND]", "The commands, or one command's usage.")
    parser.add_argument("topic", nargs="?", metavar="COMMAND")
    return parser


def _run_help(ns: argparse.Namespace, env: Mapping[str, str]) -> int:
    if ns.topic:
        _unknown_command_check(ns.topic)
        _command_parser(ns.topic).print_help()
    else:
        print(full_help())
    return 0


Runner = Callable[[argparse.Namespace, Mapping[str, str]], int]

COMMANDS: dict[str, tuple[Callable[[], _Parser], Runner]] = {
    "import": (_import_parser, _run_import),
    "shell": (_shell_parser, _run_shell),
    "serve": (_serve_parser, _run_serve),
    "jobs": (_jobs_parser, _run_jobs),
    "init": (_init_parser, _run_init),
    "doctor": (_doctor_parser, _run_doctor),
    "help": (_help_parser, _run_help),
}


def _verbs() -> Mapping[str, object]:
    from bot.commands import WORDS

    return WORDS


def _command_parser(command: str) -> _Parser:
    if command in COMMANDS:
        return COMMANDS[command][0]()
    return _verb_parser(command)


def _unknown_command_check(command: str) -> None:
    names = [*_verbs(), *COMMANDS]
    if command not in names:
        from bot.plan.model import did_you_mean

        hint = did_you_mean(command, sorted(names))
        raise CliUsage(f"unknown command {command!r}{hint}. Run `batchbot help` for the commands.")


def _job_lines(indent: int) -> str:
    """The scheduled jobs, named from `bot.jobs.JOBS` (the one list the scheduler runs)."""
    import textwrap

    from bot.jobs import JOBS

    return textwrap.fill(
        "scheduled jobs: " + ", ".join(JOBS),
        100,
        initial_indent=" " * indent,
        subsequent_indent=" " * indent,
        break_on_hyphens=False,
    )


def full_help() -> str:
    import textwrap

    from bot.commands import USAGE

    lines = [HEADER]
    for line in USAGE:
        head, _, note = line.partition(" — ")
        if head.startswith("/batch help"):
            continue
        head = head.replace("/batch ", "batchbot ", 1)
        note = textwrap.fill(note, 100, initial_indent=" " * 34, subsequent_indent=" " * 34)
        lines.append(f"  {head:<31} {note[34:]}" if len(head) <= 31 else f"  {head}\n{note}")
    return "\n".join([*lines, "", RUNNING.format(jobs=_job_lines(34))])


def _top_parser() -> _Parser:
    parser = _Parser(
        prog="batchbot",
        usage="batchbot [--plan PATH] [--author NAME <EMAIL>] [--push] COMMAND [ARGS …]",
        add_help=False,
        allow_abbrev=False,
        formatter_class=_Formatter,
    )
    parser.add_argument("-h", "--help", action="store_true")
    parser.add_argument("-V", "--version", action=_Version)
    _global_options(parser, top=True)
    parser.add_argument("command", nargs="?")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _dispatch(argv: list[str]) -> int:
    try:
        top = _top_parser().parse_args(argv)
        if top.help or top.command is None:
            print(full_help())
            return 0
        command = top.command
        try:
            env = environment()
        except EnvFileError:
            if command != "doctor":
                raise
            # doctor reports an unreadable .env itself, with every other check
            env = {name.upper(): value for name, value in os.environ.items()}
        if top.rest and command not in COMMANDS:
            _prefetch_identity(top, env)
        _unknown_command_check(command)
        ns = _command_parser(command).parse_intermixed_args(top.rest, namespace=top)
    except SystemExit as exc:  # --help / --version printed and asked to stop
        return int(exc.code or 0)
    _refuse_empty_options(ns)
    _choose_program(ns, env)
    if command in COMMANDS:
        return COMMANDS[command][1](ns, env)
    return _run_verb(command, ns, env)


#: Options whose empty value is a mistake (`--plan "$PLAN"` with PLAN unset), not "no option":
#: taken as absent, an update went to the default plan, committed as git's identity.
NOT_EMPTY = {
    "plan": "the plan file's path",
    "author": '"Name <email>"',
    "to": "the path of the TOML plan",
    "out": "the PNG file's name",
}


def _refuse_empty_options(ns: argparse.Namespace) -> None:
    for dest, what in NOT_EMPTY.items():
        value = getattr(ns, dest, None)
        if isinstance(value, str) and not value.strip():
            raise CliUsage(f"--{dest} is empty: give {what}")


def _prefetch_identity(top: argparse.Namespace, env: Mapping[str, str]) -> None:
    """A word with arguments may commit, and its commit needs the git identity (see
    _run_verb): start asking git now, while the command's modules load."""
    if env.get("BATCHBOT_GIT_URL", "").strip() and not top.plan:
        return  # remote mode: the identity comes from the clone's own settings
    from bot.plan.gitrepo import prefetch_identity

    prefetch_identity(plan_path(top.plan, env).parent)


def _choose_program(ns: argparse.Namespace, env: Mapping[str, str]) -> None:
    """`--program NAME` (or BATCHBOT_PROGRAM): the plan file `NAME.toml` beside the plan file,
    the same file `/batch NAME …` acts on in Slack."""
    name = getattr(ns, "program", None)
    if name is None:  # an empty BATCHBOT_PROGRAM= is unset; an empty --program '' is a mistake
        name = env.get("BATCHBOT_PROGRAM") or None
    if name is None:
        return
    from pathlib import PurePosixPath

    from bot.plan.program_files import (
        is_program_file,
        is_program_name,
        other_plan_files,
        program_id,
    )

    if not is_program_name(name):
        raise CliUsage(f"--program {name!r}: a program is a plan file's name, like beta")
    if env.get("BATCHBOT_GIT_URL", "").strip() and not getattr(ns, "plan", None):
        # Remote mode: the program's file beside BATCHBOT_PLAN_FILE in the team's repository
        # (checked once the clone is fetched, in _remote_store).
        first = PurePosixPath(env.get("BATCHBOT_PLAN_FILE") or "plan/execution-plan.toml")
        ns.remote_plan_file = str(first.with_name(f"{name.lower()}.toml"))
        return
    first_plan = plan_path(getattr(ns, "plan", None), env)
    folder = first_plan.parent
    target = folder / f"{name.lower()}.toml"
    if not os.path.lexists(target):
        # The program the bot serves under this id (`plan/BETA.toml` is beta in Slack, in
        # `jobs list` and in doctor): the same files, found the same way.
        served = [first_plan, *other_plan_files(first_plan)]
        match = [p for p in served if program_id(p) == name.lower() and p.exists()]
        if not match:
            known = ", ".join(program_id(p) for p in served if p.exists()) or "none"
            raise CliUsage(f"no program {name!r}: {target} does not exist; programs: {known}")
        target = match[0]
    if not is_program_file(target):
        raise CliUsage(
            f"{target} is not a program: a program is a plan file of its own, not a link"
        )
    ns.plan = str(target)
    # Words that reach the database or GitHub act as that program of the deployment (its
    # claims, marker, repository), not as a first program of its own: see _service_context.
    ns.first_plan, ns.program_id = str(first_plan), target.stem.lower()


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure is one line and an exit code, never a traceback."""
    try:
        return _main(argv)
    finally:
        gitrepo = sys.modules.get("bot.plan.gitrepo")
        if gitrepo is not None:  # a prefetched identity nobody asked for (a refused command)
            gitrepo.abandon_prefetched()


def _main(argv: list[str] | None) -> int:
    try:
        code = _dispatch(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()
    except CliUsage as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except CliFailure as exc:
        print(exc, file=sys.stderr)
        return 1
    except EnvFileError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Python's docs (signal module, "Note on SIGPIPE"): point stdout at devnull so the
        # flush at exit does not raise again, and exit 1.
        _stdout_to_devnull()
        return 1
    except OSError as exc:  # unwritable folder, full disk, …: say which, no traceback
        print(f"Error: {_describe(exc)}", file=sys.stderr)
        try:
            sys.stdout.flush()
        except OSError:
            _stdout_to_devnull()
        return 1
    return code


def _describe(exc: OSError) -> str:
    if exc.strerror is None:
        return str(exc)
    return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror


def _stdout_to_devnull() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    raise SystemExit(main())
