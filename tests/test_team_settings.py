"""Specs for the team's settings kept in the plan (`[team]`, `[schedule]`): one merge rule
(plan over environment over default), edits by a lead as one commit each through the one
write path, and every consumer reading them at use time — no restart.

Real parts: a git repository per test, the real PlanStore, a SQLite database, the runtime
built by the composition root. 2026-12-07 is a Monday.
"""

from __future__ import annotations

import datetime as dt
import io
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.commands import Command, handle
from bot.doctor import team_checks
from bot.jobs import run_job
from bot.messenger import ConsoleMessenger
from bot.plan import codec
from bot.plan.model import PlanInvalid
from bot.plan.store import Actor
from bot.plan.team import Person, TeamSettings, effective, shadowed
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings, team_defaults
from tests.conftest import git, run_cli

LEAD = Actor("Bob Lead", "bob@example.com", slack_id="U0BOB")
ALICE = Actor("Alice", "alice@example.com", slack_id="U0ALICE")
TEAM_TOML = """
[team]
editors = ["U0ANA"]
leads = ["U0ANA"]
report_channel = "<#C0PLANREP|reports>"
[[team.people]]
id = "U0ANA"
name = "Ana"
tz = "Asia/Tokyo"

[schedule]
prompt_time = "08:00"
report_day = "thu"
"""


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def settings_for(plan: Path, tmp: Path, **env: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        execution_plan_path=plan,
        database_url=f"sqlite:///{tmp / 'bot.db'}",
        **env,
    )


def runtime(plan: Path, tmp: Path, clock: Clock, **env: Any) -> tuple[Runtime, ConsoleMessenger]:
    messenger = ConsoleMessenger(out=io.StringIO())
    return build_runtime(settings_for(plan, tmp, **env), messenger, clock=clock), messenger


def slack(rt: Runtime, actor: Actor, text: str) -> Any:
    return handle(Command.from_text(actor, text, "slack"), rt.ctx)


def commit_count(plan: Path) -> int:
    return int(git(plan.parent, "rev-list", "--count", "HEAD").strip())


# --------------------------------------------------------------------------- the one rule


def test_a_value_the_plan_sets_wins_and_the_rest_stays_the_environments() -> None:
    env = TeamSettings(
        editors=("U0ENV",),
        standup_channel="C0ENV",
        sources={"editors": "environment", "standup_channel": "environment"},
    )
    team = effective({"editors": ("U0PLAN",), "prompt_time": dt.time(8)}, env)
    assert team.editors == ("U0PLAN",) and team.source("editors") == "plan"
    assert team.standup_channel == "C0ENV" and team.source("standup_channel") == "environment"
    assert team.prompt_time == dt.time(8) and team.source("prompt_time") == "plan"
    assert team.digest_time == dt.time(11, 30) and team.source("digest_time") == "default"
    assert shadowed({"editors": ("U0PLAN",), "prompt_time": dt.time(8)}, env) == ["editors"]


def test_environment_defaults_say_which_variables_are_set(tmp_path: Path) -> None:
    s = settings_for(tmp_path / "p.toml", tmp_path, team="U0A,U0B", standup_time="10:15")
    team = team_defaults(s)
    assert team.team == ("U0A", "U0B") and team.source("people") == "environment"
    assert team.prompt_time == dt.time(10, 15) and team.source("prompt_time") == "environment"
    assert team.source("editors") == "default"


def test_team_tables_round_trip_and_older_plans_keep_their_bytes(plan_file: Path) -> None:
    before = plan_file.read_text()
    plain = codec.loads(before, "p", False)
    assert plain.team == {} and codec.dumps(plain, as_json=False) == before
    plan = codec.loads(before + TEAM_TOML, "p", False)
    assert plan.team["report_channel"] == "C0PLANREP"  # a channel mention is kept as its id
    assert plan.team["people"] == (Person("U0ANA", "Ana", tz="Asia/Tokyo"),)
    again = codec.loads(codec.dumps(plan, as_json=False), "p", False)
    assert again.team == plan.team


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ('[schedule]\nprompt_time = "9.30"', "schedule.prompt_time: must be a time HH:MM"),
        ('[schedule]\nreport_time = "02:30"', "must not fall in 01:00–03:59"),
        ('[schedule]\nreport_day = "someday"', "is not a weekday"),
        ('[schedule]\nholiday_country = "XX"', "is not a country code"),
        ('[team]\nstandup_channel = "#general"', "is not a Slack channel"),
        ('[team]\neditors = ["ana"]', "is not a Slack user"),
        ('[team]\nprompt_time = "08:00"', "team.prompt_time: is not a known setting"),
        ('[team]\npeople = [{id = "U0A", tz = "Mars/Base"}]', "not an IANA time zone"),
        ('[team]\npeople = [{id = "U0A"}, {id = "U0A"}]', "U0A is listed twice"),
    ],
)
def test_a_bad_team_setting_in_the_plan_is_named_with_where_it_is(
    plan_file: Path, toml: str, problem: str
) -> None:
    with pytest.raises(PlanInvalid) as err:
        codec.loads(plan_file.read_text() + "\n" + toml + "\n", "plan", False)
    assert problem in str(err.value)


