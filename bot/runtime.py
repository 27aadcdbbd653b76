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
    from bot.standup.service import StandupService

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
    standups: StandupService
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
    from bot.github.service import from_settings
    from bot.standup.service import StandupService

    clock = clock or system_clock
    owner = owner or f"{socket.gethostname()}:{os.getpid()}"
    store = PlanStore(
        settings.execution_plan_path,
        push=settings.git_push,
        remote=settings.git_remote,
        clock=clock,
    )
    database = db or Database(settings.database_url)
    standups = StandupService(db=database, messenger=messenger, settings=settings, clock=clock)
    ctx = Context(
        store=store,
        clock=lambda: clock().astimezone(settings.zone),
        editors=frozenset(settings.editors),
        standups=standups,
        standups_between=standups.week_standups,
        team=tuple(settings.team),
        workdays=settings.workday_numbers,
        name_of=standups.display_name,
        github=from_settings(settings, lambda: database, owner),
    )
    return Runtime(
        settings=settings,
        store=store,
        clock=clock,
        messenger=messenger,
        db=database,
        ctx=ctx,
        standups=standups,
        owner=owner,
    )
