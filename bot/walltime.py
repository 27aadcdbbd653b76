"""Wall-clock times → instants, in one place, so daylight saving time is handled one way.

A wall time — a date and a clock time in a zone, as people say "Friday 15:00 in Berlin" —
becomes an instant by one rule: a time that happens twice (clocks go back) is its first
occurrence; a time that never happens (clocks jump forward) moves forward by the size of the
jump (00:30 on a night that goes 00:00 → 01:00 becomes 01:30). The standup prompts, the
Friday report, the report's week boundaries, `jobs list` and `--at` all use it.
"""

from __future__ import annotations

import datetime as dt


def wall_instant(day: dt.date, at: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """`day` at wall time `at` in `zone`, as an aware datetime in that zone."""
    first = dt.datetime.combine(day, at.replace(tzinfo=None, fold=0)).replace(tzinfo=zone)
    # A round trip through UTC normalises a skipped wall time (fold=0 takes the offset from
    # before the jump, which lands after it); an existing time comes back unchanged.
    return first.astimezone(dt.UTC).astimezone(zone)


#: The instants `--at` takes: the jobs look a week and more around it (the report's week,
#: the grace window), which must stay inside what datetime can hold (years 1 to 9999).
AT_YEARS = (1970, 9998)


def parse_instant(text: str, zone: dt.tzinfo) -> dt.datetime:
    """An ISO-8601 instant (`Z` allowed); one without an offset is wall time in `zone`.
    ValueError saying what is allowed when it is not one, or is too far out (AT_YEARS)."""
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--at must be an ISO-8601 instant like 2026-11-27T15:00:00+01:00, got {text!r}"
        ) from None
    try:
        if when.tzinfo is None:
            when = wall_instant(when.date(), when.time(), zone)
        year: int | None = when.astimezone(dt.UTC).year
    except OverflowError:  # 0001-01-01T00:00 in Berlin is before year 1 in UTC
        year = None
    if year is None or not AT_YEARS[0] <= year <= AT_YEARS[1]:
        raise ValueError(
            f"--at {text.strip()!r} is out of range: give an instant in the years "
            f"{AT_YEARS[0]}–{AT_YEARS[1]}, like 2026-11-27T15:00:00+01:00"
        )
    return when
