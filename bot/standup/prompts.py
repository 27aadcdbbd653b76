"""The scheduled side of standups: the morning prompt and the one reminder, by DM.

Called every minute by the scheduler and by ``batchbot jobs run``; whether something already
happened is never remembered only in memory: it is a row in the database, taken with
``Database.claim`` so that restarts, a second process and a hand-run job all agree.

Once-only records (claims) used here:

* ``standup-prompt`` / ``standup-reminder``, key ``prompt_key(user, local date)``: status
  ``done`` (detail = ``channel:ts`` of the DM), or ``failed`` with detail ``missed: …`` when
  the bot was down for the whole prompt window (logged once, never sent). A DM that fails is
  logged, marked failed and released, so the next tick retries it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from bot.db import PROMPT_JOB, REMINDER_JOB, ClaimRecord, Database, prompt_key
from bot.jobresult import JobResult
from bot.messenger import Messenger
from bot.render.standup_blocks import prompt_blocks, prompt_text, reminder_blocks, reminder_text
from bot.standup.config import ConfigSource, StandupConfig, as_utc, fmt_utc
from bot.standup.days import Days
from bot.standup.part import StandupPart
from bot.standup.people import People
from bot.standup.schedule import MIN_WINDOW, prompt_instant, prompt_window

__all__ = ["PROMPTS_JOB_NAME", "REMINDERS_JOB_NAME", "Prompts", "Seat", "process_owner"]

log = logging.getLogger("batchbot.standup")

#: Names of the scheduled jobs (``batchbot jobs run <name>``).
PROMPTS_JOB_NAME = "standup-prompts"
REMINDERS_JOB_NAME = "standup-reminders"


def process_owner() -> str:
    """Names this process in the claims table; distinct per call, so two services in one
    process (tests) or two processes on one host are told apart."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


_Due = list[tuple[str, date, str]]


@dataclass(frozen=True)
class Seat:
    """One program a person may be prompted for: its database key, team and rules. A
    deployment with one program has one seat; `bot.standup.programs` gives the first
    program's prompts every program's seat, so a person in two is prompted once."""

    program: str
    people: People
    days: Days
    #: the program's id as people see it (`beta`); named in the prompt of someone in two.
    name: str = ""

    @property
    def config(self) -> StandupConfig:
        return self.people.config


@dataclass(frozen=True)
class _PersonDay:
    """A person's possibly-due day and the seat whose prompt time comes first that day."""

    user_id: str
    tz: tzinfo
    day: date
    today: date
    seats: tuple[Seat, ...]  # the programs that expect them that day, earliest prompt first

    def prompt_at(self, seat: Seat) -> datetime:
        return prompt_instant(self.day, seat.config.standup_time, self.tz)


#: settled-fact name: a closed prompt window that was not missed (the person was away)
NOT_MISSED = "not-missed"


