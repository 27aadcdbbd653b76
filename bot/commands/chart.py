"""`/batch chart`: the burn-up chart (overall and per-batch progress per week from git, and
the planned line from the due dates). The command computes the numbers; each edge draws and
delivers the PNG (Slack uploads it, the shell and `batchbot chart --out` write a file)."""

from __future__ import annotations

from bot.commands.base import Command, Context
from bot.plan.edits import UsageError
from bot.replies import ChartView, Reply
from bot.report.burnup import burnup
from bot.report.schedule import progress_samples

USAGE = ("/batch chart — the burn-up chart as a PNG (CLI: batchbot chart --out FILE.png)",)


def chart(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if args:
        raise UsageError("chart takes no arguments (the CLI writes it with --out FILE.png)")
    plan = ctx.store.load()
    now = ctx.clock()
    samples = progress_samples(ctx.store.history(limit=0, until=now, diff_by_hand=False))
    return Reply(ChartView(burnup(plan, samples, now.date())), visibility="channel")


VERBS = {"chart": chart}
