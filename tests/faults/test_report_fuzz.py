"""Issue 18: a fuzzer over the weekly report builder, so the next leak or crash is found first.

For any plan that validates (the generator of test_read_fuzz.py, hostile text in every field),
any history of the week (who, when, what changed — authors are user text too), any metrics
with or without their measured dates, and any standups (names and texts), the properties hold:

- `build_report` returns, and both renderers — the markdown pasted into GitHub and the Block
  Kit draft — render it: no exception escapes;
- the GitHub markdown (with the issue body's owners line and marker) holds no raw mention, no
  HTML, no comment, no markdown link, no `#123` reference from user text, and no
  `<!-- batchbot:` marker but the bot's own last line;
- the Block Kit holds no Slack control sequence (`<!channel>`, `<!here>`, `<@U…>`, a link)
  from user text, and stays within Slack's limits (50 blocks, 3,000-character sections).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.plan.commits import HistoryEntry
from bot.plan.edits import Change
from bot.plan.model import Measurement, PlanInvalid, parse_plan
from bot.render.report_blocks import fallback_text, report_blocks
from bot.render.report_markdown import to_markdown
from bot.report.publish import issue_body, marker
from bot.report.weekly import StandupWeek, WeekData, build_report, week_of
from tests.faults.test_read_fuzz import IN_RANGE, TEXT, plans
from tests.faults.test_text_safety import HOSTILE, assert_safe_for_github

HOSTILE_TEXT = st.one_of(TEXT, st.just(HOSTILE), st.sampled_from(["<!here>", "<@U0BOB>", "@x"]))
WHEN = st.datetimes(dt.datetime(1970, 1, 2), dt.datetime(2200, 12, 30), timezones=st.just(dt.UTC))


@dataclass(frozen=True)
class Standup:
    user_id: str
    user_name: str
    local_date: dt.date
    text: str


STANDUPS = st.lists(
    st.builds(
        Standup,
        st.sampled_from(["U0ANA", "U0BOB", "<!channel>"]),
        HOSTILE_TEXT,
        IN_RANGE,
        st.one_of(HOSTILE_TEXT, HOSTILE_TEXT.map(lambda t: f"blocked, need help: {t}")),
    ),
    max_size=4,
)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
    database=None,
)


@st.composite
def weeks(draw: st.DrawFn) -> tuple[Any, Any, list[HistoryEntry], dt.datetime]:
    data = draw(plans())
    metrics = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "prsMerged": st.integers(0, 50),
                "ciPassRate": st.floats(0, 100),
                "productionIncidents": st.integers(0, 3),
                "deploymentMinutes": st.floats(0, 100),
            },
        )
    )
    data["metrics"] = metrics
    data["measured"] = {
        name: {"source": draw(HOSTILE_TEXT) or "typed", "at": draw(WHEN)}
        for name in metrics
        if draw(st.booleans())
    }
    try:
        plan = parse_plan(data)
        start_plan = parse_plan({**data, "metrics": draw(st.just({}))})
    except PlanInvalid:
        plan = start_plan = None
    ids = [b["id"] for b in data["batches"]]
    history = [
        HistoryEntry(
            "0" * 40,
            draw(WHEN),
            draw(HOSTILE_TEXT),
            "x@example.com",
            draw(HOSTILE_TEXT),
            [
                Change(draw(st.sampled_from(ids)), field, None, value)
                for field, value in draw(
                    st.lists(
                        st.one_of(
                            st.tuples(st.just("status"), st.just("done")),
                            st.tuples(st.just("progress"), st.integers(0, 100)),
                            st.tuples(st.just("owner"), HOSTILE_TEXT),
                        ),
                        max_size=3,
                    )
                )
            ],
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    now = draw(WHEN)
    return plan, start_plan, history, now


@FUZZ
@given(week=weeks(), standups=st.one_of(st.none(), STANDUPS), names=HOSTILE_TEXT)
def test_any_valid_week_renders_safely_for_github_and_slack(
    week: tuple[Any, Any, list[HistoryEntry], dt.datetime],
    standups: list[Standup] | None,
    names: str,
) -> None:
    plan, start_plan, history, now = week
    if plan is None:
        return  # the plan did not validate: test_read_fuzz.py covers the refusal
    report_week = week_of(plan, now.date())
    data = WeekData(report_week, plan, start_plan, history)
    kept = StandupWeek(tuple(standups), ("U0ANA", "U0BOB")) if standups is not None else None
    report = build_report(data, now, kept, name_of=lambda uid: f"{names} {uid}")

    label = f"{report_week.start.isocalendar()[0]:04d}-W{report_week.start.isocalendar()[1]:02d}"
    body = issue_body(to_markdown(report), plan, label)
    bot_marker = marker(label)
    assert body.rstrip().endswith(bot_marker)
    owners = body[body.find("\n**Owners:**") :] if "\n**Owners:**" in body else ""
    logins = [word for word in owners.split() if word.startswith("@")]  # [people] logins only
    for login in logins:
        body = body.replace(login, "")
    assert_safe_for_github(body, bot_marker=bot_marker)

    blocks = report_blocks(report)
    shown = json.dumps(blocks, ensure_ascii=False) + fallback_text(report)
    for sequence in ("<!channel", "<!here", "<!everyone", "<@", "<http", "<!subteam"):
        assert sequence not in shown, (sequence, shown)
    assert len(blocks) <= 50
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= (150 if block["type"] == "header" else 3000)


def test_the_marker_fuzzed_into_a_goal_appears_only_as_the_bots_last_line() -> None:
    """The example that matters most, spelled out: next week's marker typed into a goal."""
    data = {
        "program": {"name": "P", "start": dt.date(2026, 11, 23)},
        "batches": [{"id": "batch-1", "name": "B"}],
        "goals": [
            {
                "text": "<!-- batchbot:weekly-report:2026-W50 -->",
                "week": "2026-W49",
                "setOn": dt.date(2026, 11, 27),
            }
        ],
        "measured": {"prsMerged": {"source": "x", "at": Measurement("x", dt.datetime.now()).at}},
        "metrics": {"prsMerged": 1},
    }
    plan = parse_plan(data)
    now = dt.datetime(2026, 12, 4, 15, tzinfo=dt.UTC)
    report = build_report(WeekData(week_of(plan, now.date()), plan, plan, []), now)
    body = issue_body(to_markdown(report), plan, "2026-W49")
    assert body.count("<!-- batchbot:") == 1
    assert body.rstrip().endswith("<!-- batchbot:weekly-report:2026-W49 -->")
