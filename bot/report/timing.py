"""Wall-clock times in the team's zone for scheduled posts (zoneinfo, DST-safe).

A local time that does not exist (the clock jumps over it) moves forward by the jump; one
that happens twice is taken the first time. Shared by the Friday report, the cadence
reminders and the lead's jobs.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.walltime import wall_instant

THURSDAY = 3
FRIDAY = 4


local_at = wall_instant  # wall time → instant has one home: bot/walltime.py


def aware(at: dt.datetime) -> dt.datetime:
    """`at` itself, refusing a naive datetime (an instant must say its offset)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: give an instant with a UTC offset")
    return at


def when_text(moment: dt.datetime, zone: ZoneInfo) -> str:
    """`Fri 04 Dec 2026 15:00 CET`: how job messages name an instant."""
    return moment.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")
