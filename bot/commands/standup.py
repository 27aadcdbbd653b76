"""`/batch standup …`: the grammar lives with the standup service; this module routes to it."""

from __future__ import annotations

from bot.commands.base import Command, Context
from bot.replies import Reply, error

USAGE = (
    "/batch standup <2–3 sentences> — today's standup; "
    "standup list [@user|YYYY-MM-DD]; standup skip [until YYYY-MM-DD]",
)


def standup(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if ctx.standups is None:
        return error("standups are not set up here", "set DATABASE_URL and BATCHBOT_TEAM")
    return ctx.standups.command(cmd, args)


VERBS = {"standup": standup}
NEEDS_SERVICES = ("standup",)  # the database (see bot.commands.NEEDS_SERVICES)
