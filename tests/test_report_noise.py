"""The weekly report says each thing once (issue 18 item 13): a standup that only says it is
blocked is a blocker, not also a request for help."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.report.weekly import standup_flag_items


@dataclass(frozen=True)
class Entry:
    user_id: str
    user_name: str
    local_date: dt.date
    text: str


FRI = dt.date(2026, 12, 4)


def test_a_standup_that_only_says_blocked_is_a_blocker_not_a_call_for_help() -> None:
    entries = [Entry("UBOB", "", FRI, "Blocked on the staging database. Waiting for ops.")]
    blockers, help_needed = standup_flag_items(entries, lambda user: user)
    assert [b.text for b in blockers] == [
        "UBOB (Fri): “Blocked on the staging database. Waiting for ops.” - follow up with UBOB"
    ]
    assert help_needed == []


def test_a_standup_that_asks_for_help_is_listed_under_help() -> None:
    entries = [Entry("UBOB", "Bob", FRI, "Blocked on staging. Need help from ops.")]
    blockers, help_needed = standup_flag_items(entries, lambda user: user)
    assert len(blockers) == 1
    assert [h.text for h in help_needed] == [
        "Bob asked for help (Fri): “Blocked on staging. Need help from ops.”"
    ]
