"""Issue 18 items 2 and 11: what people type is shown as typed, never as a ping or markup.

- In Slack: a batch named `<!channel> Launch` reached `/batch status batch-3`'s header raw
  (a plain_text header, which `esc()` never saw), and a blocker owner typed the way Slack
  sends it (`<@U0BOB|bob>`) was kept as that mention and shown as literal
  `&lt;@U0BOB|bob&gt;`. Mentions are now kept as the user id; every Block Kit text is escaped
  for its kind (mrkdwn `esc`, plain_text `plain`).
- In GitHub: a goal, blocker, risk, batch name, note or standup holding `@acme/everyone`,
  `@torvalds`, `<img src=x>`, `<details>`, a `<!-- batchbot:… -->` marker or a `[link](url)`
  went into the issue body as written: GitHub notified those people as the bot and rendered
  the HTML. Every user text in the report markdown goes through `bot.render.escape.gfm`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path

from bot.plan.model import Batch, Plan, Program
from bot.render.report_markdown import to_markdown
from bot.report.publish import issue_body
from bot.report.weekly import StandupWeek, WeekData, build_report
from bot.report.weeks import resolve_week
from tests.conftest import run_cli
from tests.faults.conftest import EdgeUnderTest
from tests.faults.test_slack_replies import slash

HOSTILE = (
    "@torvalds @acme/everyone <img src=x onerror=alert(1)> <details><summary>x</summary> "
    "<!-- batchbot:weekly-report:2026-W49 --> [click](https://evil.example) #1 &#64;octocat"
)
#: What must never reach the issue body from user text.
RAW_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
RAW_HTML = re.compile(r"<(?:[A-Za-z/?]|!--)")
CROSS_REF = re.compile(r"(?<![\w&])#[0-9]")


def assert_safe_for_github(markdown: str, bot_marker: str | None = None) -> None:
    text = markdown.replace(bot_marker, "") if bot_marker else markdown
    assert not RAW_MENTION.search(text), RAW_MENTION.search(text)
    assert not RAW_HTML.search(text), RAW_HTML.search(text)
    assert "<!-- batchbot:" not in text
    assert not re.search(r"(?<!\\)\]\(", text)  # no markdown link, no image
    assert not CROSS_REF.search(text), CROSS_REF.search(text)
    assert "&#64;" not in text  # an entity GitHub would decode into a mention


# --------------------------------------------------------------------------- Slack (item 11)


def test_a_channel_mention_in_a_batch_name_never_reaches_status_blocks_raw(
    slack_edge: EdgeUnderTest,
) -> None:
    slash(slack_edge, "update batch-3 name=<!channel> Launch")
    for words in ("status batch-3", "status"):
        shown = json.dumps(slash(slack_edge, words), ensure_ascii=False)
        assert "<!channel>" not in shown, (words, shown)
        assert "channel" in shown  # the name is still shown, as typed


def test_a_blocker_owner_typed_the_way_slack_sends_it_is_kept_as_the_user_id(
    slack_edge: EdgeUnderTest,
) -> None:
    slash(slack_edge, "blocker add batch-1 No staging access owner=<@U0BOB|bob>")
    slash(slack_edge, "update batch-2 owner=<@U0BOB|bob>")
    data = tomllib.loads(slack_edge.plan.read_text(encoding="utf-8"))
    assert data["blockers"][-1]["owner"] == "U0BOB"
    assert next(b for b in data["batches"] if b["id"] == "batch-2")["owner"] == "U0BOB"
    shown = json.dumps(slash(slack_edge, "blockers"), ensure_ascii=False)
    assert "&lt;@" not in shown and "U0BOB|bob" not in shown, shown
    assert "No staging access" in shown


# --------------------------------------------------------------------------- GitHub (item 2)


def test_user_text_in_every_part_of_the_weekly_report_is_escaped_for_github(
    plan_file: Path,
) -> None:
    def cli(*words: str) -> str:
        done = run_cli("--plan", str(plan_file), *words, cwd=plan_file.parent)
        assert done.returncode == 0, done.stderr
        return done.stdout

    cli("update", "batch-1", f"name=# {HOSTILE}", "status=blocked", f"notes={HOSTILE}")
    cli("update", "batch-2", "status=in-progress", "progress=30", f"owner={HOSTILE[:90]}")
    cli("goal", "add", HOSTILE, "week=this")
    cli("goal", "add", HOSTILE, "week=next")
    cli("blocker", "add", "batch-2", HOSTILE, f"resolution={HOSTILE}")
    cli("risk", "add", "Risky", "probability=high", "impact=high", f"mitigation={HOSTILE}")
    markdown = cli("weekly")
    assert "torvalds" in markdown and "img src=x" in markdown  # shown, as text
    assert_safe_for_github(markdown)


def test_standup_text_and_names_in_the_issue_body_never_mention_or_mark() -> None:
    @dataclass_like
    class Standup:
        user_id: str = "U0ANA"
        user_name: str = "@ana <b>"
        local_date: dt.date = dt.date(2026, 12, 1)
        text: str = f"blocked, need help: {HOSTILE}"

    plan = Plan(
        program=Program(name=f"<details> {HOSTILE}", start=dt.date(2026, 11, 23)),
        batches=(Batch("b1", f"@torvalds {HOSTILE}", status="in-progress", owner="U0ANA"),),
        people={"U0ANA": "ana-gh"},
    )
    week = resolve_week(plan, None, dt.date(2026, 12, 4))
    now = dt.datetime(2026, 12, 4, 15, tzinfo=dt.UTC)
    report = build_report(
        WeekData(week, plan, plan, []),
        now,
        StandupWeek(entries=(Standup(),), team=("U0ANA",)),
        name_of=lambda uid: "<!-- batchbot:weekly-report:2026-W50 --> @boss",
    )
    body = issue_body(to_markdown(report), plan, "2026-W49")
    assert "@ana-gh" in body  # the owner's GitHub login: the one mention the bot means
    assert_safe_for_github(
        body.replace("@ana-gh", ""), bot_marker="<!-- batchbot:weekly-report:2026-W49 -->"
    )


def dataclass_like(cls: type) -> type:
    from dataclasses import dataclass

    return dataclass(frozen=True)(cls)