# --------------------------------------------------------------------------- edits


def test_a_lead_changes_settings_from_slack_as_one_commit_by_that_lead(
    plan_file: Path, tmp_path: Path
) -> None:
    rt, _ = runtime(
        plan_file, tmp_path, Clock(dt.datetime(2026, 12, 7, tzinfo=dt.UTC)), lead="U0BOB"
    )
    before = commit_count(plan_file)
    reply = slack(rt, LEAD, "settings prompt_time=08:15 standup_channel=<#C0NEWSTAND|standup>")
    assert reply.ok, reply
    assert commit_count(plan_file) == before + 1
    assert git(plan_file.parent, "log", "-1", "--format=%an <%ae>").strip() == (
        "Bob Lead <bob@example.com>"
    )
    saved = tomllib.loads(plan_file.read_text())
    assert saved["schedule"] == {"prompt_time": "08:15"}
    assert saved["team"] == {"standup_channel": "C0NEWSTAND"}


def test_a_setting_already_so_is_not_said_to_be_saved_and_makes_no_commit(
    plan_file: Path, tmp_path: Path
) -> None:
    rt, _ = runtime(
        plan_file, tmp_path, Clock(dt.datetime(2026, 12, 7, tzinfo=dt.UTC)), lead="U0BOB"
    )
    assert slack(rt, LEAD, "settings report_day=thu").ok
    before = commit_count(plan_file)
    again = slack(rt, LEAD, "settings report_day=Thursday")
    assert again.ok and again.view.title == "Settings unchanged: already report_day=thu"
    assert "saved" not in again.view.title.lower()
    assert commit_count(plan_file) == before


def test_only_a_lead_changes_settings_and_a_refusal_changes_nothing(
    plan_file: Path, tmp_path: Path
) -> None:
    rt, _ = runtime(
        plan_file, tmp_path, Clock(dt.datetime(2026, 12, 7, tzinfo=dt.UTC)), lead="U0BOB"
    )
    before = plan_file.read_text()
    refused = slack(rt, ALICE, "settings prompt_time=07:00")
    assert not refused.ok and "only a lead of this plan can change it" in refused.view.message
    bad = slack(rt, LEAD, "settings prompt_time=7am")
    assert not bad.ok and "prompt_time: must be a time HH:MM" in bad.view.message
    unknown = slack(rt, LEAD, "settings promt_time=07:00")
    assert not unknown.ok and "did you mean prompt_time" in unknown.view.message
    assert plan_file.read_text() == before


def test_editors_named_in_the_plan_replace_the_environments_at_once(
    plan_file: Path, tmp_path: Path
) -> None:
    rt, _ = runtime(
        plan_file,
        tmp_path,
        Clock(dt.datetime(2026, 12, 7, tzinfo=dt.UTC)),
        editors="U0ALICE",
        lead="U0BOB",
    )
    assert slack(rt, ALICE, "update batch-1 progress=10").ok
    assert slack(rt, LEAD, "settings editors=<@U0BOB|bob>").ok
    refused = slack(rt, ALICE, "update batch-1 progress=20")  # same process: no restart
    assert not refused.ok and "not allowed" in refused.view.message
    assert "BATCHBOT_EDITORS" not in refused.view.hint  # a Slack user cannot see settings


def test_team_add_keeps_the_environments_people_and_remove_takes_every_role(
    plan_file: Path, tmp_path: Path
) -> None:
    rt, _ = runtime(
        plan_file,
        tmp_path,
        Clock(dt.datetime(2026, 12, 7, tzinfo=dt.UTC)),
        team="U0ALICE",
        lead="U0BOB",
    )
    added = slack(
        rt, LEAD, "team add <@U0DAN|dan> name=Dan github=dan-gh tz=Asia/Tokyo role=editor"
    )
    assert added.ok, added
    team = rt.ctx.team_settings()
    assert team.team == ("U0ALICE", "U0DAN") and team.editors == ("U0DAN",)
    assert team.person("U0DAN") == Person("U0DAN", "Dan", "dan-gh", "Asia/Tokyo")
    assert not slack(rt, LEAD, "team add <@U0EVE> tz=Nowhere/Land").ok
    assert slack(rt, LEAD, "team remove <@U0DAN|dan>").ok
    team = rt.ctx.team_settings()
    assert team.team == ("U0ALICE",) and team.editors == ()
    gone = slack(rt, LEAD, "team remove <@U0DAN>")
    assert not gone.ok and "not on the team" in gone.view.message


