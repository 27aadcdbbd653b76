"""The plan's lock between processes: `fcntl.flock` on a lock file that stays in place.

That is what filelock's `FileLock` does on Unix, so the two interoperate (a FileLock held on
the same path makes the store wait, and the other way round). Why not FileLock itself: its
import loads logging, secrets, hashlib, decimal and platform — about 40 ms of CPU, more than
half of what a `batchbot update` costs without it. Where `flock` is missing (Windows, a
filesystem without it), FileLock does the job.
"""

from __future__ import annotations

import errno
import os
import time

__all__ = ["LockTimeout", "PlanFileLock"]

_NO_FLOCK = (errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP)


class LockTimeout(Exception):
    """Another process held the lock for the whole wait."""


class PlanFileLock:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._fallback: object | None = None  # a filelock.FileLock where flock is missing

    def acquire(self, timeout: float, poll_interval: float = 0.01) -> None:
        try:
            import fcntl
        except ImportError:  # not Unix
            return self._acquire_fallback(timeout, poll_interval)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return None
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockTimeout(self.path) from None
                time.sleep(poll_interval)
            except OSError as exc:
                os.close(fd)
                if exc.errno in _NO_FLOCK:
                    return self._acquire_fallback(timeout, poll_interval)
                raise
            except BaseException:
                os.close(fd)
                raise

    def _acquire_fallback(self, timeout: float, poll_interval: float) -> None:
        from filelock import FileLock, Timeout

        lock = FileLock(self.path)
        try:
            lock.acquire(timeout=timeout, poll_interval=poll_interval)
        except Timeout:
            raise LockTimeout(self.path) from None
        self._fallback = lock

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor drops the flock
        elif self._fallback is not None:
            lock, self._fallback = self._fallback, None
            lock.release()  # type: ignore[attr-defined]
