"""`batchbot shell`: talk to the bot in a terminal, with the same handlers Slack uses.

Type `/batch status`, `/batch update batch-1 progress=40`, `/batch standup …`, or fire the
scheduled jobs (`/jobs run standup-prompts`, `/jobs run weekly-report`). Messages the bot
would send to Slack are printed instead. `--demo` works on a throwaway copy of the plan in a
temporary git repository, so trying things changes nothing of yours. Piped input works too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

LOCAL_USER_ID = "ULOCALUSER"

BANNER = """batchbot shell — you are {name} ({user_id}). Plan: {plan}
Type /batch help for commands, /jobs list or /jobs run NAME [--at ISO-8601] [--force] for the
scheduled jobs, quit to leave."""


def _demo_dir(source: Path) -> Path:
    """A temporary git repository holding a copy of the plan, committed once."""
    root = Path(tempfile.mkdtemp(prefix="batchbot-demo-"))
    (root / "plan").mkdir()
    target = root / "plan" / source.name
    shutil.copy(source, target)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "batchbot demo",
        "GIT_AUTHOR_EMAIL": "demo@localhost",
        "GIT_COMMITTER_NAME": "batchbot demo",
        "GIT_COMMITTER_EMAIL": "demo@localhost",
    }
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "Demo plan"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return root


class Shell:
    def __init__(self, rt: Any, out: TextIO) -> None:
        import dataclasses

        self.rt = rt
        self.out = out
        # Commits carry the local git identity; standups file under a stable local user id.
        self.actor = dataclasses.replace(rt.store.local_actor(), slack_id=LOCAL_USER_ID)
        # The person at the terminal has no Slack profile: the directory names them as git does.
        plan_names, me = rt.names.given, {LOCAL_USER_ID: self.actor.name}
        rt.names.given = lambda: {**(plan_names() if plan_names else {}), **me}
        #: `/batch use <program>`: the program every following line acts on.
        self.program: str | None = None

    def _use(self, words: tuple[str, ...], programs: dict[str, Any]) -> Any:
        """`/batch use <program>`: act on that program from now on."""
        from bot.replies import Reply, TextView, error

        if len(words) != 1 or words[0].lower() not in programs:
            return error(
                "use which program?", f"/batch use <program>; programs: {', '.join(programs)}"
            )
        self.program = words[0].lower()
        return Reply(TextView(f"Now acting on {self.program}"))

    def line(self, text: str) -> bool:
        """Handle one line; False means leave."""
        import dataclasses

        from bot.commands import Command, handle
        from bot.commands.programs import dispatch, named_program
        from bot.plan.edits import UsageError
        from bot.render.markdown import render
        from bot.replies import error

        text = text.strip()
        if not text or text.startswith("#"):
            return True
        if text in ("quit", "exit", "/quit", "/exit"):
            return False
        if text.startswith(("/jobs", "jobs ")) or text == "jobs":
            self._jobs(text.split()[1:])
            return True
        try:
            cmd = Command.from_text(self.actor, text, "shell")
            programs = getattr(self.rt, "programs", None) or {"": self.rt.ctx}
            if cmd.words[:1] and cmd.words[0].lower() == "use":
                reply = self._use(cmd.words[1:], programs)
            else:
                if self.program and named_program(cmd.words, programs) is None:
                    cmd = dataclasses.replace(cmd, words=(self.program, *cmd.words))
                reply = dispatch(cmd, programs, next(iter(programs)), handle)
        except UsageError as exc:
            reply = error(str(exc), "usage: /batch help", code=2)
        print(render(reply), file=self.out)
        from bot.replies import ChartView

        if isinstance(reply.view, ChartView):
            self._write_chart(reply.view)
        return True

    def _write_chart(self, view: Any) -> None:
        """The shell has no chat to upload to: the PNG goes to a file and its path is shown
        (with the `charts` extra; without it, how to get it)."""
        from bot.render.chart_png import ChartsNotInstalled, burnup_png

        try:
            png = burnup_png(view.chart)
        except ChartsNotInstalled as exc:
            print(f"No PNG: {exc}", file=self.out)
            return
        path = Path(tempfile.gettempdir()) / "batchbot-burnup.png"
        path.write_bytes(png)
        print(f"chart written to {path}", file=self.out)

    def _jobs(self, words: list[str]) -> None:
        from bot.jobs import JOBS, next_runs, run_job
        from bot.walltime import parse_instant

        now = self.rt.clock()
        if not words or words[0] == "list":
            for name, when, note in next_runs(self.rt, now):
                stamp = f"{when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" if when else "—"
                print(f"{name:<18} next: {stamp}  ({note})", file=self.out)
            return
        if words[0] != "run" or len(words) < 2 or words[1] not in JOBS:
            print(
                f"usage: /jobs run NAME [--at ISO-8601] [--force]; NAME: {', '.join(JOBS)}",
                file=self.out,
            )
            return
        at = now
        if "--at" in words:
            i = words.index("--at")
            if i + 1 == len(words):
                print(
                    "Error: --at needs an ISO-8601 instant like 2026-11-27T15:00:00+01:00",
                    file=self.out,
                )
                return
            try:
                at = parse_instant(words[i + 1], self.rt.settings.zone).astimezone(dt.UTC)
            except ValueError as exc:
                print(f"Error: {exc}", file=self.out)
                return
        result = run_job(self.rt, words[1], at, force="--force" in words)
        print(f"{result.job}: {result.summary}", file=self.out)


def main(opts: dict[str, Any], stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    import io

    from bot.localenv import environment, plan_path
    from bot.messenger import ConsoleMessenger
    from bot.runtime import build_runtime
    from bot.settings import SettingsError, load_settings

    stdin = stdin or sys.stdin or io.StringIO()  # stdin closed (`<&-`): no lines to read
    out = out or sys.stdout
    source = plan_path(opts.get("plan"), environment())
    overrides: dict[str, Any] = {"execution_plan_path": source}
    demo_root: Path | None = None
    if opts.get("demo"):
        if not source.exists():
            print(
                f"Error: {source} not found; run from the batchbot folder or set --plan",
                file=sys.stderr,
            )
            return 1
        demo_root = _demo_dir(source)
        overrides = {
            "execution_plan_path": demo_root / "plan" / source.name,
            "database_url": f"sqlite:///{demo_root / 'batchbot.db'}",
            "team": (LOCAL_USER_ID,),
            "standup_channel": "#standup",
            "report_channel": "#delivery",
            "git_url": None,  # the demo never touches a real remote
        }
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 1
    messenger = ConsoleMessenger(out=out, zone=settings.timezone)
    rt = build_runtime(settings, messenger, local_access=True)
    from bot.plan.store import PlanConflict
    from bot.runtime import start_store

    try:
        start_store(rt)
    except PlanConflict as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    shell = Shell(rt, out)
    name = shell.actor.name
    interactive = stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history)
        print(
            BANNER.format(name=name, user_id=LOCAL_USER_ID, plan=settings.execution_plan_path),
            file=out,
        )
    try:
        while True:
            if interactive:
                try:
                    text = input("batchbot> ")
                except EOFError:
                    print(file=out)
                    break
            else:
                text = stdin.readline()
                if not text:
                    break
                text = text.lstrip("\ufeff")  # a file saved with a BOM (Windows editors)
                if text.strip():
                    print(f"> {text.strip()}", file=out)
            if not shell.line(text):
                break
    except KeyboardInterrupt:
        print(file=out)
    finally:
        rt.db.close()
        if demo_root is not None:
            shutil.rmtree(demo_root, ignore_errors=True)
    return 0
