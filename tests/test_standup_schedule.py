"""Specs for the pure scheduling rules: when a person's standup prompt is due, DST included.

Dates used: 2026-11-24 is a Tuesday; the US moves clocks forward on 2026-03-08 (02:00→03:00)
and back on 2026-11-01 (02:00→01:00); Japan has no DST.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.standup.schedule import (
    day_label,
    is_workday,
    next_prompt_instants,
    prompt_due,
    prompt_instant,
    prompt_window,
    to_zone,
)

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
MON_FRI = (0, 1, 2, 3, 4)
NINE_THIRTY = time(9, 30)
TWO_HOURS = timedelta(minutes=120)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def test_new_york_0930_is_1430_utc_in_winter_and_1330_utc_in_summer() -> None:
    assert prompt_instant(date(2026, 11, 24), NINE_THIRTY, NY) == utc(2026, 11, 24, 14, 30)
    assert prompt_instant(date(2026, 7, 14), NINE_THIRTY, "America/New_York") == utc(
        2026, 7, 14, 13, 30
    )


def test_tokyo_0930_is_0030_utc_the_same_day() -> None:
    assert prompt_instant(date(2026, 11, 24), NINE_THIRTY, TOKYO) == utc(2026, 11, 24, 0, 30)


def test_a_standup_time_inside_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    # 02:30 does not exist in New York on 2026-03-08; 03:30 EDT (07:30 UTC) is used.
    got = prompt_instant(date(2026, 3, 8), time(2, 30), NY)
    assert got == utc(2026, 3, 8, 7, 30)
    assert got.astimezone(NY).time() == time(3, 30)


def test_a_standup_time_that_happens_twice_in_the_fall_takes_the_first() -> None:
    # 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST) on 2026-11-01.
    assert prompt_instant(date(2026, 11, 1), time(1, 30), NY) == utc(2026, 11, 1, 5, 30)


def test_the_dst_switch_week_keeps_0930_local() -> None:
    before = prompt_instant(date(2026, 3, 6), NINE_THIRTY, NY)  # Fri, EST
    after = prompt_instant(date(2026, 3, 9), NINE_THIRTY, NY)  # Mon, EDT
    assert (before.hour, after.hour) == (14, 13)
    assert before.astimezone(NY).time() == after.astimezone(NY).time() == NINE_THIRTY


@pytest.mark.parametrize(
    ("local", "due"),
    [
        (time(9, 29, 59), False),
        (time(9, 30), True),
        (time(10, 15), True),
        (time(11, 29, 59), True),
        (time(11, 30), False),
        (time(12, 0), False),
    ],
)
def test_prompt_is_due_from_the_standup_time_until_the_grace_window_closes(
    local: time, due: bool
) -> None:
    now = datetime.combine(date(2026, 11, 24), local, tzinfo=NY)
    assert prompt_due(now, NINE_THIRTY, MON_FRI, (), TWO_HOURS) is due


def test_no_prompt_on_weekends_or_holidays() -> None:
    sat = datetime(2026, 11, 28, 9, 45, tzinfo=NY)
    thanksgiving = datetime(2026, 11, 26, 9, 45, tzinfo=NY)
    friday = datetime(2026, 11, 27, 9, 45, tzinfo=NY)
    holidays = {date(2026, 11, 26)}
    assert not prompt_due(sat, NINE_THIRTY, MON_FRI, holidays, TWO_HOURS)
    assert not prompt_due(thanksgiving, NINE_THIRTY, MON_FRI, holidays, TWO_HOURS)
    assert prompt_due(friday, NINE_THIRTY, MON_FRI, holidays, TWO_HOURS)


def test_configured_workdays_are_respected() -> None:
    sun = datetime(2026, 11, 29, 9, 30, tzinfo=TOKYO)
    assert prompt_due(sun, NINE_THIRTY, (6, 0, 1, 2, 3), (), TWO_HOURS)
    assert not is_workday(date(2026, 11, 27), (6, 0, 1, 2, 3))


def test_zero_grace_still_leaves_the_one_minute_of_the_standup_time() -> None:
    start, end = prompt_window(date(2026, 11, 24), NINE_THIRTY, NY, timedelta(0))
    assert end - start == timedelta(minutes=1)
    at = datetime(2026, 11, 24, 9, 30, 30, tzinfo=NY)
    assert prompt_due(at, NINE_THIRTY, MON_FRI, (), timedelta(0))
    assert not prompt_due(at + timedelta(minutes=1), NINE_THIRTY, MON_FRI, (), timedelta(0))


def test_grace_window_is_measured_in_real_time_across_a_dst_change() -> None:
    # Standup 00:30 with 3 h grace on the fall-back night: the window is 3 real hours.
    start, end = prompt_window(date(2026, 11, 1), time(0, 30), NY, timedelta(hours=3))
    assert end - start == timedelta(hours=3)
    assert end.astimezone(NY).time() == time(2, 30)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        prompt_due(datetime(2026, 11, 24, 9, 30), NINE_THIRTY, MON_FRI, (), TWO_HOURS)
    with pytest.raises(ValueError, match="aware"):
        next_prompt_instants(datetime(2026, 11, 24), NINE_THIRTY, ["UTC"], MON_FRI)


def test_next_prompts_after_friday_morning_are_monday_across_zones_in_utc_order() -> None:
    after = utc(2026, 11, 27, 15, 0)  # Fri: New York's prompt (14:30 UTC) has passed
    got = next_prompt_instants(after, NINE_THIRTY, [NY, "Asia/Tokyo"], MON_FRI, count=3)
    assert got == [utc(2026, 11, 30, 0, 30), utc(2026, 11, 30, 14, 30), utc(2026, 12, 1, 0, 30)]


def test_next_prompts_skip_holidays_and_shift_by_an_offset_for_reminders() -> None:
    after = utc(2026, 11, 25, 20, 0)
    got = next_prompt_instants(
        after, NINE_THIRTY, [NY], MON_FRI, {date(2026, 11, 26)}, count=1, offset=TWO_HOURS
    )
    assert got == [utc(2026, 11, 27, 16, 30)]


def test_next_prompts_are_empty_rather_than_endless_when_no_day_qualifies() -> None:
    after = utc(2026, 11, 25)
    every_day = {after.date() + timedelta(days=n) for n in range(-2, 70)}
    assert next_prompt_instants(after, NINE_THIRTY, [NY], MON_FRI, every_day) == []
    assert next_prompt_instants(after, NINE_THIRTY, [NY], ()) == []


def test_unknown_zones_fall_back() -> None:
    assert to_zone("Mars/Olympus", "Asia/Tokyo") == TOKYO
    assert to_zone("", None) is not None  # type: ignore[arg-type]
    assert to_zone(None, "Nope/Nope") == UTC


def test_day_label_reads_like_the_thread_title() -> None:
    assert day_label(date(2026, 11, 24)) == "Tue 24 Nov"
    assert day_label(date(2027, 1, 3)) == "Sun 3 Jan"
