"""`batchbot serve` in a process of its own, started from a warm fork instead of a fresh
interpreter.

Why: the end-to-end and fault tests start the real server a few hundred times a run, and a fresh
`batchbot serve` spends ~0.5 s of its ~0.6 s of CPU importing Bolt, SQLAlchemy, Alembic and the
bot before it answers. A multiprocessing *forkserver*, started once per test worker with those
modules imported, forks each server instead: still a separate process with its own pid, signals,
environment, working folder and log file (SIGTERM, kill -9 and exit codes mean what they mean
for the Procfile's process), running the same `bot.cli.main(["serve", ...])` the console script
runs — minus the interpreter start and the imports.

`BATCHBOT_TEST_SERVE=process` (or `process=True`) runs the installed `batchbot` executable
instead, exactly as the Procfile does; the tests that check the executable itself ask for it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

# What `batchbot serve` imports before it answers, loaded once in the fork server.
_PRELOAD = [
    "tests.serveproc",
    "bot.cli",
    "bot.slack.server",
    "bot.slack.app",
    "bot.runtime",
    "bot.db",
    "bot.settings",
    "alembic.command",
    "alembic.runtime.migration",
    "slack_sdk.socket_mode.builtin",
]

_CONTEXT: Any = None


def warm_context() -> Any:
    """The fork server's multiprocessing context: separate processes that start without
    importing the bot again (the race tests' children use it too)."""
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        _CONTEXT = ctx
    return _CONTEXT


def _serve_child(argv: list[str], cwd: str, env: dict[str, str], log: str) -> None:
    """Become what the console script would be: that folder, that environment, output to
    the log, then `batchbot ARGV`."""
    import time

    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    time.tzset()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.argv = ["batchbot", *argv]
    from bot.cli import main

    raise SystemExit(main(argv))


class ServeProcess:
    """The part of `subprocess.Popen` the tests use, over a forked server."""

    def __init__(self, proc: Any) -> None:
        self._proc = proc
        self.pid: int = proc.pid
        self.args = ["batchbot", "serve"]

    @property
    def returncode(self) -> int | None:
        code = self._proc.exitcode
        return None if code is None else int(code)

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._proc.join(timeout)
        code = self.returncode
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return code

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def spawn_serve(
    argv: list[str], *, cwd: Path, env: dict[str, str], log: Path, process: bool = False
) -> subprocess.Popen[str] | ServeProcess:
    """Start `batchbot ARGV` (a `serve` command line) with that environment and folder,
    stdout and stderr to LOG."""
    if process or os.environ.get("BATCHBOT_TEST_SERVE") == "process":
        exe = Path(sys.executable).with_name("batchbot")
        with log.open("w") as out:
            return subprocess.Popen(
                [str(exe), *argv], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, text=True
            )
    log.write_text("")  # as `stdout=log.open("w")` would: a restart's log starts empty
    proc = warm_context().Process(
        target=_serve_child, args=(list(argv), str(cwd), dict(env), str(log)), daemon=True
    )
    proc.start()
    return ServeProcess(proc)
