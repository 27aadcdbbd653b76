"""Whose turn it is to write the plan, when several instances share one remote.

Why: every instance fetches, commits and pushes; the remote takes a push only on top of the
tip it was made on. Two instances writing at once race, and the race is not fair: an
instance whose writers arrive one at a time pushes small commits in a tight loop, while the
other's bigger batch is rejected again and again (a measured p99 of ~1 s with two instances,
against ~200 ms for one). A first-come, first-served queue in the database the instances
already share turns the race into turns: each leader waits for the turns queued before it,
then fetches, commits and pushes once.

The queue is only about speed, never about correctness — the push is still a compare-and-swap
on the remote and a rejected push is still fetched and re-applied. So anything wrong with
the queue (the database down, a turn that was never ended) degrades to the race, never to a
lost or a refused write: a turn expires after `lease` seconds unless renewed (its holder
renews it from the moment it is queued until it ends), and a leader never waits longer than
`max_wait`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.errors import StorageUnavailable

if TYPE_CHECKING:
    from bot.db import Database

log = logging.getLogger("batchbot.turns")

__all__ = ["DatabaseTurns"]


def _now() -> dt.datetime:
    # Wall time on purpose (not the bot's injectable clock): leases are compared across hosts.
    return dt.datetime.now(dt.UTC)


class DatabaseTurns:
    """First come, first served turns at writing the plan, kept in the shared database."""

    def __init__(
        self,
        db: Database,
        holder: str,
        *,
        lease: float = 6.0,
        max_wait: float = 30.0,
        poll: float = 0.004,
    ) -> None:
        self.db = db
        self.holder = holder
        self.lease = lease
        self.max_wait = max_wait
        self.poll = poll
        self._warned = threading.Event()

    def take(self) -> Callable[[], None]:
        """Wait for the turns queued before ours; the function that ends ours."""
        turn = self._queue()
        if turn is None:
            return lambda: None
        done = threading.Event()
        threading.Thread(
            target=self._keep_alive, args=(turn, done), name="batchbot-turn", daemon=True
        ).start()

        def end() -> None:
            done.set()
            self._end(turn)

        try:
            self._wait(turn)
        except BaseException:
            end()
            raise
        return end

    def _keep_alive(self, turn: int, done: threading.Event) -> None:
        """Renew our turn from the moment it is queued until it ends (a long queue or a push
        to a slow remote can outlast a lease); a process killed with kill -9 stops renewing,
        so its turn lapses in one lease."""
        while not done.wait(self.lease / 3):
            try:
                if not self.db.renew_turn(turn, _now() + dt.timedelta(seconds=self.lease)):
                    return
            except StorageUnavailable as exc:
                self._degrade(exc)
                return

    def _queue(self) -> int | None:
        try:
            return self.db.queue_turn(self.holder, _now() + dt.timedelta(seconds=self.lease))
        except StorageUnavailable as exc:
            self._degrade(exc)
            return None

    def _wait(self, turn: int) -> None:
        started = time.monotonic()
        try:
            while self.db.turns_ahead(turn, _now()):
                waited = time.monotonic() - started
                if waited > self.max_wait:
                    log.warning(
                        "waited %.0f s for a turn to write the plan; writing anyway", waited
                    )
                    return
                # A turn on a nearby remote takes tens of ms: poll often. A longer wait means a
                # slow remote (GitHub takes a second or more per push), where 20–50 ms more per
                # hand-over is noise and a query every 4 ms would only load the database.
                time.sleep(self.poll if waited < 0.2 else 0.02 if waited < 1.0 else 0.05)
        except StorageUnavailable as exc:
            self._degrade(exc)

    def _end(self, turn: int) -> None:
        try:
            self.db.end_turn(turn, _now())
        except StorageUnavailable as exc:  # the lease ends it for us
            self._degrade(exc)

    def _degrade(self, exc: Exception) -> None:
        if not self._warned.is_set():
            self._warned.set()
            log.warning("write turns unavailable (%s); instances race their pushes instead", exc)
