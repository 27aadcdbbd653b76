"""Which days a person is expected to write a standup.

A day counts when it is one of the team's workdays, no holiday — from BATCHBOT_HOLIDAYS, the
plan's ``[calendar]`` or BATCHBOT_HOLIDAY_COUNTRY's public holidays — and the person is not
away (time off in the plan, or ``/batch standup skip``). Prompts, reminders, the digest's
"missing" list and the weekly report's participation all ask this one place, so they can
never disagree.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

from bot.db import Database
from bot.plan.calendar import Calendar
from bot.standup.config import ConfigSource, StandupConfig, current

__all__ = ["Days", "country_holidays"]

log = logging.getLogger("batchbot.standup")


def country_holidays(country: str, year: int) -> Mapping[date, str]:
    """A country's public holidays in one year, from the kept ``holidays`` library, computed
    outside this process (bot/people/public_holidays.py says why)."""
    from bot.people.public_holidays import country_holidays as computed

    return computed(country, year)


class Days:
    """Workdays, holidays and absences, answered per day (and per person). Thread-safe."""

    def __init__(
        self,
        *,
        db: Database,
        config: ConfigSource,
        calendar: Callable[[], Calendar] | None = None,
    ) -> None:
        self.db = db
        self._config = config
        self._plan_calendar = calendar
        self._lock = threading.Lock()
        self._by_year: dict[tuple[str, int], Mapping[date, str]] = {}
        #: the program whose skips count besides everyone's ("": the first program).
        self.program = ""
        #: the other programs' days: a person's time off and holiday country, written in any
        #: program's plan, apply to that person everywhere (`bot.standup.programs` links them).
        self.others: Callable[[], Sequence[Days]] = tuple

    @property
    def config(self) -> StandupConfig:
        """The rules as they are now (the plan's `[schedule]` may change while we run)."""
        return current(self._config)

    def calendar(self) -> Calendar:
        """The plan's calendar now; an unreadable plan means none (and a log line)."""
        if self._plan_calendar is None:
            return Calendar()
        try:
            return self._plan_calendar()
        except Exception as exc:  # a broken plan must not stop everyone's prompts
            log.warning("the plan's calendar could not be read (%s); using none", exc)
            return Calendar()

    def _country(self, day: date, country: str | None = None) -> str | None:
        country = country or self.config.holiday_country
        if not country:
            return None
        with self._lock:
            year = self._by_year.get((country, day.year))
        if year is None:
            year = country_holidays(country, day.year)
            with self._lock:
                self._by_year[(country, day.year)] = year
        return year.get(day)

    def holiday(
        self, day: date, calendar: Calendar | None = None, user_id: str | None = None
    ) -> str | None:
        """The holiday's name on ``day``, or None on an ordinary day. With ``user_id``, that
        person's own holiday country (the plan's `[[team.people]] country`) counts instead of
        the team's."""
        if day in self.config.holidays:
            return "holiday"
        planned = (calendar or self.calendar()).holiday(day)
        if planned is not None:
            return planned.name or "holiday"
        country = self.country_of(user_id) if user_id else ""
        return self._country(day, country or None)

    def country_of(self, user_id: str) -> str:
        """The person's own holiday country: this program's plan, else another's ("" none)."""
        for days in (self, *self.others()):
            if country := days.config.countries.get(user_id, ""):
                return country
        return ""

    def configured_holidays(self, start: date, end: date) -> dict[date, str]:
        """Holidays from the settings (BATCHBOT_HOLIDAYS, the country) between two dates."""
        found: dict[date, str] = {}
        day = start
        while day <= end:
            if day in self.config.holidays:
                found[day] = "holiday"
            elif (name := self._country(day)) is not None:
                found[day] = f"{name} ({self.config.holiday_country})"
            day += timedelta(days=1)
        return found

    def is_workday(self, day: date, user_id: str | None = None) -> bool:
        """A team workday that is no holiday (for ``user_id``: no holiday where they sit)."""
        return day.weekday() in self.config.workdays and self.holiday(day, user_id=user_id) is None

    def away(self, day: date) -> set[str]:
        """Everyone off on ``day``: time off in the plan (any program's: it is the person's),
        or a standup skip."""
        off = self.calendar().away(day) | self.db.away_users(day, self.program)
        for days in self.others():
            off |= days.calendar().away(day)
        return off

    def expected(self, user_id: str, day: date) -> bool:
        """Whether ``user_id`` owes a standup for ``day`` (their own holiday country counts)."""
        return self.is_workday(day, user_id) and user_id not in self.away(day)
