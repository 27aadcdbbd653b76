"""The /batch grammar shared by Slack, the shell and the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.commands import Command, Context, handle, may_edit
from bot.plan.edits import UsageError, split_words
from bot.plan.store import Actor, PlanStore
from bot.plan.team import TeamSettings
from bot.replies import ChangeView, ErrorView, TextView
from tests.conftest import git

ANA = Actor("Ana", slack_id="U0ANA")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("update batch-1 progress=40", ["update", "batch-1", "progress=40"]),
        (
            'update batch-1 notes="a = b" owner=Ana',
            ["update", "batch-1", "notes=a = b", "owner=Ana"],
        ),
        (
            "update batch-1 notes=a = b, c owner=Ana Lima",
            ["update", "batch-1", "notes=a = b, c", "owner=Ana Lima"],
        ),
        ("update batch-1 notes=“curly = fine”", ["update", "batch-1", "notes=curly = fine"]),
        ("update batch-1 notes='single'", ["update", "batch-1", "notes=single"]),
        ('weekly "Week 3"', ["weekly", "Week 3"]),
        ("  status   batch-2  ", ["status", "batch-2"]),
        ("update batch-1 notes=", ["update", "batch-1", "notes="]),
    ],
)
def test_split_words_reads_what_people_type(text: str, words: list[str]) -> None:
    assert split_words(text) == words


def test_unclosed_quote_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="never closed"):
        split_words('update batch-1 notes="oops')


def test_standup_text_keeps_apostrophes_quotes_and_lines() -> None:
    raw = 'standup Waited \'til noon for "prod" access.\nNext I ship it.'
    cmd = Command.from_text(ANA, raw, "slack")
    assert cmd.words[0] == "standup"
    assert cmd.text == raw


def test_pasted_batch_prefix_is_tolerated() -> None:
    assert Command.from_text(ANA, "/batch status", "shell").words == ("status",)


@pytest.fixture
def ctx(plan_file: Path) -> Context:
    return Context(
        store=PlanStore(plan_file), clock=lambda: dt.datetime(2026, 11, 27, 15, tzinfo=dt.UTC)
    )


def test_update_returns_a_channel_announcement(ctx: Context) -> None:
    reply = handle(Command.from_text(ANA, "update batch-1 progress=5", "slack"), ctx)
    assert reply.visibility == "channel" and reply.plan_changed
    assert isinstance(reply.view, ChangeView)
    assert [c.describe() for c in reply.view.changes] == ["progress 0 → 5"]


def test_update_refuses_unknown_key(ctx: Context) -> None:
    reply = handle(Command.from_text(ANA, "update batch-1 colour=red", "slack"), ctx)
    assert reply.exit_code == 1 and reply.visibility == "caller"
    assert isinstance(reply.view, ErrorView)
    assert "unknown key 'colour'" in reply.view.message


def test_update_without_pairs_asks_slack_for_a_form_but_the_shell_for_pairs(ctx: Context) -> None:
    slack = handle(Command.from_text(ANA, "update batch-1", "slack"), ctx)
    assert slack.modal is not None and slack.modal.batch_id == "batch-1"
    shell = handle(Command.from_text(ANA, "update batch-1", "shell"), ctx)
    assert shell.exit_code == 2 and shell.modal is None


def test_status_accepts_a_batch_name_as_well_as_its_id(ctx: Context) -> None:
    reply = handle(Command.from_text(ANA, "status infrastructure", "slack"), ctx)
    assert reply.ok and reply.view.batch.id == "batch-2"  # type: ignore[union-attr]


def test_unknown_subcommand_suggests_the_closest(ctx: Context) -> None:
    reply = handle(Command.from_text(ANA, "updte batch-1", "slack"), ctx)
    assert reply.exit_code == 2
    assert isinstance(reply.view, TextView)
    assert "did you mean update?" in reply.view.lines[0]


def test_editors_and_owners_may_change_everyone_else_may_look(ctx: Context) -> None:
    ctx.team_defaults = TeamSettings(editors=("U0BOSS",))
    eve = Actor("Eve", slack_id="U0EVE")
    assert may_edit(ctx, Actor("Boss", slack_id="U0BOSS"), "")
    assert may_edit(ctx, eve, "<@U0EVE>")
    assert not may_edit(ctx, eve, "Ana")
    refused = handle(Command.from_text(eve, "update batch-1 progress=9", "slack"), ctx)
    assert refused.exit_code == 1 and "not allowed" in refused.view.message  # type: ignore[union-attr]
    assert handle(Command.from_text(eve, "status", "slack"), ctx).ok
    metrics = handle(Command.from_text(eve, "metrics coverage=90", "slack"), ctx)
    assert "not allowed to change the metrics" in metrics.view.message  # type: ignore[union-attr]


def test_standup_without_a_database_says_how_to_enable_it(ctx: Context) -> None:
    reply = handle(Command.from_text(ANA, "standup Did a thing. Next another.", "slack"), ctx)
    assert "standups are not set up here" in reply.view.message  # type: ignore[union-attr]


def test_owner_written_as_an_escaped_slack_mention_counts_as_that_user(ctx: Context) -> None:
    ctx.team_defaults = TeamSettings(editors=("U0BOSS",))
    assert may_edit(ctx, Actor("Eve", slack_id="U0EVE"), "<@U0EVE|eve>")
    from bot.render.escape import person

    assert person("<@U0EVE|eve>") == "<@U0EVE>"
    assert person("<!channel>") == "&lt;!channel&gt;"


def test_the_write_path_itself_refuses_a_person_who_may_not_edit(plan_file: Path) -> None:
    """Access is checked inside the single write path: a caller that skips `may_edit` (as the
    Slack form's submit once could) still cannot change the plan."""
    from bot.commands import NotAllowed, apply_batch_update

    ctx = Context(
        store=PlanStore(plan_file),
        clock=lambda: dt.datetime(2026, 11, 27, 15, tzinfo=dt.UTC),
        team_defaults=TeamSettings(editors=("U0EDITOR",)),
    )
    repo = plan_file.parent.parent
    before = git(repo, "rev-parse", "HEAD")
    stranger = Actor("Mallory", slack_id="U0MALLORY")
    with pytest.raises(NotAllowed, match="not allowed to change batch-1"):
        apply_batch_update(stranger, ctx, "batch-1", [("progress", "5")], via="slack")
    assert git(repo, "rev-parse", "HEAD") == before
    editor = Actor("Ed", slack_id="U0EDITOR")
    assert apply_batch_update(editor, ctx, "batch-1", [("progress", "5")], via="slack").ok


def test_no_command_module_writes_around_the_access_check() -> None:
    """Every /batch word changes the plan through `change_plan`, never `store.change` itself."""
    folder = Path(__file__).resolve().parent.parent / "bot" / "commands"
    offenders = [
        f.name
        for f in folder.glob("*.py")
        if f.name != "base.py" and ".store.change(" in f.read_text(encoding="utf-8")
    ]
    assert offenders == []
