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


def programs_of(user_id: str | None, programs: Mapping[str, Context]) -> list[str]:
    """The programs a person belongs to, in the deployment's order."""
    if user_id is None:
        return []
    return [pid for pid, ctx in programs.items() if user_id in members(ctx.team_settings())]


def route(
    cmd: Command, programs: Mapping[str, Context], default: str
) -> tuple[str | None, Command]:
    """(program id, the command without a leading program word); None: ask the person."""
    if len(programs) <= 1:
        return default, cmd
    if cmd.words and cmd.words[0].lower() in programs:
        return cmd.words[0].lower(), replace(cmd, words=cmd.words[1:])
    if cmd.channel:
        linked = [
            pid for pid, ctx in programs.items() if cmd.channel in _linked(ctx.team_settings())
        ]
        if len(linked) == 1:
            return linked[0], cmd
    mine = programs_of(cmd.actor.slack_id, programs)
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
    pid, routed = route(cmd, programs, default)
    if pid is None:
        mine = programs_of(cmd.actor.slack_id, programs)
        line = " ".join(cmd.words) or "status"
        return error(
            f"which program? you are in {', '.join(mine)}",
            "say it first: " + " · ".join(f"/batch {p} {line}" for p in mine),
            code=2,
        )
    reply = handle(routed, programs[pid])
    if len(programs_of(cmd.actor.slack_id, programs)) > 1 or (
        len(programs) > 1 and cmd.actor.slack_id is None
    ):
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
