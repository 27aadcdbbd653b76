"""The Friday weekly-report job and the cadence reminders: due times, once-only claims, posting.

Nothing here trusts a scheduler's memory. Each run computes which fire time is due *now*
(`due_fire_time`), checks the grace window, and takes a durable claim in the database
(job + fire time, unique) *before* posting. So the scheduler may tick every few minutes, a
restart may run it late, two processes may run it at once: one post per Friday. A failed
post releases its claim (the next tick in the grace window retries) and is reported in the
log and to every admin — never lost silently.

Times are computed in the team's zone with zoneinfo: a local time that does not exist (the
clock jumps over it) moves forward by the jump; one that happens twice is taken the first
time. Some zones change on a Friday (Asia/Jerusalem, Africa/Cairo): the report still fires
at the configured local time on both sides of the change.

Core module: imports nothing from Slack or APScheduler; it talks through the Messenger.
"""

from __future__ import annotations

import datetime as dt
import logging
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.jobresult import JobResult
from bot.messenger import Messenger, Posted
from bot.plan.gitrepo import GitError
from bot.plan.model import Plan
from bot.plan.store import FALLBACK_EMAIL, FALLBACK_NAME, Actor, PlanStore
from bot.render.escape import esc
from bot.render.report_blocks import (
    MAX_BLOCKS,
    fallback_text,
    publish_buttons,
    report_blocks,
    with_issue_link,
)
from bot.report.measurements import record, week_window
from bot.report.publish import GitHubService, GitHubUnavailable, issue_body, issue_title
from bot.report.weekly import WeeklyReport, collect_week, report_for, title, to_markdown

JOB = "weekly-report"
DEMO_JOB = "demo-reminder"
RETRO_JOB = "retro-reminder"
CADENCE_JOB = "cadence"

FRIDAY = 4
THURSDAY = 3
DEMO_TIME = dt.time(10, 0)
RETRO_TIME = dt.time(11, 0)
#: A reminder is about that day; after this long it is stale and is not posted late.
CADENCE_GRACE = dt.timedelta(hours=6)

BOT_ACTOR = Actor(FALLBACK_NAME, FALLBACK_EMAIL)


class JobRuntime(Protocol):
    """What the jobs use of `bot.runtime.Runtime` (tests pass a small dataclass)."""

    # Read-only members: the jobs only read them, and a frozen runtime must satisfy this too.
    @property
    def settings(self) -> Any: ...  # bot.settings.Settings
    @property
    def store(self) -> PlanStore: ...
    @property
    def clock(self) -> Callable[[], dt.datetime]: ...
    @property
    def messenger(self) -> Messenger: ...
    @property
    def db(self) -> Any: ...  # bot.db.Database
    @property
    def log(self) -> logging.Logger: ...
    @property
    def owner(self) -> str: ...


# --------------------------------------------------------------------------- time


