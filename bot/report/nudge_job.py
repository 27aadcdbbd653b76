"""The daily `nudges` job: tell an owner once, while there is still time; the lead a day later.

Same discipline as the Friday report (`bot.report.job`): each condition found by
`bot.report.nudges.find_nudges` has a stable key; the job takes a once-only claim on it in the
database before it sends, and releases the claim when sending failed so a later tick retries.
So the owner hears about a condition once, across restarts and instances.

When the condition still holds `lead_after_days` later and the owner has neither said "on
track" nor snoozed it, the lead hears about it once too. "Snooze" silences a condition until a
day; if it still holds then, the owner is nudged once more.

The buttons' answers are claims as well (jobs `nudge-ack`, `nudge-snooze`), so every instance
sees them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bot.jobresult import JobResult
from bot.plan.team import TeamSettings
from bot.render.escape import esc, person
from bot.report.job import JobRuntime, team_of
from bot.report.nudges import Nudge, NudgeRules, find_nudges, last_moves
from bot.report.schedule import progress_samples
from bot.slackids import user_id_in

JOB = "nudges"
ACK_JOB = "nudge-ack"
SNOOZE_JOB = "nudge-snooze"
SNOOZE_DAYS = 3


def scoped(rt: JobRuntime, key: str) -> str:
    """Keys of a program other than the default name it (`plan/<program>.toml`): several
    programs sharing one database each hear of their own `batch-2` once."""
    stem = rt.store.path.stem
    return key if stem == "execution-plan" else f"{stem}/{key}"


def program_of(rt: JobRuntime) -> str:
    """The program id the nudge's Update / Mark done buttons carry ("" for the default
    `execution-plan`, as `scoped`): a click acts on the program that nudged, not the first."""
    stem = rt.store.path.stem
    return "" if stem == "execution-plan" else stem.lower()


def batch_value(program: str, batch: str) -> str:
    """`beta:batch-2` (the batch alone for the default program, as before programs)."""
    return f"{program}:{batch}" if program else batch


def rules(rt: JobRuntime, team: TeamSettings) -> NudgeRules:
    """The team's thresholds: the plan's `[schedule]`, else the environment's."""
    return NudgeRules(
        stall_workdays=team.nudge_stall_days,
        lead_after_days=team.nudge_lead_after_days,
        workdays=tuple(rt.settings.workday_numbers),
    )


def nudge_blocks(
    nudge: Nudge, *, lead_note: str = "", program: str = ""
) -> tuple[str, list[dict[str, Any]]]:
    """The DM: what and why; the owner gets three buttons (update, on track, snooze), the lead
    a line saying why the lead hears of it."""
    icon = {
        "late": ":hourglass_flowing_sand:",
        "stalled": ":zzz:",
        "blocker": ":construction:",
        "complete": ":white_check_mark:",
    }
    who = f" (owner {person(nudge.owner, 'none')})" if lead_note else ""
    text = f"{icon[nudge.kind]} *{esc(nudge.headline)}*{who}\n{esc(nudge.detail)}"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if lead_note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": lead_note}]})
        return f"{nudge.headline} — {nudge.detail}", blocks
    if nudge.kind == "complete":  # the owner confirms; "not yet" keeps the lead out of it
        buttons = [
            _button("Mark done", "nudge_done", batch_value(program, nudge.batch), primary=True),
            _button("Not yet", "nudge_ontrack", nudge.key),
        ]
        blocks.append({"type": "actions", "elements": buttons})
        return f"{nudge.headline} — {nudge.detail}", blocks
    blocks.append(
        {
            "type": "actions",
            "elements": [
                _button("Update", "nudge_update", batch_value(program, nudge.batch), primary=True),
                _button("On track", "nudge_ontrack", nudge.key),
                _button(f"Snooze {SNOOZE_DAYS} days", "nudge_snooze", nudge.key),
            ],
        }
    )
    return f"{nudge.headline} — {nudge.detail}", blocks


NO_OWNER = "This batch has no owner in Slack to nudge, so you hear of it."
NO_ANSWER = "The owner was nudged and has neither updated it nor said it is on track."


def _button(label: str, action: str, value: str, *, primary: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action,
        "value": value[:2000],
    }
    if primary:
        button["style"] = "primary"
    return button


def _snoozed_until(rt: JobRuntime, key: str) -> dt.date | None:
    claim = rt.db.get_claim(SNOOZE_JOB, key)
    return claim.fire_time.date() if claim else None


def _send(
    rt: JobRuntime, key: str, to: tuple[str, ...], nudge: Nudge, at: dt.datetime, lead_note: str
) -> str:
    """'sent', 'skipped' (someone already did) or 'failed' (released for a retry)."""
    if not rt.db.claim(JOB, key, at, rt.clock(), rt.owner):
        return "skipped"
    text, blocks = nudge_blocks(nudge, lead_note=lead_note, program=program_of(rt))
    problems = []
    for user in to:
        try:
            rt.messenger.dm(user, text, blocks=blocks)
        except Exception as exc:
            problems.append(f"{user}: {exc}")
    if problems and len(problems) == len(to):
        rt.db.finish(JOB, key, "failed", "; ".join(problems))
        rt.db.release(JOB, key)
        rt.log.error("nudge %s failed: %s", key, "; ".join(problems))
        return "failed"
    rt.db.finish(JOB, key, "done", f"told {', '.join(to)}")
    return "sent"