class Prompts(StandupPart):
    """Sends each due prompt and reminder exactly once. Thread-safe."""

    def _team_days(self, at: datetime) -> Iterator[_PersonDay]:
        """Each person of every seat's team once, with a workday that may be due and the
        seats (programs) that expect them that day — earliest prompt time first.

        A window can cross midnight (late standup time + grace): yesterday is looked at too.
        """
        members: dict[str, list[Seat]] = {}
        for seat in self.seats():
            for user_id in seat.people.team_members():
                members.setdefault(user_id, []).append(seat)
        for user_id, seats in members.items():
            if self.people.profile(user_id) is None:
                continue
            tz = self.people.zone_of(user_id)  # the plan's tz for them, else the profile's
            today = at.astimezone(tz).date()
            for day in (today, today - timedelta(days=1)):
                due = [s for s in seats if s.days.is_workday(day, user_id)]
                if due:
                    starts = [prompt_instant(day, s.config.standup_time, tz) for s in due]
                    order = sorted(range(len(due)), key=starts.__getitem__)  # stable
                    yield _PersonDay(user_id, tz, day, today, tuple(due[i] for i in order))

    #: DMs of one tick go out on this many threads (Slack limits per channel; DMs are
    #: distinct channels, so a small pool keeps a 50-person team well inside a minute).
    send_workers: int = 4

    def __init__(
        self,
        *,
        db: Database,
        messenger: Messenger,
        config: ConfigSource,
        clock: Callable[[], datetime],
        people: People,
        days: Days,
        owner: str | None = None,
    ) -> None:
        super().__init__(db=db, messenger=messenger, config=config, clock=clock)
        self.people = people
        self.days = days
        self.owner = owner or process_owner()
        #: the programs whose teams this part prompts: its own, or every program's (linked).
        self.seats: Callable[[], Sequence[Seat]] = lambda: (Seat(self.program, people, days),)
        self._lock = threading.Lock()
        # Facts that never revert, remembered so a tick every minute stays a handful of
        # queries: (job, key) whose claim is done or missed, ("answered", key).
        self._settled: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ settled facts

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
        """Answered for `day` in any program (one answer is filed in each of theirs)."""
        key = prompt_key(user_id, day)
        if self._is_settled("answered", key):
            return True
        programs = dict.fromkeys(seat.program for seat in self.seats())
        if all(self.db.get_standup(user_id, day, p) is None for p in programs):
            return False
        self._settle("answered", key)
        return True

    # ------------------------------------------------------------------ jobs

    def run_prompts(self, at: datetime, force: bool = False) -> JobResult:
        """Send every prompt that is due at ``at``; safe to call every minute, and twice.

        A person is prompted for their local date when it is a workday, not a holiday,
        they are not away, have not answered yet, ``at`` lies in
        ``[standup time, standup time + grace)`` in their zone, and the once-only claim for
        (person, date) is won. ``force=True`` releases existing claims first, so people
        already prompted are prompted again, and it sends today's prompt even after its
        window closed (recovery by hand after an outage: `batchbot jobs run
        standup-prompts --force`); time off and answered checks still apply.

        A window that closed with no claim (the bot was down all through it) is recorded as
        a failed claim with detail ``missed: …`` and logged once; that prompt is not sent.
        """
        at = as_utc(at, "at")
        why: Counter[str] = Counter()
        due: _Due = []
        away: dict[date, set[str]] = {}
        handled: set[str] = set()  # one day per person: today's window, else yesterday's
        programs: dict[str, tuple[str, ...]] = {}  # someone in several: which
        for person in self._team_days(at):
            user_id, day, today = person.user_id, person.day, person.today
            if user_id in handled:
                continue
            first = person.seats[0]  # a person in two programs: the earlier prompt time
            start, end = prompt_window(
                day, first.config.standup_time, person.tz, first.config.grace
            )
            if at < start:
                continue
            key = prompt_key(user_id, day)
            if at >= end and not (force and day == today):
                if day == today:
                    self._note_missed(user_id, day, key, start, end, at, away)
                continue
            settled = not force and self._is_settled(PROMPT_JOB, key)
            existing = None if settled else self._claim_of(PROMPT_JOB, key)
            if settled or (existing is not None and not force):
                why["already prompted"] += 1
            else:
                self._claim_if_due(
                    PROMPT_JOB, key, user_id, day, start, existing, away, why, due,
                    "already prompted",
                )  # fmt: skip
            # Was `break`: it ended the whole round after the first person due, so in a team
            # whose members share a zone only one was prompted per tick (and, once that one
            # was "already prompted", nobody after them ever was).
            handled.add(user_id)
            if len(person.seats) > 1:
                programs[user_id] = tuple(seat.name for seat in person.seats if seat.name)

        def blocks(user_id: str, day: date) -> list[dict[str, Any]]:
            return prompt_blocks(day, programs.get(user_id, ()))

        sent, failed = self._deliver(PROMPT_JOB, due, prompt_text, blocks)
        return _result(PROMPTS_JOB_NAME, at, sent, failed, why)

    def _away(self, away: dict[date, set[str]], day: date) -> set[str]:
        if day not in away:
            away[day] = self.days.away(day)
        return away[day]

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
        if self._is_settled(PROMPT_JOB, key) or self._is_settled(NOT_MISSED, key):
            return
        if self._claim_of(PROMPT_JOB, key) is not None:
            return
        if user_id in self._away(away, day):
            # Away when the window had closed: no prompt was missed, and a later change to
            # their time off cannot reopen a window that is over. Remembered, so each tick
            # of the rest of the day is not two more queries per person away.
            self._settle(NOT_MISSED, key)
            return
        if self._answered(user_id, day):
            return
        detail = (
            f"missed: nobody ran the prompt job between {fmt_utc(start)} and {fmt_utc(end)}"
            f" (grace {self.config.prompt_grace_minutes} min); first noticed {fmt_utc(at)}"
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
        at = as_utc(at, "at")
        if all(seat.config.reminder_hours <= 0 for seat in self.seats()):
            return JobResult(REMINDERS_JOB_NAME, "reminders are off (BATCHBOT_REMINDER_HOURS=0)")
        why: Counter[str] = Counter()
        due: _Due = []
        away: dict[date, set[str]] = {}
        handled: set[str] = set()
        for person in self._team_days(at):
            user_id, day = person.user_id, person.day
            if user_id in handled:
                continue
            # One reminder per person: the earliest any of their programs asks for (a
            # program with reminders off asks for none).
            starts = [
                (person.prompt_at(s) + timedelta(hours=s.config.reminder_hours), s)
                for s in person.seats
                if s.config.reminder_hours > 0
            ]
            if not starts:
                continue
            start, seat = min(starts, key=lambda pair: pair[0])
            if not start <= at < start + max(seat.config.grace, MIN_WINDOW):
                continue
            key = prompt_key(user_id, day)
            existing = None
            if not force and self._is_settled(REMINDER_JOB, key):
                why["already reminded"] += 1
            elif (prompt := self._claim_of(PROMPT_JOB, key)) is None or (prompt.status != "done"):
                why["not prompted"] += 1
            elif (existing := self._claim_of(REMINDER_JOB, key)) is not None and not force:
                why["already reminded"] += 1
            else:
                self._claim_if_due(
                    REMINDER_JOB, key, user_id, day, start, existing, away, why, due,
                    "already reminded",
                )  # fmt: skip
            handled.add(user_id)  # was `break`, which ended the round after one person
        sent, failed = self._deliver(
            REMINDER_JOB, due, reminder_text, lambda _user, day: reminder_blocks(day)
        )
        return _result(REMINDERS_JOB_NAME, at, sent, failed, why)

    def _claim_if_due(
        self,
        job: str,
        key: str,
        user_id: str,
        day: date,
        start: datetime,
        existing: ClaimRecord | None,
        away: dict[date, set[str]],
        why: Counter[str],
        due: _Due,
        taken: str,
    ) -> None:
        """What prompts and reminders share: skip people away or already answered, then take
        the once-only claim (after releasing a forced one) — only its winner sends."""
        if user_id in self._away(away, day):
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
        items: _Due,
        text: Callable[[date], str],
        blocks: Callable[[str, date], list[dict[str, Any]]],
    ) -> tuple[int, int]:
        """DM each claimed person; mark done, or log + mark failed + release (retry next tick)."""

        def one(item: tuple[str, date, str]) -> bool:
            user_id, day, key = item
            try:
                posted = self.messenger.dm(user_id, text(day), blocks(user_id, day))
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


def _result(job: str, at: datetime, sent: int, failed: int, why: Counter[str]) -> JobResult:
    skipped = sum(why.values())
    reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(why.items()))
    summary = f"at {fmt_utc(at)}: {sent} sent, {skipped} skipped" + (
        f" ({reasons})" if reasons else ""
    )
    summary += f", {failed} failed" + (" (will retry next minute)" if failed else "")
    return JobResult(job, summary, sent=sent, skipped=skipped, failed=failed)