def local_at(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """`day` at wall time `at` in `zone`, as an aware datetime in that zone.

    Nonexistent (skipped) wall times move forward by the size of the jump, e.g. 00:30 on a
    night that goes 00:00 → 01:00 becomes 01:30. Repeated wall times take the first one.
    """
    naive = dt.datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    # A round trip through UTC normalises a skipped wall time (fold=0 takes the offset from
    # before the jump, which lands after it); an existing time comes back unchanged.
    return first.astimezone(dt.UTC).astimezone(zone)


def _aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: give an instant with a UTC offset")
    return at


def due_fire_time(at: dt.datetime, report_time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The latest Friday `report_time` (wall time in `zone`) that is at or before `at`."""
    local = _aware(at).astimezone(zone)
    friday = local.date() - dt.timedelta(days=(local.weekday() - FRIDAY) % 7)
    fire = local_at(friday, report_time, zone)
    if fire > at:
        fire = local_at(friday - dt.timedelta(days=7), report_time, zone)
    return fire


def next_fire_time(at: dt.datetime, report_time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The first Friday `report_time` in `zone` strictly after `at` (for `jobs list`)."""
    local = _aware(at).astimezone(zone)
    friday = local.date() + dt.timedelta(days=(FRIDAY - local.weekday()) % 7)
    fire = local_at(friday, report_time, zone)
    if fire <= at:
        fire = local_at(friday + dt.timedelta(days=7), report_time, zone)
    return fire


def iso_week_name(fire: dt.datetime) -> str:
    """`2026-W49`: the ISO year and week of the fire date (archive and file names)."""
    year, week, _ = fire.date().isocalendar()
    return f"{year}-W{week:02d}"


def archive_path(fire: dt.datetime) -> str:
    return f"plan/reports/{iso_week_name(fire)}.md"


def _when(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")


# --------------------------------------------------------------------------- the draft


@dataclass(frozen=True)
class Draft:
    report: WeeklyReport
    markdown: str
    label: str


def build_draft(
    rt: JobRuntime, fire: dt.datetime, at: dt.datetime, notes: Sequence[str] = ()
) -> Draft:
    """The report for the week holding the fire date, as the plan stood at `at`.

    Same builder as `/batch weekly` and `batchbot weekly`; the week is chosen by the fire
    date so a run that is late (Saturday, or Monday with a long grace) reports that Friday.
    """
    zone = rt.settings.zone
    now = at.astimezone(zone)
    real_now = rt.clock()
    plan: Plan | None = None
    if now < real_now - dt.timedelta(minutes=1):
        plan = rt.store.plan_at(now)  # `jobs run --at` in the past: the plan as it was then
    if plan is None:
        plan = rt.store.load()
    data = collect_week(rt.store, plan, None, now, day=fire.astimezone(zone).date())
    report = report_for(
        data,
        now,
        standups_between=_standups_between(rt),
        team=tuple(rt.settings.team),
        workdays=rt.settings.workday_numbers,
        name_of=getattr(getattr(rt, "ctx", None), "name_of", None),
    )
    report.metric_notes = list(notes)
    return Draft(report, to_markdown(report), data.week.label)


def _standups_between(rt: JobRuntime) -> Callable[[dt.date, dt.date], list[Any]] | None:
    service = getattr(rt, "standups", None)
    if service is not None and hasattr(service, "week_standups"):
        return service.week_standups  # type: ignore[no-any-return]
    ctx = getattr(rt, "ctx", None)
    return getattr(ctx, "standups_between", None)


# --------------------------------------------------------------------------- the job


def run_weekly_report(rt: JobRuntime, at: dt.datetime, force: bool = False) -> JobResult:
    """Run the Friday job as the scheduler would at instant `at`.

    Safe to call on every scheduler tick and at start-up: it posts only when a Friday fire
    time is due, within the grace window, and not yet claimed. `force` posts again (and
    ignores the grace window) — for `batchbot jobs run weekly-report --force`.
    """
    s = rt.settings
    zone: ZoneInfo = s.zone
    fire = due_fire_time(at, s.report_time, zone)
    key = fire.isoformat()
    grace = dt.timedelta(hours=s.report_grace_hours)
    fire_text = _when(fire, zone)

    if at - fire > grace and not force:
        msg = (
            f"weekly report for {fire_text} is outside the grace window "
            f"({s.report_grace_hours:g} h, until {_when(fire + grace, zone)}); "
            "run with --force to post it"
        )
        rt.log.info(msg)
        return JobResult(JOB, msg, skipped=1)

    channel = s.report_channel
    if not channel:
        msg = (
            f"weekly report for {fire_text} not posted: no report channel is set "
            "(BATCHBOT_REPORT_CHANNEL)"
        )
        rt.log.warning(msg)
        return JobResult(JOB, msg, skipped=1)

    now = rt.clock()
    if force:
        rt.db.release(JOB, key)
    if not rt.db.claim(JOB, key, fire, now, rt.owner):
        msg = _already(rt, key, fire, zone)
        rt.log.info(msg)
        return JobResult(JOB, msg, skipped=1)

    label = _week_label(rt, fire)
    github = _github(rt)
    metric_notes = _collect_metrics(rt, github, fire, at) if github is not None else []
    try:
        draft = build_draft(rt, fire, at, metric_notes)
        label = draft.label
        path = archive_path(fire)
        blocks = report_blocks(
            draft.report,
            draft=True,
            footer=f"batchbot · archived as `{path}` · for the Friday {esc(fire_text)} report",
        )
        if github is not None:
            blocks = [*blocks[: MAX_BLOCKS - 1], publish_buttons(iso_week_name(fire))]
        posted = rt.messenger.post(channel, fallback_text(draft.report), blocks=blocks)
    except Exception as exc:
        return _failed(rt, key, fire, grace, label, channel, exc)

    notes = [f"posted to {posted.channel} ts={posted.ts}"]
    problems: list[str] = []
    try:
        rt.messenger.upload(
            posted.channel,
            f"weekly-report-{iso_week_name(fire)}.md",
            draft.markdown,
            title=f"{title(draft.report)} (draft, markdown)",
            thread_ts=posted.ts,
        )
        notes.append("markdown attached")
    except Exception as exc:
        problems.append(f"the markdown file could not be attached: {exc}")
    sha = None
    try:
        sha = _archive(rt.store, path, draft, fire)
        notes.append(f"archived {path}" + (f" @ {sha[:10]}" if sha else " (unchanged)"))
    except Exception as exc:
        problems.append(f"the archive {path} could not be committed: {exc}")
    problems += metric_notes
    if github is not None and getattr(s, "github_autopublish", False):
        try:
            ref = _publish(rt, github, draft, fire)
            notes.append(f"published {ref.url}")
            linked = with_issue_link(blocks, ref.url, ref.number)
            rt.messenger.update(posted.channel, posted.ts, fallback_text(draft.report), linked)
        except GitHubUnavailable as exc:
            problems.append(f"the report was not published to GitHub: {exc}")
        except Exception as exc:  # the Slack update: the issue exists, say so
            problems.append(f"the Slack post could not be linked to the issue: {exc}")

    detail = "; ".join(notes + problems)
    rt.db.finish(JOB, key, "done", detail)
    msg = f"weekly report for {label} ({fire_text}) {detail}"
    if problems:
        # The post itself went out and stays claimed (never post twice); say what is missing.
        rt.log.error(msg)
        _tell_admins(
            rt,
            f"The weekly report draft for {esc(label)} was posted to <#{posted.channel}>, but "
            + esc("; ".join(problems))
            + f'. `batchbot weekly "{esc(label)}"` prints the same markdown.',
        )
    else:
        rt.log.info(msg)
    return JobResult(JOB, msg, sent=1)


def _github(rt: JobRuntime) -> GitHubService | None:
    return getattr(getattr(rt, "ctx", None), "github", None)


def _collect_metrics(
    rt: JobRuntime, github: GitHubService, fire: dt.datetime, at: dt.datetime
) -> list[str]:
    """Collect the fire week's metrics and commit them; return what could not be collected.

    Never raises: GitHub being down, refusing the token or rate limiting costs the report
    its numbers (it says which and why), never the post.
    """
    zone = rt.settings.zone
    instant = at if week_window(at, zone).start == week_window(fire, zone).start else fire
    try:
        collection = github.collect(week_window(instant, zone), instant)
    except Exception as exc:
        rt.log.exception("metrics collection failed")
        return [f"metrics not collected from GitHub: {type(exc).__name__}"]
    notes = collection.problems()
    if collection.measured:
        try:
            rt.store.change(BOT_ACTOR, lambda plan: record(plan, collection), via="job")
        except Exception as exc:
            notes.append(f"the collected metrics could not be saved to the plan: {exc}")
    for note in notes:
        rt.log.warning("weekly report: %s", note)
    return notes


def _publish(rt: JobRuntime, github: GitHubService, draft: Draft, fire: dt.datetime) -> Any:
    """Autopublish: the draft just posted becomes the week's issue (once, see publish.py)."""
    week = iso_week_name(fire)
    body = issue_body(draft.markdown, rt.store.load(), week)
    published = github.publish_week(week, issue_title(draft.label, week), body, rt.clock())
    if published.ref is None:
        raise GitHubUnavailable(published.message)
    return published.ref


def _already(rt: JobRuntime, key: str, fire: dt.datetime, zone: ZoneInfo) -> str:
    claim = rt.db.get_claim(JOB, key)
    week = _week_label(rt, fire)
    if claim is None:  # released between our insert and this read: someone is retrying
        return f"weekly report for {week} is being retried by another process; nothing to do"
    when = _when(claim.claimed_at, zone)
    if claim.status == "done":
        return (
            f"weekly report already posted for {week} at {when} by {claim.claimed_by} "
            f"({claim.detail}); nothing posted — use --force to post again"
        )
    return (
        f"weekly report for {week} was claimed at {when} by {claim.claimed_by} and is "
        f"{claim.status} {('(' + claim.detail + ') ') if claim.detail else ''}"
        "— not posting twice; if that process died, use --force"
    )


def _week_label(rt: JobRuntime, fire: dt.datetime) -> str:
    try:
        from bot.report.weekly import week_of

        return week_of(rt.store.load(), fire.astimezone(rt.settings.zone).date()).label
    except Exception:
        return f"the week of {fire.date():%d %b %Y}"


def _failed(
    rt: JobRuntime,
    key: str,
    fire: dt.datetime,
    grace: dt.timedelta,
    label: str,
    channel: str,
    exc: Exception,
) -> JobResult:
    zone = rt.settings.zone
    reason = f"{type(exc).__name__}: {exc}"
    detail = f"posting to {channel} failed: {reason}"
    rt.db.finish(JOB, key, "failed", detail)
    until = _when(fire + grace, zone)
    msg = (
        f"weekly report for {label} ({_when(fire, zone)}) FAILED — {detail}; the claim is "
        f"released so the next run before {until} retries"
    )
    rt.log.error(msg)
    _tell_admins(
        rt,
        f":warning: The weekly report draft for {esc(label)} could not be posted to "
        f"<#{channel}>: {esc(reason)}. batchbot retries on its next run until {until}; "
        f"after that run `batchbot jobs run weekly-report --at {fire.isoformat()}`.",
    )
    rt.db.release(JOB, key)
    return JobResult(JOB, msg, failed=1)


def _tell_admins(rt: JobRuntime, text: str) -> None:
    admins = tuple(rt.settings.admins)
    if not admins:
        rt.log.error("no admins to tell (set BATCHBOT_ADMINS): %s", text)
        return
    for admin in admins:
        try:
            rt.messenger.dm(admin, text)
        except Exception as exc:
            rt.log.error("could not DM admin %s about a failed job: %s", admin, exc)


def _archive(store: PlanStore, path: str, draft: Draft, fire: dt.datetime) -> str | None:
    message = (
        f"Weekly report {draft.label} ({iso_week_name(fire)}): archive the Friday draft\n\n"
        f"Posted as a draft by batchbot for {fire.isoformat()}."
    )
    for attempt in range(3):
        try:
            return store.commit_file(path, draft.markdown, BOT_ACTOR, message)
        except GitError as exc:  # another git process holds index.lock: wait and retry
            if "index.lock" not in str(exc) or attempt == 2:
                raise
            _time.sleep(0.2 * (attempt + 1))
    return None


# --------------------------------------------------------------------------- cadence


def demo_fire_time(
    at: dt.datetime, start: dt.date, every: int, zone: ZoneInfo, at_time: dt.time = DEMO_TIME
) -> tuple[dt.datetime, int] | None:
    """The latest demo reminder at or before `at`, with its program week, or None.

    Demos close every `every`-week period counted from the program start: on the Thursday
    of weeks every, 2·every, … (Week 2, 4, 6 for a bi-weekly demo).
    """
    if every <= 0:
        return None
    local = _aware(at).astimezone(zone).date()
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
    week = max(1, (_aware(at).astimezone(zone).date() - start).days // 7 + 1)
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
    local = _aware(at).astimezone(zone)
    year, month = local.year, local.month
    for _ in range(2):
        fire = local_at(_last_friday(year, month), at_time, zone)
        if fire <= at:
            return fire
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    raise AssertionError("unreachable: last month's last Friday is always in the past")


def next_retro_time(at: dt.datetime, zone: ZoneInfo, at_time: dt.time = RETRO_TIME) -> dt.datetime:
    local = _aware(at).astimezone(zone)
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
    channel = s.team_channel or s.report_channel
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
    fire_text = _when(fire, zone)
    if at - fire > CADENCE_GRACE and not force:
        msg = f"{what} reminder for {fire_text} is past (posted only within 6 h)"
        return JobResult(job, msg, skipped=1)
    if force:
        rt.db.release(job, key)
    if not rt.db.claim(job, key, fire, rt.clock(), rt.owner):
        msg = f"{what} reminder for {fire_text} already posted; use --force to post again"
        rt.log.info(msg)
        return JobResult(job, msg, skipped=1)
    try:
        posted: Posted = rt.messenger.post(channel, text)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        rt.db.finish(job, key, "failed", reason)
        msg = f"{what} reminder for {fire_text} FAILED: {reason}; released for a retry"
        rt.log.error(msg)
        _tell_admins(rt, f":warning: The {what} reminder could not be posted: {esc(reason)}")
        rt.db.release(job, key)
        return JobResult(job, msg, failed=1)
    rt.db.finish(job, key, "done", f"posted to {posted.channel} ts={posted.ts}")
    msg = f"{what} reminder for {fire_text} posted to {posted.channel}"
    rt.log.info(msg)
    return JobResult(job, msg, sent=1)
