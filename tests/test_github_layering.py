"""GitHub stays at the edge: the metrics core, the publishing rules and the commands that use
them import neither PyGithub nor the settings or database layers; plan commands never load it."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT

CORE = ["bot.report.measurements", "bot.report.publish", "bot.commands", "bot.report.job"]
EDGE_ONLY = {"github", "sqlalchemy", "pydantic_settings", "slack_sdk", "slack_bolt", "requests"}


def _imported_after(modules: list[str]) -> list[str]:
    code = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {EDGE_ONLY!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(ast.literal_eval(out.stdout.strip()))


def test_the_github_core_imports_no_client_settings_or_database() -> None:
    assert _imported_after(CORE) == []


def test_the_cli_loads_pygithub_only_for_github_words(tmp_path: object) -> None:
    code = (
        "import sys\nfrom bot.cli import main\n"
        "main(['--plan', 'plan/execution-plan.toml', 'dashboard'])\n"
        "print('github' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stderr.strip().endswith("False")
