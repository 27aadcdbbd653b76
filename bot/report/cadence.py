"""The optional cadence reminders: a bi-weekly demo day and a monthly retrospective.

Same discipline as the Friday report (`bot.report.job`): each run computes the fire time due
now, posts only within a short grace window, and takes a once-only claim in the database
first, so the scheduler may tick as often as it likes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.jobresult import JobResult
from bot.messenger import Posted
from bot.plan.model import Plan
from bot.render.escape import esc
from bot.report.job import JobRuntime, program_of, team_of, tell_admins
from bot.report.timing import FRIDAY, THURSDAY, aware, local_at, when_text

DEMO_JOB = "demo-reminder"
RETRO_JOB = "retro-reminder"
CADENCE_JOB = "cadence"

DEMO_TIME = dt.time(10, 0)
RETRO_TIME = dt.time(11, 0)
#: A reminder is about that day; after this long it is stale and is not posted late.
CADENCE_GRACE = dt.timedelta(hours=6)


def demo_fire_time(
    at: dt.datetime, start: dt.date, every: int, zone: ZoneInfo, at_time: dt.time = DEMO_TIME
) -> tuple[dt.datetime, int] | None:
    """The latest demo reminder at or before `at`, with its program week, or None.

    Demos close every `every`-week period counted from the program start: on the Thursday
    of weeks every, 2·every, … (Week 2, 4, 6 for a bi-weekly demo).
    """
    if every <= 0:
        return None
    local = aware(at).astimezone(zone).date()
    week = (local - start).days // 7 + 1
    first = (THURSDAY - start.weekday()) % 7
    w = week - week % every
    for candidate in (w, w - every):
        if candidate < every:
            continue
        day = start + dt.timedelta(days=7 * (candidate - 1) + first)
        fire = local_at(day, at_time, zone)
        if fire <= at:
            return fire, candidate
    return None


def next_demo_time(
    at: dt.datetime, start: dt.date, every: int, zone: ZoneInfo, at_time: dt.time = DEMO_TIME
) -> dt.datetime | None:
    if every <= 0:
        return None
    week = max(1, (aware(at).astimezone(zone).date() - start).days // 7 + 1)
    first = (THURSDAY - start.weekday()) % 7
    w = week + (-week) % every
    for candidate in (w, w + every):
        fire = local_at(start + dt.timedelta(days=7 * (candidate - 1) + first), at_time, zone)
        if fire > at:
            return fire
    return None


def _last_friday(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - FRIDAY) % 7)


def retro_fire_time(at: dt.datetime, zone: ZoneInfo, at_time: dt.time = RETRO_TIME) -> dt.datetime:
    """The latest last-Friday-of-the-month `at_time` at or before `at`."""
    local = aware(at).astimezone(zone)
    year, month = local.year, local.month
    for _ in range(2):
        fire = local_at(_last_friday(year, month), at_time, zone)
        if fire <= at:
            return fire
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    raise AssertionError("unreachable: last month's last Friday is always in the past")


def next_retro_time(at: dt.datetime, zone: ZoneInfo, at_time: dt.time = RETRO_TIME) -> dt.datetime:
    local = aware(at).astimezone(zone)
    year, month = local.year, local.month
    while True:
        fire = local_at(_last_friday(year, month), at_time, zone)
        if fire > at:
            return fire
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)


def run_cadence(rt: JobRuntime, at: dt.datetime, force: bool = False) -> JobResult:
    """The optional demo and retrospective reminders, each posted once via claims."""
    s = rt.settings
    zone: ZoneInfo = s.zone
    team = team_of(rt)
    channel = team.team_channel or team.report_channel
    results: list[JobResult] = []
    if not s.demo_every_weeks and not s.retro_monthly:
        return JobResult(CADENCE_JOB, "no cadence reminders are set up", skipped=0)
    if not channel:
        msg = "cadence reminders not posted: set BATCHBOT_TEAM_CHANNEL or BATCHBOT_REPORT_CHANNEL"
        rt.log.warning(msg)
        return JobResult(CADENCE_JOB, msg, skipped=1)
    plan: Plan | None = None
    try:
        plan = rt.store.load()
    except Exception as exc:
        rt.log.warning("cadence reminders: the plan could not be read: %s", exc)

    if s.demo_every_weeks:
        start = plan.program.start if plan else None
        if start is None:
            msg = "demo reminder skipped: the plan has no program start date to count weeks from"
            rt.log.info(msg)
            results.append(JobResult(DEMO_JOB, msg, skipped=1))
        else:
            due = demo_fire_time(at, start, s.demo_every_weeks, zone)
            if due is None:
                results.append(JobResult(DEMO_JOB, "no demo is due yet", skipped=1))
            else:
                fire, week = due
                first = week - s.demo_every_weeks + 1
                span = f"Week {first}–{week}" if first != week else f"Week {week}"
                text = (
                    f":clapper: *Demo day* — {span}. Today's demo shows what the last "
                    f"{s.demo_every_weeks} week{'s' if s.demo_every_weeks != 1 else ''} "
                    "delivered; owners, have something to show."
                )
                if plan is not None and plan.current_batch() is not None:
                    cur = plan.current_batch()
                    assert cur is not None
                    text += f" Current batch: {esc(cur.name)} ({cur.progress}%)."
                results.append(_remind(rt, DEMO_JOB, fire, at, force, channel, text, "demo"))

    if s.retro_monthly:
        fire = retro_fire_time(at, zone)
        text = (
            f":repeat: *Monthly retrospective* — last Friday of {fire:%B}: what went well, "
            "what did not, what we change next month."
        )
        if plan is not None:
            high = [r.risk for r in plan.risks if "High" in (r.probability, r.impact)]
            high += [r.risk for r in plan.risks if "Critical" in (r.probability, r.impact)]
            if high:
                text += " Risks to review: " + "; ".join(esc(r) for r in dict.fromkeys(high)) + "."
        results.append(_remind(rt, RETRO_JOB, fire, at, force, channel, text, "retrospective"))

    return JobResult(
        CADENCE_JOB,
        "; ".join(r.summary for r in results),
        sent=sum(r.sent for r in results),
        skipped=sum(r.skipped for r in results),
        failed=sum(r.failed for r in results),
    )


def _remind(
    rt: JobRuntime,
    job: str,
    fire: dt.datetime,
    at: dt.datetime,
    force: bool,
    channel: str,
    text: str,
    what: str,
) -> JobResult:
    zone = rt.settings.zone
    key = fire.isoformat()
    program = program_of(rt)  # each program's reminder is its own once-only claim
    fire_text = when_text(fire, zone)
    if at - fire > CADENCE_GRACE and not force:
        msg = f"{what} reminder for {fire_text} is past (posted only within 6 h)"
        return JobResult(job, msg, skipped=1)
    if force:
        rt.db.release(job, key, program)
    if not rt.db.claim(job, key, fire, rt.clock(), rt.owner, program):
        msg = f"{what} reminder for {fire_text} already posted; use --force to post again"
        rt.log.info(msg)
        return JobResult(job, msg, skipped=1)
    try:
        posted: Posted = rt.messenger.post(channel, text)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        rt.db.finish(job, key, "failed", reason, program)
        msg = f"{what} reminder for {fire_text} FAILED: {reason}; released for a retry"
        rt.log.error(msg)
        tell_admins(rt, f":warning: The {what} reminder could not be posted: {esc(reason)}")
        rt.db.release(job, key, program)
        return JobResult(job, msg, failed=1)
    rt.db.finish(job, key, "done", f"posted to {posted.channel} ts={posted.ts}", program)
    msg = f"{what} reminder for {fire_text} posted to {posted.channel}"
    rt.log.info(msg)
    return JobResult(job, msg, sent=1)
