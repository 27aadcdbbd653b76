"""Builds the long-lived objects from Settings once: store, database, messenger, command context.

`batchbot serve`, `batchbot shell` and `batchbot jobs` all start here, so they share one
wiring and one set of rules.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.commands import Context
from bot.messenger import Messenger
from bot.plan.store import PlanStore
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.db import Database
    from bot.standup.config import StandupConfig
    from bot.standup.service import Standups

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Runtime:
    settings: Settings
    store: PlanStore
    clock: Clock
    messenger: Messenger
    db: Database
    ctx: Context
    standups: Standups
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("batchbot"))
    owner: str = "batchbot"  # identifies this process in once-only claims


def build_runtime(
    settings: Settings,
    messenger: Messenger,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    owner: str | None = None,
) -> Runtime:
    import os
    import socket

    from bot.db import Database
    from bot.standup.service import build_standups

    clock = clock or system_clock
    store = PlanStore(
        settings.execution_plan_path,
        push=settings.git_push,
        remote=settings.git_remote,
        clock=clock,
    )
    database = db or Database(settings.database_url)
    standups = build_standups(
        db=database, messenger=messenger, config=standup_config(settings), clock=clock
    )
    ctx = Context(
        store=store,
        clock=lambda: clock().astimezone(settings.zone),
        editors=frozenset(settings.editors),
        standups=standups,
        standups_between=standups.standups_between,
        team=tuple(settings.team),
        workdays=settings.workday_numbers,
        name_of=standups.display_name,
    )
    return Runtime(
        settings=settings,
        store=store,
        clock=clock,
        messenger=messenger,
        db=database,
        ctx=ctx,
        standups=standups,
        owner=owner or f"{socket.gethostname()}:{os.getpid()}",
    )


def standup_config(settings: Settings) -> StandupConfig:
    """The standup rules from the settings, as plain values (the standup core reads no Settings)."""
    from bot.standup.config import StandupConfig

    return StandupConfig(
        timezone=settings.timezone,
        standup_time=settings.standup_time,
        workdays=settings.workday_numbers,
        holidays=settings.holiday_dates,
        reminder_hours=settings.reminder_hours,
        prompt_grace_minutes=settings.prompt_grace_minutes,
        standup_channel=settings.standup_channel,
        team=tuple(settings.team),
        team_channel=settings.team_channel,
    )