def test_settings_shows_each_value_and_where_it_came_from(plan_file: Path, tmp_path: Path) -> None:
    plan_file.write_text(plan_file.read_text() + TEAM_TOML)
    rt, _ = runtime(
        plan_file, tmp_path, Clock(dt.datetime(2026, 12, 7, tzinfo=dt.UTC)), digest_time="12:00"
    )
    lines = "\n".join(slack(rt, ALICE, "settings").view.lines)
    assert "prompt_time = 08:00  (plan)" in lines
    assert "digest_time = 12:00  (environment: BATCHBOT_DIGEST_TIME)" in lines
    assert "reminder_hours = 2  (default)" in lines


# --------------------------------------------------------------------------- read at use time


def test_the_next_prompt_uses_the_time_a_lead_just_set_without_a_restart(
    plan_file: Path, tmp_path: Path
) -> None:
    monday_0805 = dt.datetime(2026, 12, 7, 8, 5, tzinfo=dt.UTC)
    clock = Clock(monday_0805)
    rt, messenger = runtime(plan_file, tmp_path, clock, team="U0ALICE", lead="U0BOB")
    assert rt.standups.prompts.run_prompts(monday_0805).sent == 0  # default 09:30
    assert slack(rt, LEAD, "settings prompt_time=08:00").ok
    assert rt.standups.prompts.run_prompts(monday_0805).sent == 1
    assert [k for k, who, _ in messenger.sent if who == "U0ALICE"] == ["dm"]
    rt.db.close()


def test_a_person_prompted_at_their_own_time_zone_from_the_plan(
    plan_file: Path, tmp_path: Path
) -> None:
    plan_file.write_text(plan_file.read_text() + TEAM_TOML)  # Ana: Asia/Tokyo, 08:00
    tokyo_0801 = dt.datetime(2026, 12, 7, 8, 1, tzinfo=ZoneInfo("Asia/Tokyo"))
    rt, messenger = runtime(plan_file, tmp_path, Clock(tokyo_0801))
    assert rt.standups.prompts.run_prompts(tokyo_0801).sent == 1
    assert messenger.sent[0][:2] == ("dm", "U0ANA")
    rt.db.close()


def test_the_weekly_report_goes_to_the_plans_channel_on_the_plans_day(
    plan_file: Path, tmp_path: Path
) -> None:
    plan_file.write_text(plan_file.read_text() + TEAM_TOML)  # thursday, C0PLANREP
    git(plan_file.parent, "commit", "-qam", "team settings")
    thursday = dt.datetime(2026, 12, 10, 15, 5, tzinfo=dt.UTC)
    rt, messenger = runtime(plan_file, tmp_path, Clock(thursday), report_channel="C0ENVREP")
    result = run_job(rt, "weekly-report", thursday)
    assert result.sent == 1, result.summary
    assert [c for k, c, _ in messenger.sent if k == "post"] == ["C0PLANREP"]
    rt.db.close()


# --------------------------------------------------------------------------- import, doctor


def test_settings_import_writes_the_environment_into_the_plan_as_one_commit(
    plan_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {
        "BATCHBOT_TEAM": "U0ALICE,U0BOB",
        "BATCHBOT_EDITORS": "U0BOB",
        "BATCHBOT_STANDUP_CHANNEL": "C0STAND",
        "BATCHBOT_REPORT_CHANNEL": "#delivery",  # a name, not an id: stays in the environment
        "BATCHBOT_STANDUP_TIME": "10:00",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
    }.items():
        monkeypatch.setenv(key, value)
    before = commit_count(plan_file)
    first = run_cli("settings", "import", "--plan", str(plan_file), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "imported people, editors, standup_channel, prompt_time" in out
    assert "left in the environment: BATCHBOT_REPORT_CHANNEL" in out
    assert commit_count(plan_file) == before + 1
    data = tomllib.loads(plan_file.read_text())
    assert data["team"]["people"] == [{"id": "U0ALICE"}, {"id": "U0BOB"}]
    assert data["schedule"] == {"prompt_time": "10:00"}
    again = run_cli("settings", "import", "--plan", str(plan_file), cwd=tmp_path)
    assert again.returncode == 0 and "Nothing to import" in again.stdout
    assert commit_count(plan_file) == before + 1


def test_doctor_names_each_settings_source_and_warns_when_the_plan_shadows_the_environment(
    plan_file: Path, tmp_path: Path
) -> None:
    plan_file.write_text(plan_file.read_text() + TEAM_TOML)
    s = settings_for(plan_file, tmp_path, editors="U0OLD", digest_time="12:00")
    checks = {(c.name, c.status): c.detail for c in team_checks(s, plan_file)}
    assert checks[("team editors", "ok")] == "U0ANA — from plan"
    assert checks[("team digest_time", "ok")] == "12:00 — from environment (BATCHBOT_DIGEST_TIME)"
    assert checks[("team reminder_hours", "ok")] == "2 — from default"
    assert (
        "BATCHBOT_EDITORS is set but the plan's [team] editors wins"
        in checks[("team editors", "warn")]
    )
