"""Names for the command line, which never talks to Slack and must start fast.

`batchbot status`, `history` or `blockers` show owners by name like the bot does: from the
users cache in the bot's database when one is at hand (`DATABASE_URL`, or `batchbot.db` in
this directory), else from the plan's `[team] people` list. The database is opened only when
a reply actually names someone, so the dashboard of a plan without Slack owners pays nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bot.people.names import UNKNOWN

if TYPE_CHECKING:  # the dashboard must not load SQLAlchemy: the directory loads on first use
    from bot.people.directory import Directory

__all__ = ["OfflineNames", "cache_url"]


def cache_url(env: Mapping[str, str], cwd: Path) -> str | None:
    """The bot's database, if this machine has one: never creates a file to read names."""
    url = (env.get("DATABASE_URL") or "").strip()
    if url:
        return url
    default = cwd / "batchbot.db"
    return f"sqlite:///{default}" if default.exists() else None


class OfflineNames:
    """`Names` from the cache (no lookups) and the plan's people list."""

    def __init__(self, given: Callable[[], Mapping[str, str]], url: str | None) -> None:
        self.given = given
        self.url = url
        self._directory: Directory | None = None

    def _open(self) -> Directory:
        if self._directory is None:
            from bot.people.directory import Directory

            db = None
            if self.url:
                from bot.db import Database

                try:
                    db = Database(self.url)
                except Exception as exc:  # no cache: the plan's names still do
                    import logging  # (not at the top: logging loads traceback and textwrap)

                    logging.getLogger("batchbot.people").warning(
                        "names cache not opened (%s)", type(exc).__name__
                    )
            self._directory = Directory(
                db=db, clock=lambda: dt.datetime.now(dt.UTC), lookup=None, given=self.given
            )
        return self._directory

    def name(self, user_id: str) -> str:
        return self.names([user_id]).get(user_id, UNKNOWN)

    def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        return self._open().names(user_ids)

    def close(self) -> None:
        if self._directory is not None and self._directory.db is not None:
            self._directory.db.close()
