"""`batchbot` on the command line: a drop-in for `node batchTracker.js <command>`.

Plan commands (dashboard, weekly, update, metrics, validate, history, status, help) go through
the same `commands.handle` as Slack and the shell. The Slack edge, the scheduler and
pydantic-settings are imported lazily, only by the verbs that need them (`serve`, `shell`,
`jobs`), so `batchbot dashboard` starts in tens of milliseconds. That is also why this edge
reads its two plan settings straight from the environment instead of building `Settings`.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from bot.plan.store import Actor, PlanStore

DEFAULT_PLAN = "plan/execution-plan.toml"
PLAN_VERBS = {
    "dashboard",
    "weekly",
    "update",
    "metrics",
    "validate",
    "history",
    "status",
    "help",
    "report",
}

CLI_HELP = """\
batchbot — keeps a multi-batch delivery plan in git; a drop-in for batchTracker.js.

Usage: batchbot [--plan PATH] [--author "Name <email>"] [--push] <command> [args]

Plan commands (same as /batch in Slack):
  dashboard                      the dashboard table
  status [batch-id]              the plan, or one batch in full
  weekly "Week N"                the weekly progress report (markdown)
  update <batch-id> key=val …    change a batch (status, progress, owner, blockers, targetDate,
                                 notes, priority, name); one git commit per change
  metrics key=val …              set metrics (prsMerged, ciPassRate, coverage,
                                 productionIncidents, deploymentMinutes, ciFlakeRate,
                                 workflowMinutes, openCriticalVulns)
  metrics collect [--at ISO]     collect this week's metrics from GitHub, commit them
  report publish [--week YYYY-Www]
                                 publish the week's report as a GitHub issue (once per week)
  validate                       check the plan file, listing every problem
  history [batch-id]             who changed what and when, from git
  import OLD.json [--to PATH]    convert the old execution-plan.json to TOML (and commit it)

Running the bot:
  shell [--demo]                 talk to the bot in a terminal, as in Slack (no Slack needed)
  serve [--socket-mode]          run the Slack app (HTTP on $PORT, or Socket Mode)
  jobs list | jobs run NAME [--at ISO-8601] [--force]
                                 scheduled jobs: standup-prompts, standup-reminders,
                                 weekly-report

The plan path comes from --plan, else EXECUTION_PLAN_PATH, else plan/execution-plan.toml.
Exit codes: 0 ok, 1 bad data (invalid value, unknown batch, invalid plan), 2 bad usage."""


class CliUsage(Exception):
    pass


def _take_options(argv: list[str]) -> tuple[dict[str, str | bool], list[str]]:
    """Global options may appear anywhere before the command's pairs (node-style)."""
    opts: dict[str, str | bool] = {}
    rest: list[str] = []
    it = iter(argv)
    for word in it:
        if word == "--":
            rest.extend(it)
            break
        name, eq, value = word.partition("=")
        if name in ("--plan", "--author", "--to", "--at"):
            if not eq:
                value = next(it, "")
                if not value:
                    raise CliUsage(f"{name} needs a value")
            opts[name[2:]] = value
        elif word in ("--push", "--demo", "--force", "--socket-mode", "--no-scheduler"):
            opts[word[2:]] = True
        elif word in ("-h", "--help"):
            opts["help"] = True
        else:
            rest.append(word)
    return opts, rest


def plan_path(opts: dict[str, str | bool], environ: dict[str, str] | os._Environ[str]) -> Path:
    value = opts.get("plan") or environ.get("EXECUTION_PLAN_PATH") or DEFAULT_PLAN
    return Path(str(value))


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        opts, words = _take_options(argv)
    except CliUsage as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if opts.get("help") and not words:
        print(CLI_HELP)
        return 0
    if not words:
        print(CLI_HELP)
        return 0
    verb = words[0]
    try:
        if verb in PLAN_VERBS:
            return _plan_command(opts, words)
        if verb == "import":
            return _import(opts, words[1:])
        if verb == "shell":
            from bot.shell import main as shell_main

            return shell_main(opts)
        if verb == "serve":
            from bot.slack.server import main as serve_main

            return serve_main(opts)
        if verb == "jobs":
            from bot.jobs import cli as jobs_cli

            return jobs_cli(opts, words[1:])
    except KeyboardInterrupt:
        return 130
    except CliUsage as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    from bot.plan.model import did_you_mean

    hint = did_you_mean(verb, sorted(PLAN_VERBS | {"import", "shell", "serve", "jobs"}))
    print(
        f"Error: unknown command {verb!r}{hint}. Run `batchbot help` for the commands.",
        file=sys.stderr,
    )
    return 2


def _actor(opts: dict[str, str | bool], store: PlanStore) -> Actor:
    author = opts.get("author")
    if isinstance(author, str):
        try:
            return Actor.parse(author)
        except ValueError as exc:
            raise CliUsage(str(exc)) from None
    return store.local_actor()


def _store(opts: dict[str, str | bool]) -> PlanStore:
    return PlanStore(
        plan_path(opts, os.environ),
        push=bool(opts.get("push")) or _truthy(os.environ.get("BATCHBOT_GIT_PUSH")),
        remote=os.environ.get("BATCHBOT_GIT_REMOTE") or "origin",
    )


def _plan_command(opts: dict[str, str | bool], words: list[str]) -> int:
    from bot.commands import Command, Context, handle
    from bot.render.markdown import render

    if words[0] == "help":
        print(CLI_HELP)
        return 0
    store = _store(opts)
    read_only = words[0] not in ("update", "metrics", "report") or len(words) == 1
    actor = Actor("local") if read_only else _actor(opts, store)
    ctx = Context(store=store, clock=lambda: dt.datetime.now().astimezone())
    if _uses_github(words):
        from bot.github.service import cli_service

        if isinstance(opts.get("at"), str):
            words = [*words, "--at", str(opts["at"])]  # `--at` is also a global option
        ctx.github, ctx.clock = cli_service(store.path)
    reply = handle(Command(actor, tuple(words), "cli"), ctx)
    out = sys.stdout if reply.ok else sys.stderr
    print(render(reply), file=out)
    return reply.exit_code


def _uses_github(words: list[str]) -> bool:
    """Only `metrics collect` and `report publish` build Settings and the GitHub client."""
    second = words[1].lower() if len(words) > 1 else ""
    return (words[0], second) in (("metrics", "collect"), ("report", "publish"))


def _import(opts: dict[str, str | bool], args: list[str]) -> int:
    from bot.plan import codec
    from bot.plan.model import PlanInvalid
    from bot.plan.store import PlanConflict

    if len(args) != 1:
        raise CliUsage("usage: batchbot import OLD.json [--to PATH]")
    source = Path(args[0])
    target = Path(str(opts.get("to") or plan_path(opts, os.environ)))
    try:
        plan = codec.read(source)
        store = PlanStore(target)
        saved = store.replace(plan, _actor(opts, store), f"Import plan from {source.name}")
    except PlanInvalid as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except PlanConflict as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if not saved.changes:
        print(f"{target} already holds that plan; nothing changed.")
    else:
        print(
            f"Imported {len(plan.batches)} batches from {source} into {target}"
            + (f" (commit {saved.commit[:10]})" if saved.commit else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
