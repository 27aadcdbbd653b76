"""`/batch risk add|update|close|reviewed` and `/batch risks`: the risk register, kept in the
plan, each risk with an owner and the day someone last confirmed it is still accurate."""

from __future__ import annotations

from bot.commands.base import Command, Context, change_plan
from bot.commands.registers import check_access, nth, number_of, saved_reply, text_and_pairs
from bot.people.names import NameOf, person_name
from bot.plan.edits import UsageError, parse_pairs
from bot.plan.model import Plan, Risk
from bot.plan.register_edits import RISK_KEYS, add_risk, update_risk
from bot.replies import Reply, TextView

USAGE = (
    "/batch risk add <title> probability=<low|medium|high> impact=<low|medium|high|critical> "
    "mitigation=<text> [owner=@user] — add a risk",
    "/batch risk update <n> key=value … — change risk n "
    f"(keys: {', '.join(RISK_KEYS)}); risk reviewed <n> — still accurate",
    "/batch risk close <n> — close risk n",
    "/batch risks — the open risks and when each was last reviewed",
)


def risk_line(n: int, r: Risk, name_of: NameOf | None = None) -> str:
    owner = f", owner {person_name(r.owner, name_of)}" if r.owner else ""
    reviewed = f"reviewed {r.reviewed:%d %b %Y}" if r.reviewed else "never reviewed"
    closed = " [closed]" if r.status == "closed" else ""
    return (
        f"#{n} {r.risk}{closed} — {r.probability} probability / {r.impact} impact{owner}; "
        f"{reviewed}. Mitigation: {r.mitigation or '—'}"
    )


def _owner(plan: Plan, number: str) -> str | None:
    target = nth(plan.risks, number)
    return target.owner if target and target.owner else None


def risk(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if not args:
        raise UsageError("risk add <title> … | risk update <n> key=value … | risk close <n>")
    action, rest = args[0].lower(), args[1:]
    today = ctx.clock().date()
    plan = ctx.store.load()
    if action == "add":
        title, pairs = text_and_pairs(rest, ("probability", "impact", "mitigation", "owner"))
        if not title:
            raise UsageError("what is the risk? /batch risk add <title> probability=… impact=…")
        refused = check_access(ctx, cmd.actor, None, "the risk register")
        if refused:
            return refused
        kv = list(pairs.items())
        saved = change_plan(
            ctx,
            cmd.actor,
            lambda p: add_risk(p, title, kv, today),
            via=cmd.origin,
            what="the risk register",
        )
        return saved_reply(saved, f"Risk #{len(saved.plan.risks)} added: {title}")
    if action in ("update", "close", "reviewed"):
        if not rest:
            raise UsageError(f"which risk? /batch risk {action} <n>")
        number = str(number_of(rest[0], "risk"))
        if action == "update":
            if len(rest) == 1:
                raise UsageError(f"give key=value pairs; keys: {', '.join(RISK_KEYS)}")
            pairs_list = parse_pairs(rest[1:], RISK_KEYS)
        elif len(rest) > 1:
            raise UsageError(f"risk {action} takes one risk number")
        else:
            pairs_list = [("status", "closed")] if action == "close" else []
        return change_risk(cmd, ctx, number, pairs_list, plan)
    raise UsageError(f"risk {action!r}: use risk add, risk update, risk reviewed or risk close")


def change_risk(
    cmd: Command, ctx: Context, number: str, pairs: list[tuple[str, str]], plan: Plan | None = None
) -> Reply:
    """The single write path for risk changes (typed command, review button, Slack form)."""
    number = str(number_of(number, "risk"))
    plan = plan or ctx.store.load()
    refused = check_access(ctx, cmd.actor, _owner(plan, number), "this risk")
    if refused:
        return refused
    today = ctx.clock().date()
    saved = change_plan(
        ctx,
        cmd.actor,
        lambda p: update_risk(p, number, pairs, today),
        via=cmd.origin,
        what="this risk",
        owner=lambda p: _owner(p, number),
    )
    n = number
    what = "closed" if ("status", "closed") in pairs else "updated" if pairs else "reviewed"
    return saved_reply(saved, f"Risk #{n} {what}")


def risks(cmd: Command, ctx: Context, args: list[str]) -> Reply:
    if len(args) > 1 or (args and args[0].lower() not in ("all", "open")):
        raise UsageError("risks [all] — the open risks, or all of them")
    plan = ctx.store.load()
    show_all = bool(args) and args[0].lower() == "all"
    lines = tuple(
        risk_line(n, r, ctx.name_of)
        for n, r in enumerate(plan.risks, 1)
        if show_all or r.status == "open"
    )
    return Reply(TextView("Risks", lines or ("No open risks.",)))


VERBS = {"risk": risk, "risks": risks}
