"""The plan's tip in the shared database, so every instance reads a write acked on any other.

Why: in remote mode each instance serves the plan from its own clone, refreshed every
`BATCHBOT_SYNC_SECONDS` (30 s) or by a webhook. A person whose update was acked by instance A
and whose next `/batch status` lands on instance B saw their old value for up to 30 s
(issue 19 item 5). Polling git every second would cost every instance a fetch a second; the
database the instances already share is cheaper: the instance that pushes writes the new tip
there (one row), and an instance about to answer a read compares that row with the tip it
serves and fetches only when they differ.

Like the write turns, this is only about freshness, never about correctness: a database that
is down means reads are as fresh as the sync interval makes them, and nothing is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.db import Database

log = logging.getLogger("batchbot.tips")

__all__ = ["DatabaseTips"]


class DatabaseTips:
    """Plans' tips (a plan: remote, branch, file) as the last instance to push each saw it."""

    def __init__(self, db: Database, *, fresh_for: float = 0.0) -> None:
        self.db = db
        # A read within `fresh_for` seconds of the last look reuses it. Off by default: any
        # window lets a read that starts after a write was acked miss it, and the query is
        # cheap (≈ 0.6 ms on SQLite, 1.5 ms on PostgreSQL, on a busy 2-core host).
        self.fresh_for = fresh_for
        self._seen: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()
        self._warned = threading.Event()

    def publish(self, plan: str, sha: str) -> None:
        """Record `sha` as the tip of `plan` we just pushed."""
        with self._lock:
            self._seen[plan] = (time.monotonic(), sha)
        try:
            self.db.set_plan_tip(plan, sha, dt.datetime.now(dt.UTC))
        except Exception as exc:  # freshness only: never fail a write that landed
            self._degrade(exc)

    def latest(self, plan: str) -> str | None:
        """The tip of `plan` the last push recorded; None when none was or the database is
        down."""
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(plan)
            if seen is not None and now - seen[0] < self.fresh_for:
                return seen[1]
        try:
            sha = self.db.plan_tip(plan)
        except Exception as exc:  # freshness only: never fail a read
            self._degrade(exc)
            sha = None
        with self._lock:
            self._seen[plan] = (now, sha)
        return sha

    def _degrade(self, exc: Exception) -> None:
        if not self._warned.is_set():
            self._warned.set()
            log.warning("the plan's tip cannot be shared (%s); reads lag up to the sync", exc)
