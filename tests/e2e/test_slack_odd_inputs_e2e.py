"""Odd input at the Slack edge, end to end: what real people and real Slack send to the real
`batchbot serve` (signed HTTP, the fake Slack Web API) about programs, team settings and
people. Each is answered in a line or two saying what is allowed — never silence, an HTTP 500
or a traceback — and a refused one changes nothing.

Two programs, as in test_home_e2e: `plan/execution-plan.toml` (led by Eve through the
environment) and `plan/beta.toml` (led by Bob in its own `[team]`; Eve is a member of both)."""

from __future__ import annotations

import json
import time
import tomllib
from typing import Any

import pytest

from tests.e2e.test_home_e2e import (  # two_programs_bot: the `bot` fixture of both modules
    click_settings,
    opened_form,
    state_of,
    two_programs_bot,  # noqa: F401
)
from tests.e2e.test_lead_e2e import click
from tests.e2e.test_slack_e2e import SECRET, Bot
from tests.fakeslack import FORM, interactive_body, post_signed

pytestmark = pytest.mark.e2e


def beta_text(bot: Bot) -> str:
    return (bot.repo / "plan" / "beta.toml").read_text()


def post_view(
    bot: Bot, view: dict[str, Any], changes: dict[str, Any], user: str, meta: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Submit the form as Slack does, with its private_metadata replaced when `meta` is given."""
    submitted = {**view, "id": "V1", "state": {"values": state_of(view, changes)}}
    if meta is not None:
        submitted["private_metadata"] = meta
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": user, "name": user.lower()},
        "api_app_id": "A0APP",
        "view": submitted,
    }
    status, _, out = post_signed(bot.url, interactive_body(payload), SECRET, FORM)
    return status, (json.loads(out) if out.strip() else {})


def no_traceback(bot: Bot) -> None:
    assert "Traceback" not in bot.logs()


# ------------------------------------------------------------------ the App Home settings form


@pytest.mark.parametrize("meta", ["{not json", "[1, 2]", '"beta"', '{"program": 7}'])
def test_a_settings_form_whose_metadata_is_unreadable_is_answered_on_its_field(
    bot: Bot, meta: str
) -> None:
    view = opened_form(bot, "beta", "U0BOB")
    before, text = bot.commits(), beta_text(bot)
    status, answer = post_view(bot, view, {"prompt_time": "07:00"}, "U0BOB", meta=meta)
    assert status == 200
    assert answer["response_action"] == "errors"
    assert "out of date" in next(iter(answer["errors"].values()))
    assert bot.commits() == before and beta_text(bot) == text
    no_traceback(bot)


def test_a_settings_form_that_does_not_say_what_it_showed_saves_only_the_changed_field(
    bot: Bot,
) -> None:
    view = opened_form(bot, "beta", "U0BOB")
    before = bot.commits()
    for shown in ("null", "[1]", '"x"'):
        meta = f'{{"program": "beta", "shown": {shown}}}'
        status, answer = post_view(bot, view, {}, "U0BOB", meta=meta)
        assert (status, answer) == (200, {})  # untouched: nothing to save
    assert bot.commits() == before
    meta = '{"program": "beta"}'
    status, answer = post_view(bot, view, {"prompt_time": "07:00"}, "U0BOB", meta=meta)
    assert (status, answer) == (200, {})
    dm = bot.fake.wait_for("chat.postMessage", timeout=10)[-1]
    assert "Settings saved: prompt_time=07:00" in dm.args["text"]
    assert bot.commits() == before + 1
    plan = tomllib.loads(beta_text(bot))
    assert plan["schedule"] == {"prompt_time": "07:00"}  # no default pinned into the plan
    assert set(plan["team"]) == {"leads", "editors", "standup_channel", "people"}
    no_traceback(bot)


@pytest.mark.parametrize("value", ["beta:999", "nosuch:1", "../x:1", "", "x" * 3000])
def test_a_tampered_settings_button_is_answered_in_one_short_line(bot: Bot, value: str) -> None:
    click_settings(bot, value, "U0BOB")
    dm = bot.fake.wait_for("chat.postMessage", timeout=10)[-1]
    assert (
        dm.args["channel"] == "U0BOB"
        and "no program" in dm.args["text"]
        and "here any more" in dm.args["text"]
    )
    assert len(dm.args["text"]) < 120
    time.sleep(0.2)
    assert bot.fake.calls_to("views.open") == []
    no_traceback(bot)


# ------------------------------------------------------------------ people, by name


def test_removing_someone_not_on_the_team_names_them_never_by_id(bot: Bot) -> None:
    before = bot.commits()
    bot.slash("beta team remove <@U0ALICE|alice>", user="U0BOB", name="bob", key="rm")
    text = json.dumps(bot.reply("rm"), ensure_ascii=False)
    assert "Alice Doe is not on the team" in text
    assert "U0ALICE" not in text and "&lt;@" not in text
    assert bot.commits() == before
    no_traceback(bot)


def test_the_last_lead_removing_themselves_is_refused_over_slack(bot: Bot) -> None:
    before, content = bot.commits(), beta_text(bot)
    bot.slash("beta team remove <@U0BOB|bob>", user="U0BOB", name="bob", key="rm")
    text = json.dumps(bot.reply("rm"), ensure_ascii=False)
    assert "Bob Roe is the last lead" in text and "U0BOB" not in text
    assert bot.commits() == before and beta_text(bot) == content


def test_the_longest_repo_and_labels_allowed_still_fit_the_settings_form_and_home(
    bot: Bot,
) -> None:
    from tests.e2e.test_home_e2e import open_home

    repo = "o" * 39 + "/" + "r" * 100
    labels = ",".join(["a" * 50, "b" * 50, "c" * 50, "d" * 44])  # 200 characters shown
    bot.slash(f"beta settings github_repo={repo} github_labels={labels}", user="U0BOB", key="s")
    assert "Settings saved" in json.dumps(bot.reply("s"))
    open_home(bot, "U0BOB")  # the fake refuses a tab past Block Kit's limits
    opened_form(bot, "beta", "U0BOB")  # … and a form whose value outgrows its field


# ------------------------------------------------------------------ forms of a program gone


def submit_form(bot: Bot, callback: str, meta: dict[str, Any], values: dict[str, Any]) -> Any:
    state = {
        block: {key: {"type": "plain_text_input", "value": value}}
        for block, (key, value) in values.items()
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": "U0ALICE", "name": "alice"},
        "api_app_id": "A0APP",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": callback,
            "private_metadata": json.dumps(meta),
            "state": {"values": state},
        },
    }
    status, _, out = post_signed(bot.url, interactive_body(payload), SECRET, FORM)
    assert status == 200
    return json.loads(out) if out.strip() else {}


@pytest.mark.parametrize(
    ("callback", "meta", "values"),
    [
        ("batch_update", {"batch": "batch-1"}, {"progress": ("value", "55")}),
        (
            "report_edit",
            {"week": "2026-W49", "channel": "C0PLAN", "ts": "1.2"},
            {"report_part_1": ("text", "# Gone's report\n")},
        ),
        ("lead_blocker_form", {}, {"batch": ("value", "batch-1"), "text": ("value", "a")}),
    ],
)
def test_a_form_of_a_program_no_longer_served_never_acts_on_the_first_program(
    bot: Bot, callback: str, meta: dict[str, Any], values: dict[str, Any]
) -> None:
    """Alice may edit the first program (no editors are named there); the form was opened
    for `gone`, whose plan file has been removed since."""
    from bot.render import lead_blocks

    callback = {"lead_blocker_form": lead_blocks.BLOCKER_FORM}.get(callback, callback)
    before, first = bot.commits(), bot.plan.read_text()
    answer = submit_form(bot, callback, {**meta, "program": "gone"}, values)
    assert answer["response_action"] == "errors", answer
    assert "no program 'gone' here any more" in json.dumps(answer)
    time.sleep(0.5)
    assert bot.commits() == before and bot.plan.read_text() == first
    assert not (bot.repo / "plan" / "reports").exists()
    no_traceback(bot)


# ------------------------------------------------------------------ tampered risk buttons


@pytest.mark.parametrize("button", ["reviewed", "update"])
@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("nosuch:1", "no program 'nosuch' here any more"),
        ("../x:1", "no program '../x' here any more"),
        ("beta:999", "there is no risk #999"),
        ("x" * 3000, "…"),
    ],
)
def test_a_tampered_risk_button_is_answered_in_a_line_and_changes_nothing(
    bot: Bot, button: str, value: str, said: str
) -> None:
    from bot.render import lead_blocks

    action_id = {"reviewed": lead_blocks.RISK_REVIEWED, "update": lead_blocks.RISK_UPDATE}
    before = bot.commits()
    click(bot, action_id[button], value, user="U0BOB")
    answer = bot.fake.wait_for("chat.postMessage", timeout=10)[-1].args["text"]
    assert said in answer and "Unknown command" not in answer
    assert len(answer.splitlines()[0]) < 120
    assert bot.fake.calls_to("views.open") == [] and bot.commits() == before
    no_traceback(bot)


def test_adding_someone_slack_cannot_look_up_says_the_name_their_mention_carried(
    bot: Bot,
) -> None:
    bot.slash("beta team add <@U0DAN|dan>", user="U0BOB", name="bob", key="add")
    text = json.dumps(bot.reply("add"), ensure_ascii=False)
    assert "dan (U0DAN) is on the team" in text and "unknown user" not in text
    bot.slash("beta team add <@U0ALICE|ali>", user="U0BOB", name="bob", key="a")
    assert "Alice Doe (U0ALICE) is on the team" in json.dumps(bot.reply("a"))  # looked up
