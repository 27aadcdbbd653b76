"""Answers: check a standup against the rules, store it, and show it in the day's thread.

Every way of answering ends here — a DM, the form, ``/batch standup <text>`` in Slack, the
shell or the CLI — so the rules and the posting are the same for all of them.

Once-only record used here: claim ``standup-thread``, key ``"{channel}:{date}"`` — who posts
the day's parent message in the standup channel.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import cast

from bot.db import STANDUP_SOURCES, Database, StandupRecord, StandupSource
from bot.errors import StorageUnavailable
from bot.messenger import Messenger, MessengerError
from bot.people.names import UNKNOWN
from bot.render.standup_blocks import (
    day_thread_blocks,
    day_thread_text,
    standup_reply_blocks,
    standup_reply_text,
)
from bot.replies import ErrorView, Reply, TextView
from bot.standup.config import ConfigSource
from bot.standup.days import Days
from bot.standup.part import StandupPart
from bot.standup.people import People
from bot.standup.prompts import process_owner
from bot.standup.schedule import day_label
from bot.standup.sentences import check_standup

__all__ = ["THREAD_JOB", "Answers", "DayThreadBusy"]

log = logging.getLogger("batchbot.standup")

#: Claim job for "who posts the day's parent message in the standup channel".
THREAD_JOB = "standup-thread"


class DayThreadBusy(MessengerError):
    """Another process holds the day-thread claim and did not finish in time."""


class Answers(StandupPart):
    """Takes answers and posts them, once, in the day's thread. Thread-safe."""

    #: How long a process that lost the day-thread claim waits for the winner's ts.
    thread_wait_seconds: float = 10.0
    #: A day-thread claim still "claimed" after this long belongs to a crashed process.
    thread_stale_after: timedelta = timedelta(minutes=5)

    def __init__(
        self,
        *,
        db: Database,
        messenger: Messenger,
        config: ConfigSource,
        clock: Callable[[], datetime],
        people: People,
        owner: str | None = None,
        days: Days | None = None,
    ) -> None:
        super().__init__(db=db, messenger=messenger, config=config, clock=clock)
        self.people = people
        self.owner = owner or process_owner()
        self.days = days

    def submit(
        self,
        user_id: str,
        user_name: str,
        text: str,
        source: str,
        *,
        local_date: date | None = None,
        day: date | None = None,
    ) -> Reply:
        """Check, store and post one update. Refused text is quoted back and nothing stored.

        ``local_date`` (from the modal's metadata) files an answer under the day it was
        prompted for, when that is today or yesterday in the person's zone; otherwise today.
        ``day`` files it under that day as given (the answer of a person in several programs
        is filed under one day in each, see `bot.standup.programs`).
        """
        if source not in STANDUP_SOURCES:
            raise ValueError(f"unknown standup source {source!r}; one of {STANDUP_SOURCES}")
        text = text.strip()
        check = check_standup(text)
        if not check.ok:
            return _not_saved(f"Standup not saved. {check.reason}", text)
        now = self._now()
        try:
            day = day or self.answer_day(user_id, local_date)
            name = self.people.display_name(user_id)  # one name per person, whatever the edge
            if name == UNKNOWN:
                name = user_name.strip() or name
            record, replaced = self.db.save_standup(
                user_id, name, day, text, now, cast(StandupSource, source), program=self.program
            )
        except StorageUnavailable as exc:
            log.error("standup of %s not saved: %s", user_id, exc)
            return _not_saved(f"Standup not saved, try again: {exc}.", text)
        posted = self.publish(record)
        title = f"{'Replaced' if replaced else 'Saved'} your standup for {day_label(day)}"
        return Reply(TextView(title, (posted,)))

    def answer_day(self, user_id: str, local_date: date | None = None) -> date:
        """The workday an answer written now files under (see `submit`)."""
        today = self._now().astimezone(self.people.zone_of(user_id)).date()
        day = today
        if local_date is not None and today - timedelta(days=1) <= local_date <= today:
            day = local_date
        return self._workday_for(day)

    def written_on(self, user_id: str, sent_ts: str) -> date:
        """The day, in the person's zone, a DM with Slack timestamp `sent_ts` was written."""
        try:
            sent = datetime.fromtimestamp(float(sent_ts), UTC)
        except (TypeError, ValueError, OverflowError):
            sent = self._now()
        return sent.astimezone(self.people.zone_of(user_id)).date()

    def _workday_for(self, day: date) -> date:
        """The team workday an answer written on `day` belongs to: `day` itself, or after a
        weekend or holiday the next workday — a Saturday DM is Monday's standup, posted in
        Monday's thread; no "Daily standup — Sat 5 Dec" thread is ever opened."""
        if self.days is None:
            return day
        for ahead in range(15):  # the team's workdays hold at least one day a week
            candidate = day + timedelta(days=ahead)
            if self.days.is_workday(candidate):
                return candidate
        return day

    def edit_dm(self, user_id: str, new_text: str, old_text: str, sent_ts: str) -> Reply | None:
        """A DM answer edited in Slack (``message_changed``): the edit becomes the answer.

        The DM's own timestamp (``sent_ts``, kept by Slack through edits) says which day it
        answered, in the person's zone. The stored answer changes, and its channel post is
        updated in place, only when the new text passes the rules and the message edited is
        still that day's answer; otherwise the person is told why and the old one stays.
        An edit that leaves the text as it was (Slack adds a link preview) says nothing.
        """
        new_text, old_text = new_text.strip(), old_text.strip()
        now = self._now()
        try:
            zone = self.people.zone_of(user_id)
            written = self.written_on(user_id, sent_ts)
            day = self._workday_for(written)  # a weekend DM answered the next workday
            record = self.db.get_standup(user_id, day, self.program)
        except StorageUnavailable as exc:
            return _not_saved(f"Your edit was not saved, try again: {exc}.", new_text)
        label = day_label(day)
        if record is None:
            today = now.astimezone(zone).date()
            if not today - timedelta(days=1) <= written <= today:
                return _not_saved(
                    f"Your edit was not saved: that message is from {day_label(written)}, "
                    "too long ago to count as a standup.",
                    new_text,
                )
            # The first version was refused (or lost): the fixed text is the day's answer.
            return self.submit(user_id, "", new_text, "dm", local_date=written)
        if new_text == record.text.strip():
            return None
        if old_text and old_text != record.text.strip():
            return Reply(
                ErrorView(
                    f"Your edit was not saved: that message is no longer your standup for "
                    f"{label} (you replaced it since).",
                    f"Your standup for {label} stays:\n{record.text}\n\n"
                    f"Your edited text, so nothing is lost:\n{new_text}",
                ),
                exit_code=1,
            )
        check = check_standup(new_text)
        if not check.ok:
            return Reply(
                ErrorView(
                    f"Your edit was not saved. {check.reason}",
                    f"Your standup for {label} stays:\n{record.text}\n\n"
                    f"Your edited text, so nothing is lost:\n{new_text}",
                ),
                exit_code=1,
            )
        try:
            updated, _ = self.db.save_standup(
                user_id, record.user_name, day, new_text, now, "dm", program=self.program
            )
        except StorageUnavailable as exc:
            return _not_saved(f"Your edit was not saved, try again: {exc}.", new_text)
        posted = self.publish(updated)
        return Reply(TextView(f"Updated your standup for {label}", (posted,)))

    def publish(self, record: StandupRecord) -> str:
        """Post (or update) the record in the day thread; returns a line for the reply."""
        channel = self.config.standup_channel
        if not channel:
            return (
                "Stored only: this plan has no standup channel yet; a lead sets one with "
                "`/batch settings standup_channel=#channel`."
            )
        name = self.people.display_name(record.user_id)
        name = record.user_name if name == UNKNOWN and record.user_name else name
        text = standup_reply_text(name, record.text)
        blocks = standup_reply_blocks(name, record.text)
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
            thread_ts = self.day_thread(record.local_date, channel)
            posted = self.messenger.post(channel, text, blocks, thread_ts=thread_ts)
            self.db.set_standup_post(
                record.user_id, record.local_date, posted.channel, posted.ts, self.program
            )
        except (MessengerError, StorageUnavailable) as exc:
            log.error("standup of %s for %s not posted: %s", record.user_id, day, exc)
            return f"Saved, but posting it to the team failed ({exc}); send it again to retry."
        return f"Posted in the {day} standup thread."

    def day_thread(self, day: date, channel: str) -> str:
        """The ts of the day's parent message, posting it exactly once across processes."""
        ts = self.db.get_day_thread(day, channel, self.program)
        if ts:
            return ts
        key = f"{channel}:{day.isoformat()}"
        deadline = _time.monotonic() + self.thread_wait_seconds
        while True:
            now = self._now()
            if self.db.claim(THREAD_JOB, key, now, now, self.owner, self.program):
                try:
                    posted = self.messenger.post(
                        channel,
                        day_thread_text(day, self.shown_as),
                        day_thread_blocks(day, self.shown_as),
                    )
                except Exception as exc:
                    self.db.finish(THREAD_JOB, key, "failed", f"{exc}"[:1000], self.program)
                    self.db.release(THREAD_JOB, key, self.program)
                    raise
                self.db.set_day_thread(day, channel, posted.ts, self.program)
                self.db.finish(THREAD_JOB, key, "done", posted.ts, self.program)
                return posted.ts
            # Someone else won the claim: wait for the ts they record.
            while True:
                ts = self.db.get_day_thread(day, channel, self.program)
                if ts:
                    return ts
                claim = self.db.get_claim(THREAD_JOB, key, self.program)
                if claim is None:
                    break  # the winner failed and released it: try to claim again
                age = self._now() - claim.claimed_at
                if claim.status == "claimed" and age > self.thread_stale_after:
                    log.warning(
                        "day-thread claim %s by %s is stale; retaking", key, claim.claimed_by
                    )
                    self.db.release(THREAD_JOB, key, self.program)
                    break
                if _time.monotonic() >= deadline:
                    raise DayThreadBusy(
                        f"the {day_label(day)} thread is being posted by {claim.claimed_by}; "
                        f"no message after {self.thread_wait_seconds:g}s"
                    )
                _time.sleep(0.05)
            if _time.monotonic() >= deadline:
                raise DayThreadBusy(f"could not post the {day_label(day)} thread in time")


def _not_saved(message: str, text: str) -> Reply:
    """An answer that was not stored, quoting the person's text so nothing is lost."""
    return Reply(
        ErrorView(message, "Your text, so nothing is lost:\n" + text if text else ""),
        exit_code=1,
    )
