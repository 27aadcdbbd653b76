"""`batchbot ARGS` on a pseudo-terminal: what a person at its prompt reads and types.

The init and shell tests that need a real terminal (a question asked only on a tty, Ctrl-D)
share this instead of each forking a pty and reading it by hand."""

from __future__ import annotations

import os
import pty
import sys
import time
from pathlib import Path


class Terminal:
    def __init__(self, folder: Path, *args: str) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: `batchbot ARGS` in FOLDER on the terminal
            os.chdir(folder)
            os.execv(sys.executable, [sys.executable, "-m", "bot", *args])
        self.pid, self.fd, self.seen = pid, fd, b""

    def until(self, text: bytes, timeout: float = 30) -> None:
        """Read until TEXT was shown (or the child closed the terminal)."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            assert time.monotonic() < deadline, self.seen
            if not self._read():
                break

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def finish(self) -> tuple[int, str]:
        """Everything shown until the child closed the terminal, and its exit code."""
        while self._read():
            pass
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status), self.seen.decode(errors="replace")

    def _read(self) -> bool:
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # the child closed the terminal
            return False
        self.seen += chunk
        return bool(chunk)
