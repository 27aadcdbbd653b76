"""Issue 12, fuzzer over the shared command path: `bot.commands.handle` on a real git plan repo.

Whatever words arrive (verbs, batch ids, key=value pairs with every kind of value people or
scripts type: control characters, huge integers, 1e308, nan, quotes, unicode), the properties
hold:
- no exception escapes `handle`;
- a refused command (exit code ≠ 0) leaves the plan file's bytes and git's HEAD as they were;
- after any accepted change the plan still loads and the history (all of it, and per batch)
  still reads, through the command path as well.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.commands import VERBS, Command, Context, handle
from bot.plan.edits import BATCH_KEYS, METRIC_KEYS
from bot.plan.store import Actor, PlanStore
from tests.conftest import SHIPPED_PLAN, git, init_repo

BATCH_IDS = ["batch-1", "batch-2", "batch-3", "batch-9", "BATCH-1", "Infrastructure"]
VALUES = [
    "",
    "0",
    "50",
    "100",
    "101",
    "-1",
    "99999999999999999999999",
    "9223372036854775807",
    "9223372036854775808",
    "1e308",
    "1e309",
    "-0",
    "nan",
    "inf",
    "-inf",
    "12.5",
    "12.5%",
    "done",
    "in-progress",
    "queued",
    "blocked",
    "none",
    "batch-1",
    "batch-1,batch-2",
    "P0",
    "<@U0BOB>",
    "<!channel>",
    "Sec\x1eurity",
    "a\x00b",
    "line\nbreak",
    "tab\there",
    "\x1b[31mred",
    "a\x7fb",
    "'quoted'",
    '"',
    "“curly”",
    "a = b",
    "😀",
    "x" * 201,
]
KEYS = [*BATCH_KEYS, *METRIC_KEYS, "bogus", "target", "note", "prs"]
VALUE = st.one_of(st.sampled_from(VALUES), st.text(max_size=8))
PAIR = st.builds(lambda k, v: f"{k}={v}", st.sampled_from(KEYS), VALUE)
WORDS = st.one_of(
    st.tuples(st.just("update"), st.sampled_from(BATCH_IDS), PAIR),
    st.tuples(st.just("metrics"), PAIR),
    st.tuples(st.just("update"), st.sampled_from(BATCH_IDS), st.lists(PAIR, max_size=4)).map(
        lambda t: ("update", t[1], *t[2])
    ),
    st.tuples(st.just("metrics"), st.lists(PAIR, max_size=3)).map(lambda t: ("metrics", *t[1])),
    st.lists(
        st.one_of(
            st.sampled_from([*VERBS, "help", *BATCH_IDS, "Week 3"]), PAIR, st.text(max_size=8)
        ),
        max_size=4,
    ).map(tuple),
)

FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
    database=None,  # nothing written into the checkout; derandomized runs repeat anyway
)


class Fixed:
    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=1)
        return self.now


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Context, Path, Path]:
    repo = init_repo(tmp_path_factory.mktemp("cmd") / "repo")
    (repo / "plan").mkdir()
    plan = repo / "plan" / "execution-plan.toml"
    shutil.copy(SHIPPED_PLAN, plan)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "plan")
    clock = Fixed()
    ctx = Context(store=PlanStore(plan, clock=clock), clock=clock)
    return ctx, repo, plan


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def shown(reply: Any) -> str:
    from bot.render.markdown import render

    return render(reply)


@given(words=WORDS, origin=st.sampled_from(["cli", "shell", "slack"]))
@example(words=("update", "batch-3", "name=Sec\x1eurity"), origin="cli")  # issue 12 item 2
@example(words=("update", "batch-3", "notes=a\x00b"), origin="slack")
@example(words=("metrics", "deploymentMinutes=1e308"), origin="cli")  # item 10
@FUZZ
def test_any_command_is_answered_and_a_refusal_changes_nothing(
    world: tuple[Context, Path, Path], words: tuple[str, ...], origin: str
) -> None:
    ctx, repo, plan = world
    before_bytes, before_head = plan.read_bytes(), head(repo)
    actor = Actor("Fuzz", slack_id="U0ALICE") if origin == "slack" else Actor("Fuzz")
    reply = handle(Command(actor, words, origin), ctx)  # type: ignore[arg-type]
    shown(reply)  # rendering never raises either
    if not reply.ok:
        assert plan.read_bytes() == before_bytes, (words, reply)
        assert head(repo) == before_head, (words, reply)
    if reply.plan_changed:
        ctx.store.load()
        ctx.store.history(limit=0)
        for batch in ("batch-1", "batch-2", "batch-3"):
            ctx.store.history(batch)
        for check in (("history",), ("history", "batch-2"), ("status", "batch-2"), ("validate",)):
            again = handle(Command(actor, check, origin), ctx)  # type: ignore[arg-type]
            assert again.ok, (words, check, shown(again))
