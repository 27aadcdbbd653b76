"""The standup parts wired together once: people, days, prompts, answers.

Each part owns one job (``people``: profiles, zones, names, team; ``days``: who is expected
when; ``prompts``: the scheduled DMs; ``answers``: storing, editing and posting; ``digest``:
the day's summary in the thread). ``Standups`` holds
them and offers the few calls the ``/batch standup`` grammar (``bot.commands.standup``) and the
Slack listeners make, so an edge needs one object, not four. Nothing here imports upward
(no ``bot.commands``, ``bot.settings`` or ``bot.slack``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from bot.db import Database, StandupRecord
from bot.jobresult import JobResult
from bot.messenger import Messenger
from bot.people.directory import Directory
from bot.plan.calendar import Calendar
from bot.replies import Reply
from bot.standup.answers import Answers
from bot.standup.config import ConfigSource, as_utc
from bot.standup.days import Days
from bot.standup.digest import Digest
from bot.standup.people import People
from bot.standup.prompts import Prompts, process_owner

__all__ = ["ProgramGroup", "Standups", "build_standups"]


class ProgramGroup(Protocol):
    """Every program's standups linked (`bot.standup.programs.StandupPrograms`)."""

    def submit(
        self,
        routed: Standups,
        user_id: str,
        user_name: str,
        text: str,
        source: str,
        local_date: date | None = None,
    ) -> Reply: ...
    def edit_dm(
        self, routed: Standups, user_id: str, new_text: str, old_text: str, sent_ts: str
    ) -> Reply | None: ...
    def run_digest(self, at: datetime, force: bool = False) -> JobResult: ...


@dataclass
class Standups:
    """The standup core of one process. Thread-safe (each part is)."""

    db: Database
    clock: Callable[[], datetime]
    people: People
    days: Days
    prompts: Prompts
    answers: Answers
    digest: Digest
    #: the program this core keys its rows by ("": the first program).
    program: str = ""
    #: every program's standups when the deployment serves several (`bot.standup.programs`):
    #: an answer given through any of them is filed in each program the person is in.
    group: ProgramGroup | None = field(default=None, repr=False, compare=False)

    # -- what the /batch standup grammar and the listeners call --------------------------

    def submit(
        self,
        user_id: str,
        user_name: str,
        text: str,
        source: str,
        *,
        local_date: date | None = None,
    ) -> Reply:
        if self.group is not None:
            return self.group.submit(self, user_id, user_name, text, source, local_date)
        return self.answers.submit(user_id, user_name, text, source, local_date=local_date)

    def edit_dm(self, user_id: str, new_text: str, old_text: str, sent_ts: str) -> Reply | None:
        if self.group is not None:
            return self.group.edit_dm(self, user_id, new_text, old_text, sent_ts)
        return self.answers.edit_dm(user_id, new_text, old_text, sent_ts)

    def display_name(self, user_id: str) -> str:
        return self.people.display_name(user_id)

    def known_names(self, user_id: str) -> set[str]:
        return self.people.known_names(user_id)

    def local_today(self, user_id: str) -> date:
        return self.people.local_today(user_id)

    def standups_between(
        self, start: date, end: date, user_id: str | None = None
    ) -> list[StandupRecord]:
        return self.db.standups_between(start, end, user_id, self.program)

    def standup_dates(self, user_id: str, limit: int) -> list[date]:
        return self.db.standup_dates(user_id, limit, self.program)

    def skip(self, user_id: str, start: date, end: date) -> None:
        self.db.add_skip(user_id, start, end, as_utc(self.clock(), "clock()"))

    def configured_holidays(self, start: date, end: date) -> dict[date, str]:
        return self.days.configured_holidays(start, end)

    def expected(self, user_id: str, day: date) -> bool:
        return self.days.expected(user_id, day)


def build_standups(
    *,
    db: Database,
    messenger: Messenger,
    config: ConfigSource,
    clock: Callable[[], datetime],
    calendar: Callable[[], Calendar] | None = None,
    names: Directory | None = None,
    program: str = "",
) -> Standups:
    """Wire the parts; one owner name per process for the once-only claims.

    ``calendar`` reads the plan's holidays and time off (the runtime passes the store's);
    ``program`` is the database key of the program they serve ("": the first).
    """
    owner = process_owner()
    people = People(db=db, messenger=messenger, config=config, clock=clock, names=names)
    days = Days(db=db, config=config, calendar=calendar)
    prompts = Prompts(
        db=db,
        messenger=messenger,
        config=config,
        clock=clock,
        people=people,
        days=days,
        owner=owner,
    )
    answers = Answers(
        db=db,
        messenger=messenger,
        config=config,
        clock=clock,
        people=people,
        owner=owner,
        days=days,
    )
    digest = Digest(
        db=db,
        messenger=messenger,
        config=config,
        clock=clock,
        people=people,
        days=days,
        answers=answers,
        owner=owner,
    )
    for part in (people, days, prompts, answers, digest):
        part.program = program
    return Standups(
        db=db,
        clock=clock,
        people=people,
        days=days,
        prompts=prompts,
        answers=answers,
        digest=digest,
        program=program,
    )
