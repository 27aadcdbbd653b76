"""Who is on the team, where they are, and what they are called — cached, because the
prompt job asks every minute and Slack's ``users.info`` should be asked about once a day.

Nothing here decides *when* anyone is asked (``prompts``) or stores answers (``answers``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, tzinfo

from bot.db import Database, UserRecord
from bot.messenger import Messenger, MessengerError
from bot.people.directory import Directory, valid_zone
from bot.slackids import is_user_id
from bot.standup.config import ConfigSource
from bot.standup.part import StandupPart
from bot.standup.schedule import to_zone

__all__ = ["People"]

log = logging.getLogger("batchbot.standup")


class People(StandupPart):
    """Profiles (time zones), display names and team membership. Thread-safe."""

    #: Cached Slack profiles (time zones) are refreshed when older than this.
    profile_max_age: timedelta = timedelta(days=1)
    #: After a failed profile lookup, the cached profile is used this long before retrying.
    lookup_retry_after: timedelta = timedelta(minutes=15)
    #: Members of BATCHBOT_TEAM_CHANNEL are re-read when the cached list is older than this.
    members_max_age: timedelta = timedelta(minutes=10)

    def __init__(
        self,
        *,
        db: Database,
        messenger: Messenger,
        config: ConfigSource,
        clock: Callable[[], datetime],
        names: Directory | None = None,
    ) -> None:
        super().__init__(db=db, messenger=messenger, config=config, clock=clock)
        self.names = names or Directory(
            db=db, clock=clock, lookup=messenger.user_info, default_tz=self.config.timezone
        )
        self._lock = threading.Lock()
        self._members: tuple[datetime, list[str]] | None = None
        self._profiles: dict[str, UserRecord] = {}
        self._lookup_failed: dict[str, datetime] = {}
        #: the other programs' people (`bot.standup.programs` links them): a person's time
        #: zone written in one program's plan holds in every program.
        self.others: Callable[[], Sequence[People]] = tuple

    def display_name(self, user_id: str) -> str:
        """A person's name as Slack shows it (display name, real name, user name), from the
        people directory: cached, looked up when missing or a day old, never the raw id."""
        return self.names.name(user_id)

    def known_names(self, user_id: str) -> set[str]:
        """Every name the users cache knows this person by, lower-cased (for ``@name``)."""
        user = self.db.get_user(user_id)
        if user is None:
            return set()
        return {n.lower() for n in (user.name, user.real_name, user.display_name) if n}

    def forget(self, user_id: str) -> None:
        """Drop the profile kept in memory (Slack said it changed: ``user_change``)."""
        with self._lock:
            self._profiles.pop(user_id, None)
            self._lookup_failed.pop(user_id, None)

    def profile(self, user_id: str) -> UserRecord | None:
        """The cached profile, refreshed from chat when older than a day.

        None means "not a person to prompt" (unknown, deleted or a bot). When the chat
        lookup fails, the stale cache (or the team's zone) is used and the failure logged,
        so one flaky ``users.info`` does not cost anyone their prompt.
        """
        now = self._now()
        with self._lock:
            cached = self._profiles.get(user_id)
        if cached is None or now - cached.fetched_at >= self.profile_max_age:
            cached = self.db.get_user(user_id)
        if cached is not None and now - cached.fetched_at < self.profile_max_age:
            with self._lock:
                self._profiles[user_id] = cached
            return cached
        if not is_user_id(user_id):
            return cached
        with self._lock:
            failed_at = self._lookup_failed.get(user_id)
        if cached is not None and failed_at and now - failed_at < self.lookup_retry_after:
            return cached
        try:
            info = self.messenger.user_info(user_id)
        except MessengerError as exc:
            log.warning("users.info for %s failed (%s); using the cached time zone", user_id, exc)
            with self._lock:
                self._lookup_failed[user_id] = now
            if cached is not None:
                return cached
            return UserRecord(user_id, "", "", self.config.timezone, now)
        if info is None and cached is not None:
            # Some adapters answer None for any failed lookup: keep a known person on the
            # team with their last known zone rather than drop their prompt silently.
            log.warning("users.info for %s gave nothing; using the cached profile", user_id)
            with self._lock:
                self._lookup_failed[user_id] = now
            return cached
        if info is None or getattr(info, "is_bot", False) or getattr(info, "deleted", False):
            return None
        tz = info.tz if valid_zone(info.tz) else self.config.timezone
        record = self.db.upsert_user(
            user_id, info.name, info.real_name, tz, now, getattr(info, "display_name", "")
        )
        with self._lock:
            self._profiles[user_id] = record
        return record

    def zone_of(self, user_id: str) -> tzinfo:
        """The person's zone: the plan's `tz` for them, else their profile's, else the team's."""
        config = self.config
        for people in (self, *self.others()):  # the person's tz, written in any program
            if user_id in people.config.zones:
                return to_zone(people.config.zones[user_id], config.timezone)
        profile = self.profile(user_id)
        return to_zone(profile.tz if profile else None, config.timezone)

    def local_today(self, user_id: str) -> date:
        """Today's date where this person is (their Slack zone, else the team's)."""
        return self._now().astimezone(self.zone_of(user_id)).date()

    def team_members(self) -> list[str]:
        """Who gets prompted: BATCHBOT_TEAM, else the members of BATCHBOT_TEAM_CHANNEL.

        Channel members are cached for ``members_max_age``; the bot itself is left out.
        """
        ids: list[str]
        config = self.config
        if config.team:
            ids = list(config.team)
        elif config.team_channel:
            now = self._now()
            with self._lock:
                cached = self._members
            if cached is not None and now - cached[0] < self.members_max_age:
                ids = cached[1]
            else:
                try:
                    ids = list(self.messenger.channel_members(config.team_channel))
                except MessengerError as exc:
                    log.error("members of %s could not be read (%s)", config.team_channel, exc)
                    ids = cached[1] if cached is not None else []
                else:
                    with self._lock:
                        self._members = (now, ids)
        else:
            ids = []
        bot = getattr(self.messenger, "bot_user_id", None)
        return [u for u in dict.fromkeys(ids) if u != bot and not u.startswith("B")]
