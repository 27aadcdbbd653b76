"""Builds the long-lived objects from Settings once: store, database, messenger, command context.

`batchbot serve`, `batchbot shell` and `batchbot jobs` all start here, so they share one
wiring and one set of rules.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.commands import Context
from bot.messenger import Messenger
from bot.plan.program_files import other_plan_files, program_id
from bot.plan.store import PlanStore
from bot.plan.team import TeamSettings
from bot.plan.team_plan import TeamSource
from bot.settings import Settings, team_defaults

if TYPE_CHECKING:
    from bot.db import Database
    from bot.people.directory import Directory
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
    names: Directory
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("batchbot"))
    owner: str = "batchbot"  # identifies this process in once-only claims
    #: every program this deployment serves: id (the plan file's name) → its Context. The
    #: first is EXECUTION_PLAN_PATH's; with one plan file there is exactly one.
    programs: dict[str, Context] = field(default_factory=dict)
    #: the program this runtime acts for, as the database keys it ("": the first program,
    #: so rows written before programs existed stay that program's).
    program: str = ""

    @property
    def default_program(self) -> str:
        return next(iter(self.programs), "")

    def for_program(self, pid: str) -> Runtime:
        """This runtime seen by one program (its store, team and database key): the jobs
        run once per program through it."""
        from dataclasses import replace

        from bot.standup.service import Standups

        ctx = self.programs[pid]
        standups = ctx.standups if isinstance(ctx.standups, Standups) else self.standups
        return replace(self, store=ctx.store, ctx=ctx, program=ctx.program, standups=standups)


def build_runtime(
    settings: Settings,
    messenger: Messenger,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    owner: str | None = None,
    local_access: bool = False,
) -> Runtime:
    """`local_access`: the CLI and the shell, whose user holds the file (no Slack roles)."""
    import os
    import socket

    from bot.db import Database
    from bot.github.service import from_settings
    from bot.people.directory import Directory
    from bot.standup.service import build_standups

    clock = clock or system_clock
    database = db or Database(settings.database_url)
    owner = owner or f"{socket.gethostname()}:{os.getpid()}"
    store = build_store(settings, clock)
    if settings.remote_mode:
        from bot.plan.remote import RemotePlanStore
        from bot.plantips import DatabaseTips
        from bot.writeturns import DatabaseTurns

        if isinstance(store, RemotePlanStore):  # instances sharing DATABASE_URL take turns
            store.turns = DatabaseTurns(database, owner)
            store.tips = DatabaseTips(database)  # and read each other's writes at once
    team = TeamSource(store.load, team_defaults(settings))
    served: list[Runtime] = []
    names = Directory(
        db=database,
        clock=clock,
        lookup=messenger.user_info,
        default_tz=settings.timezone,
        given=lambda: given_names(served) if served else _named(team.current()),
    )
    standups = build_standups(
        db=database,
        messenger=messenger,
        config=live_standup_config(settings, team),
        clock=clock,
        calendar=lambda: store.load().calendar,
        names=names,
    )
    ctx = Context(
        store=store,
        clock=lambda: clock().astimezone(settings.zone),
        team_defaults=team.defaults,
        standups=standups,
        standups_between=standups.standups_between,
        workdays=settings.workday_numbers,
        name_of=names.name,
        names=names,
        expected_on=standups.expected,
        github=from_settings(settings, lambda: database, owner, team.current),
        local_access=local_access,
    )
    programs = {program_id(store.path): ctx}
    if not settings.remote_mode:
        for path in other_plan_files(store.path):
            programs[program_id(path)] = program_context(
                ctx, path, settings, clock, database=database, owner=owner
            )
        link_standups(programs)  # one prompt a person, the answer to each of their programs
    rt = Runtime(
        settings=settings,
        store=store,
        clock=clock,
        messenger=messenger,
        db=database,
        ctx=ctx,
        standups=standups,
        names=names,
        owner=owner,
        programs=programs,
    )
    served.append(rt)  # names given in any program's plan, once the programs are known
    serve_every_program(rt)  # remote mode: the clone's other programs, once found
    return rt


def _named(team: TeamSettings) -> dict[str, str]:
    return {p.id: p.name for p in team.people if p.name}


def given_names(served: list[Runtime]) -> dict[str, str]:
    """The names every program's `[[team.people]]` gives (the first program wins where two
    plans name one person differently): a person named only in beta's plan is shown by that
    name everywhere Slack does not know them. One unreadable plan costs only its names."""
    out: dict[str, str] = {}
    for ctx in reversed(list(served[0].programs.values())):
        try:
            out.update(_named(ctx.team_settings()))
        except Exception as exc:
            logging.getLogger("batchbot").warning(
                "the people of %s could not be read (%s)", ctx.program or "the plan", exc
            )
    return out


def program_context(
    first: Context,
    path: Path,
    settings: Settings,
    clock: Clock,
    store: PlanStore | None = None,
    *,
    database: Database | None = None,
    owner: str = "batchbot",
) -> Context:
    """A further program's Context: its own plan file, team, access rules and GitHub. The
    environment's team settings are the first program's defaults only — another program's
    editors, channels, times and GitHub repository come from its own `[team]`/`[schedule]`
    (an editor of one program is nobody in another; no repository, nothing published)."""
    from dataclasses import replace

    from bot.github.service import from_settings
    from bot.standup.service import Standups, build_standups

    pid = program_id(path)
    store = store or PlanStore(
        path, push=settings.git_push, remote=settings.git_remote, clock=clock
    )
    ctx = replace(
        first, store=store, team_defaults=TeamSettings(), github=None, _team=None, program=pid
    )
    if database is not None:
        ctx.github = from_settings(settings, lambda: database, owner, ctx.team_settings, pid)
    base = first.standups
    if not isinstance(base, Standups):
        return ctx
    own = build_standups(  # its own channel, times, team, day thread and rows
        db=base.db,
        messenger=base.answers.messenger,
        config=live_standup_config(settings, TeamSource(store.load, TeamSettings())),
        clock=base.clock,
        calendar=lambda: store.load().calendar,
        names=base.people.names,
        program=pid,
    )
    return replace(
        ctx, standups=own, standups_between=own.standups_between, expected_on=own.expected
    )


def link_standups(programs: dict[str, Context]) -> None:
    """Link the programs' standups (bot/standup/programs.py): a person in two is prompted
    once, and their answer is filed and posted in each of their programs."""
    from bot.standup.programs import link_programs
    from bot.standup.service import Standups

    link_programs({p: c.standups for p, c in programs.items() if isinstance(c.standups, Standups)})


def serve_every_program(rt: Runtime) -> None:
    """Remote mode: every `plan/<program>.toml` in the clone is a program too, found when the
    clone starts and after each sync or webhook (one pushed upstream is served without a
    restart). Their stores share the one clone, branch, queue and push (bot/plan/clone.py)."""
    from bot.plan.remote import RemotePlanStore

    first = rt.store
    if not isinstance(first, RemotePlanStore):
        return

    import threading

    lock = threading.Lock()  # two syncs finding programs at once must not drop one

    def found(_new: list[Any]) -> None:
        with lock:
            programs = dict(rt.programs)
            for store in first.programs():  # every store so far: none is ever missed
                if not isinstance(store, RemotePlanStore):
                    continue
                pid = program_id(store.path)
                if pid not in programs:
                    programs[pid] = program_context(
                        rt.ctx,
                        store.path,
                        rt.settings,
                        rt.clock,
                        store,
                        database=rt.db,
                        owner=rt.owner,
                    )
            link_standups(programs)
            rt.programs = programs  # one assignment: a request never sees a half-made table

    first.on_programs = found
    found([])


def standup_config(settings: Settings, team: TeamSettings | None = None) -> StandupConfig:
    """The standup rules as plain values (the standup core reads no Settings): the team's
    effective settings (the plan's, else the environment's) plus what stays in the
    environment (zone, workdays, fixed holidays, grace)."""
    from bot.standup.config import StandupConfig

    team = team or team_defaults(settings)
    return StandupConfig(
        timezone=settings.timezone,
        standup_time=team.prompt_time,
        workdays=settings.workday_numbers,
        holidays=settings.holiday_dates,
        reminder_hours=team.reminder_hours,
        prompt_grace_minutes=settings.prompt_grace_minutes,
        standup_channel=team.standup_channel,
        team=team.team,
        team_channel=team.team_channel,
        holiday_country=team.holiday_country,
        digest_time=team.digest_time,
        zones={p.id: p.tz for p in team.people if p.tz},
        countries={p.id: p.country for p in team.people if p.country},
    )


def live_standup_config(settings: Settings, team: TeamSource) -> Callable[[], StandupConfig]:
    """The standup rules as they are now, rebuilt only when the team settings changed."""
    import threading

    lock = threading.Lock()
    last: list[tuple[TeamSettings, StandupConfig]] = []

    def now() -> StandupConfig:
        current = team.current()
        with lock:
            if last and last[0][0] is current:
                return last[0][1]
        config = standup_config(settings, current)
        with lock:
            last[:] = [(current, config)]
        return config

    return now


def build_store(settings: Settings, clock: Clock) -> PlanStore:
    """Local mode: the plan file in this checkout. Remote mode (BATCHBOT_GIT_URL): a clone of
    the team's repository kept in BATCHBOT_WORKDIR; `start_remote` clones and syncs it."""
    if not settings.remote_mode:
        return PlanStore(
            settings.execution_plan_path,
            push=settings.git_push,
            remote=settings.git_remote,
            clock=clock,
        )
    from bot.plan.remote import RemoteConfig, RemotePlanStore

    token = settings.git_token.get_secret_value() if settings.git_token else None
    config = RemoteConfig(
        url=settings.git_url or "",
        plan_file=settings.plan_file,
        branch=settings.git_branch,
        workdir=settings.remote_workdir,
        token=token,
        sync_seconds=settings.sync_seconds,
    )
    return RemotePlanStore(config, clock=clock)


