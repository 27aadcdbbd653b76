"""The core imports nothing from Slack or the scheduler: that is what keeps the CLI fast and
lets every edge (Slack, shell, CLI, jobs) share one command path."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT

CORE = [
    "bot.commands",
    "bot.replies",
    "bot.messenger",
    "bot.db",
    "bot.jobresult",
    "bot.plan.model",
    "bot.plan.codec",
    "bot.plan.edits",
    "bot.plan.store",
    "bot.report.weekly",
    "bot.report.job",
    "bot.render.markdown",
    "bot.render.blocks",
    "bot.render.escape",
    "bot.render.report_blocks",
    "bot.render.standup_blocks",
    "bot.standup.sentences",
    "bot.standup.schedule",
    "bot.standup.service",
    "bot.standup.people",
    "bot.standup.prompts",
    "bot.standup.answers",
    "bot.standup.days",
    "bot.standup.config",
    "bot.standup.digest",
    "bot.plan.calendar",
    "bot.plan.calendar_edits",
    "bot.render.digest_blocks",
]


def test_core_modules_import_nothing_from_slack_or_apscheduler() -> None:
    code = (
        f"import importlib, sys\nfor m in {CORE!r}: importlib.import_module(m)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'slack_bolt', 'slack_sdk', 'apscheduler', 'waitress'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"


def _imports(path: str) -> set[str]:
    """Every module a file imports, at any depth (inside functions and TYPE_CHECKING too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse((ROOT / path).read_text(), path)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_standup_core_never_imports_upward() -> None:
    """The standup modules take plain values: no /batch grammar, no Settings, no Slack."""
    upward = ("bot.commands", "bot.settings", "bot.slack", "slack_bolt", "slack_sdk")
    for path in sorted((ROOT / "bot" / "standup").glob("*.py")):
        rel = str(path.relative_to(ROOT))
        bad = sorted(m for m in _imports(rel) if m.startswith(upward))
        assert bad == [], f"{rel} imports {bad}"


def test_the_calendar_words_and_records_import_no_adapter() -> None:
    adapters = ("bot.db", "bot.settings", "bot.slack", "sqlalchemy", "slack_", "holidays")
    for rel in ("bot/commands/calendar.py", "bot/plan/calendar.py", "bot/plan/calendar_edits.py"):
        bad = sorted(m for m in _imports(rel) if m.startswith(adapters))
        assert bad == [], f"{rel} imports {bad}"
