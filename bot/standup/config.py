"""The standup rules as plain values, so the standup modules never read ``Settings``.

The composition root (``bot.runtime``) builds one ``StandupConfig`` from the settings; tests
build one directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

__all__ = ["ConfigSource", "StandupConfig", "as_utc", "current", "fmt_utc"]


@dataclass(frozen=True)
class StandupConfig:
    """Who is asked, when, and where answers go."""

    timezone: str = "UTC"
    standup_time: time = time(9, 30)
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: frozenset[date] = frozenset()
    reminder_hours: float = 2
    prompt_grace_minutes: int = 120
    standup_channel: str | None = None
    team: tuple[str, ...] = ()
    team_channel: str | None = None
    #: ISO country code whose public holidays are days off (BATCHBOT_HOLIDAY_COUNTRY).
    holiday_country: str | None = None
    #: When the day's digest is posted, in the team's zone (BATCHBOT_DIGEST_TIME).
    digest_time: time = time(11, 30)
    #: a person's time zone from the plan's `[[team.people]]` (wins over the Slack profile).
    zones: Mapping[str, str] = field(default_factory=dict, hash=False)
    #: a person's holiday country from the plan (wins over ``holiday_country``).
    countries: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.prompt_grace_minutes)


#: the rules, or where to read them *now* (the team edits them in the plan while the bot runs).
ConfigSource = StandupConfig | Callable[[], StandupConfig]


def current(source: ConfigSource) -> StandupConfig:
    return source if isinstance(source, StandupConfig) else source()


def as_utc(value: datetime, name: str = "time") -> datetime:
    """``value`` in UTC; a naive datetime is refused (whose local time would it be?)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")
    return value.astimezone(UTC)


def fmt_utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
