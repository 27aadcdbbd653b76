"""App Home with programs, end to end: the real `batchbot serve` over signed HTTP with the fake
Slack Web API. Each person sees the programs they belong to; a lead sees their program's team
settings and an **Edit settings** button whose form saves through `/batch settings`'s path
(one commit by the lead), shows a bad value on its field and refuses anyone who is not a lead.

Two programs: `plan/execution-plan.toml` (led by Eve through the environment) and
`plan/beta.toml` (led by Bob in its own `[team]`; Eve is a member of both)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.render.home_blocks import SETTINGS_FORM, SETTINGS_OPEN
from tests.conftest import git
from tests.e2e.test_slack_e2e import SECRET, SHIPPED_PLAN, Bot, running, start_bot
from tests.fakeslack import FORM, JSON, FakeSlack, event_body, interactive_body, post_signed

pytestmark = pytest.mark.e2e

BETA_TEAM = """
[team]
leads = ["U0BOB"]
editors = ["U0BOB"]
standup_channel = "C0BETA"

[[team.people]]
id = "U0BOB"

[[team.people]]
id = "U0EVE"
"""
ENV = {"BATCHBOT_LEAD": "U0EVE", "BATCHBOT_TEAM": "U0EVE,U0ALICE"}


@pytest.fixture(name="bot")
def two_programs_bot(tmp_path: Path, fake: FakeSlack) -> Iterator[Bot]:
    """`batchbot serve` with the first program (Eve leads it through the environment) and
    `plan/beta.toml` (Bob leads it in its own [team]); test_slack_odd_inputs_e2e uses it too."""
    beta = SHIPPED_PLAN.read_text().replace('name = "', 'name = "Beta: ', 1) + BETA_TEAM
    with running(
        start_bot(tmp_path, fake, extra_env=ENV, extra_files={"plan/beta.toml": beta})
    ) as b:
        yield b


def open_home(bot: Bot, user: str) -> dict[str, Any]:
    before = len(bot.fake.calls_to("views.publish"))
    body = event_body({"type": "app_home_opened", "user": user, "tab": "home"})
    status, _, _ = post_signed(bot.url, body, SECRET, JSON)
    assert status == 200
    call = bot.fake.wait_for("views.publish", before + 1, timeout=10)[-1]
    assert call.ok, call.response  # the fake enforces Block Kit's limits
    assert call.args["user_id"] == user
    view: dict[str, Any] = call.args["view"]
    return view


def buttons(view: dict[str, Any]) -> list[str]:
    """The program of every **Edit settings** button on the tab."""
    found = []
    for block in view["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == SETTINGS_OPEN:
            found.append(accessory["value"])
    return found


def click_settings(bot: Bot, program: str, user: str) -> None:
    action = {
        "type": "block_actions",
        "team": {"id": "T0TEAM"},
        "user": {"id": user, "name": user.lower()},
        "api_app_id": "A0APP",
        "trigger_id": f"trig-{user}",
        "view": {"type": "home"},
        "actions": [
            {"action_id": SETTINGS_OPEN, "block_id": "b", "type": "button", "value": program}
        ],
    }
    status, _, _ = post_signed(bot.url, interactive_body(action), SECRET, FORM)
    assert status == 200


def state_of(view: dict[str, Any], changes: dict[str, str]) -> dict[str, Any]:
    """What Slack submits: every input with its initial value, except the ones changed."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        key, el = block["block_id"], block["element"]
        kind = el["type"]
        if kind == "timepicker":
            value = {"selected_time": changes.get(key, el.get("initial_time"))}
        elif kind == "conversations_select":
            value = {"selected_conversation": changes.get(key, el.get("initial_conversation"))}
        elif kind == "static_select":
            chosen = changes.get(key, el["initial_option"]["value"])
            value = {"selected_option": {"value": chosen}}
        else:
            value = {"value": changes.get(key, el.get("initial_value"))}
        state[key] = {"value": {"type": kind, **value}}
    return state


def submit(bot: Bot, view: dict[str, Any], changes: dict[str, str], user: str) -> dict[str, Any]:
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": user, "name": user.lower()},
        "api_app_id": "A0APP",
        "view": {**view, "id": "V1", "state": {"values": state_of(view, changes)}},
    }
    status, _, out = post_signed(bot.url, interactive_body(payload), SECRET, FORM)
    assert status == 200
    return json.loads(out) if out.strip() else {}


