"""Scheduled jobs: APScheduler 3 only *ticks*; whether a run is due, and whether it already
happened, is decided by the jobs themselves against our own database.

APScheduler 3 cannot share a job store between processes, and re-adding a job with
`replace_existing` drops a run missed while the process was down. So each job computes its
due fire time from the clock and settings, takes a once-only claim in the database before
acting, and the scheduler simply calls it often (and once at start, to catch up).
`batchbot jobs run NAME --at …` calls the very same function, so recovery by hand obeys the
same once-only rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.jobresult import JobResult
from bot.walltime import parse_instant, wall_instant

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.runtime import Runtime

log = logging.getLogger("batchbot.jobs")

JobFn = Callable[["Runtime", dt.datetime, bool], JobResult]


def _prompts(rt: Runtime, at: dt.datetime, force: bool) -> JobResult:
    return rt.standups.prompts.run_prompts(at, force)


def _reminders(rt: Runtime, at: dt.datetime, force: bool) -> JobResult:
    return rt.standups.prompts.run_reminders(at, force)


def _digest(rt: Runtime, at: dt.datetime, force: bool) -> JobResult:
    """Each program's digest in its own standup channel (prompts and reminders cover every
    program's team through the linked seats: one per person)."""
    group = rt.standups.group
    return rt.standups.digest.run(at, force) if group is None else group.run_digest(at, force)


def _per_program(rt: Runtime, job: str, run: JobFn, at: dt.datetime, force: bool) -> JobResult:
    """`run` once per program, each through `rt.for_program` (its plan, team settings,
    channels, leads, GitHub and database key, so its once-only claims are its own). One
    program's failure must not cost the others their run; the summary names each program."""
    programs = list(getattr(rt, "programs", {}) or {})
    if len(programs) <= 1:
        return run(rt, at, force)
    results = []
    for pid in programs:
        try:
            result = run(rt.for_program(pid), at, force)
        except Exception as exc:
            log.exception("%s of %s failed", job, pid)
            result = JobResult(job, f"failed: {exc}", failed=1)
        results.append((pid, result))
    return JobResult(
        job,
        "; ".join(f"{pid}: {r.summary}" for pid, r in results),
        sent=sum(r.sent for _, r in results),
        skipped=sum(r.skipped for _, r in results),
        failed=sum(r.failed for _, r in results),
    )


def _weekly(rt: Runtime, at: dt.datetime, force: bool) -> JobResult:
    """Each program's report, to its channel and its GitHub, once per program per week; the
    PNG charts (the slow part) are drawn once every report is posted."""
    from bot.report.job import Later, attach_charts, run_weekly_report

    later: list[Later] = []
    run = functools.partial(run_weekly_report, later=later)
    result = _per_program(rt, "weekly-report", run, at, force)
    if not later:
        return result
    failed = attach_charts(rt, later)
    drawn = f"{len(later) - len(failed)} of {len(later)} charts attached"
    return dataclasses.replace(result, summary=f"{result.summary}; {drawn}")


def _cadence(rt: Runtime, at: dt.datetime, force: bool) -> JobResult:
    from bot.report.cadence import run_cadence

    return _per_program(rt, "cadence-reminders", run_cadence, at, force)


def _escalate(rt: Runtime, at: dt.datetime, force: bool) -> JobResult:
    from bot.report.lead_jobs import run_blocker_escalation

    return _per_program(rt, "blocker-escalation", run_blocker_escalation, at, force)


def _risk_review(rt: Runtime, at: dt.datetime, force: bool) -> JobResult:
    from bot.report.lead_jobs import run_risk_review

    return _per_program(rt, "risk-review", run_risk_review, at, force)


def _nudges(rt: Runtime, at: dt.datetime, force: bool) -> JobResult:
    from bot.report.nudge_job import run_nudges

    return _per_program(rt, "nudges", run_nudges, at, force)


JOBS: dict[str, tuple[JobFn, str]] = {
    "standup-prompts": (_prompts, "DM each person the standup prompt at their local standup time"),
    "standup-reminders": (_reminders, "one reminder to those who have not answered"),
    "standup-digest": (_digest, "the day's digest in the standup thread: answered, missing"),
    "weekly-report": (_weekly, "post the weekly report draft on Friday"),
    "cadence-reminders": (_cadence, "bi-weekly demo and monthly retrospective reminders"),
    "blocker-escalation": (_escalate, "tell the admins once about a blocker open too long"),
    "risk-review": (_risk_review, "Friday DM to the lead: are the open risks still accurate?"),
    "nudges": (_nudges, "DM owners once about a batch about to slip, stalled, or a late blocker"),
}


