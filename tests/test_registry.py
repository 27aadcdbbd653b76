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


def test_the_dashboards_dataclasses_have_docstrings(tmp_path: Path) -> None:
    """A dataclass without a docstring gets one made by `inspect.signature` at import, which
    every `batchbot dashboard` would pay for again; so each one on that path says why it is."""
    code = (
        "import dataclasses, sys; from bot.cli import main;"
        "main(['--plan', sys.argv[1], 'dashboard']);"
        "print([f'{m.__name__}.{c.__name__}' for m in list(sys.modules.values())"
        " if m.__name__.startswith('bot.') for c in vars(m).values()"
        " if isinstance(c, type) and c.__module__ == m.__name__ and dataclasses.is_dataclass(c)"
        " and (c.__doc__ or '').startswith(c.__name__ + '(')], file=sys.stderr)"
    )
    plan = ROOT / "plan" / "execution-plan.toml"
    out = subprocess.run(
        [sys.executable, "-c", code, str(plan)], capture_output=True, text=True, check=True
    )
    assert eval(out.stderr.strip().splitlines()[-1]) == []