def opened_form(bot: Bot, program: str, user: str) -> dict[str, Any]:
    click_settings(bot, program, user)
    (call,) = bot.fake.wait_for("views.open", timeout=10)
    assert call.ok, call.response
    view: dict[str, Any] = call.args["view"]
    assert view["callback_id"] == SETTINGS_FORM
    return view


def beta_toml(bot: Bot) -> dict[str, Any]:
    return tomllib.loads((bot.repo / "plan" / "beta.toml").read_text())


def test_a_person_in_two_programs_sees_both_and_the_settings_only_of_the_one_they_lead(
    bot: Bot,
) -> None:
    eve = open_home(bot, "U0EVE")
    shown = json.dumps(eve, ensure_ascii=False)
    assert "Your programs (2)" in shown
    assert "`execution-plan`" in shown and "`beta`" in shown and "Beta: " in shown
    assert buttons(eve) == ["execution-plan"]  # Eve leads the first program, not beta
    assert "Eve (lead)" in shown  # the team list of the program she leads
    bob = open_home(bot, "U0BOB")
    assert buttons(bob) == ["beta"]
    assert "Beta: " in json.dumps(bob) and "Your programs" not in json.dumps(bob)
    alice = open_home(bot, "U0ALICE")  # in the first program only, and no lead
    assert buttons(alice) == []


def test_the_settings_form_saves_the_changed_fields_as_one_commit_by_the_lead(bot: Bot) -> None:
    view = opened_form(bot, "beta", "U0BOB")
    before = bot.commits()
    answer = submit(
        bot, view, {"prompt_time": "08:15", "report_channel": "C0BETAREP"}, user="U0BOB"
    )
    assert "errors" not in answer
    dm = bot.fake.wait_for("chat.postMessage", timeout=10)[-1]
    assert dm.args["channel"] == "U0BOB" and "Settings saved" in dm.args["text"]
    assert bot.commits() == before + 1
    author = git(bot.repo, "log", "-1", "--format=%an")
    assert "bob" in author.lower()
    changed = git(bot.repo, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["plan/beta.toml"]
    plan = beta_toml(bot)
    assert plan["schedule"] == {"prompt_time": "08:15"}  # untouched fields are not written
    assert plan["team"]["report_channel"] == "C0BETAREP"
    assert plan["team"]["standup_channel"] == "C0BETA"
    bot.slash("beta settings", user="U0BOB", name="bob", key="shown")
    assert "prompt_time = 08:15  (plan)" in json.dumps(bot.reply("shown"))


def test_a_bad_time_is_shown_on_its_field_and_changes_nothing(bot: Bot) -> None:
    view = opened_form(bot, "beta", "U0BOB")
    before, text = bot.commits(), (bot.repo / "plan" / "beta.toml").read_text()
    answer = submit(bot, view, {"report_time": "02:00", "prompt_time": "25:99"}, user="U0BOB")
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"report_time", "prompt_time"}
    assert "must be" in answer["errors"]["prompt_time"]
    assert bot.commits() == before
    assert (bot.repo / "plan" / "beta.toml").read_text() == text


def test_someone_who_does_not_lead_the_program_is_refused_by_the_button_and_the_form(
    bot: Bot,
) -> None:
    click_settings(bot, "beta", "U0EVE")  # Eve is in beta, but Bob leads it
    dm = bot.fake.wait_for("chat.postMessage", timeout=10)[-1]
    assert dm.args["channel"] == "U0EVE" and "not allowed" in dm.args["text"]
    assert "Bob Roe" in dm.args["text"] and "<@" not in dm.args["text"]
    assert bot.fake.calls_to("views.open") == []
    view = opened_form(bot, "beta", "U0BOB")
    before = bot.commits()
    answer = submit(bot, view, {"prompt_time": "07:00"}, user="U0EVE")  # Bob's form, Eve's hand
    assert answer["response_action"] == "errors"
    assert "not allowed" in next(iter(answer["errors"].values()))
    assert bot.commits() == before


def test_an_untouched_form_saves_nothing(bot: Bot) -> None:
    view = opened_form(bot, "execution-plan", "U0EVE")
    before = bot.commits()
    assert submit(bot, view, {}, user="U0EVE") == {}
    assert bot.commits() == before