def run_job(
    rt: Runtime, name: str, at: dt.datetime | None = None, force: bool = False
) -> JobResult:
    """Run one job as the scheduler would at `at`; failures are logged, never raised."""
    fn, _ = JOBS[name]
    when = (at or rt.clock()).astimezone(dt.UTC)
    try:
        result = fn(rt, when, force)
    except Exception as exc:
        log.exception("job %s failed at %s", name, when.isoformat())
        return JobResult(name, f"failed: {exc}", failed=1)
    level = logging.WARNING if result.failed else logging.INFO
    if result.sent or result.failed:
        log.log(level, "job %s at %s: %s", name, when.isoformat(), result.summary)
    return result


def start_scheduler(rt: Runtime) -> BackgroundScheduler:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    s = rt.settings
    scheduler = BackgroundScheduler(
        timezone=s.zone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
    )

    # APScheduler logs "Running job …" and "executed successfully" at INFO on every tick (a
    # line a minute per job); ours says what a run did. DEBUG keeps them for whoever wants them.
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)

    def add(name: str, trigger: Any = None, job_id: str | None = None, **kw: Any) -> None:
        """A job named for what it runs (its logs and misfire warnings say so, not <lambda>)."""
        scheduler.add_job(
            functools.partial(run_job, rt, name), trigger, id=job_id or name, name=name, **kw
        )

    add("standup-prompts", IntervalTrigger(minutes=1))
    add("standup-reminders", IntervalTrigger(minutes=5))
    add("standup-digest", IntervalTrigger(minutes=5))
    # The report's day and time live in the plan (`[schedule]`) and may change while we run,
    # so no cron trigger is fixed at start: the job checks each minute whether a report is
    # due (cheap: one claim lookup) and posts it once.
    add("weekly-report", IntervalTrigger(minutes=1))
    if s.demo_every_weeks or s.retro_monthly:
        add("cadence-reminders", IntervalTrigger(minutes=15))
    for name in ("blocker-escalation", "risk-review", "nudges"):  # each decides what is due, once
        add(name, IntervalTrigger(minutes=15))
    scheduler.start()
    # Catch up right away instead of waiting for the first tick.
    for name in ("standup-prompts", "weekly-report"):
        add(name, None, f"{name}-start", next_run_time=dt.datetime.now(dt.UTC))
    log.info("scheduler started (%s)", ", ".join(j.id for j in scheduler.get_jobs()))
    return scheduler


def next_runs(rt: Runtime, now: dt.datetime) -> list[tuple[str, dt.datetime | None, str]]:
    """When each job will next act (computed by us, not read from APScheduler's store). With
    several programs each one's times are shown, named by program: each keeps its own
    schedule, so the first program's times would mislead a lead of another."""
    s = rt.settings
    if len(rt.programs) <= 1:
        rows = _program_runs(rt, now)
    else:
        rows = [
            (name, when, f"{pid}: {note}")
            for pid in rt.programs
            for name, when, note in _program_runs(rt.for_program(pid), now)
        ]
    if s.demo_every_weeks or s.retro_monthly:
        cadence = f"demo every {s.demo_every_weeks} weeks; monthly retro: {s.retro_monthly}"
    else:
        cadence = "off: set BATCHBOT_DEMO_EVERY_WEEKS or BATCHBOT_RETRO_MONTHLY to turn it on"
    rows.append(("cadence-reminders", None, cadence))
    order = list(JOBS)  # the one list of jobs: rows in its order, none left out
    return sorted(rows, key=lambda row: order.index(row[0]))


