"""Days off, kept in the plan file: the team's holidays and each person's time off.

They live in the plan (not the bot's database) so every bot instance sees the same days and
the team reviews them in git like any other change. Standups read them to decide who is
expected when; the records import nothing but the standard library and annotated_types.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

if TYPE_CHECKING:  # bound by bot.plan.model._constraint_names() when pydantic validates
    from annotated_types import MaxLen, MinLen

from bot.slackids import is_user_id

__all__ = ["Calendar", "Holiday", "TimeOff", "calendar_problems"]


@dataclass(frozen=True)
class Holiday:
    """A day nobody is asked for a standup."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    day: dt.date
    name: Annotated[str, MaxLen(100)] = ""


@dataclass(frozen=True)
class TimeOff:
    """One person away from ``start`` to ``end``, both included."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    user: Annotated[str, MinLen(1), MaxLen(64)]
    start: dt.date
    end: dt.date
    note: Annotated[str, MaxLen(200)] = ""

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Calendar:
    """The plan's ``[calendar]``: holidays by date, time off by person."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    holidays: tuple[Holiday, ...] = ()
    timeoff: tuple[TimeOff, ...] = ()

    def holiday(self, day: dt.date) -> Holiday | None:
        return next((h for h in self.holidays if h.day == day), None)

    def off(self, user_id: str, day: dt.date) -> bool:
        """Whether ``user_id`` has time off on ``day``."""
        return any(t.user == user_id and t.covers(day) for t in self.timeoff)

    def away(self, day: dt.date) -> set[str]:
        """Everyone with time off on ``day``."""
        return {t.user for t in self.timeoff if t.covers(day)}


def calendar_problems(calendar: Calendar) -> list[tuple[str, str]]:
    """What only the whole calendar can tell: (where, message) for each problem."""
    problems: list[tuple[str, str]] = []
    seen: set[dt.date] = set()
    for i, h in enumerate(calendar.holidays):
        if h.day in seen:
            problems.append((f"calendar.holidays[{i}]", f"{h.day} is listed twice"))
        seen.add(h.day)
    for i, t in enumerate(calendar.timeoff):
        where = f"calendar.timeoff[{i}]"
        if not is_user_id(t.user):
            problems.append((where, f"{t.user!r} is not a Slack user id (like U012ABCDEF)"))
        if t.end < t.start:
            problems.append((where, f"ends ({t.end}) before it starts ({t.start})"))
    return problems


def calendar_from_trusted(data: dict[str, Any]) -> Calendar:
    """A Calendar from data validated before (see ``model.plan_from_trusted``)."""

    def day(value: Any) -> dt.date:
        return dt.date.fromisoformat(value) if isinstance(value, str) else value

    return Calendar(
        holidays=tuple(Holiday(**{**h, "day": day(h["day"])}) for h in data.get("holidays", ())),
        timeoff=tuple(
            TimeOff(**{**t, "start": day(t["start"]), "end": day(t["end"])})
            for t in data.get("timeoff", ())
        ),
    )


def calendar_data(calendar: Calendar, *, iso: bool = False) -> dict[str, Any]:
    """Plain data in the file's order; ``iso`` writes dates as text (JSON)."""

    def day(value: dt.date) -> Any:
        return value.isoformat() if iso else value

    data: dict[str, Any] = {}
    if calendar.holidays:
        data["holidays"] = [
            {"day": day(h.day), **({"name": h.name} if h.name else {})}
            for h in sorted(calendar.holidays, key=lambda h: h.day)
        ]
    if calendar.timeoff:
        data["timeoff"] = [
            {
                "user": t.user,
                "start": day(t.start),
                "end": day(t.end),
                **({"note": t.note} if t.note else {}),
            }
            for t in calendar.timeoff
        ]
    return data
