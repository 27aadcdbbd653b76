"""Wall-clock times in the team's zone for scheduled posts (zoneinfo, DST-safe).

A local time that does not exist (the clock jumps over it) moves forward by the jump; one
that happens twice is taken the first time. Shared by the Friday report, the cadence
reminders and the lead's jobs.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

THURSDAY = 3
FRIDAY = 4


def local_at(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """`day` at wall time `at` in `zone`, as an aware datetime in that zone.

    Nonexistent (skipped) wall times move forward by the size of the jump, e.g. 00:30 on a
    night that goes 00:00 → 01:00 becomes 01:30. Repeated wall times take the first one.
    """
    naive = dt.datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    # A round trip through UTC normalises a skipped wall time (fold=0 takes the offset from
    # before the jump, which lands after it); an existing time comes back unchanged.
    return first.astimezone(dt.UTC).astimezone(zone)


def aware(at: dt.datetime) -> dt.datetime:
    """`at` itself, refusing a naive datetime (an instant must say its offset)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: give an instant with a UTC offset")
    return at


def when_text(moment: dt.datetime, zone: ZoneInfo) -> str:
    """`Fri 04 Dec 2026 15:00 CET`: how job messages name an instant."""
    return moment.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")