def tell_admins_plan_invalid(rt: Runtime, sha: str, reason: str) -> None:
    """DM the admins once per bad upstream commit and program, across every instance (a DB
    claim). Another program's reason starts with its file (`plan/beta.toml: …`)."""
    now = rt.clock()
    where, named, _ = reason.partition(": ")
    key = f"{sha}:{where}" if named and where.endswith((".toml", ".json")) else sha
    if not rt.db.claim("plan-invalid", key, now, now, rt.owner):
        return
    from bot.render.escape import esc

    text = (
        f":warning: The plan at commit {sha[:10]} is not valid, so batchbot keeps serving the "
        f"last valid plan and refuses changes until it is fixed upstream: {esc(reason)}"
    )
    for admin in rt.settings.admins:
        try:
            rt.messenger.dm(admin, text)
        except Exception as exc:  # one admin unreachable must not stop the others
            rt.log.error("could not tell %s the plan is invalid: %s", admin, exc)
    rt.db.finish("plan-invalid", key, "done")


def start_store(rt: Runtime) -> None:
    """Remote mode: clone or refresh the plan's repository before the first read. Raises
    PlanConflict (NotSaved) with the reason when the remote cannot be reached and no earlier
    clone holds a plan to serve."""
    from bot.plan.remote import RemotePlanStore

    if isinstance(rt.store, RemotePlanStore):
        rt.store.start()
