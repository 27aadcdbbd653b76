"""`batchbot …` in a process of its own, started from a warm fork instead of a fresh
interpreter: the servers of the end-to-end and fault tests, and the `batchbot jobs …` an
operator runs beside them.

Why: those tests start a real `batchbot` a few hundred times a run, and a fresh one spends
~0.5 s of its ~0.6 s of CPU importing Bolt, SQLAlchemy, Alembic and the bot before it does
anything. A multiprocessing *forkserver*, started once per test worker with those modules
imported, forks each one instead: still a separate process with its own pid, signals,
environment, working folder, stdin (empty), stdout and stderr (files), whose exit code is
`bot.cli.main(argv)`'s — what the console script runs — minus the interpreter start and the
imports. SIGTERM, kill -9 and exit codes mean what they mean for the Procfile's process.

`BATCHBOT_TEST_SERVE=process` (or `process=True`) runs the installed `batchbot` executable
instead, exactly as the Procfile and a shell do; tests of the executable itself ask for it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# Everything a forked `batchbot` may import, loaded once per worker (tests/forkserver_warm.py).
_PRELOAD = ["tests.serveproc", "tests.forkserver_warm"]

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


def _child(argv: list[str], cwd: str, env: dict[str, str], out: str, err: str) -> None:
    """Become what the console script would be: that folder, that environment, stdout and
    stderr to those files, then `batchbot ARGV`."""
    import time

    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    time.tzset()
    for fd, path in ((1, out), (2, err)):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.argv = ["batchbot", *argv]
    from bot.cli import main

    raise SystemExit(main(argv))


class ServeProcess:
    """The part of `subprocess.Popen` the tests use, over a forked `batchbot`."""

    def __init__(self, proc: Any, argv: list[str]) -> None:
        self._proc = proc
        self.pid: int = proc.pid
        self.args = ["batchbot", *argv]

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


def _real(process: bool) -> bool:
    return process or os.environ.get("BATCHBOT_TEST_SERVE") == "process"


def _fork(argv: list[str], cwd: Path, env: dict[str, str], out: Path, err: Path) -> ServeProcess:
    proc = warm_context().Process(
        target=_child, args=(list(argv), str(cwd), dict(env), str(out), str(err)), daemon=True
    )
    proc.start()
    return ServeProcess(proc, argv)


def spawn_serve(
    argv: list[str], *, cwd: Path, env: dict[str, str], log: Path, process: bool = False
) -> subprocess.Popen[str] | ServeProcess:
    """Start `batchbot ARGV` (a `serve` command line) with that environment and folder,
    stdout and stderr to LOG, emptied first (as `stdout=log.open("w")` would)."""
    if _real(process):
        exe = Path(sys.executable).with_name("batchbot")
        with log.open("w") as out:
            return subprocess.Popen(
                [str(exe), *argv], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, text=True
            )
    log.write_text("")
    return _fork(argv, cwd, env, log, log)


class Started:
    """A `batchbot` started with `start_batchbot`: wait for it with `finish`."""

    def __init__(self, proc: subprocess.Popen[str] | ServeProcess, out: Path, err: Path) -> None:
        self.proc, self._out, self._err = proc, out, err

    def finish(self, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Its exit code, stdout and stderr once it ends (killed after TIMEOUT seconds, which
        raises `subprocess.TimeoutExpired` as `subprocess.run` does)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise
        out, err = self._out.read_text(), self._err.read_text()
        shutil.rmtree(self._out.parent, ignore_errors=True)
        return subprocess.CompletedProcess(["batchbot", *self.proc.args[1:]], code, out, err)


def start_batchbot(
    argv: list[str], *, cwd: Path, env: dict[str, str], process: bool = False
) -> Started:
    """Start `batchbot ARGV` as a shell would (that folder and environment, stdin empty)."""
    where = Path(tempfile.mkdtemp(prefix="batchbot-run-"))
    out, err = where / "stdout", where / "stderr"
    if _real(process):
        exe = Path(sys.executable).with_name("batchbot")
        with out.open("w") as o, err.open("w") as e:
            proc: subprocess.Popen[str] | ServeProcess = subprocess.Popen(
                [str(exe), *argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=o,
                stderr=e, text=True,
            )  # fmt: skip
    else:
        out.touch()
        err.touch()
        proc = _fork(argv, cwd, env, out, err)
    return Started(proc, out, err)


def run_batchbot(
    argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120, process: bool = False
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(["batchbot", *ARGV], cwd=…, env=…, capture_output=True, text=True,
    timeout=…)`, from the warm fork server."""
    return start_batchbot(argv, cwd=cwd, env=env, process=process).finish(timeout)
