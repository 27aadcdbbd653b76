"""Which days a person is expected to write a standup.

A day counts when it is one of the team's workdays, not a holiday, and the person is not
away (``/batch standup skip``). Prompts, reminders, the digest's "missing" list and the
weekly report's participation all ask this one place, so they can never disagree.
"""

from __future__ import annotations

import threading
from datetime import date

from bot.db import Database
from bot.standup.config import StandupConfig
from bot.standup.schedule import is_workday

__all__ = ["Days"]


class Days:
    """Workdays, holidays and absences, answered per day (and per person)."""

    def __init__(self, *, db: Database, config: StandupConfig) -> None:
        self.db = db
        self.config = config
        self._lock = threading.Lock()

    def is_workday(self, day: date) -> bool:
        """A team workday that is no holiday."""
        return is_workday(day, self.config.workdays, self.config.holidays)

    def away(self, day: date) -> set[str]:
        """Everyone who is off on ``day`` (one query for a whole prompt round)."""
        return self.db.away_users(day)

    def expected(self, user_id: str, day: date) -> bool:
        """Whether ``user_id`` owes a standup for ``day``."""
        return self.is_workday(day) and user_id not in self.away(day)
