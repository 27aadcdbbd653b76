"""One idea, one home (issue 13): Slack ids, wall time → instant, clipping."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.commands import Command, Context, handle
from bot.plan.store import Actor, PlanStore
from bot.plan.team import TeamSettings
from bot.slackids import is_user_id, mention, user_id_in
from bot.text import clip
from bot.walltime import parse_instant, wall_instant
from tests.conftest import ROOT, git

BERLIN = ZoneInfo("Europe/Berlin")


def _sources_matching(pattern: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line):
                found.setdefault(str(path.relative_to(ROOT)), []).append(number)
    return found


def test_a_short_editor_id_is_also_recognised_as_the_owner(plan_file: Path) -> None:
    """Settings accepted U0BOB as an id while the owner check wanted seven characters."""
    repo = plan_file.parent.parent
    text = plan_file.read_text().replace('owner = ""', 'owner = "U0BOB"', 1)
    plan_file.write_text(text)
    git(repo, "commit", "-qam", "Bob owns batch 1")
    ctx = Context(
        store=PlanStore(plan_file),
        clock=lambda: dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC),
        team_defaults=TeamSettings(editors=("U0ALICE",)),
    )
    bob = Actor("Bob", slack_id="U0BOB")
    reply = handle(Command.from_text(bob, "update batch-1 progress=10", "slack"), ctx)
    assert reply.ok, reply
    assert "progress = 10" in plan_file.read_text()


def test_one_rule_for_ids_mentions_and_owner_fields() -> None:
    assert is_user_id("U0BOB") and is_user_id("W012AB3CD")
    assert not is_user_id("U1") and not is_user_id("u0bob") and not is_user_id("Ana")
    assert mention("<@U0BOB|bob>") == ("U0BOB", "bob")
    assert mention(" <@U0BOB> ") == ("U0BOB", None)
    assert user_id_in("<@U0BOB>") == user_id_in("U0BOB") == "U0BOB"
    assert user_id_in("Ana Lopez") is None


def test_the_slack_id_pattern_lives_only_in_slackids() -> None:
    assert set(_sources_matching(r"\[UW\]")) == {"bot/slackids.py"}


def test_wall_time_in_a_gap_moves_forward_and_a_repeated_one_is_the_first() -> None:
    skipped = wall_instant(dt.date(2026, 3, 29), dt.time(2, 30), BERLIN)  # 02:00 → 03:00
    assert skipped.isoformat() == "2026-03-29T03:30:00+02:00"
    repeated = wall_instant(dt.date(2026, 10, 25), dt.time(2, 30), BERLIN)  # 03:00 → 02:00
    assert repeated.isoformat() == "2026-10-25T02:30:00+02:00"


def test_at_without_an_offset_is_wall_time_in_the_team_zone() -> None:
    assert parse_instant("2026-11-27T15:00", BERLIN) == dt.datetime(2026, 11, 27, 14, tzinfo=dt.UTC)
    assert parse_instant("2026-11-27T15:00:00Z", BERLIN).utcoffset() == dt.timedelta(0)


def test_wall_time_to_instant_lives_only_in_walltime() -> None:
    assert set(_sources_matching(r"\.combine\(")) == {"bot/walltime.py"}
    assert set(_sources_matching(r"def (_?parse_at|local_at)\b")) == set()


def test_clip_marks_the_cut_and_folds_lines_when_asked() -> None:
    assert clip("short", 10) == "short"
    assert clip("abcdef", 4) == "abc…"
    assert clip("two\nlines  here", 9, one_line=True) == "two line…"
    assert clip("two\nlines", 20) == "two\nlines"


def test_clip_lives_only_in_text() -> None:
    assert set(_sources_matching(r"def _?clip\(")) == {"bot/text.py"}
