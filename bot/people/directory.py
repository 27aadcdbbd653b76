"""The people directory: every Slack id the bot shows, as a name, from one cache.

Why a database cache: a reply names up to dozens of people (owners, the missing list, time
off) and several instances answer for one workspace, while Slack's ``users.info`` allows about
a hundred calls a minute. So names live in the ``users`` table for a day (`max_age`), are
replaced at once when Slack sends ``user_change``, and are looked up only when missing or old:
at most once per id at a time (concurrent replies wait for the one lookup), never while the
chat system asks us to wait, and never blocking on a rate limit — a stale name, or
`UNKNOWN` when there is none, is shown instead and the lookup is tried again later.

`lookup` is the chat system's ``users.info`` (the Slack messenger's); None (the CLI) reads the
cache only. Nothing here imports Slack.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.db import Database, UserRecord
from bot.errors import StorageUnavailable
from bot.messenger import MessengerError, RateLimited, UserInfo
from bot.people.names import UNKNOWN
from bot.slackids import is_user_id

__all__ = ["Directory"]

log = logging.getLogger("batchbot.people")

Lookup = Callable[[str], UserInfo | None]


class Directory:
    """`Names` backed by the users cache and, when given, the chat system. Thread-safe."""

    #: A cached name is looked up again when older than this (user_change refreshes sooner).
    max_age: timedelta = timedelta(hours=24)
    #: After a failed lookup (Slack down, 429), this id is not asked about again for this long.
    retry_failed_after: timedelta = timedelta(minutes=1)
    #: How long a reply waits for another thread's lookup of the same person.
    wait_for_lookup_seconds: float = 6.0

    def __init__(
        self,
        *,
        db: Database | None,
        clock: Callable[[], datetime],
        lookup: Lookup | None = None,
        default_tz: str = "UTC",
        given: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        self.db = db
        # Names the team wrote down (the plan's `[team] people`): what is shown when neither
        # the cache nor the chat system knows a name (the CLI, the shell, a 429).
        self.given = given
        self.clock = clock
        self.lookup = lookup
        self.default_tz = default_tz
        self._lock = threading.Lock()
        self._inflight: dict[str, threading.Event] = {}
        self._failed: dict[str, datetime] = {}  # id → when its last lookup failed
        self._missing: dict[str, datetime] = {}  # id → when Slack said "no such user"
        self._pause_until: datetime | None = None  # Retry-After from a 429

    # -- Names -----------------------------------------------------------------------------

    def name(self, user_id: str) -> str:
        return self.names([user_id]).get(user_id, UNKNOWN)

    def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        ids = [u for u in dict.fromkeys(user_ids) if u]
        cached = self._cached([u for u in ids if is_user_id(u)])
        out: dict[str, str] = {}
        for uid in ids:
            record = cached.get(uid)
            if record is not None and self._fresh(record) and record.shown_name:
                out[uid] = record.shown_name
                continue
            out[uid] = self._refreshed(uid, record) if is_user_id(uid) else UNKNOWN
        unknown = [u for u, n in out.items() if n == UNKNOWN]
        if unknown and self.given is not None:
            try:
                written = self.given()
            except Exception as exc:  # an unreadable plan costs a name, not the reply
                log.warning("the plan's people could not be read (%s)", exc)
                written = {}
            out.update({u: written[u] for u in unknown if written.get(u)})
        return out

    # -- kept current by the chat system ---------------------------------------------------

    def remember(self, info: UserInfo) -> None:
        """A profile Slack sent (``user_change``): cache it now, whatever its age."""
        if not is_user_id(info.user_id):
            return
        now = self.clock()
        with self._lock:
            self._failed.pop(info.user_id, None)
            self._missing.pop(info.user_id, None)
        self._store(info, now)

    def record(self, user_id: str) -> UserRecord | None:
        """The cached profile (any age), for callers that want the time zone too."""
        return self._cached([user_id]).get(user_id)

    # -- inside ----------------------------------------------------------------------------

    def _fresh(self, record: UserRecord) -> bool:
        return self.clock() - record.fetched_at < self.max_age

    def _cached(self, ids: list[str]) -> dict[str, UserRecord]:
        if self.db is None or not ids:
            return {}
        try:
            return self.db.get_users(ids)
        except StorageUnavailable as exc:  # a name is a nicety: the reply still goes out
            log.warning("users cache unreadable (%s); names from Slack only", exc)
            return {}

    def _stale(self, record: UserRecord | None) -> str:
        return (record.shown_name if record else "") or UNKNOWN

    def _refreshed(self, uid: str, record: UserRecord | None) -> str:
        """Look `uid` up when allowed; else (or on failure) the stale name or UNKNOWN."""
        if self.lookup is None:
            return self._stale(record)
        now = self.clock()
        with self._lock:
            if self._pause_until is not None and now < self._pause_until:
                return self._stale(record)
            missing_at = self._missing.get(uid)
            if missing_at is not None and now - missing_at < self.max_age:
                return self._stale(record)
            failed_at = self._failed.get(uid)
            if failed_at is not None and now - failed_at < self.retry_failed_after:
                return self._stale(record)
            waiting = self._inflight.get(uid)
            if waiting is None:
                self._inflight[uid] = threading.Event()
        if waiting is not None:  # another reply is asking about the same person: share it
            waiting.wait(self.wait_for_lookup_seconds)
            return self._stale(self._cached([uid]).get(uid) or record)
        try:
            again = self._cached([uid]).get(uid)  # another reply may have just asked for us
            if again is not None and self._fresh(again):
                return again.shown_name or UNKNOWN
            return self._ask(uid, again or record, now)
        finally:
            with self._lock:
                done = self._inflight.pop(uid, None)
            if done is not None:
                done.set()

    def _ask(self, uid: str, record: UserRecord | None, now: datetime) -> str:
        assert self.lookup is not None
        try:
            info = self.lookup(uid)
        except RateLimited as exc:
            with self._lock:
                self._pause_until = now + timedelta(seconds=max(1.0, exc.retry_after))
                self._failed[uid] = now
            return self._stale(record)
        except MessengerError as exc:
            log.warning("name of %s not looked up (%s); showing the cached one", uid, exc)
            with self._lock:
                self._failed[uid] = now
            return self._stale(record)
        if info is None:
            with self._lock:
                self._missing[uid] = now
            return self._stale(record)
        with self._lock:
            self._failed.pop(uid, None)
        stored = self._store(info, now)
        return (stored.shown_name if stored else "") or _shown(info) or UNKNOWN

    def _store(self, info: UserInfo, now: datetime) -> UserRecord | None:
        if self.db is None:
            return None
        tz = info.tz if valid_zone(info.tz) else self.default_tz
        try:
            return self.db.upsert_user(
                info.user_id, info.name, info.real_name, tz, now, info.display_name
            )
        except StorageUnavailable as exc:
            log.warning("name of %s not cached (%s)", info.user_id, exc)
            return None


def _shown(info: UserInfo) -> str:
    return info.display_name or info.real_name or info.name


def valid_zone(name: str | None) -> bool:
    """Slack's `tz` is used only when zoneinfo knows it (else the team's zone stands)."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
