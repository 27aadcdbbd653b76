"""The Friday weekly-report job: due times, once-only claims, posting, the archive.

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

The optional demo/retro reminders live in `bot.report.cadence`; wall-clock arithmetic in
`bot.report.timing`. Core module: imports nothing from Slack or APScheduler; it talks
through the Messenger.
"""

from __future__ import annotations

import datetime as dt
import logging
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from bot.jobresult import JobResult
from bot.messenger import Messenger
from bot.plan.gitrepo import GitError
from bot.plan.model import Plan
from bot.plan.store import FALLBACK_EMAIL, FALLBACK_NAME, Actor, PlanStore
from bot.plan.team import TeamSettings, defaults_from
from bot.plan.team_plan import TeamSource
from bot.render.chart_native import burnup_block
from bot.render.escape import esc
from bot.render.report_blocks import (
    MAX_BLOCKS,
    fallback_text,
    publish_buttons,
    report_blocks,
    with_issue_link,
)
from bot.render.report_markdown import to_markdown
from bot.render.report_text import title
from bot.report.burnup import BurnUp, burnup
from bot.report.measurements import record, week_window
from bot.report.publish import GitHubService, GitHubUnavailable, issue_body, issue_title
from bot.report.timing import FRIDAY, aware, local_at, when_text
from bot.report.weekly import WeeklyReport, collect_week, report_for

if TYPE_CHECKING:  # type names only: the jobs are handed these, they never build them
    from bot.db import Database
    from bot.settings import Settings

JOB = "weekly-report"

BOT_ACTOR = Actor(FALLBACK_NAME, FALLBACK_EMAIL)


class JobRuntime(Protocol):
    """What the jobs use of `bot.runtime.Runtime` (tests pass a small dataclass)."""

    # Read-only members: the jobs only read them, and a frozen runtime must satisfy this too.
    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> PlanStore: ...
    @property
    def clock(self) -> Callable[[], dt.datetime]: ...
    @property
    def messenger(self) -> Messenger: ...
    @property
    def db(self) -> Database: ...
    @property
    def log(self) -> logging.Logger: ...
    @property
    def owner(self) -> str: ...


def due_fire_time(
    at: dt.datetime, report_time: dt.time, zone: ZoneInfo, weekday: int = FRIDAY
) -> dt.datetime:
    """The latest report day (Friday unless the team's `report_day` says otherwise) at
    `report_time` (wall time in `zone`) that is at or before `at`."""
    local = aware(at).astimezone(zone)
    friday = local.date() - dt.timedelta(days=(local.weekday() - weekday) % 7)
    fire = local_at(friday, report_time, zone)
    if fire > at:
        fire = local_at(friday - dt.timedelta(days=7), report_time, zone)
    return fire


def next_fire_time(
    at: dt.datetime, report_time: dt.time, zone: ZoneInfo, weekday: int = FRIDAY
) -> dt.datetime:
    """The first report day at `report_time` in `zone` strictly after `at` (`jobs list`)."""
    local = aware(at).astimezone(zone)
    friday = local.date() + dt.timedelta(days=(weekday - local.weekday()) % 7)
    fire = local_at(friday, report_time, zone)
    if fire <= at:
        fire = local_at(friday + dt.timedelta(days=7), report_time, zone)
    return fire


def team_of(rt: Any) -> TeamSettings:
    """The team's settings as they are now: the plan's `[team]`/`[schedule]`, else the
    environment's (read at every run, so a lead's edit counts without a restart)."""
    ctx = getattr(rt, "ctx", None)
    if ctx is not None and hasattr(ctx, "team_settings"):
        return ctx.team_settings()  # type: ignore[no-any-return]
    return TeamSource(rt.store.load, defaults_from(rt.settings)).current()


def iso_week_name(fire: dt.datetime) -> str:
    """`2026-W49`: the ISO year and week of the fire date (archive and file names)."""
    year, week, _ = fire.date().isocalendar()
    return f"{year}-W{week:02d}"


def archive_path(fire: dt.datetime, program: str = "") -> str:
    """`plan/reports/2026-W49.md`; a further program's under its own folder
    (`plan/reports/beta/2026-W49.md`)."""
    folder = f"plan/reports/{program}/" if program else "plan/reports/"
    return f"{folder}{iso_week_name(fire)}.md"


def program_of(rt: Any) -> str:
    """The program a job runs for, as the database keys it ("" = the first program)."""
    return str(getattr(rt, "program", "") or "")


# --------------------------------------------------------------------------- the draft


