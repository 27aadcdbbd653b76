"""The day's standup digest: one post in the day's thread at BATCHBOT_DIGEST_TIME.

Answered N of M (M counts only people expected today: time off, skips and holidays are
left out), who is missing by name, and the blockers written in today's standups. Posted
once per team day through the once-only claim ``standup-digest`` (key: the date), so
restarts, several instances and ``batchbot jobs run standup-digest`` never post twice.
A run after the digest time but on the same team day still posts (catch-up after a restart).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.db import Database
from bot.jobresult import JobResult
from bot.messenger import Messenger
from bot.people.names import UNKNOWN
from bot.render.digest_blocks import DigestFacts, digest_blocks, digest_text
from bot.standup.answers import Answers
from bot.standup.config import ConfigSource, as_utc, fmt_utc
from bot.standup.days import Days
from bot.standup.part import StandupPart
from bot.standup.people import People
from bot.standup.prompts import process_owner
from bot.standup.schedule import prompt_instant, to_zone
from bot.standup.sentences import mentions_blocker

__all__ = ["DIGEST_CLAIM", "DIGEST_JOB_NAME", "Digest"]

log = logging.getLogger("batchbot.standup")

#: ``batchbot jobs run standup-digest``; also the claim job name.
DIGEST_JOB_NAME = "standup-digest"
DIGEST_CLAIM = "standup-digest"


class Digest(StandupPart):
    """Composes and posts the day's digest, once."""

    def __init__(
        self,
        *,
        db: Database,
        messenger: Messenger,
        config: ConfigSource,
        clock: Callable[[], datetime],
        people: People,
        days: Days,
        answers: Answers,
        owner: str | None = None,
    ) -> None:
        super().__init__(db=db, messenger=messenger, config=config, clock=clock)
        self.people = people
        self.days = days
        self.answers = answers
        self.owner = owner or process_owner()

    def facts(self, at: datetime) -> DigestFacts:
        """What the digest for the team's day at ``at`` says (no posting, no claim)."""
        day = as_utc(at, "at").astimezone(to_zone(self.config.timezone)).date()
        team = self.people.team_members()
        away = self.days.away(day)
        expected = [u for u in team if u not in away]
        records = self.db.standups_between(day, day, program=self.program)
        answered = {r.user_id for r in records}
        return DigestFacts(
            day=day,
            answered=sum(1 for u in expected if u in answered),
            expected=len(expected),
            missing=tuple(self.people.display_name(u) for u in expected if u not in answered),
            off=len(team) - len(expected),
            blockers=tuple(
                (_named(self.people.display_name(r.user_id), r.user_name), r.text)
                for r in records
                if mentions_blocker(r.text)
            ),
        )

    def run(self, at: datetime, force: bool = False) -> JobResult:
        """Post the digest when it is due at ``at``; safe to call every few minutes."""
        at = as_utc(at, "at")
        zone = to_zone(self.config.timezone)
        day = at.astimezone(zone).date()
        channel = self.config.standup_channel
        if not channel:
            return JobResult(
                DIGEST_JOB_NAME,
                "no standup channel (a lead sets one: /batch settings standup_channel=#channel)",
            )
        if not self.days.is_workday(day):
            return JobResult(DIGEST_JOB_NAME, f"{day} is not a workday", skipped=1)
        due = prompt_instant(day, self.config.digest_time, zone)
        if at < due:
            return JobResult(DIGEST_JOB_NAME, f"not due before {fmt_utc(due)}")
        key = day.isoformat()
        if force:
            self.db.release(DIGEST_CLAIM, key, self.program)
        now = self._now()
        if not self.db.claim(DIGEST_CLAIM, key, due, now, self.owner, self.program):
            return JobResult(DIGEST_JOB_NAME, f"{day}: already posted", skipped=1)
        try:
            facts = self.facts(at)
            thread_ts = self.answers.day_thread(day, channel)
            posted = self.messenger.post(
                channel,
                digest_text(facts, self.shown_as),
                digest_blocks(facts, self.shown_as),
                thread_ts=thread_ts,
            )
        except Exception as exc:  # any failure frees the claim so the next tick retries
            log.error("standup digest for %s failed (%s); the next tick retries", day, exc)
            self.db.finish(
                DIGEST_CLAIM, key, "failed", f"{type(exc).__name__}: {exc}"[:1000], self.program
            )
            self.db.release(DIGEST_CLAIM, key, self.program)
            return JobResult(DIGEST_JOB_NAME, f"{day}: failed ({exc})", failed=1)
        self.db.finish(DIGEST_CLAIM, key, "done", f"{posted.channel}:{posted.ts}", self.program)
        summary = f"{day}: answered {facts.answered} of {facts.expected}, posted in the thread"
        return JobResult(DIGEST_JOB_NAME, summary, sent=1)

    def next_run(self, after: datetime) -> datetime | None:
        """The next digest instant after ``after`` (for ``jobs list``), within two weeks."""
        zone = to_zone(self.config.timezone)
        local = as_utc(after, "after").astimezone(zone).date()
        for n in range(15):
            day = local + timedelta(days=n)
            if not self.days.is_workday(day):
                continue
            when = prompt_instant(day, self.config.digest_time, zone)
            if when > after:
                return when
        return None


def _named(current: str, stored: str) -> str:
    """The person's name today, else the one their standup was stored under."""
    return stored if current == UNKNOWN and stored else current
