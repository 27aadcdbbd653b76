"""Replies as terminal text/markdown: what the CLI prints and what `batchbot shell` shows.

The dashboard table is byte-for-byte what the old batchTracker.js printed, so scripts and
habits built on it keep working.
"""

from __future__ import annotations

from bot.plan.edits import Change
from bot.plan.model import Batch, Plan
from bot.replies import (
    BatchView,
    ChangeView,
    DashboardView,
    ErrorView,
    HistoryView,
    Reply,
    StandupListView,
    StatusView,
    TextView,
    WeeklyView,
)

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


def dashboard(plan: Plan) -> str:
    rows = [
        "| Batch | Priority | Status | Progress | Target Date | Owner | Blockers |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for b in plan.batches:
        blockers = ", ".join(b.blockers) if b.blockers else "None"
        rows.append(
            f"| {_cell(b.name)} | {b.priority} | {STATUS_LABELS[b.status]} | {b.progress}% | "
            f"{_cell(b.targetDate)} | {_cell(b.owner or 'Unassigned')} | {blockers} |"
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


def batch_line(plan: Plan, b: Batch) -> str:
    names = {x.id: x.name for x in plan.batches}
    blockers = ", ".join(names.get(x, x) for x in b.blockers) or "none"
    return (
        f"{STATUS_EMOJI[b.status]} {b.name} ({b.id}) · {b.priority} · "
        f"{progress_bar(b.progress)} {b.progress}% · {b.owner or 'Unassigned'} · "
        f"{b.targetDate or 'no target'} · blocked by: {blockers}"
    )


def summarize_changes(changes: list[Change], most: int = 6, limit: int = 80) -> str:
    """One line for a commit's changes; a commit that adds a whole plan stays one line."""
    parts = [f"{c.target} {c.describe(limit)}" for c in changes[:most]]
    if len(changes) > most:
        parts.append(f"… and {len(changes) - most} more")
    return "; ".join(parts)


def render(reply: Reply) -> str:
    """Text for a terminal. Errors come out as one or two lines, never a traceback."""
    v = reply.view
    if isinstance(v, DashboardView):
        return dashboard(v.plan)
    if isinstance(v, TextView):
        return "\n".join([v.title, *v.lines]) if v.lines else v.title
    if isinstance(v, ErrorView):
        return f"Error: {v.message}" + (f"\n{v.hint}" if v.hint else "")
    if isinstance(v, StatusView):
        notice = [f"⚠️ {v.notice}", ""] if v.notice else []
        return "\n".join(
            [*notice, status_header(v.plan), "", *(batch_line(v.plan, b) for b in v.plan.batches)]
        )
    if isinstance(v, BatchView):
        b = v.batch
        names = {x.id: x.name for x in v.plan.batches}
        lines = [
            f"{STATUS_EMOJI[b.status]} {b.name} ({b.id})",
            f"Status: {STATUS_LABELS[b.status]}   Priority: {b.priority}",
            f"Progress: {progress_bar(b.progress)} {b.progress}%",
            f"Owner: {b.owner or 'Unassigned'}   Target: {b.targetDate or '—'}",
            "Blocked by: " + (", ".join(f"{names.get(x, x)} ({x})" for x in b.blockers) or "none"),
            f"Notes: {b.notes or '—'}",
        ]
        if v.history:
            lines.append("Recent changes:")
            lines += [
                f"  {e.when:%Y-%m-%d %H:%M} {e.author}: "
                + ", ".join(c.describe() for c in e.changes)
                for e in v.history
            ]
        return "\n".join(lines)
    if isinstance(v, ChangeView):
        what = ", ".join(c.describe() for c in v.changes)
        text = (
            f"{v.actor} updated {v.target_name}"
            + (f" ({v.target})" if v.target != "metrics" else "")
            + f": {what}"
        )
        if v.commit:
            text += f"\ncommit {v.commit[:10]}"
        if v.warning:
            text += f"\nWarning: {v.warning}"
        return text
    if isinstance(v, HistoryView):
        if not v.entries:
            return "No changes recorded yet" + (f" for {v.batch_id}" if v.batch_id else "") + "."
        lines = []
        for e in v.entries:
            what = summarize_changes(e.changes) or e.subject
            hand = " (edited by hand)" if e.by_hand else ""
            lines.append(f"{e.when:%Y-%m-%d %H:%M} {e.author}{hand}: {what}")
        return "\n".join(lines)
    if isinstance(v, WeeklyView):
        return v.markdown.rstrip("\n")
    if isinstance(v, StandupListView):
        if not v.rows:
            return f"{v.title}\nNo standups found."
        return "\n".join([v.title, *(f"{d} {who}: {text}" for d, who, text in v.rows)])
    raise TypeError(f"no text rendering for {type(v).__name__}")