@dataclass(frozen=True)
class Draft:
    report: WeeklyReport
    markdown: str
    label: str
    chart: BurnUp | None = None


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
        team=team_of(rt).team,
        workdays=rt.settings.workday_numbers,
        name_of=getattr(getattr(rt, "ctx", None), "name_of", None),
        expected_on=getattr(getattr(rt, "ctx", None), "expected_on", None),
    )
    report.metric_notes = list(notes)
    chart = burnup(data.plan, data.progress, min(now.date(), data.week.end))
    return Draft(report, to_markdown(report, chart), data.week.label, chart)


def _standups_between(rt: JobRuntime) -> Callable[[dt.date, dt.date], list[Any]] | None:
    service = getattr(rt, "standups", None)
    if service is not None and hasattr(service, "standups_between"):
        return service.standups_between  # type: ignore[no-any-return]
    ctx = getattr(rt, "ctx", None)
    return getattr(ctx, "standups_between", None)


# --------------------------------------------------------------------------- the job


#: A PNG chart still to draw and attach (see `run_weekly_report`'s `later`); it returns
#: what went wrong, or None.
Later = Callable[[], str | None]


def run_weekly_report(
    rt: JobRuntime, at: dt.datetime, force: bool = False, later: list[Later] | None = None
) -> JobResult:
    """Run the Friday job as the scheduler would at instant `at`.

    `later`: where the PNG chart (the `charts` extra, most of a run's time) is left to draw
    once every program's report is posted, so the twentieth team does not wait for nineteen
    charts; without it the chart is drawn and attached here.

    Safe to call on every scheduler tick and at start-up: it posts only when a Friday fire
    time is due, within the grace window, and not yet claimed. `force` posts again (and
    ignores the grace window) — for `batchbot jobs run weekly-report --force`.
    """
    s = rt.settings
    team = team_of(rt)
    zone: ZoneInfo = s.zone
    fire = due_fire_time(at, team.report_time, zone, team.report_day)
    key = fire.isoformat()
    grace = dt.timedelta(hours=s.report_grace_hours)
    fire_text = when_text(fire, zone)

    if at - fire > grace and not force:
        msg = (
            f"weekly report for {fire_text} is outside the grace window "
            f"({s.report_grace_hours:g} h, until {when_text(fire + grace, zone)}); "
            "run with --force to post it"
        )
        rt.log.info(msg)
        return JobResult(JOB, msg, skipped=1)

    channel = team.report_channel
    if not channel:
        msg = (
            f"weekly report for {fire_text} not posted: no report channel is set "
            "(`/batch settings report_channel=#channel`, or BATCHBOT_REPORT_CHANNEL)"
        )
        rt.log.warning(msg)
        return JobResult(JOB, msg, skipped=1)

    now = rt.clock()
    if force:
        rt.db.release(JOB, key, program_of(rt))
    if not rt.db.claim(JOB, key, fire, now, rt.owner, program_of(rt)):
        msg = _already(rt, key, fire, zone)
        rt.log.info(msg)
        return JobResult(JOB, msg, skipped=1)

    label = _week_label(rt, fire)
    github = _github(rt)
    metric_notes = _collect_metrics(rt, github, fire, at) if github is not None else []
    try:
        draft = build_draft(rt, fire, at, metric_notes)
        label = draft.label
        path = archive_path(fire, program_of(rt))
        blocks = report_blocks(
            draft.report,
            draft=True,
            footer=f"batchbot · archived as `{path}` · for the Friday {esc(fire_text)} report",
            publishable=github is not None,
        )
        chart_block = burnup_block(draft.chart) if draft.chart is not None else None
        extra = [chart_block] if chart_block is not None else []
        if github is not None:
            extra.append(publish_buttons(iso_week_name(fire), program_of(rt)))
        if extra:
            blocks = [*blocks[: MAX_BLOCKS - len(extra)], *extra]
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
    from bot.render.chart_png import can_draw_png

    wants_png = getattr(rt.settings, "report_png", True)  # BATCHBOT_REPORT_PNG
    if draft.chart is not None and wants_png and can_draw_png():  # the `charts` extra
        attach = _chart_attacher(rt, posted, draft, fire)
        if later is not None:
            later.append(attach)
            notes.append("chart to follow")
        else:
            problem = attach()
            problems.append(problem) if problem else notes.append("chart attached")
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
    rt.db.finish(JOB, key, "done", detail, program_of(rt))
    msg = f"weekly report for {label} ({fire_text}) {detail}"
    if problems:
        # The post itself went out and stays claimed (never post twice); say what is missing.
        rt.log.error(msg)
        tell_admins(
            rt,
            f"The weekly report draft for {esc(label)} was posted to <#{posted.channel}>, but "
            + esc("; ".join(problems))
            + f'. `batchbot weekly "{esc(label)}"` prints the same markdown.',
        )
    else:
        rt.log.info(msg)
    return JobResult(JOB, msg, sent=1)


