"""When is a person's standup prompt (and reminder) due? Pure functions of time and rules.

Everything here takes aware datetimes and zone names and returns plain values: no clock,
no database, no chat. The service (``bot.standup.service``) combines these answers with
the once-only claims in the database.

Time-zone rules (zoneinfo, PEP 495):

* A local standup time that does not exist on a day (clocks spring forward over it) is
  moved forward by the size of the gap: 02:30 on a 02:00→03:00 day becomes 03:30.
* A local time that exists twice (clocks fall back) takes the first occurrence.
* Windows are compared as absolute instants, so a DST change between the prompt and the
  end of its grace window neither stretches nor shrinks the window.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.walltime import wall_instant

__all__ = [
    "MIN_WINDOW",
    "day_label",
    "is_workday",
    "next_prompt_instants",
    "prompt_due",
    "prompt_instant",
    "prompt_window",
    "to_zone",
]

#: The scheduler ticks once a minute, so a window is never shorter than one tick: a grace
#: of 0 minutes means "only in the minute of the standup time".
MIN_WINDOW = timedelta(minutes=1)


def to_zone(zone: str | tzinfo | None, fallback: str | tzinfo = "UTC") -> tzinfo:
    """A tzinfo for an IANA name (or pass one through); unknown or empty → ``fallback``."""
    for candidate in (zone, fallback):
        if candidate is None or candidate == "":
            continue
        if isinstance(candidate, tzinfo):
            return candidate
        try:
            return ZoneInfo(str(candidate))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return UTC


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")


def is_workday(day: date, workdays: Collection[int], holidays: Collection[date] = ()) -> bool:
    """``workdays`` are ``date.weekday()`` numbers (Mon=0); holidays are never workdays."""
    return day.weekday() in workdays and day not in holidays


def prompt_instant(day: date, standup_time: time, zone: str | tzinfo) -> datetime:
    """The UTC instant of ``standup_time`` on ``day`` in ``zone`` (DST-correct, see module)."""
    return wall_instant(day, standup_time, to_zone(zone)).astimezone(UTC)


def prompt_window(
    day: date, standup_time: time, zone: str | tzinfo, grace: timedelta
) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC during which ``day``'s prompt may still go out."""
    start = prompt_instant(day, standup_time, zone)
    return start, start + max(grace, MIN_WINDOW)


def prompt_due(
    local_now: datetime,
    standup_time: time,
    workdays: Collection[int],
    holidays: Collection[date],
    grace: timedelta,
) -> bool:
    """Whether a prompt is due at ``local_now`` (aware, in the person's own zone).

    Due on a workday that is not a holiday, from the standup time until the grace window
    closes (at least one minute). Claims and "already answered" are the caller's business.
    """
    _require_aware(local_now, "local_now")
    day = local_now.date()
    if not is_workday(day, workdays, holidays):
        return False
    tz = local_now.tzinfo
    assert tz is not None
    start, end = prompt_window(day, standup_time, tz, grace)
    return start <= local_now.astimezone(UTC) < end


def next_prompt_instants(
    after: datetime,
    standup_time: time,
    zones: Iterable[str | tzinfo],
    workdays: Collection[int],
    holidays: Collection[date] = (),
    count: int = 3,
    offset: timedelta = timedelta(0),
) -> list[datetime]:
    """The next ``count`` distinct UTC instants after ``after`` at which someone in
    ``zones`` is due a prompt (plus ``offset``: pass the reminder delay for reminders).

    For ``batchbot jobs list``. Looks at most 60 days ahead (a team with every day a
    holiday has no next run, and gets an empty list rather than a hang).
    """
    _require_aware(after, "after")
    if not workdays or count <= 0:
        return []
    found: set[datetime] = set()
    tzs = {str(z): to_zone(z) for z in zones} or {"UTC": UTC}
    for tz in tzs.values():
        first = after.astimezone(tz).date() - timedelta(days=1)
        hits = 0
        for n in range(62):
            day = first + timedelta(days=n)
            if not is_workday(day, workdays, holidays):
                continue
            when = prompt_instant(day, standup_time, tz) + offset
            if when > after:
                found.add(when)
                hits += 1
                if hits >= count:
                    break
    return sorted(found)[:count]


def day_label(day: date) -> str:
    """ "Tue 24 Nov": short, unambiguous within a year, locale-independent."""
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{names[day.weekday()]} {day.day} {months[day.month - 1]}"
