"""Odd input to `/batch team …` and `/batch settings …` as Slack sends it: each refusal says
in a line what is wrong and what is allowed, and changes nothing (no commit, same bytes).

Real parts, as in test_team_settings: a git repository per test, the real PlanStore, the
runtime built by the composition root. 2026-12-07 is a Monday.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.plan.store import Actor
from bot.runtime import Runtime
from tests.test_team_settings import LEAD, Clock, commit_count, runtime, slack

MONDAY = Clock(dt.datetime(2026, 12, 7, tzinfo=dt.UTC))
EVE = Actor("Eve", "eve@example.com", slack_id="U0EVE")


def refused(rt: Runtime, actor: Actor, text: str, plan: Path) -> str:
    """The refusal's message; asserts that nothing was written."""
    before, content = commit_count(plan), plan.read_text()
    reply: Any = slack(rt, actor, text)
    assert not reply.ok, reply
    assert commit_count(plan) == before and plan.read_text() == content
    return str(reply.view.message)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("team add <@U0DAN|dan> colour=red", "'colour' is not a teammate's field; use name="),
        ("team add <@U0DAN|dan> <@U0FOO|foo>", "one person at a time"),
        ("team add <@U0DAN> U0FOO role=editor", "one person at a time"),
        ("team add u0dan", "'u0dan' is not a Slack user; mention them (@name)"),
        ("team add <!channel>", "'<!channel>' is not a Slack user"),
        ("team add <@U0DAN|dan> Dan Smith", "'Dan Smith' is not understood (a name is name=…)"),
        ("team add", "whom?"),
        ("team remove u0dan", "'u0dan' is not a Slack user"),
        ("team remove <@U0DAN> <@U0FOO>", "one person at a time: /batch team remove @user"),
        ("team remove <@U0DAN> role=lead", "nothing but the person goes here"),
    ],
)
def test_team_add_and_remove_say_what_is_wrong_with_whom(
    plan_file: Path, tmp_path: Path, text: str, said: str
) -> None:
    rt, _ = runtime(plan_file, tmp_path, MONDAY, team="U0ALICE", lead="U0BOB")
    assert said in refused(rt, LEAD, text, plan_file)


def test_the_last_lead_cannot_remove_themselves_and_open_the_plan_to_everyone(
    plan_file: Path, tmp_path: Path
) -> None:
    rt, _ = runtime(plan_file, tmp_path, MONDAY, team="U0ALICE", lead="U0BOB")
    said = refused(rt, LEAD, "team remove <@U0BOB|bob>", plan_file)
    assert "is the last lead" in said and "role=lead" in said
    assert not slack(rt, EVE, "settings prompt_time=07:00").ok  # still led by Bob
    assert slack(rt, LEAD, "team add <@U0EVE> role=lead").ok
    assert slack(rt, LEAD, "team remove <@U0BOB>").ok  # Eve leads now
    team = rt.ctx.team_settings()
    assert team.leads == ("U0EVE",)


def test_emptying_the_plans_only_lead_is_refused_when_the_environment_names_none(
    plan_file: Path, tmp_path: Path
) -> None:
    rt, _ = runtime(plan_file, tmp_path, MONDAY)
    assert slack(rt, LEAD, "settings leads=<@U0BOB|bob>").ok  # nobody named yet: anyone may
    said = refused(rt, LEAD, "settings leads=", plan_file)
    assert "that would leave no lead" in said and "anyone could change the plan" in said
    assert "leave no lead" in refused(rt, LEAD, "settings leads= editors=", plan_file)


def test_removing_a_lead_while_an_editor_remains_is_allowed(
    plan_file: Path, tmp_path: Path
) -> None:
    rt, _ = runtime(plan_file, tmp_path, MONDAY, lead="U0BOB", editors="U0EVE")
    assert slack(rt, LEAD, "team remove <@U0BOB>").ok  # the editors lead while none is named
    assert slack(rt, EVE, "settings prompt_time=07:00").ok


LONGEST_LABELS = ",".join(f"label-{n:02}" for n in range(30))  # 30 × 8 + 29 × 2 = 298


@pytest.mark.parametrize(
    "text",
    [
        "settings github_repo=acme/" + "b" * 4000,
        "settings github_repo=" + "o" * 40 + "/shop",
        "settings github_labels=" + LONGEST_LABELS,
        "settings github_labels=" + ",".join(f"l{n}" for n in range(600)),
    ],
)
def test_a_repo_or_labels_too_long_for_the_settings_form_are_refused(
    plan_file: Path, tmp_path: Path, text: str
) -> None:
    rt, _ = runtime(plan_file, tmp_path, MONDAY, lead="U0BOB")
    said = refused(rt, LEAD, text, plan_file)
    assert len(said) < 200, said  # a line, not the value pasted back


def test_a_label_with_spaces_stays_one_label_and_commas_separate_them(
    plan_file: Path, tmp_path: Path
) -> None:
    rt, _ = runtime(plan_file, tmp_path, MONDAY, lead="U0BOB")
    said = slack(rt, LEAD, 'settings github_labels="weekly report,  status update ,weekly report"')
    assert said.ok, said
    team = tomllib.loads(plan_file.read_text())["team"]
    assert team["github_labels"] == ["weekly report", "status update"]


@pytest.mark.parametrize(
    "key", ["report_channel", "prompt_time", "report_day", "holiday_country", "editors"]
)
def test_a_refusal_quotes_a_pasted_4000_character_value_cut_short(
    plan_file: Path, tmp_path: Path, key: str
) -> None:
    rt, _ = runtime(plan_file, tmp_path, MONDAY, lead="U0BOB")
    said = refused(rt, LEAD, f"settings {key}={'x' * 4000}", plan_file)
    assert key in said and "…" in said and len(said) < 300, said


def test_home_shows_a_channel_the_environment_names_as_text_not_a_broken_link() -> None:
    from bot.plan.team import TeamSettings
    from bot.render.home_blocks import settings_text

    text = settings_text(TeamSettings(standup_channel="#delivery", report_channel="C0REP"))
    assert "standup #delivery" in text and "<##" not in text
    assert "report <#C0REP>" in text
    assert "&lt;!channel&gt;" in settings_text(TeamSettings(standup_channel="<!channel>"))


@pytest.mark.parametrize(
    "pair",
    [
        "reminder_hours=٢",
        "escalate_days=١٢",
        "nudge_stall_days=1_0",
        "prompt_time=٠٨:٣٠",
        "report_time=１５:００",
    ],
)
def test_numbers_and_times_in_settings_are_ascii_digits_only(
    plan_file: Path, tmp_path: Path, pair: str
) -> None:
    rt, _ = runtime(plan_file, tmp_path, MONDAY, lead="U0BOB")
    said = refused(rt, LEAD, f"settings {pair}", plan_file)
    assert pair.split("=")[0] in said and ("0-9" in said or "HH:MM" in said), said