def _chart_attacher(rt: JobRuntime, posted: Any, draft: Draft, fire: dt.datetime) -> Later:
    """Draw the burn-up PNG and attach it in the report's thread; a failure is logged and
    told to the admins when it runs late (the report itself is already posted)."""
    chart = draft.chart
    assert chart is not None

    def attach() -> str | None:
        try:
            from bot.render.chart_png import burnup_png  # matplotlib: only when drawn

            rt.messenger.upload(
                posted.channel,
                f"burnup-{iso_week_name(fire)}.png",
                burnup_png(chart),
                title=f"{chart.title} — burn-up ({draft.label})",
                thread_ts=posted.ts,
            )
        except Exception as exc:
            return f"the burn-up chart could not be attached: {exc}"
        return None

    return attach


def attach_charts(rt: JobRuntime, later: list[Later]) -> list[str]:
    """Draw and attach the charts left for after the posts; say (log, admins) what failed."""
    problems = [problem for attach in later if (problem := attach())]
    for problem in problems:
        rt.log.error("weekly report: %s", problem)
        tell_admins(rt, f"A weekly report draft was posted, but {esc(problem)}.")
    return problems


def _github(rt: JobRuntime) -> GitHubService | None:
    """The program's GitHub, or None when it has none to use: GitHub not set up, or a
    further program without its own `[team] github_repo` (not collected, not published)."""
    github = getattr(getattr(rt, "ctx", None), "github", None)
    publishes = getattr(github, "publishes", None)
    if github is None or (publishes is not None and not publishes()):
        return None
    return github  # type: ignore[no-any-return]


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
    notes += _refresh_links(rt, github, instant)
    for note in notes:
        rt.log.warning("weekly report: %s", note)
    return notes


def _refresh_links(rt: JobRuntime, github: GitHubService, at: dt.datetime) -> list[str]:
    """Linked batches measured before the draft, so its % are GitHub's as of the post."""
    from bot.report.linked import refresh_links

    try:
        result, _ = refresh_links(rt.store, github, at, BOT_ACTOR, via="job")
    except Exception as exc:
        rt.log.exception("linked progress could not be refreshed")
        return [f"linked batches not measured: {type(exc).__name__}"]
    return [f"{b}: progress not measured from GitHub — {why}" for b, why in result.failed.items()]


def _publish(rt: JobRuntime, github: GitHubService, draft: Draft, fire: dt.datetime) -> Any:
    """Autopublish: the draft just posted becomes the week's issue (once, see publish.py)."""
    week = iso_week_name(fire)
    program = program_of(rt)
    body = issue_body(draft.markdown, rt.store.load(), week, program)
    title = issue_title(draft.label, week, program)
    published = github.publish_week(week, title, body, rt.clock())
    if published.ref is None:
        raise GitHubUnavailable(published.message)
    return published.ref


def _already(rt: JobRuntime, key: str, fire: dt.datetime, zone: ZoneInfo) -> str:
    claim = rt.db.get_claim(JOB, key, program_of(rt))
    week = _week_label(rt, fire)
    if claim is None:  # released between our insert and this read: someone is retrying
        return f"weekly report for {week} is being retried by another process; nothing to do"
    when = when_text(claim.claimed_at, zone)
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
        from bot.report.weeks import week_of

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
    rt.db.finish(JOB, key, "failed", detail, program_of(rt))
    until = when_text(fire + grace, zone)
    msg = (
        f"weekly report for {label} ({when_text(fire, zone)}) FAILED — {detail}; the claim is "
        f"released so the next run before {until} retries"
    )
    rt.log.error(msg)
    tell_admins(
        rt,
        f":warning: The weekly report draft for {esc(label)} could not be posted to "
        f"<#{channel}>: {esc(reason)}. batchbot retries on its next run until {until}; "
        f"after that run `batchbot jobs run weekly-report --at {fire.isoformat()}`.",
    )
    rt.db.release(JOB, key, program_of(rt))
    return JobResult(JOB, msg, failed=1)


def tell_admins(rt: JobRuntime, text: str) -> None:
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
