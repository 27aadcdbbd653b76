"""Standups across programs: a person in several programs is asked once and answers once.

Each program keeps its own standup core (`Standups`: its channel, prompt, reminder and
digest times, team, day thread, and rows keyed by the program). This module links them, so
that what belongs to the *person* is decided once and what belongs to the *program* stays
per program:

* prompts and reminders: every core's `Prompts` sees each program's team as a seat; a
  person in two programs is prompted once a day, at the earlier prompt time among the
  programs that expect them that day, and reminded once (the prompt claims are per person);
* answers: given through any core (the DM, the modal, `/batch standup …`), an answer is
  filed under one day in each program the person is in and posted in each program's thread
  — counted by each program's digest, trends, weekly report and nudges;
* time off (any program's plan, or a skip) and a person's own zone and holiday country
  hold in every program; a program's holidays are that program's days off;
* the digest is per program, in its own channel.

A deployment with one program is not linked at all: everything behaves as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.errors import StorageUnavailable
from bot.jobresult import JobResult
from bot.replies import ErrorView, Reply, TextView
from bot.standup.days import Days
from bot.standup.digest import DIGEST_JOB_NAME
from bot.standup.people import People
from bot.standup.prompts import Seat
from bot.standup.service import Standups

__all__ = ["StandupPrograms", "link_programs"]

log = logging.getLogger("batchbot.standup")


@dataclass
class StandupPrograms:
    """Every program's standup core, the first program first (id → core)."""

    parts: dict[str, Standups]

    def seats(self) -> tuple[Seat, ...]:
        return tuple(Seat(s.program, s.people, s.days, pid) for pid, s in self.parts.items())

    def programs_of(self, user_id: str) -> list[tuple[str, Standups]]:
        """The programs whose standup team holds the person."""
        return [(pid, s) for pid, s in self.parts.items() if user_id in s.people.team_members()]

    def _targets(self, routed: Standups, user_id: str) -> list[tuple[str, Standups]]:
        """Where an answer goes: each program the person is in; someone on no team answers
        the program they wrote in (as with one program, where anyone may answer)."""
        found = self.programs_of(user_id)
        if found:
            return found
        pid = next((p for p, s in self.parts.items() if s is routed), "")
        return [(pid, routed)]

    def submit(
        self,
        routed: Standups,
        user_id: str,
        user_name: str,
        text: str,
        source: str,
        local_date: date | None = None,
    ) -> Reply:
        """One answer, filed in each of the person's programs under one day: the earliest
        day any of them files it under (on a day one program has a holiday, the answer
        counts where it is a workday, not as the holiday program's next day)."""
        targets = self._targets(routed, user_id)
        if len(targets) == 1:
            return targets[0][1].answers.submit(
                user_id, user_name, text, source, local_date=local_date
            )
        try:
            days = [s.answers.answer_day(user_id, local_date) for _, s in targets]
        except StorageUnavailable:  # the first program's submit says so, text quoted back
            return targets[0][1].answers.submit(user_id, user_name, text, source)
        day = min(days)
        replies: list[tuple[str, Reply]] = []
        for (pid, core), filed in zip(targets, days, strict=True):
            if filed != day:
                continue
            reply = core.answers.submit(user_id, user_name, text, source, day=day)
            if not reply.ok and not replies:
                return reply  # refused (too long, …): nothing is stored anywhere
            replies.append((pid, reply))
        return _together(replies)

    def edit_dm(
        self, routed: Standups, user_id: str, new_text: str, old_text: str, sent_ts: str
    ) -> Reply | None:
        """A DM answer edited: the edit replaces the answer in each program it was filed in."""
        targets = self._targets(routed, user_id)
        if len(targets) == 1:
            return targets[0][1].answers.edit_dm(user_id, new_text, old_text, sent_ts)
        try:
            written = targets[0][1].answers.written_on(user_id, sent_ts)
            days = [s.answers.answer_day(user_id, written) for _, s in targets]
        except StorageUnavailable:
            return targets[0][1].answers.edit_dm(user_id, new_text, old_text, sent_ts)
        replies: list[tuple[str, Reply]] = []
        for (pid, core), filed in zip(targets, days, strict=True):
            if filed != min(days):
                continue
            reply = core.answers.edit_dm(user_id, new_text, old_text, sent_ts)
            if reply is not None:
                replies.append((pid, reply))
        return _together(replies) if replies else None

    def run_digest(self, at: datetime, force: bool = False) -> JobResult:
        """Each program's digest in its own channel; one program's failure costs no other."""
        results: list[tuple[str, JobResult]] = []
        for pid, core in self.parts.items():
            try:
                result = core.digest.run(at, force)
            except Exception as exc:
                log.exception("standup digest of %s failed", pid)
                result = JobResult(DIGEST_JOB_NAME, f"failed: {exc}", failed=1)
            results.append((pid, result))
        return JobResult(
            DIGEST_JOB_NAME,
            "; ".join(f"{pid}: {r.summary}" for pid, r in results),
            sent=sum(r.sent for _, r in results),
            skipped=sum(r.skipped for _, r in results),
            failed=sum(r.failed for _, r in results),
        )


def _together(replies: list[tuple[str, Reply]]) -> Reply:
    """One reply for an answer filed in several programs: each program's line named."""
    if len(replies) == 1:
        return replies[0][1]
    title = next(
        (r.view.title for _, r in replies if r.ok and isinstance(r.view, TextView)),
        "Your standup",
    )
    lines: list[str] = []
    for pid, reply in replies:
        view = reply.view
        if isinstance(view, TextView):
            lines.extend(f"{pid}: {line}" for line in view.lines)
        elif isinstance(view, ErrorView):
            lines.append(f"{pid}: {view.message}")
    failed = any(not r.ok for _, r in replies)
    return Reply(TextView(title, tuple(lines)), exit_code=1 if failed else 0)


def link_programs(parts: Mapping[str, Standups]) -> StandupPrograms | None:
    """Link the programs' cores (see the module); one program is left as it is."""
    if len(parts) <= 1:
        return None
    group = StandupPrograms(dict(parts))
    seats: Callable[[], tuple[Seat, ...]] = group.seats
    for pid, core in group.parts.items():
        others = [o for o in group.parts.values() if o is not core]
        core.group = group
        core.answers.shown_as = core.digest.shown_as = pid  # two may share one channel
        core.prompts.seats = seats
        core.people.others = _people_of(others)
        core.days.others = _days_of(others)
    return group


def _people_of(cores: list[Standups]) -> Callable[[], tuple[People, ...]]:
    people = tuple(c.people for c in cores)
    return lambda: people


def _days_of(cores: list[Standups]) -> Callable[[], tuple[Days, ...]]:
    days = tuple(c.days for c in cores)
    return lambda: days
