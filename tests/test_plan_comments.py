"""The team's comments and layout in the plan survive every bot write (issue 18 item 9).

The plan is a reviewed file: people annotate it. Every command that writes the plan — in
local mode through the real CLI, in remote mode through the store against a bare remote —
must change only the lines of the values it changes, byte for byte.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.conftest import SHIPPED_PLAN, git, init_repo, run_cli

AUTHOR = ("--author", "Kim <kim@example.com>")


def commented(text: str) -> str:
    """The shipped plan as a team would keep it: a header, notes beside values and inside a
    list, a hand-aligned key, an extra blank line."""
    text = "# Delivery plan: reviewed in pull requests. Keep these notes!\n\n" + text
    text = text.replace(
        'name = "Delivery program: Batch 1 → Batch 5"',
        'name = "Delivery program: Batch 1 → Batch 5"  # the name on the report',
    )
    text = text.replace("[[batches]]\n", "# one table per batch\n[[batches]]\n", 1)
    text = text.replace("progress = 0\n", "progress = 0  # percent, from the board\n", 1)
    text = text.replace('    "batch-1",\n', '    "batch-1",  # waits on CI\n', 1)
    at = text.index('id = "batch-3"')
    text = text[:at] + text[at:].replace('owner = ""', 'owner    = ""', 1)
    text = text.replace("[metrics]\n", "# typed on Fridays by the lead\n[metrics]\n\n", 1)
    text = text.replace("[[risks]]\n", "# the register, reviewed monthly\n[[risks]]\n", 1)
    return text


@pytest.fixture
def team_plan(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    (repo / "plan").mkdir()
    plan = repo / "plan" / "execution-plan.toml"
    plan.write_text(commented(SHIPPED_PLAN.read_text(encoding="utf-8")), encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "plan with the team's notes")
    return plan


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(lines removed, lines added) between two texts."""
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm=""))
    removed = [d[1:] for d in diff if d.startswith("-") and not d.startswith("---")]
    added = [d[1:] for d in diff if d.startswith("+") and not d.startswith("+++")]
    return removed, added


def cli(plan: Path, *args: str) -> None:
    proc = run_cli("--plan", str(plan), *args, *AUTHOR, cwd=plan.parents[2])  # not the checkout
    assert proc.returncode == 0, proc.stderr


def test_an_update_changes_only_its_line_and_keeps_the_comment_beside_it(team_plan: Path):
    before = team_plan.read_text()
    cli(team_plan, "update", "batch-1", "progress=40")
    assert changed_lines(before, team_plan.read_text()) == (
        ["progress = 0  # percent, from the board"],
        ["progress = 40  # percent, from the board"],
    )


def test_a_changed_list_keeps_its_layout_and_the_rest_its_bytes(team_plan: Path):
    before = team_plan.read_text()
    cli(team_plan, "update", "batch-3", "owner=Ana", "blockers=batch-1,batch-2")
    removed, added = changed_lines(before, team_plan.read_text())
    assert removed == ['owner    = ""']
    assert added == ['owner    = "Ana"', '    "batch-1",']


def test_every_kind_of_write_keeps_every_comment_and_adds_only_what_it_adds(team_plan: Path):
    original = team_plan.read_text()
    writes = [
        ("metrics", "coverage=81", "prsMerged=7"),
        ("goal", "add", "Ship the gateway", "batch=batch-2"),
        ("goal", "done", "1"),
        ("blocker", "add", "batch-2", "Waiting on the DBA"),
        ("risk", "update", "2", "mitigation=Pair on fixes"),
        ("holiday", "add", "2026-12-24", "Christmas Eve"),
        ("update", "batch-2", "notes=Pooling first"),
    ]
    for args in writes:
        before = team_plan.read_text()
        cli(team_plan, *args)
        removed, _ = changed_lines(before, team_plan.read_text())
        assert not any("#" in line for line in removed), (args, removed)
    final = team_plan.read_text()
    comments = [line for line in original.splitlines() if "#" in line and "progress" not in line]
    for line in comments:
        assert line in final, line
    removed, _ = changed_lines(original, final)
    assert len(removed) <= 3, removed  # the two notes and a mitigation; everything else stays
    assert git(team_plan.parent.parent, "status", "--porcelain").strip() == ""


def test_a_plan_written_by_the_bot_stays_in_canonical_form(plan_file: Path):
    """No comments, canonical layout: the edit is the canonical text (the fast path)."""
    before = plan_file.read_text()
    cli(plan_file, "update", "batch-2", "progress=30")
    removed, added = changed_lines(before, plan_file.read_text())
    assert (len(removed), len(added)) == (1, 1) and added[0] == "progress = 30"


def test_a_remote_write_keeps_the_comments_too(team_plan: Path, tmp_path: Path):
    from bot.plan.edits import update_batch
    from bot.plan.remote import RemoteConfig, RemotePlanStore
    from bot.plan.store import Actor

    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(team_plan.parent.parent), str(bare))
    store = RemotePlanStore(
        RemoteConfig(url=str(bare), plan_file="plan/execution-plan.toml", workdir=tmp_path / "w")
    )
    store.start()
    before = git(bare, "show", "main:plan/execution-plan.toml")
    store.change(
        Actor("Ana", slack_id="U0ANA"), lambda p: update_batch(p, "batch-1", [("progress", "55")])
    )
    after = git(bare, "show", "main:plan/execution-plan.toml")
    assert changed_lines(before, after) == (
        ["progress = 0  # percent, from the board"],
        ["progress = 55  # percent, from the board"],
    )
