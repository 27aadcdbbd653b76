"""Replies as terminal text/markdown: what the CLI prints and what `batchbot shell` shows.

The dashboard table is byte-for-byte what the old batchTracker.js printed, so scripts and
habits built on it keep working.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from bot.people.names import NameOf, person_name
from bot.plan.edits import Change
from bot.plan.model import Batch, Plan
from bot.replies import ChangeView, DashboardView, ErrorView, Reply, TextView

if TYPE_CHECKING:
    from bot.reply_views import BatchView

STATUS_LABELS = {
    "done": "✅ Done",
    "in-progress": "🟡 In Progress",
    "blocked": "🟥 Blocked",
    "queued": "⚪ Queued",
    "not-started": "🔴 Not Started",
}
STATUS_EMOJI = {key: label.split(" ", 1)[0] for key, label in STATUS_LABELS.items()}


def progress_bar(percent: int, width: int = 10) -> str:
    filled = max(0, min(width, round(percent * width / 100)))
    return "▓" * filled + "░" * (width - filled)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def dashboard(plan: Plan, today: dt.date | None = None, name_of: NameOf | None = None) -> str:
    """The old script's table; a batch past its due date gets `⏰ overdue N days` (only then,
    so the output stays byte-for-byte the old one whenever nothing is late)."""
    from bot.report.schedule import overdue_days, overdue_text

    rows = [
        "| Batch | Priority | Status | Progress | Target Date | Owner | Blockers |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for b in plan.batches:
        blockers = ", ".join(b.blockers) if b.blockers else "None"
        target = _cell(b.targetDate)
        late = overdue_days(b, plan.program.start, today) if today else 0
        if late:
            target = f"{target} {overdue_text(late)}".strip()
        rows.append(
            f"| {_cell(b.name)} | {b.priority} | {STATUS_LABELS[b.status]} | {b.progress}% | "
            f"{target} | {_cell(person_name(b.owner, name_of))} | {blockers} |"
        )
    return "\n".join(rows)


def status_header(plan: Plan) -> str:
    current = plan.current_batch()
    now = f"current batch: {current.name} ({current.id})" if current else "all batches done"
    done = sum(1 for b in plan.batches if b.status == "done")
    return (
        f"{plan.program.name} — {plan.overall_progress()}% complete · "
        f"{done}/{len(plan.batches)} batches done · {now}"
    )


def batch_line(
    plan: Plan, b: Batch, today: dt.date | None = None, name_of: NameOf | None = None
) -> str:
    from bot.report.schedule import marks

    names = {x.id: x.name for x in plan.batches}
    blockers = ", ".join(names.get(x, x) for x in b.blockers) or "none"
    flags = "".join(f" · {m}" for m in marks(plan, b, today))
    return (
        f"{STATUS_EMOJI[b.status]} {b.name} ({b.id}) · {b.priority} · "
        f"{progress_bar(b.progress)} {b.progress}% · {person_name(b.owner, name_of)} · "
        f"{b.targetDate or 'no target'} · blocked by: {blockers}{flags}"
    )


def target_text(v: BatchView) -> str:
    """`Week 3–4 (due Fri 18 Dec 2026) · ⏰ overdue 2 days`: the target with what it means."""
    from bot.report.schedule import due_date, marks

    b = v.batch
    due = due_date(b, v.plan.program.start)
    text = b.targetDate or "—"
    if due is not None and b.targetDate.strip() != due.isoformat():
        text += f" (due {due:%a %d %b %Y})"
    return " · ".join([text, *marks(v.plan, b, v.today)])


def summarize_changes(
    changes: list[Change], most: int = 6, limit: int = 80, name_of: NameOf | None = None
) -> str:
    """One line for a commit's changes; a commit that adds a whole plan stays one line."""
    parts = [f"{c.target} {c.describe(limit, name_of)}" for c in changes[:most]]
    if len(changes) > most:
        parts.append(f"… and {len(changes) - most} more")
    return "; ".join(parts)


