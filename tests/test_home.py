"""Specs for the App Home tab of a person in many programs: within Slack's limits (the fake
Slack's own checks) however many programs and batches, with every program named."""

from __future__ import annotations

import json

import pytest

from bot.plan.model import Batch, Plan, Program
from bot.plan.team import TeamSettings
from bot.render.home_blocks import SETTINGS_OPEN, HomeProgram, person_home, settings_modal
from tests.fakeslack import validate_view

LEAD = TeamSettings(leads=("U0ANA",), editors=("U0ANA",))


def plan(n: int, batches: int) -> Plan:
    rows = tuple(
        Batch(
            id=f"b{b}",
            name=f"Batch {b} " + "with a long name " * 5,
            priority="P1",
            status="in-progress",
            progress=b * 7 % 100,
            owner="U0ANA" if b % 3 == 0 else "",
        )
        for b in range(batches)
    )
    return Plan(program=Program(name=f"Program {n} " + "x" * 150), batches=rows)


@pytest.mark.parametrize(("count", "batches"), [(2, 10), (20, 10), (20, 200), (60, 10)])
def test_home_of_a_lead_in_many_programs_stays_within_block_kit_limits(
    count: int, batches: int
) -> None:
    programs = [HomeProgram(f"p{n:02d}", plan(n, batches), LEAD) for n in range(count)]
    view = person_home("U0ANA", programs)
    assert validate_view(view, expected_types=("home",)) == []
    shown = json.dumps(view)
    assert all(f"p{n:02d}" in shown for n in range(count))  # each shown, or named at the end
    settings = [
        b for b in view["blocks"] if (b.get("accessory") or {}).get("action_id") == SETTINGS_OPEN
    ]
    if count <= 20:
        assert len(settings) == count  # every program the person leads keeps its button


def test_the_settings_form_stays_within_block_kit_limits() -> None:
    view = settings_modal("beta", "Beta " * 40, LEAD)
    assert validate_view(view, expected_types=("modal",)) == []
    assert len(view["private_metadata"]) <= 3000
