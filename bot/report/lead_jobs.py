"""The lead's scheduled nudges: escalate a blocker open too long, and the Friday risk review.

Same discipline as the Friday report (`bot.report.job`): a run decides for itself what is due
at instant `at`, takes a once-only claim in the database before sending, and releases the
claim when sending failed so a later tick retries. So each blocker is escalated once, and the
lead gets one risk review DM per Friday, however often the scheduler ticks and however many
instances share the database.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.jobresult import JobResult
from bot.plan.model import Plan
from bot.render.escape import esc, person
from bot.render.lead_blocks import risk_review_blocks
from bot.report.job import JobRuntime, due_fire_time, program_of, team_of
from bot.report.timing import when_text

ESCALATE_JOB = "blocker-escalation"
RISK_JOB = "risk-review"


def _plan(rt: JobRuntime) -> Plan | None:
    try:
        return rt.store.load()
    except Exception as exc:
        rt.log.warning("the plan could not be read: %s", exc)
        return None


def run_blocker_escalation(rt: JobRuntime, at: dt.datetime, force: bool = False) -> JobResult:
    """DM each blocker open longer than the team's `escalate_days` once: to the leads the
    program's plan names (`[team] leads`), else to every admin (BATCHBOT_ADMINS)."""
    s = rt.settings
    zone: ZoneInfo = s.zone
    team = team_of(rt)
    limit: int = team.escalate_days
    program = program_of(rt)
    admins = team.leads if team.leads and team.source("leads") == "plan" else tuple(s.admins)
    if not admins:
        return JobResult(ESCALATE_JOB, "no admins to escalate to (BATCHBOT_ADMINS)", skipped=1)
    plan = _plan(rt)
    if plan is None:
        return JobResult(ESCALATE_JOB, "the plan could not be read", failed=1)
    today = at.astimezone(zone).date()
    names = {b.id: b.name for b in plan.batches}
    sent = skipped = failed = 0
    notes: list[str] = []
    for n, b in enumerate(plan.blockers, 1):
        age = (today - b.raised).days
        if b.status != "open" or age <= limit:
            continue
        key = f"{n}:{b.batch}:{b.raised.isoformat()}"
        if force:
            rt.db.release(ESCALATE_JOB, key, program)
        if not rt.db.claim(ESCALATE_JOB, key, at, rt.clock(), rt.owner, program):
            skipped += 1
            continue
        text = (
            f":rotating_light: Blocker #{n} on *{esc(names.get(b.batch, b.batch))}* "
            f"has been open {age} days (more than {limit}): {esc(b.text)} — "
            f"{esc(b.resolution) or '_no resolution plan yet_'} "
            f"(owner {person(b.owner, 'none')}). `/batch blocker resolve {n}` when it is done."
        )
        problems = []
        for admin in admins:
            try:
                rt.messenger.dm(admin, text)
            except Exception as exc:
                problems.append(f"{admin}: {exc}")
        if problems and len(problems) == len(admins):
            rt.db.finish(ESCALATE_JOB, key, "failed", "; ".join(problems), program)
            rt.db.release(ESCALATE_JOB, key, program)
            failed += 1
            rt.log.error("escalating blocker #%s failed: %s", n, "; ".join(problems))
            continue
        told = f"told {len(admins) - len(problems)} admin(s)"
        rt.db.finish(ESCALATE_JOB, key, "done", told, program)
        sent += 1
        notes.append(f"#{n} ({age} days)")
    summary = (
        f"escalated {', '.join(notes)}" if notes else "no blocker newly past the escalation age"
    )
    return JobResult(ESCALATE_JOB, summary, sent=sent, skipped=skipped, failed=failed)


def run_risk_review(rt: JobRuntime, at: dt.datetime, force: bool = False) -> JobResult:
    """On Friday at the report time: one DM to the lead listing the open risks with buttons."""
    s = rt.settings
    team = team_of(rt)
    zone: ZoneInfo = s.zone
    fire = due_fire_time(at, team.report_time, zone, team.report_day)
    grace = dt.timedelta(hours=s.report_grace_hours)
    if at - fire > grace and not force:
        return JobResult(RISK_JOB, f"risk review for {when_text(fire, zone)} is past", skipped=1)
    leads = team.leads or tuple(s.admins)
    if not leads:
        msg = "risk review not sent: name a lead (`/batch settings leads=@…`) or BATCHBOT_ADMINS"
        return JobResult(RISK_JOB, msg, skipped=1)
    plan = _plan(rt)
    if plan is None:
        return JobResult(RISK_JOB, "the plan could not be read", failed=1)
    if not any(r.status == "open" for r in plan.risks):
        return JobResult(RISK_JOB, "no open risks to review", skipped=1)
    key = fire.isoformat()
    program = program_of(rt)
    if force:
        rt.db.release(RISK_JOB, key, program)
    if not rt.db.claim(RISK_JOB, key, fire, rt.clock(), rt.owner, program):
        return JobResult(
            RISK_JOB, f"risk review for {when_text(fire, zone)} already sent", skipped=1
        )
    text, blocks = risk_review_blocks(plan, program)
    try:
        for lead in leads:
            rt.messenger.dm(lead, text, blocks=blocks)
    except Exception as exc:
        rt.db.finish(RISK_JOB, key, "failed", str(exc), program)
        rt.db.release(RISK_JOB, key, program)
        rt.log.error("risk review DM failed: %s", exc)
        return JobResult(RISK_JOB, f"risk review FAILED: {exc}; released for a retry", failed=1)
    rt.db.finish(RISK_JOB, key, "done", f"sent to {', '.join(leads)}", program)
    return JobResult(RISK_JOB, f"risk review sent to {', '.join(leads)}", sent=1)