def _program_runs(rt: Runtime, now: dt.datetime) -> list[tuple[str, dt.datetime | None, str]]:
    """One program's jobs: its own prompt, digest, report and review times."""
    from bot.report.job import next_fire_time, team_of

    s = rt.settings
    team = team_of(rt)
    zone = s.zone
    rows: list[tuple[str, dt.datetime | None, str]] = []
    weekday = ("Mon", "Tues", "Wednes", "Thurs", "Fri", "Satur", "Sun")[team.report_day] + "day"
    local = now.astimezone(zone)
    prompt: dt.datetime | None = None
    for offset in range(0, 15):
        day = local.date() + dt.timedelta(days=offset)
        if not rt.standups.days.is_workday(day):  # holidays from env, plan and country
            continue
        at = wall_instant(day, team.prompt_time, zone)
        if at > now:
            prompt = at
            break
    rows.append(
        (
            "standup-prompts",
            prompt,
            f"checked every minute; each person at {team.prompt_time:%H:%M} in their own time zone",
        )
    )
    reminder = prompt + dt.timedelta(hours=team.reminder_hours) if prompt else None
    rows.append(("standup-reminders", reminder, f"{team.reminder_hours:g} h after each prompt"))
    rows.append(
        (
            "standup-digest",
            rt.standups.digest.next_run(now),
            f"workdays {team.digest_time:%H:%M} {s.timezone}, in the day's standup thread",
        )
    )
    rows.append(
        (
            "weekly-report",
            next_fire_time(now, team.report_time, zone, team.report_day),
            f"{weekday}s {team.report_time:%H:%M} {s.timezone}; "
            f"late within {s.report_grace_hours:g} h",
        )
    )
    rows.append(
        (
            "blocker-escalation",
            None,
            f"checked every 15 min; blockers open > {team.escalate_days} days, once each",
        )
    )
    rows.append(
        (
            "risk-review",
            next_fire_time(now, team.report_time, zone, team.report_day),
            f"{weekday}s {team.report_time:%H:%M} {s.timezone}, DM to the lead",
        )
    )
    rows.append(
        (
            "nudges",
            None,
            f"workdays from {team.nudge_time:%H:%M} {s.timezone}: late forecasts, batches "
            f"still {team.nudge_stall_days} workdays, blockers past due; once each",
        )
    )
    return rows


def program_reports(rt: Runtime) -> list[str]:
    """With several programs, where each one's Friday report goes: its channel and its GitHub
    repository, or why it is not published (each program names its own; the environment's
    repository is the first program's only)."""
    if len(rt.programs) <= 1:
        return []
    from bot.github.service import publishing

    lines = []
    for pid, ctx in rt.programs.items():
        team = ctx.team_settings()
        channel = team.report_channel or "no report channel (not posted)"
        lines.append(f"  {pid}: report to {channel}; {publishing(ctx.github, team, rt.settings)}")
    return ["weekly-report per program:", *lines]


def cli(opts: dict[str, Any], words: list[str]) -> int:
    """`batchbot jobs list` and `batchbot jobs run NAME [--at ISO] [--force]`."""
    from bot.messenger import ConsoleMessenger
    from bot.runtime import build_runtime
    from bot.settings import SettingsError, load_settings

    usage = "usage: batchbot jobs list | batchbot jobs run NAME [--at ISO-8601] [--force]"
    if not words or words[0] not in ("list", "run"):
        print(f"Error: {usage}", file=sys.stderr)
        return 2
    if words[0] == "run" and (len(words) != 2 or words[1] not in JOBS):
        # before settings and the database: a typo must not create batchbot.db here
        from bot.plan.model import did_you_mean

        name = words[1] if len(words) > 1 else ""
        what = f"no job {name!r}{did_you_mean(name, list(JOBS))};" if name else "which job?"
        print(f"Error: {what} one of {', '.join(JOBS)}", file=sys.stderr)
        return 2
    try:
        overrides = {"execution_plan_path": opts["plan"]} if opts.get("plan") else {}
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 1
    try:  # before the database: a mistyped --at must not leave batchbot.db behind
        at = opts.get("at")
        at_given = None if at is None else parse_instant(str(at), settings.zone).astimezone(dt.UTC)
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if settings.slack_bot_token:
        from bot.slack.messenger import SlackMessenger, make_client

        messenger: Any = SlackMessenger(
            make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
        )
    else:
        messenger = ConsoleMessenger(zone=settings.timezone)
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.log_format)
    rt = build_runtime(settings, messenger)
    from bot.plan.store import PlanConflict
    from bot.runtime import start_store

    try:
        start_store(rt)
    except PlanConflict as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    chosen = opts.get("program")
    if chosen and chosen in rt.programs and len(rt.programs) > 1:  # --program: that one only
        rt = rt.for_program(chosen)
        rt.programs = {chosen: rt.ctx}
    now = rt.clock()
    if words[0] == "list":
        zone = settings.zone
        for name, when, note in next_runs(rt, now):
            if when is None:
                print(f"{name:<18} next: —  ({note})")
                continue
            print(
                f"{name:<18} next: {when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC / "
                f"{when.astimezone(zone):%a %Y-%m-%d %H:%M} {settings.timezone}  ({note})"
            )
        for line in program_reports(rt):
            print(line)
        return 0
    at = at_given or now
    if isinstance(messenger, ConsoleMessenger):
        print("(no SLACK_BOT_TOKEN: showing what would be sent instead of sending it)")
    result = run_job(rt, words[1], at, force=bool(opts.get("force")))
    print(f"{result.job}: {result.summary}")
    return 1 if result.failed else 0
