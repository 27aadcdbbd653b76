"""Replies speak of roles and people, never of settings: a Slack user cannot see or change
`BATCHBOT_EDITORS`, so "ask an editor (BATCHBOT_EDITORS)" told them nothing they could act on.

Every string constant that can reach a person — in the /batch grammar, the standup answers,
the replies and the renderers — is read with `ast` (docstrings and comments are for the
developer and are left out), and none may name an environment setting."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from bot.commands import Command, Context, handle
from bot.people.names import FixedNames
from bot.plan.store import Actor, PlanStore
from bot.plan.team import TeamSettings
from bot.replies import ErrorView
from tests.conftest import ROOT

SPOKEN = [
    *sorted((ROOT / "bot" / "commands").glob("*.py")),
    ROOT / "bot" / "standup" / "answers.py",
    ROOT / "bot" / "standup" / "days.py",
    ROOT / "bot" / "replies.py",
    *sorted((ROOT / "bot" / "render").glob("*.py")),
]


def _docstrings(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _for_the_operator(tree: ast.AST) -> set[int]:
    """`OPERATOR_… = "…"`: said only at the terminal, to the person who runs the bot."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id.startswith("OPERATOR_") for t in node.targets
        ):
            ids.update(id(n) for n in ast.walk(node.value))
    return ids


def settings_named_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    skip = _docstrings(tree) | _for_the_operator(tree)
    found = []
    for node in ast.walk(tree):
        text = node.value if isinstance(node, ast.Constant) else None
        if (
            isinstance(text, str)
            and id(node) not in skip
            and ("BATCHBOT_" in text or "DATABASE_URL" in text)
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text[:60]!r}")
    return found


def test_no_reply_names_an_environment_setting() -> None:
    found = [hit for path in SPOKEN for hit in settings_named_in(path)]
    assert found == []


def test_a_refusal_names_the_role_and_the_people_to_ask(plan_file: Path) -> None:
    store = PlanStore(plan_file)
    ctx = Context(
        store=store,
        clock=lambda: dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
        team_defaults=TeamSettings(editors=("U0ANA", "U0BOB")),
        names=FixedNames({"U0ANA": "Ana Lima", "U0BOB": "Bob Berg"}),
    )
    actor = Actor("eve", slack_id="U0EVE")
    reply = handle(Command.from_text(actor, "update batch-1 progress=5", "slack"), ctx)
    assert isinstance(reply.view, ErrorView)
    said = f"{reply.view.message} {reply.view.hint}"
    assert "only an editor of this plan or the batch's owner can change it" in said
    assert "ask Ana Lima or Bob Berg" in said
    assert "U0ANA" not in said and "BATCHBOT" not in said and "<@" not in said