def render(reply: Reply) -> str:
    """Text for a terminal. Errors come out as one or two lines, never a traceback.

    Notices (DMs the Slack edge would send) are printed after the answer, so the shell and
    the CLI show who would be told."""
    text = _render_view(reply, reply.name_of)
    for notice in reply.notices:
        text += f"\n→ DM to {notice.user_id}: {notice.text}"
    return text


def _render_view(reply: Reply, name_of: NameOf) -> str:
    v = reply.view
    if isinstance(v, DashboardView):
        return dashboard(v.plan, v.today, name_of)
    if isinstance(v, TextView):
        return "\n".join([v.title, *v.lines]) if v.lines else v.title
    if isinstance(v, ErrorView):
        return f"Error: {v.message}" + (f"\n{v.hint}" if v.hint else "")
    if isinstance(v, ChangeView):
        what = ", ".join(c.describe(name_of=name_of) for c in v.changes)
        text = (
            f"{v.who(name_of)} updated {v.target_name}"
            + (f" ({v.target})" if v.target != "metrics" else "")
            + f": {what}"
        )
        if v.commit:
            text += f"\ncommit {v.commit[:10]}"
        if v.warning:
            text += f"\nWarning: {v.warning}"
        return text
    return _render_other(v, name_of)


def _render_other(v: object, name_of: NameOf) -> str:
    """The views of bot.reply_views (loaded here: the dashboard never needs them)."""
    from bot.reply_views import (
        BatchView,
        ChartView,
        HistoryView,
        StandupListView,
        StatusView,
        TableView,
        WeeklyView,
    )

    if isinstance(v, TableView):
        return "\n".join([v.title, *v.lines]) if v.lines else v.title

    if isinstance(v, StatusView):
        notice = [f"⚠️ {v.notice}", ""] if v.notice else []
        return "\n".join(
            [
                *notice,
                status_header(v.plan),
                "",
                *(batch_line(v.plan, b, v.today, name_of) for b in v.plan.batches),
            ]
        )
    if isinstance(v, BatchView):
        b = v.batch
        names = {x.id: x.name for x in v.plan.batches}
        lines = [
            f"{STATUS_EMOJI[b.status]} {b.name} ({b.id})",
            f"Status: {STATUS_LABELS[b.status]}   Priority: {b.priority}",
            f"Progress: {progress_bar(b.progress)} {b.progress}%",
            f"Owner: {person_name(b.owner, name_of)}   Target: {target_text(v)}",
            "Blocked by: " + (", ".join(f"{names.get(x, x)} ({x})" for x in b.blockers) or "none"),
            f"Notes: {b.notes or '—'}",
        ]
        if v.forecast:
            lines.insert(3, f"Forecast: {v.forecast}")
        link = v.plan.links.get(b.id)
        if link is not None:
            lines.insert(3, f"Measured: {link.source(v.when_zone)}")
        if v.history:
            lines.append("Recent changes:")
            lines += [
                f"  {e.when:%Y-%m-%d %H:%M} {e.author}: "
                + ", ".join(c.describe(name_of=name_of) for c in e.changes)
                for e in v.history
            ]
        return "\n".join(lines)
    if isinstance(v, HistoryView):
        if not v.entries:
            return "No changes recorded yet" + (f" for {v.batch_id}" if v.batch_id else "") + "."
        lines = []
        for e in v.entries:
            what = summarize_changes(e.changes, name_of=name_of) or e.subject
            hand = " (edited by hand)" if e.by_hand else ""
            lines.append(f"{e.when:%Y-%m-%d %H:%M} {e.author}{hand}: {what}")
        return "\n".join(lines)
    if isinstance(v, WeeklyView):
        return v.markdown.rstrip("\n")
    if isinstance(v, ChartView):
        return v.summary
    if isinstance(v, StandupListView):
        if not v.rows:
            return f"{v.title}\nNo standups found."
        return "\n".join([v.title, *(f"{d} {who}: {text}" for d, who, text in v.rows)])
    raise TypeError(f"no text rendering for {type(v).__name__}")
