"""A country's public holidays (the kept `holidays` library), without holding the library.

Why: asking `holidays` anything about one country imports every country it knows (~280
modules, about 11 MB of a server's memory, kept for the life of the process) — for a dozen
dates a year. So:

- `known_country` checks a code against the library's own registry (`holidays/registry.py`,
  read as data, not imported); tests/test_people.py keeps it equal to
  `holidays.list_supported_countries()`. Were the registry ever unreadable (a layout this
  code does not know), it asks the library itself.
- `country_holidays` computes one country's year in a short child process and returns the
  dates; callers keep them (bot/standup/days.py caches per country and year), so a server
  asks once a year per country.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import logging
import subprocess
import sys
from datetime import date
from pathlib import Path

__all__ = ["country_holidays", "known_country"]

log = logging.getLogger("batchbot")

# Run in the child: the country's holidays in one year as {"YYYY-MM-DD": "name"}.
_CHILD = (
    "import json, sys, holidays; "
    "print(json.dumps({d.isoformat(): n for d, n in "
    "holidays.country_holidays(sys.argv[1], years=int(sys.argv[2])).items()}))"
)
_CHILD_SECONDS = 60.0


@functools.cache
def _codes() -> frozenset[str]:
    """Every country code (alpha-2, alpha-3, aliases such as UK) the installed library knows,
    as its `EntityLoader.get_country_codes()` lists them."""
    try:
        spec = importlib.util.find_spec("holidays")  # finds, does not import
        folder = Path(next(iter(spec.submodule_search_locations or ()))) if spec else None
        tree = ast.parse((folder / "registry.py").read_text(encoding="utf-8")) if folder else None
        for node in tree.body if tree else ():
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == "COUNTRIES"
                and node.value is not None
            ):
                registry = ast.literal_eval(node.value)
                return frozenset(
                    code
                    for entities in registry.values()
                    for code in entities[1:]
                    if 2 <= len(code) <= 3
                )
    except (OSError, SyntaxError, ValueError, StopIteration, AttributeError, TypeError):
        pass
    import holidays  # a registry this code cannot read: ask the library (slow, correct)

    return frozenset(holidays.list_supported_countries())


def known_country(code: str) -> bool:
    """Does the holidays library know this (upper-case) country code?"""
    return code in _codes()


def country_holidays(country: str, year: int) -> dict[date, str]:
    """`country`'s public holidays in `year`, computed in a child process."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, country, str(year)],
            capture_output=True,
            text=True,
            timeout=_CHILD_SECONDS,
            check=True,
        )
        return {date.fromisoformat(d): n for d, n in json.loads(done.stdout).items()}
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        # No child to be had (a sandbox, a frozen interpreter): the same answer in process.
        log.warning("public holidays of %s in %d computed in process (%s)", country, year, exc)
        import holidays

        return dict(holidays.country_holidays(country, years=year))
