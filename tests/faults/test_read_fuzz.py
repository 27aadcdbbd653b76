"""Issue 18 item 6: a plan that validates never crashes a read.

`update batch-2 targetDate=0001-01-01` made `weekly`, the Friday job and `report publish`
fail with OverflowError in the gantt; a hand-edited `[program] start = 9999-12-27` passed
`validate` and then crashed status, dashboard, weekly and chart. Dates are now bounded
(1970-01-01 – 2200-12-31) when typed and by `validate`; the property below holds for any plan:

- either `parse_plan` refuses it (with a one-line reason per problem), or
- every read command — status, status <id>, dashboard, weekly (this week and Week N),
  history, goals, blockers, risks, metrics, chart — answers through `bot.commands.handle`
  without an exception, at any "today" in the allowed years, and its reply renders as
  terminal text and as Block Kit; the App Home view renders too.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.commands import Command, Context, handle
from bot.plan.model import PlanInvalid, parse_plan
from bot.plan.store import Actor, PlanStore
from bot.render import blocks as kit
from bot.render.markdown import render
from tests.conftest import SHIPPED_PLAN, git, init_repo, run_cli

READS = [
    "status",
    "status batch-1",
    "status batch-2",
    "dashboard",
    "weekly",
    "weekly Week 1",
    "weekly Week 9999",
    "history",
    "history batch-1",
    "goals",
    "blockers",
    "risks",
    "metrics",
    "chart",
]

# Dates mostly in the allowed years, sometimes at Python's very edges.
EDGE_DAYS = [dt.date(1, 1, 1), dt.date(1, 1, 13), dt.date(9999, 12, 27), dt.date(9999, 12, 31)]
IN_RANGE = st.dates(dt.date(1970, 1, 1), dt.date(2200, 12, 31))
NEAR_EDGES = st.sampled_from(
    [dt.date(1970, 1, 1), dt.date(1970, 1, 5), dt.date(2200, 12, 25), dt.date(2200, 12, 31)]
)
DAY = st.one_of(IN_RANGE, NEAR_EDGES, NEAR_EDGES, st.sampled_from(EDGE_DAYS), st.dates())
TEXT = st.one_of(
    st.sampled_from(["", "x", "<!channel>", "@torvalds", "<!-- batchbot:weekly-report:x -->"]),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
)
TARGET = st.one_of(
    DAY.map(dt.date.isoformat),
    st.integers(0, 9999).map(lambda n: f"Week {n}"),
    st.tuples(st.integers(0, 9999), st.integers(0, 9999)).map(lambda t: f"Week {t[0]}–{t[1]}"),
    TEXT,
)
STATUS = st.sampled_from(["not-started", "queued", "in-progress", "blocked", "done"])
LEVEL = st.sampled_from(["Low", "Medium", "High", "Critical"])
WEEK = st.one_of(
    DAY.map(lambda d: f"{d.isocalendar()[0]:04d}-W{d.isocalendar()[1]:02d}"),
    st.sampled_from(["0001-W01", "9999-W52", "2026-W53"]),
)


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 4))
    ids = [f"batch-{i + 1}" for i in range(n)]
    batches = []
    for i, bid in enumerate(ids):
        status = draw(STATUS)
        batches.append(
            {
                "id": bid,
                "name": draw(TEXT) or bid,
                "status": status,
                "progress": 100 if status == "done" else draw(st.integers(0, 100)),
                "targetDate": draw(TARGET),
                "owner": draw(st.sampled_from(["", "U0ANA", "<@U0BOB|bob>", "Ana", "@x"])),
                "blockers": draw(st.lists(st.sampled_from(ids[:i]), unique=True)) if i else [],
                "notes": draw(TEXT),
            }
        )
    data: dict[str, Any] = {"program": {"name": draw(TEXT)}, "batches": batches}
    if draw(st.booleans()):
        data["program"]["start"] = draw(DAY)
    data["metrics"] = draw(
        st.fixed_dictionaries(
            {}, optional={"prsMerged": st.integers(0, 50), "coverage": st.floats(0, 100)}
        )
    )
    data["risks"] = [
        {
            "risk": draw(TEXT) or "r",
            "probability": draw(LEVEL),
            "impact": draw(LEVEL),
            "mitigation": draw(TEXT),
            **({"reviewed": draw(DAY)} if draw(st.booleans()) else {}),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    goals = [
        {"text": draw(TEXT) or "g", "week": draw(WEEK), "setOn": draw(DAY)}
        for _ in range(draw(st.integers(0, 2)))
    ]
    if goals:
        data["goals"] = goals
    blockers = [
        {"batch": draw(st.sampled_from(ids)), "text": draw(TEXT) or "b", "raised": draw(DAY)}
        for _ in range(draw(st.integers(0, 2)))
    ]
    if blockers:
        data["blockers"] = blockers
    if draw(st.booleans()):
        data["calendar"] = {"holidays": [{"day": draw(DAY)}]}
    return data


FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
    database=None,
)


class Clock:
    now = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Context, Path, Path, Clock]:
    repo = init_repo(tmp_path_factory.mktemp("reads") / "repo")
    (repo / "plan").mkdir()
    plan = repo / "plan" / "execution-plan.toml"
    shutil.copy(SHIPPED_PLAN, plan)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "plan")
    clock = Clock()
    return Context(store=PlanStore(plan, clock=clock), clock=clock), repo, plan, clock


def read_everything(ctx: Context, today: dt.date) -> None:
    for words in READS:
        reply = handle(Command.from_text(Actor("Fuzz"), words, "shell"), ctx)
        render(reply)
        kit.render(reply)
    kit.home_view(ctx.store.load(), today=today)


@FUZZ
@given(data=plans(), today=IN_RANGE)
@example(
    data={
        "program": {"name": "P", "start": dt.date(2026, 11, 23)},
        "batches": [{"id": "batch-1", "name": "B", "targetDate": "0001-01-01"}],
    },
    today=dt.date(2026, 12, 4),
)
@example(
    data={
        "program": {"name": "P", "start": dt.date(9999, 12, 27)},
        "batches": [{"id": "batch-1", "name": "B"}],
    },
    today=dt.date(2026, 12, 4),
)
def test_a_plan_that_validates_can_be_read_by_every_read_command(
    world: tuple[Context, Path, Path, Clock], data: dict[str, Any], today: dt.date
) -> None:
    ctx, repo, plan_path, clock = world
    try:
        parse_plan(data)
    except PlanInvalid as exc:
        for problem in exc.problems:  # refused, each problem in one line
            assert "\n" not in str(problem)
        return
    plan_path.write_text(tomli_w.dumps(data), encoding="utf-8")
    git(repo, "commit", "-qam", "fuzzed plan", "--allow-empty")
    clock.now = dt.datetime.combine(today, dt.time(15), dt.UTC)
    read_everything(ctx, today)


@pytest.mark.parametrize(
    ("words", "what"),
    [
        (("update", "batch-2", "targetDate=0001-01-01"), "targetDate"),
        (("update", "batch-2", "targetDate=9999-12-31"), "targetDate"),
        (("holiday", "add", "9999-12-31"), "date"),
        (("goal", "add", "x", "week=9999-W52"), "week"),
    ],
)
def test_dates_out_of_range_are_refused_when_typed(
    plan_file: Path, words: tuple[str, ...], what: str
) -> None:
    before = plan_file.read_bytes()
    done = run_cli("--plan", str(plan_file), *words, cwd=plan_file.parent)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr
    assert plan_file.read_bytes() == before


def test_validate_refuses_a_hand_edited_start_past_2200_and_says_the_range(plan_file: Path) -> None:
    text = plan_file.read_text(encoding="utf-8").replace("start = 2026-11-23", "start = 9999-12-27")
    plan_file.write_text(text, encoding="utf-8")
    done = run_cli("--plan", str(plan_file), "validate", cwd=plan_file.parent)
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "program.start" in out and "between 1970-01-01 and 2200-12-31" in out, out
    assert "Traceback" not in out
    for words in (("status",), ("dashboard",), ("weekly",)):
        read = run_cli("--plan", str(plan_file), *words, cwd=plan_file.parent)
        assert "Traceback" not in read.stderr, (words, read.stderr)