def run_nudges(rt: JobRuntime, at: dt.datetime, force: bool = False) -> JobResult:
    """Nudge owners (and, a day later, the lead) about batches and blockers about to slip."""
    s = rt.settings
    local = at.astimezone(s.zone)
    today = local.date()
    # A skip says the instant as the team's clock reads it: `--at 10:00+01:00` is 09:00 in UTC,
    # and "nudges go out at 10:00" alone reads like a contradiction.
    there = f"{local:%a %d %b %H:%M} {s.timezone}"
    if not force and local.weekday() not in s.workday_numbers:
        return JobResult(
            JOB,
            f"no nudges on {local:%A}s (not a workday; it is {there}; --force runs them)",
            skipped=1,
        )
    team = team_of(rt)  # read once a run: the plan's [schedule], else the environment
    rule = rules(rt, team)
    nudge_time = team.nudge_time
    if not force and local.time() < nudge_time:
        return JobResult(
            JOB,
            f"nudges go out at {nudge_time:%H:%M} {s.timezone}; it is {there} "
            "(--force runs them now)",
            skipped=1,
        )
    try:
        plan = rt.store.load()
        history = rt.store.history(limit=0, until=at, diff_by_hand=False)
    except Exception as exc:
        rt.log.warning("nudges: the plan could not be read: %s", exc)
        return JobResult(JOB, "the plan could not be read", failed=1)
    found = [
        dataclasses.replace(n, key=scoped(rt, n.key))
        for n in find_nudges(plan, progress_samples(history), last_moves(history), today, rule)
    ]
    leads = team.leads or tuple(s.admins)
    sent = skipped = failed = 0
    said: list[str] = []
    untold: list[str] = []
    for nudge in found:
        owner = user_id_in(nudge.owner)
        snooze = _snoozed_until(rt, nudge.key)
        if snooze is not None and today < snooze:
            skipped += 1
            continue
        key = nudge.key if snooze is None else f"{nudge.key}:after:{snooze.isoformat()}"
        to = (owner,) if owner else leads
        if not to:  # said in the summary: "nothing to nudge about" would hide a slip
            skipped += 1
            untold.append(f"{nudge.kind} {nudge.batch}")
            continue
        if force:
            rt.db.release(JOB, key)
        outcome = _send(rt, key, to, nudge, at, "" if owner else NO_OWNER)
        if outcome == "sent":
            sent += 1
            said.append(f"{nudge.kind} {nudge.batch}")
        elif outcome == "failed":
            failed += 1
        else:
            skipped += 1
        if not owner or not leads or rt.db.get_claim(ACK_JOB, nudge.key):
            continue
        first = rt.db.get_claim(JOB, key)
        if first is None or first.status != "done":
            continue
        told = first.fire_time.astimezone(s.zone).date()  # the run's instant, not the wall clock
        if (today - told).days < rule.lead_after_days:
            continue
        outcome = _send(rt, f"lead:{key}", leads, nudge, at, NO_ANSWER)
        if outcome == "sent":
            sent += 1
            said.append(f"{nudge.kind} {nudge.batch} → lead")
        elif outcome == "failed":
            failed += 1
    summary = f"nudged: {', '.join(said)}" if said else "nothing new to nudge about"
    if untold:
        summary = (
            f"{summary if said else 'nudged nobody'}; nobody to tell about "
            f"{', '.join(untold)}: the owner is not a Slack user (<@U…>) and neither "
            "BATCHBOT_LEAD nor BATCHBOT_ADMINS is set"
        )
    return JobResult(JOB, summary, sent=sent, skipped=skipped, failed=failed)


def acknowledge(rt: JobRuntime, key: str, user: str, now: dt.datetime) -> str:
    """The owner says "on track": the lead is not told about this condition."""
    if rt.db.claim(ACK_JOB, key, now, now, user):
        rt.db.finish(ACK_JOB, key, "done", f"on track, said {user}")
    return "Noted: on track. The lead will not be nudged about this."


def snooze(rt: JobRuntime, key: str, user: str, now: dt.datetime) -> str:
    """Silence this condition for SNOOZE_DAYS days; if it still holds then, one more nudge."""
    until = now + dt.timedelta(days=SNOOZE_DAYS)
    rt.db.release(SNOOZE_JOB, key)
    rt.db.claim(SNOOZE_JOB, key, until, now, user)
    rt.db.finish(SNOOZE_JOB, key, "done", f"snoozed by {user}")
    day = until.astimezone(rt.settings.zone)
    return f"Snoozed until {day:%a %d %b}. If it still holds then, you will hear once more."
