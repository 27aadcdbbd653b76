"""What every standup part is handed, in one place: the database, the messenger, the rules,
the clock — and "now" in UTC from that clock.

Why a base class: people, prompts, answers and the digest each took these four the same way
and each turned the clock into UTC the same way; one copy keeps them from drifting apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.standup.config import as_utc, current

if TYPE_CHECKING:
    from bot.db import Database
    from bot.messenger import Messenger
    from bot.standup.config import ConfigSource, StandupConfig

__all__ = ["StandupPart"]


class StandupPart:
    def __init__(
        self,
        *,
        db: Database,
        messenger: Messenger,
        config: ConfigSource,
        clock: Callable[[], datetime],
        program: str = "",
    ) -> None:
        self.db = db
        self.messenger = messenger
        self._config = config
        self.clock = clock
        #: the program whose rows this part reads and writes ("": the first program, so rows
        #: written before programs existed stay that program's).
        self.program = program
        #: the program's name in what people read (its day thread, its digest) when the
        #: deployment has several; "" with one program (titles as before).
        self.shown_as = ""

    @property
    def config(self) -> StandupConfig:
        """The rules as they are now: read at use time, so a lead's edit of the plan's
        `[team]`/`[schedule]` counts at the next prompt, without a restart."""
        return current(self._config)

    def _now(self) -> datetime:
        return as_utc(self.clock(), "clock()")
