"""Daily standups: prompt each person in their own morning, take the answer, show it to the team.

``StandupService`` is the one place the standup rules live. Every edge goes through it:
``/batch standup …`` (Slack, shell, CLI) through ``command``, the DM listener and the modal
through ``submit``, the scheduler and ``batchbot jobs run`` through ``run_prompts`` /
``run_reminders``, the weekly report through ``week_standups``.

It imports nothing from Slack or APScheduler: chat goes through the ``Messenger`` protocol,
time comes from the injected clock (or the ``at`` a job is run for), state lives in
``Database``. Whether something already happened is never remembered in memory or in a
scheduler's job store: it is a row in the database, taken with ``Database.claim`` so that
restarts, a second process and a hand-run ``jobs run`` all agree.

Once-only records (claims) used here:

* ``standup-prompt`` / ``standup-reminder``, key ``prompt_key(user, local date)``: status
  ``done`` (detail = ``channel:ts`` of the DM), or ``failed`` with detail ``missed: …`` when
  the bot was down for the whole prompt window (logged once, never sent). A DM that fails is
  logged, marked failed and released, so the next tick retries it.
* ``standup-thread``, key ``"{channel}:{date}"``: who posts the day's parent message.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time as _time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commands import Command
from bot.db import (
    PROMPT_JOB,
    REMINDER_JOB,
    STANDUP_SOURCES,
    ClaimRecord,
    Database,
    StandupRecord,
    StandupSource,
    UserRecord,
    prompt_key,
)
from bot.jobresult import JobResult
from bot.messenger import Messenger, MessengerError
from bot.render.standup_blocks import (
    day_thread_blocks,
    day_thread_text,
    prompt_blocks,
    prompt_text,
    reminder_blocks,
    reminder_text,
    standup_modal,
    standup_reply_blocks,
    standup_reply_text,
)
from bot.replies import ErrorView, OpenModal, Reply, StandupListView, TextView
from bot.settings import Settings
from bot.slackids import is_user_id, mention
from bot.standup.schedule import (
    MIN_WINDOW,
    day_label,
    is_workday,
    next_prompt_instants,
    prompt_instant,
    prompt_window,
    to_zone,
)
from bot.standup.sentences import check_standup

__all__ = [
    "PROMPTS_JOB_NAME",
    "REMINDERS_JOB_NAME",
    "THREAD_JOB",
    "DayThreadBusy",
    "StandupService",
]

log = logging.getLogger("batchbot.standup")

#: Names of the scheduled jobs (``batchbot jobs run <name>``).
PROMPTS_JOB_NAME = "standup-prompts"
REMINDERS_JOB_NAME = "standup-reminders"
#: Claim job for "who posts the day's parent message in the standup channel".
THREAD_JOB = "standup-thread"

USAGE = (
    "/batch standup <2–3 sentences> — today's update (again the same day replaces it)",
    "/batch standup list [@user|YYYY-MM-DD] — past updates (default: your last 10)",
    "/batch standup skip [until YYYY-MM-DD] — no prompts or reminders today (or through then)",
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LOCAL_USER = "local"


class DayThreadBusy(MessengerError):
    """Another process holds the day-thread claim and did not finish in time."""


def _utc(value: datetime, name: str = "time") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")
    return value.astimezone(UTC)


def _fmt_utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


class StandupService:
    """The standup core. Thread-safe: the scheduler, Slack listeners and the shell share one.

    Class attributes are the knobs tests and benches may tune on an instance.
    """

    #: How long a process that lost the day-thread claim waits for the winner's ts.
    thread_wait_seconds: float = 10.0
    #: A day-thread claim still "claimed" after this long belongs to a crashed process.
    thread_stale_after: timedelta = timedelta(minutes=5)
    #: Cached Slack profiles (time zones) are refreshed when older than this.
    profile_max_age: timedelta = timedelta(days=1)
    #: After a failed profile lookup, the cached profile is used this long before retrying.
    lookup_retry_after: timedelta = timedelta(minutes=15)
    #: Members of BATCHBOT_TEAM_CHANNEL are re-read when the cached list is older than this.
    members_max_age: timedelta = timedelta(minutes=10)
    #: DMs of one tick go out on this many threads (Slack limits per channel; DMs are
    #: distinct channels, so a small pool keeps a 50-person team well inside a minute).
    send_workers: int = 4
    #: ``standup list`` shows this many updates.
    list_limit: int = 10
    #: ``standup skip until`` reaches at most this many days ahead.
    max_skip_days: int = 60

    def __init__(
        self,
        *,
        db: Database,
        messenger: Messenger,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.messenger = messenger
        self.settings = settings
        self.clock = clock
        # Distinct per service instance, so two services in one process (tests) or two
        # processes on one host are told apart in the claims table.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._lock = threading.Lock()
        self._members: tuple[datetime, list[str]] | None = None
        # Facts that never revert, remembered so a tick every minute stays a handful of
        # queries: (job, key) whose claim is done or missed, ("answered", key), profiles.
        self._settled: set[tuple[str, str]] = set()
        self._profiles: dict[str, UserRecord] = {}
        self._lookup_failed: dict[str, datetime] = {}

    # ------------------------------------------------------------------ basics

    def _now(self) -> datetime:
        return _utc(self.clock(), "clock()")

    @property
    def _grace(self) -> timedelta:
        return timedelta(minutes=self.settings.prompt_grace_minutes)

    def _fallback_zone(self) -> tzinfo:
        return to_zone(self.settings.timezone)

    def _is_workday(self, day: date) -> bool:
        return is_workday(day, self.settings.workday_numbers, self.settings.holiday_dates)

    def display_name(self, user_id: str) -> str:
        """A person's name from the users cache (real name first), else the id itself."""
        user = self.db.get_user(user_id)
        if user is None:
            return user_id
        return user.real_name or user.name or user_id

    def week_standups(self, start: date, end: date) -> list[StandupRecord]:
        """Everyone's updates from ``start`` to ``end`` inclusive, by date then person."""
        return self.db.standups_between(start, end)

    # ------------------------------------------------------------------ people

    def _profile(self, user_id: str) -> UserRecord | None:
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
            return UserRecord(user_id, user_id, "", self.settings.timezone, now)
        if info is None and cached is not None:
            # Some adapters answer None for any failed lookup: keep a known person on the
            # team with their last known zone rather than drop their prompt silently.
            log.warning("users.info for %s gave nothing; using the cached profile", user_id)
            with self._lock:
                self._lookup_failed[user_id] = now
            return cached
        if info is None or getattr(info, "is_bot", False) or getattr(info, "deleted", False):
            return None
        tz = info.tz if _valid_zone(info.tz) else self.settings.timezone
        record = self.db.upsert_user(user_id, info.name, info.real_name, tz, now)
        with self._lock:
            self._profiles[user_id] = record
        return record

    def _is_settled(self, job: str, key: str) -> bool:
        with self._lock:
            return (job, key) in self._settled

    def _settle(self, job: str, key: str) -> None:
        with self._lock:
            if len(self._settled) > 100_000:  # a year of a big team; start over
                self._settled.clear()
            self._settled.add((job, key))

    def _claim_of(self, job: str, key: str) -> ClaimRecord | None:
        """The claim row; a finished one (done, or missed) is remembered as settled."""
        claim = self.db.get_claim(job, key)
        if claim is not None and (claim.status == "done" or claim.detail.startswith("missed")):
            self._settle(job, key)
        return claim

    def _answered(self, user_id: str, day: date) -> bool:
        key = prompt_key(user_id, day)
        if self._is_settled("answered", key):
            return True
        if self.db.get_standup(user_id, day) is None:
            return False
        self._settle("answered", key)
        return True

    def _zone_of(self, user_id: str) -> tzinfo:
        profile = self._profile(user_id)
        return to_zone(profile.tz if profile else None, self.settings.timezone)

    def local_today(self, user_id: str) -> date:
        """Today's date where this person is (their Slack zone, else the team's)."""
        return self._now().astimezone(self._zone_of(user_id)).date()

    def team_members(self) -> list[str]:
        """Who gets prompted: BATCHBOT_TEAM, else the members of BATCHBOT_TEAM_CHANNEL.

        Channel members are cached for ``members_max_age``; the bot itself is left out.
        """
        ids: list[str]
        if self.settings.team:
            ids = list(self.settings.team)
        elif self.settings.team_channel:
            now = self._now()
            with self._lock:
                cached = self._members
            if cached is not None and now - cached[0] < self.members_max_age:
                ids = cached[1]
            else:
                try:
                    ids = list(self.messenger.channel_members(self.settings.team_channel))
                except MessengerError as exc:
                    log.error(
                        "members of %s could not be read (%s)", self.settings.team_channel, exc
                    )
                    ids = cached[1] if cached is not None else []
                else:
                    with self._lock:
                        self._members = (now, ids)
        else:
            ids = []
        bot = getattr(self.messenger, "bot_user_id", None)
        return [u for u in dict.fromkeys(ids) if u != bot and not u.startswith("B")]

    # ------------------------------------------------------------------ jobs

    def run_prompts(self, at: datetime, force: bool = False) -> JobResult:
        """Send every prompt that is due at ``at``; safe to call every minute, and twice.

        A person is prompted for their local date when it is a workday, not a holiday,
        they are not away, have not answered yet, ``at`` lies in
        ``[standup time, standup time + grace)`` in their zone, and the once-only claim for
        (person, date) is won. ``force=True`` releases existing claims first, so people
        already prompted in the window are prompted again (for recovery by hand; the
        window, time off and answered checks still apply).

        A window that closed with no claim (the bot was down all through it) is recorded as
        a failed claim with detail ``missed: …`` and logged once; that prompt is not sent.
        """
        at = _utc(at, "at")
        why: Counter[str] = Counter()
        due: list[tuple[str, date, str]] = []
        away: dict[date, set[str]] = {}
        for user_id in self.team_members():
            profile = self._profile(user_id)
            if profile is None:
                continue
            tz = to_zone(profile.tz, self.settings.timezone)
            today = at.astimezone(tz).date()
            # A window can cross midnight (late standup time + grace): look at yesterday too.
            for day in (today, today - timedelta(days=1)):
                if not self._is_workday(day):
                    continue
                start, end = prompt_window(day, self.settings.standup_time, tz, self._grace)
                if at < start:
                    continue
                key = prompt_key(user_id, day)
                if at >= end:
                    if day == today:
                        self._note_missed(user_id, day, key, start, end, at, away)
                    continue
                settled = not force and self._is_settled(PROMPT_JOB, key)
                existing = None if settled else self._claim_of(PROMPT_JOB, key)
                if settled or (existing is not None and not force):
                    why["already prompted"] += 1
                else:
                    self._claim_if_due(
                        PROMPT_JOB,
                        key,
                        user_id,
                        day,
                        start,
                        existing,
                        away,
                        why,
                        due,
                        "already prompted",
                    )
                break
        sent, failed = self._deliver(PROMPT_JOB, due, prompt_text, prompt_blocks)
        return self._result(PROMPTS_JOB_NAME, at, sent, failed, why)

    def _note_missed(
        self,
        user_id: str,
        day: date,
        key: str,
        start: datetime,
        end: datetime,
        at: datetime,
        away: dict[date, set[str]],
    ) -> None:
        if self._is_settled(PROMPT_JOB, key) or self._claim_of(PROMPT_JOB, key) is not None:
            return
        if user_id in away.setdefault(day, self.db.away_users(day)):
            return
        if self._answered(user_id, day):
            return
        detail = (
            f"missed: nobody ran the prompt job between {_fmt_utc(start)} and {_fmt_utc(end)}"
            f" (grace {self.settings.prompt_grace_minutes} min); first noticed {_fmt_utc(at)}"
        )
        if self.db.claim(PROMPT_JOB, key, start, self._now(), self.owner):
            self.db.finish(PROMPT_JOB, key, "failed", detail)
            self._settle(PROMPT_JOB, key)
            log.warning("standup prompt for %s on %s not sent: %s", user_id, day, detail)

    def run_reminders(self, at: datetime, force: bool = False) -> JobResult:
        """Remind, once, whoever was prompted and has not answered ``reminder_hours`` later.

        Due in ``[prompt time + reminder_hours, … + grace)`` in the person's zone, only if
        the prompt for that day actually went out (claim ``done``), they have not answered
        and are not away. ``BATCHBOT_REMINDER_HOURS=0`` turns reminders off. ``force=True``
        releases existing reminder claims first (re-sends).
        """
        at = _utc(at, "at")
        hours = self.settings.reminder_hours
        if hours <= 0:
            return JobResult(REMINDERS_JOB_NAME, "reminders are off (BATCHBOT_REMINDER_HOURS=0)")
        delay = timedelta(hours=hours)
        why: Counter[str] = Counter()
        due: list[tuple[str, date, str]] = []
        away: dict[date, set[str]] = {}
        for user_id in self.team_members():
            profile = self._profile(user_id)
            if profile is None:
                continue
            tz = to_zone(profile.tz, self.settings.timezone)
            today = at.astimezone(tz).date()
            for day in (today, today - timedelta(days=1)):
                if not self._is_workday(day):
                    continue
                start = prompt_instant(day, self.settings.standup_time, tz) + delay
                if not start <= at < start + max(self._grace, MIN_WINDOW):
                    continue
                key = prompt_key(user_id, day)
                existing = None
                if not force and self._is_settled(REMINDER_JOB, key):
                    why["already reminded"] += 1
                elif (prompt := self._claim_of(PROMPT_JOB, key)) is None or (
                    prompt.status != "done"
                ):
                    why["not prompted"] += 1
                elif (existing := self._claim_of(REMINDER_JOB, key)) is not None and not force:
                    why["already reminded"] += 1
                else:
                    self._claim_if_due(
                        REMINDER_JOB,
                        key,
                        user_id,
                        day,
                        start,
                        existing,
                        away,
                        why,
                        due,
                        "already reminded",
                    )
                break
        sent, failed = self._deliver(REMINDER_JOB, due, reminder_text, reminder_blocks)
        return self._result(REMINDERS_JOB_NAME, at, sent, failed, why)

    def _claim_if_due(
        self,
        job: str,
        key: str,
        user_id: str,
        day: date,
        start: datetime,
        existing: Any,
        away: dict[date, set[str]],
        why: Any,
        due: list[tuple[str, date, str]],
        taken: str,
    ) -> None:
        """What prompts and reminders share: skip people away or already answered, then take
        the once-only claim (after releasing a forced one) — only its winner sends."""
        if user_id in away.setdefault(day, self.db.away_users(day)):
            why["away"] += 1
        elif self._answered(user_id, day):
            why["already answered"] += 1
        else:
            if existing is not None:
                self.db.release(job, key)
            if self.db.claim(job, key, start, self._now(), self.owner):
                due.append((user_id, day, key))
            else:
                why[taken] += 1

    def _deliver(
        self,
        job: str,
        items: list[tuple[str, date, str]],
        text: Callable[[date], str],
        blocks: Callable[[date], list[dict[str, Any]]],
    ) -> tuple[int, int]:
        """DM each claimed person; mark done, or log + mark failed + release (retry next tick)."""

        def one(item: tuple[str, date, str]) -> bool:
            user_id, day, key = item
            try:
                posted = self.messenger.dm(user_id, text(day), blocks(day))
            except Exception as exc:  # any failure must free the claim, or nobody retries
                log.error(
                    "%s: DM to %s for %s failed (%s); released, the next tick retries",
                    job,
                    user_id,
                    day,
                    exc,
                )
                self.db.finish(job, key, "failed", f"{type(exc).__name__}: {exc}"[:1000])
                self.db.release(job, key)
                return False
            self.db.finish(job, key, "done", f"{posted.channel}:{posted.ts}")
            self._settle(job, key)
            return True

        if len(items) <= 1 or self.send_workers <= 1:
            results = [one(item) for item in items]
        else:
            with ThreadPoolExecutor(
                max_workers=min(self.send_workers, len(items)), thread_name_prefix=job
            ) as pool:
                results = list(pool.map(one, items))
        sent = sum(results)
        return sent, len(results) - sent

    @staticmethod
    def _result(job: str, at: datetime, sent: int, failed: int, why: Counter[str]) -> JobResult:
        skipped = sum(why.values())
        reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(why.items()))
        summary = f"at {_fmt_utc(at)}: {sent} sent, {skipped} skipped" + (
            f" ({reasons})" if reasons else ""
        )
        summary += f", {failed} failed" + (" (will retry next minute)" if failed else "")
        return JobResult(job, summary, sent=sent, skipped=skipped, failed=failed)

    def next_runs(self, after: datetime, count: int = 3) -> dict[str, list[datetime]]:
        """When prompts and reminders next fall due (UTC), for ``batchbot jobs list``.

        Uses only cached time zones (no chat calls): BATCHBOT_TEAM's cached profiles, the
        cached channel members', and the team's zone.
        """
        after = _utc(after, "after")
        ids = list(self.settings.team) or (self._members[1] if self._members else [])
        zones = {self.settings.timezone}
        for user_id in ids:
            user = self.db.get_user(user_id)
            if user is not None:
                zones.add(user.tz)
        args = (
            self.settings.standup_time,
            sorted(zones),
            self.settings.workday_numbers,
            self.settings.holiday_dates,
            count,
        )
        out = {PROMPTS_JOB_NAME: next_prompt_instants(after, *args)}
        if self.settings.reminder_hours > 0:
            delay = timedelta(hours=self.settings.reminder_hours)
            out[REMINDERS_JOB_NAME] = next_prompt_instants(after, *args, offset=delay)
        return out

    # ------------------------------------------------------------------ answering

    def submit(
        self,
        user_id: str,
        user_name: str,
        text: str,
        source: str,
        *,
        local_date: date | None = None,
    ) -> Reply:
        """Check, store and post one update. Refused text is quoted back and nothing stored.

        ``local_date`` (from the modal's metadata) files an answer under the day it was
        prompted for, when that is today or yesterday in the person's zone; otherwise today.
        """
        if source not in STANDUP_SOURCES:
            raise ValueError(f"unknown standup source {source!r}; one of {STANDUP_SOURCES}")
        text = text.strip()
        check = check_standup(text)
        if not check.ok:
            return Reply(
                ErrorView(
                    f"Standup not saved. {check.reason}",
                    "Your text, so nothing is lost:\n" + text if text else "",
                ),
                exit_code=1,
            )
        now = self._now()
        today = now.astimezone(self._zone_of(user_id)).date()
        day = today
        if local_date is not None and today - timedelta(days=1) <= local_date <= today:
            day = local_date
        name = user_name.strip() or self.display_name(user_id)
        record, replaced = self.db.save_standup(
            user_id, name, day, text, now, cast(StandupSource, source)
        )
        posted = self._publish(record)
        title = f"{'Replaced' if replaced else 'Saved'} your standup for {day_label(day)}"
        return Reply(TextView(title, (posted,)))

    def _publish(self, record: StandupRecord) -> str:
        """Post (or update) the record in the day thread; returns a line for the reply."""
        channel = self.settings.standup_channel
        if not channel:
            return "Stored only: no standup channel is configured (BATCHBOT_STANDUP_CHANNEL)."
        text = standup_reply_text(record.user_name, record.text)
        blocks = standup_reply_blocks(record.user_name, record.text)
        day = day_label(record.local_date)
        try:
            if record.channel and record.ts:
                try:
                    self.messenger.update(record.channel, record.ts, text, blocks)
                    return f"Updated your post in the {day} standup thread."
                except MessengerError as exc:
                    log.warning(
                        "could not update standup post %s/%s (%s); posting it again",
                        record.channel,
                        record.ts,
                        exc,
                    )
            thread_ts = self._day_thread(record.local_date, channel)
            posted = self.messenger.post(channel, text, blocks, thread_ts=thread_ts)
            self.db.set_standup_post(record.user_id, record.local_date, posted.channel, posted.ts)
        except MessengerError as exc:
            log.error("standup of %s for %s not posted: %s", record.user_id, day, exc)
            return f"Saved, but posting it to the team failed ({exc}); send it again to retry."
        return f"Posted in the {day} standup thread."

    def _day_thread(self, day: date, channel: str) -> str:
        """The ts of the day's parent message, posting it exactly once across processes."""
        ts = self.db.get_day_thread(day, channel)
        if ts:
            return ts
        key = f"{channel}:{day.isoformat()}"
        deadline = _time.monotonic() + self.thread_wait_seconds
        while True:
            now = self._now()
            if self.db.claim(THREAD_JOB, key, now, now, self.owner):
                try:
                    posted = self.messenger.post(
                        channel, day_thread_text(day), day_thread_blocks(day)
                    )
                except Exception as exc:
                    self.db.finish(THREAD_JOB, key, "failed", f"{exc}"[:1000])
                    self.db.release(THREAD_JOB, key)
                    raise
                self.db.set_day_thread(day, channel, posted.ts)
                self.db.finish(THREAD_JOB, key, "done", posted.ts)
                return posted.ts
            # Someone else won the claim: wait for the ts they record.
            while True:
                ts = self.db.get_day_thread(day, channel)
                if ts:
                    return ts
                claim = self.db.get_claim(THREAD_JOB, key)
                if claim is None:
                    break  # the winner failed and released it: try to claim again
                age = self._now() - claim.claimed_at
                if claim.status == "claimed" and age > self.thread_stale_after:
                    log.warning(
                        "day-thread claim %s by %s is stale; retaking", key, claim.claimed_by
                    )
                    self.db.release(THREAD_JOB, key)
                    break
                if _time.monotonic() >= deadline:
                    raise DayThreadBusy(
                        f"the {day_label(day)} thread is being posted by {claim.claimed_by}; "
                        f"no message after {self.thread_wait_seconds:g}s"
                    )
                _time.sleep(0.05)
            if _time.monotonic() >= deadline:
                raise DayThreadBusy(f"could not post the {day_label(day)} thread in time")

    def modal_view(self, user_id: str) -> dict[str, Any]:
        """The "Write standup" modal for today, pre-filled with today's answer if any."""
        day = self.local_today(user_id)
        existing = self.db.get_standup(user_id, day)
        return standup_modal(day, initial_text=existing.text if existing else "")

    # ------------------------------------------------------------------ /batch standup

    def command(self, cmd: Command, args: list[str]) -> Reply:
        """``/batch standup …``: submit, ``list`` or ``skip`` (see USAGE).

        A text that merely starts with "list" or "skip" ("Skip tests are gone. …") is a
        standup, not a subcommand, when the rest is not that subcommand's arguments.
        """
        user_id = cmd.actor.slack_id or _LOCAL_USER
        name = cmd.actor.name or user_id
        if not args:
            if cmd.origin == "slack":
                return Reply(TextView("Opening the standup form…"), modal=OpenModal("standup"))
            return self._usage("write your update after `standup`")
        head = args[0].lower()
        if head in ("help", "-h", "--help"):
            return Reply(TextView("Daily standup", USAGE))
        if head == "list" and len(args) <= 2:
            return self._list(user_id, args[1:])
        if head == "skip" and (
            len(args) == 1
            or (len(args) == 2 and _ISO_DATE.match(args[1]))
            or (len(args) == 3 and args[1].lower() == "until")
        ):
            return self._skip(user_id, args[1:])
        source = "slash" if cmd.origin == "slack" else "shell"
        return self.submit(user_id, name, _raw_text(cmd, args), source)

    @staticmethod
    def _usage(problem: str) -> Reply:
        return Reply(ErrorView(problem, "usage:\n" + "\n".join(USAGE)), exit_code=2)

    def _list(self, user_id: str, rest: list[str]) -> Reply:
        if not rest:
            records = self._recent(user_id)
            title = f"Your last {len(records)} standup{'s' if len(records) != 1 else ''}"
            if not records:
                return Reply(TextView("No standups yet", ("You have not written one yet.",)))
            return Reply(StandupListView(title, _rows(records)))
        arg = rest[0].strip()
        if _ISO_DATE.match(arg):
            try:
                day = date.fromisoformat(arg)
            except ValueError:
                return self._usage(f"{arg!r} is not a date (YYYY-MM-DD)")
            records = sorted(self.db.standups_between(day, day), key=lambda r: r.user_name.lower())
            return Reply(
                StandupListView(f"Standups for {day_label(day)} {day.year}", _rows(records))
            )
        target = self._resolve_person(arg)
        if target is None:
            return self._usage(f"no standups found for {arg!r}; name a person as @name or <@U…>")
        records = self._recent(target)
        who = records[0].user_name if records else self.display_name(target)
        return Reply(StandupListView(f"Last {len(records)} standups of {who}", _rows(records)))

    def _recent(self, user_id: str) -> list[StandupRecord]:
        dates = self.db.standup_dates(user_id, self.list_limit)
        if not dates:
            return []
        records = self.db.standups_between(min(dates), max(dates), user_id)
        return sorted(records, key=lambda r: r.local_date, reverse=True)

    def _resolve_person(self, arg: str) -> str | None:
        named = mention(arg)
        if named:
            return named[0]
        if is_user_id(arg):
            return arg
        wanted = arg.removeprefix("@").strip().lower()
        if not wanted:
            return None
        if wanted == _LOCAL_USER:
            return _LOCAL_USER
        today = self._now().date()
        recent = self.db.standups_between(today - timedelta(days=365), today + timedelta(days=2))
        for record in reversed(recent):
            user = self.db.get_user(record.user_id)
            names = {record.user_name.lower(), record.user_id.lower()}
            if user is not None:
                names |= {user.name.lower(), user.real_name.lower()}
            if wanted in names:
                return record.user_id
        return None

    def _skip(self, user_id: str, rest: list[str]) -> Reply:
        today = self.local_today(user_id)
        end = today
        if rest:
            raw = rest[-1]
            try:
                end = date.fromisoformat(raw)
            except ValueError:
                return self._usage(f"{raw!r} is not a date (YYYY-MM-DD)")
            if end < today:
                return Reply(
                    ErrorView(
                        f"{end.isoformat()} is in the past (today is {today.isoformat()}).",
                        "Give today or a later date: /batch standup skip until YYYY-MM-DD",
                    ),
                    exit_code=1,
                )
            if end > today + timedelta(days=self.max_skip_days):
                limit = today + timedelta(days=self.max_skip_days)
                return Reply(
                    ErrorView(
                        f"{end.isoformat()} is more than {self.max_skip_days} days ahead.",
                        f"Skip at most until {limit.isoformat()}; you can extend it later.",
                    ),
                    exit_code=1,
                )
        self.db.add_skip(user_id, today, end, self._now())
        span = (
            f"today ({day_label(today)})"
            if end == today
            else f"{day_label(today)} through {day_label(end)} {end.year}"
        )
        return Reply(
            TextView(
                f"Skipping standups {span}",
                ("No prompts or reminders until then. Enjoy the time off.",),
            )
        )


def _valid_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _rows(records: Iterable[StandupRecord]) -> tuple[tuple[str, str, str], ...]:
    return tuple((r.local_date.isoformat(), r.user_name, r.text) for r in records)


def _raw_text(cmd: Command, args: list[str]) -> str:
    """The update as typed, where the edge kept it; else the words joined by spaces.

    ``Command.words`` went through the /batch word splitter, which drops quotes and folds
    line breaks between words. If the edge gives the raw text (``cmd.text``), prefer it.
    """
    raw = getattr(cmd, "text", None)
    if isinstance(raw, str):
        m = re.match(r"\s*(?:/?batch\s+)?standup\b\s*", raw, flags=re.IGNORECASE)
        if m and raw[m.end() :].strip():
            return raw[m.end() :]
    return " ".join(args)
