"""Linked work: a batch follows its GitHub milestone or label, measured to the exact figure over
the fake GitHub's REST API (paged like GitHub, pull requests among the issues), committed to a
real git plan by `batchbot metrics collect`'s command path."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.commands import Command, Context, handle
from bot.github import GitHubConfig
from bot.github.client import GitHubAdapter
from bot.github.service import GitHubService
from bot.plan.store import Actor, PlanStore
from bot.render.markdown import render
from bot.report.linked import Item, count
from tests.fakegithub import FakeGitHub
from tests.test_weekly_report import Clock, at

TOKEN = "ghp_linked_token_0123456789"
REPO = "acme/shop"
LEAD = Actor("Lea", slack_id="ULEAD0001")
WHEN = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)


def test_closed_issues_and_merged_pulls_are_done_and_dropped_work_is_left_out() -> None:
    items = [
        Item("closed", pull=False),  # done
        Item("closed", pull=True, merged=True),  # done
        Item("open", pull=False),  # to do
        Item("open", pull=True),  # to do
        Item("closed", pull=True, merged=False),  # closed unmerged: left out
        Item("closed", pull=False, not_planned=True),  # not planned: left out
    ]
    assert count(items) == (2, 4)
    assert count([]) == (0, 0)


def busy_repo(gh: FakeGitHub) -> None:
    """2,000 issues and pull requests; 30 in milestone "Infra v1", 12 labelled "security"."""
    gh.add_repo(REPO)
    gh.add_milestone(REPO, "Infra v1")
    gh.add_milestone(REPO, "Later", state="closed")
    for n in range(1958):
        gh.add_issue(REPO, title=f"noise {n}", created=WHEN, state="closed" if n % 3 else "open")
    for n in range(30):  # 10 closed issues, 8 merged PRs, 2 closed unmerged PRs, 10 open
        if n < 10:
            gh.add_issue(REPO, created=WHEN, state="closed", milestone="Infra v1")
        elif n < 18:
            gh.add_issue(REPO, created=WHEN, pull=True, merged=WHEN, milestone="Infra v1")
        elif n < 20:
            gh.add_issue(REPO, created=WHEN, pull=True, state="closed", milestone="Infra v1")
        else:
            gh.add_issue(REPO, created=WHEN, milestone="Infra v1")
    for n in range(12):  # 3 done, 1 not planned, 8 open
        state = "closed" if n < 4 else "open"
        reason = "not_planned" if n == 3 else None
        gh.add_issue(REPO, created=WHEN, labels=("security",), state=state, state_reason=reason)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub({TOKEN: {"issues:write"}}) as gh:
        busy_repo(gh)
        yield gh


def service(fake: FakeGitHub) -> GitHubService:
    def build() -> GitHubAdapter:
        return GitHubAdapter(GitHubConfig(repo=REPO, token=TOKEN, api_url=fake.url, backoff=0.01))

    return GitHubService(build, lambda: None, ("weekly-report",), "test")  # type: ignore[arg-type,return-value]


@pytest.fixture
def ctx(plan_file: Path, fake: FakeGitHub) -> Context:
    clock = Clock(at(4, 10))
    return Context(store=PlanStore(plan_file, clock=clock), clock=clock, github=service(fake))


def say(ctx: Context, text: str, actor: Actor = LEAD) -> tuple[int, str]:
    reply = handle(Command.from_text(actor, text, "cli"), ctx)
    return reply.exit_code, render(reply)


def test_linked_batches_follow_their_milestone_and_label_to_the_exact_figure(
    ctx: Context, fake: FakeGitHub, plan_file: Path
) -> None:
    assert say(ctx, '/batch link batch-2 milestone="Infra v1"')[0] == 0
    assert say(ctx, "/batch link batch-3 label=security")[0] == 0
    before = len(fake.calls)
    code, text = say(ctx, "/batch metrics collect")
    assert "Infrastructure: 18 of 28 closed (64%)" in text, text
    assert "Security: 3 of 11 closed (27%)" in text, text
    calls = fake.calls[before:]
    linked = [c.path for c in calls if c.path.endswith(("/milestones", f"{REPO}/issues"))]
    # The milestones once, then one page per link: 2,000 issues in the repository cost nothing.
    assert linked == [f"/repos/{REPO}/milestones", f"/repos/{REPO}/issues", f"/repos/{REPO}/issues"]
    data = tomllib.loads(plan_file.read_text())
    b2 = next(b for b in data["batches"] if b["id"] == "batch-2")
    assert (b2["progress"], b2["status"]) == (64, "in-progress")
    assert data["links"]["batch-2"]["done"] == 18 and data["links"]["batch-2"]["total"] == 28
    code, links = say(ctx, "/batch links")
    assert code == 0
    assert 'batch-2 Infrastructure: 64% — 18 of 28 closed in milestone "Infra v1"' in links
    # The work moves on GitHub; the next collection follows, with nobody typing a %.
    for number in range(1959, 1969):  # the first ten of the milestone's open ones... closed
        fake.close_issue(REPO, number + 20)
    code, text = say(ctx, "/batch metrics collect")
    assert "Infrastructure: 28 of 28 closed (100%)" in text, text
    assert "batch-2" in {c.target for c in ctx.store.history("batch-2", limit=5)[0].changes}


def test_a_typed_progress_on_a_linked_batch_is_refused_until_it_is_unlinked(
    ctx: Context, plan_file: Path
) -> None:
    say(ctx, '/batch link batch-2 milestone="Infra v1"')
    before = plan_file.read_text()
    code, text = say(ctx, "/batch update batch-2 progress=40")
    assert code == 1
    assert 'progress is measured from GitHub (milestone "Infra v1")' in text
    assert "/batch unlink batch-2" in text
    assert plan_file.read_text() == before
    assert say(ctx, "/batch update batch-2 notes=ok progress=0")[0] == 0  # same value: fine
    assert say(ctx, "/batch unlink batch-2")[0] == 0
    assert say(ctx, "/batch update batch-2 progress=40")[0] == 0


def test_link_mistakes_get_one_line_and_change_nothing(ctx: Context, plan_file: Path) -> None:
    before = plan_file.read_text()
    for words, says in (
        ("link batch-2", "link one of"),
        ("link batch-2 milestone=x label=y", "link one of"),
        ("link nope label=x", "nope"),
        ("link batch-2 Infra", "link takes milestone="),
        ("unlink batch-2", "not linked"),
        ("link batch-2 label=" + "x" * 101, "label is 101 characters"),
        ("link batch-2 milestone=" + "m" * 201, "milestone is 201 characters"),
    ):
        code, text = say(ctx, f"/batch {words}")
        assert code != 0 and says in text, (words, text)
    assert plan_file.read_text() == before


def test_a_milestone_github_does_not_have_is_named_and_the_rest_still_measured(
    ctx: Context,
) -> None:
    say(ctx, '/batch link batch-2 milestone="Infra v2"')
    say(ctx, "/batch link batch-3 label=security")
    _, text = say(ctx, "/batch metrics collect")
    assert 'Infrastructure: not measured — no milestone "Infra v2" in acme/shop' in text, text
    assert "Security: 3 of 11 closed (27%)" in text


def test_a_milestone_typed_in_another_case_is_named_with_the_command_that_fixes_it(
    ctx: Context,
) -> None:
    say(ctx, '/batch link batch-2 milestone="infra V1"')
    _, text = say(ctx, "/batch metrics collect")
    assert (
        'no milestone "infra V1" in acme/shop (did you mean "Infra v1"? '
        '/batch link batch-2 milestone="Infra v1")' in text
    ), text
    say(ctx, '/batch link batch-2 milestone="Infra v1"')
    _, text = say(ctx, "/batch metrics collect")
    assert "Infrastructure: 18 of 28 closed (64%)" in text, text


def test_a_hand_edited_link_must_name_a_batch_and_one_source(plan_file: Path) -> None:
    from bot.plan.model import PlanInvalid

    text = plan_file.read_text() + '\n[links.batch-9]\nmilestone = "x"\nlabel = "y"\n'
    plan_file.write_text(text)
    with pytest.raises(PlanInvalid) as err:
        PlanStore(plan_file).load()
    message = str(err.value)
    assert "links.batch-9" in message and "names no batch" in message
    assert "needs exactly one of milestone or label" in message


def test_when_everything_linked_is_closed_the_owner_is_asked_whether_the_batch_is_done(
    ctx: Context, fake: FakeGitHub
) -> None:
    from bot.report.nudge_job import nudge_blocks
    from bot.report.nudges import find_nudges

    say(ctx, "/batch update batch-2 owner=<@UBEN00001|ben>")
    say(ctx, '/batch link batch-2 milestone="Infra v1"')
    for number in range(1979, 1989):
        fake.close_issue(REPO, number)
    say(ctx, "/batch metrics collect")
    plan = ctx.store.load()
    [ask] = [n for n in find_nudges(plan, {}, {}, dt.date(2026, 12, 7)) if n.kind == "complete"]
    assert ask.key == "complete:batch-2:28"
    assert ask.headline == "Everything linked to Infrastructure is closed — is the batch done?"
    _, blocks = nudge_blocks(ask)
    buttons = blocks[-1]["elements"]
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in buttons] == [
        ("Mark done", "nudge_done", "batch-2"),
        ("Not yet", "nudge_ontrack", "complete:batch-2:28"),
    ]
    say(ctx, "/batch update batch-2 status=done", actor=LEAD)
    done = find_nudges(ctx.store.load(), {}, {}, dt.date(2026, 12, 7))
    assert [n for n in done if n.kind == "complete"] == []


def test_status_of_a_linked_batch_says_where_its_percent_came_from_and_when(
    ctx: Context,
) -> None:
    from bot.render.blocks import render as kit

    say(ctx, '/batch link batch-2 milestone="Infra v1"')
    code, text = say(ctx, "/batch status batch-2")
    assert 'Measured: linked to milestone "Infra v1" on GitHub, not measured yet' in text
    say(ctx, "/batch metrics collect")
    code, text = say(ctx, "/batch status batch-2")
    assert code == 0
    assert 'Measured: 18 of 28 closed in milestone "Infra v1", GitHub Fri 04 Dec 10:00' in text
    reply = handle(Command.from_text(LEAD, "/batch status batch-2", "slack"), ctx)
    _, blocks = kit(reply)
    assert "🔗 18 of 28 closed in milestone" in str(blocks)


def test_an_unchanged_listing_is_asked_conditionally_and_costs_no_rate_limit(
    fake: FakeGitHub,
) -> None:
    from bot.plan.links import BatchLink

    adapter = GitHubAdapter(GitHubConfig(repo=REPO, token=TOKEN, api_url=fake.url, backoff=0.01))
    links = {"batch-2": BatchLink(milestone="Infra v1"), "batch-3": BatchLink(label="security")}
    first = adapter.linked(links, WHEN)
    assert first.measured == {"batch-2": (18, 28), "batch-3": (3, 11)}
    before = len(fake.calls)
    again = adapter.linked(links, WHEN)
    assert again.measured == first.measured
    listings = [c for c in fake.calls[before:] if c.path.endswith("/issues")]
    assert [c.status for c in listings] == [304, 304]
    assert all(c.headers.get("if-none-match") for c in listings)
    fake.close_issue(REPO, 1979)  # one more of the milestone's closed on GitHub
    after = adapter.linked(links, WHEN)
    assert after.measured == {"batch-2": (19, 28), "batch-3": (3, 11)}
    adapter.close()
