"""Which program a `/batch …` line acts on, when one deployment serves several plan files.

A program is one plan file, `plan/<program>.toml` (the id is the file name). The program
travels as an explicit value: the edge hands the line, the channel and the person here, and
`dispatch` picks the program's Context (its own store, team and access rules) in this order:

1. the first word names a program: `/batch beta status`;
2. the channel is linked to exactly one program (its standup, report or team channel);
3. the person belongs to exactly one program (listed as people, editor or lead);
4. the person belongs to several: the reply asks which (`/batch <program> …`);
5. otherwise the deployment's first program (EXECUTION_PLAN_PATH) — so a deployment with one
   plan file behaves exactly as before.

Every reply names the program when the person belongs to more than one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from bot.commands.base import Command, Context
from bot.plan.team import TeamSettings
from bot.replies import ErrorView, Reply, TextView, error


def members(team: TeamSettings) -> set[str]:
    return {*team.team, *team.editors, *team.leads}


def _linked(team: TeamSettings) -> set[str]:
    return {c for c in (team.standup_channel, team.report_channel, team.team_channel) if c}


def programs_of(
    user_id: str | None,
    programs: Mapping[str, Context],
    teams: Mapping[str, TeamSettings] | None = None,
) -> list[str]:
    """The programs a person belongs to, in the deployment's order."""
    if user_id is None:
        return []
    teams = teams if teams is not None else _teams(programs)
    return [pid for pid in programs if user_id in members(teams[pid])]


def _teams(programs: Mapping[str, Context]) -> dict[str, TeamSettings]:
    """Each program's team settings, read once for the whole request."""
    return {pid: ctx.team_settings() for pid, ctx in programs.items()}


def route(
    cmd: Command,
    programs: Mapping[str, Context],
    default: str,
    teams: Mapping[str, TeamSettings] | None = None,
) -> tuple[str | None, Command]:
    """(program id, the command without a leading program word); None: ask the person."""
    if len(programs) <= 1:
        return default, cmd
    if cmd.words and cmd.words[0].lower() in programs:
        return cmd.words[0].lower(), replace(cmd, words=cmd.words[1:])
    teams = teams if teams is not None else _teams(programs)
    if cmd.channel:
        linked = [pid for pid in programs if cmd.channel in _linked(teams[pid])]
        if len(linked) == 1:
            return linked[0], cmd
    mine = programs_of(cmd.actor.slack_id, programs, teams)
    if len(mine) == 1:
        return mine[0], cmd
    if len(mine) > 1:
        return None, cmd
    return default, cmd


def dispatch(
    cmd: Command,
    programs: Mapping[str, Context],
    default: str,
    handle: Callable[[Command, Context], Reply],
) -> Reply:
    """Route, run, and name the program in the reply when the person has more than one."""
    if len(programs) <= 1:
        return (
            handle(cmd, programs[default])
            if default in programs
            else handle(cmd, next(iter(programs.values())))
        )
    teams = _teams(programs)
    mine = programs_of(cmd.actor.slack_id, programs, teams)
    pid, routed = route(cmd, programs, default, teams)
    if pid is None:
        line = " ".join(cmd.words) or "status"
        return error(
            f"which program? you are in {', '.join(mine)}",
            "say it first: " + " · ".join(f"/batch {p} {line}" for p in mine),
            code=2,
        )
    reply = handle(routed, programs[pid])
    if len(mine) > 1 or cmd.actor.slack_id is None:
        return named(reply, pid)
    return reply


def named(reply: Reply, program: str) -> Reply:
    """The reply with its program said first (`[beta] …`). Views that show a plan already
    carry its name (`[program] name`), so only text and errors get the prefix."""
    view = reply.view
    if isinstance(view, TextView):
        return replace(reply, view=replace(view, title=f"[{program}] {view.title}"))
    if isinstance(view, ErrorView):
        return replace(reply, view=replace(view, message=f"[{program}] {view.message}"))
    return reply


__all__ = ["dispatch", "members", "named", "programs_of", "route"]
