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

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from bot.commands.base import Command, Context
from bot.plan.team import TeamSettings
from bot.replies import ErrorView, Reply, TextView, error


def members(team: TeamSettings) -> set[str]:
    return {*team.team, *team.editors, *team.leads}


def _linked(team: TeamSettings) -> set[str]:
    return {c for c in (team.standup_channel, team.report_channel, team.team_channel) if c}


@dataclass(frozen=True)
class ProgramIndex:
    """Who belongs to which program and which channel is whose, read from every program's
    team settings once and kept until a plan file changes: routing is then two dictionary
    look-ups per line, however many programs the deployment serves."""

    teams: Mapping[str, TeamSettings]
    by_person: Mapping[str, tuple[str, ...]]
    by_channel: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, teams: Mapping[str, TeamSettings]) -> ProgramIndex:
        people: dict[str, list[str]] = {}
        channels: dict[str, list[str]] = {}
        for pid, team in teams.items():  # in the deployment's order
            for user in sorted(members(team)):
                people.setdefault(user, []).append(pid)
            for channel in sorted(_linked(team)):
                channels.setdefault(channel, []).append(pid)
        return cls(
            dict(teams),
            {u: tuple(p) for u, p in people.items()},
            {c: tuple(p) for c, p in channels.items()},
        )


class _IndexCache:
    """The last index built, keyed by each plan file's stamp (one stat each, no parse): a
    write — by this process or any other — renames a new file into place and so changes its
    stamp, and the next line rebuilds the index (read-your-write holds without expiry)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[tuple[object, ...], ProgramIndex] | None = None

    def get(self, programs: Mapping[str, Context]) -> ProgramIndex:
        key = tuple((pid, id(ctx), ctx.store.stamp()) for pid, ctx in programs.items())
        with self._lock:
            last = self._last
        if last is not None and last[0] == key:
            return last[1]
        index = ProgramIndex.of({pid: ctx.team_settings() for pid, ctx in programs.items()})
        with self._lock:
            self._last = (key, index)
        return index


_INDEX = _IndexCache()


def index_of(programs: Mapping[str, Context]) -> ProgramIndex:
    """The routing index of these programs as their plan files are now."""
    return _INDEX.get(programs)


def programs_of(
    user_id: str | None,
    programs: Mapping[str, Context],
    teams: Mapping[str, TeamSettings] | None = None,
) -> list[str]:
    """The programs a person belongs to, in the deployment's order."""
    if user_id is None:
        return []
    if teams is not None:
        return [pid for pid in programs if user_id in members(teams[pid])]
    return list(index_of(programs).by_person.get(user_id, ()))


def named_program(words: Sequence[str], programs: Mapping[str, object]) -> str | None:
    """The program a line names first, if any. A program whose id is also a command word
    (`plan/team.toml`, `plan/report.toml`) must not take that command away from everyone:
    it is the program only when a command follows (`/batch team status`), while `/batch
    team` and `/batch team add @dan` stay the command."""
    if not words or words[0].lower() not in programs:
        return None
    from bot.commands import COMMAND_WORDS  # loaded already: this runs inside a dispatch

    first = words[0].lower()
    if first in COMMAND_WORDS and not (len(words) > 1 and words[1].lower() in COMMAND_WORDS):
        return None
    return first


def route(
    cmd: Command,
    programs: Mapping[str, Context],
    default: str,
    teams: Mapping[str, TeamSettings] | None = None,
) -> tuple[str | None, Command]:
    """(program id, the command without a leading program word); None: ask the person."""
    if len(programs) <= 1:
        return default, cmd
    named = named_program(cmd.words, programs)
    if named is not None:
        return named, replace(cmd, words=cmd.words[1:])
    index = index_of(programs) if teams is None else ProgramIndex.of(teams)
    return _route(cmd, programs, default, index)


def _route(
    cmd: Command, programs: Mapping[str, Context], default: str, index: ProgramIndex
) -> tuple[str | None, Command]:
    if len(programs) <= 1:
        return default, cmd
    named = named_program(cmd.words, programs)
    if named is not None:
        return named, replace(cmd, words=cmd.words[1:])
    if cmd.channel:
        linked = index.by_channel.get(cmd.channel, ())
        if len(linked) == 1:
            return linked[0], cmd
    mine = index.by_person.get(cmd.actor.slack_id or "", ())
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
    index = index_of(programs)
    mine = list(index.by_person.get(cmd.actor.slack_id or "", ()))
    pid, routed = _route(cmd, programs, default, index)
    if pid is None:
        line = " ".join(cmd.words) or "status"
        return error(
            f"which program? you are in {', '.join(mine)}",
            "say it first: " + " · ".join(f"/batch {p} {line}" for p in mine),
            code=2,
        )
    reply = handle(routed, programs[pid])
    if reply.modal is not None:  # the form must read and save the same program
        reply = replace(reply, modal=replace(reply.modal, program=pid))
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


__all__ = ["ProgramIndex", "dispatch", "index_of", "members", "named", "programs_of", "route"]
