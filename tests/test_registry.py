"""The `/batch` registry loads one family per command: `WORDS` (word → module) must say what
the modules' own VERBS say, and a command in a fresh process imports only its own family."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import bot.commands as registry
from tests.conftest import ROOT


def _family(name: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"bot.commands.{name}")


def test_words_names_each_word_of_every_family_and_its_owner() -> None:
    owners = {word: name for name in registry.FAMILIES for word in _family(name).VERBS}
    assert owners == registry.WORDS


def test_usage_options_and_services_come_from_the_words_own_families() -> None:
    for name in registry.FAMILIES:
        module = _family(name)
        words = [line.split(" — ")[0].split()[1] for line in module.USAGE]
        words += [*getattr(module, "OPTIONS", {})]
        words += [w.split()[0] for w in getattr(module, "NEEDS_SERVICES", ())]
        for word in words:
            assert name in (registry.WORDS[word], *registry.ALSO.get(word, ())), (name, word)


def test_the_registry_wide_names_still_hold_every_family() -> None:
    assert set(registry.VERBS) == set(registry.WORDS)
    assert registry.USAGE[-1] == "/batch help — this text"
    assert {"standup", "report", "metrics collect"} <= registry.NEEDS_SERVICES
    assert registry.needs_services(("metrics", "collect")) and not registry.needs_services(
        ("metrics",)
    )
    assert [o[0] for o in registry.options_of("metrics")] == ["--at"]


def test_the_dashboard_imports_only_the_plan_family(tmp_path: Path) -> None:
    code = (
        "import sys; from bot.cli import main; main(['--plan', sys.argv[1], 'dashboard']);"
        "print(sorted(m for m in sys.modules if m.startswith('bot.commands.')), file=sys.stderr)"
    )
    plan = ROOT / "plan" / "execution-plan.toml"
    out = subprocess.run(
        [sys.executable, "-c", code, str(plan)], capture_output=True, text=True, check=True
    )
    loaded = eval(out.stderr.strip().splitlines()[-1])
    assert loaded == ["bot.commands.base", "bot.commands.plan", "bot.commands.weekly_draft"]
