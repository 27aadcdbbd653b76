"""The core imports nothing from Slack or the scheduler: that is what keeps the CLI fast and
lets every edge (Slack, shell, CLI, jobs) share one command path."""

from __future__ import annotations

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
    "bot.report.weeks",
    "bot.report.metrics",
    "bot.report.timing",
    "bot.report.job",
    "bot.report.cadence",
    "bot.render.markdown",
    "bot.render.blocks",
    "bot.render.escape",
    "bot.render.report_blocks",
    "bot.render.report_text",
    "bot.render.report_markdown",
    "bot.render.standup_blocks",
    "bot.standup.sentences",
    "bot.standup.schedule",
    "bot.standup.service",
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
