"""Replies as Block Kit, always within Slack's limits, with every piece of user text escaped.

Limits (Slack documents them; the fake Web API in tests enforces them): 50 blocks a message,
100 in a modal or Home tab, 3,000 characters of section text, 150 in a header, 10 fields of
2,000. A big plan is packed several batches to a section and, past the cap, summarised.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.people.names import NameOf, person_name
from bot.plan.edits import show
from bot.plan.model import STATUSES, Batch, Plan
from bot.render.escape import esc, plain
from bot.render.markdown import (
    STATUS_EMOJI,
    STATUS_LABELS,
    progress_bar,
    summarize_changes,
    target_text,
)
from bot.replies import (
    BatchView,
    ChangeView,
    ChartView,
    DashboardView,
    ErrorView,
    HistoryView,
    Reply,
    StandupListView,
    StatusView,
    TableView,
    TextView,
    WeeklyView,
)
from bot.report.schedule import marks
from bot.text import clip

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
Block = dict[str, Any]


def header(text: str) -> Block:
    """A header; plain_text, so `plain` (not `esc`) keeps a name in it from being a mention."""
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(plain(text), HEADER_LIMIT)},
    }


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(mrkdwn, SECTION_LIMIT)}}


def context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(mrkdwn, 2000)}]}


def divider() -> Block:
    return {"type": "divider"}


def pack(lines: list[str], max_sections: int, limit: int = SECTION_LIMIT) -> list[Block]:
    """Lines into as few sections as fit; past `max_sections`, a closing 'and N more' line."""
    chunks: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        line = clip(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        chunks.append(current)
        current = line
        if len(chunks) == max_sections - 1:
            rest = len(lines) - i
            chunks.append(f"_…and {rest} more. Use `/batch status <batch-id>` for any one._")
            return [section(c) for c in chunks]
    if current:
        chunks.append(current)
    return [section(c) for c in chunks]


def _names(plan: Plan) -> dict[str, str]:
    return {b.id: b.name for b in plan.batches}


def named(field: str, name_of: NameOf | None, empty: str = "Unassigned") -> str:
    """An owner-like field as the person's name, escaped: shown, never a ping."""
    return esc(person_name(field, name_of, empty))


def batch_line(
    plan: Plan,
    b: Batch,
    names: dict[str, str] | None = None,
    today: dt.date | None = None,
    name_of: NameOf | None = None,
) -> str:
    names = names if names is not None else _names(plan)
    blockers = ", ".join(esc(names.get(x, x)) for x in b.blockers)
    tail = f" · blocked by {blockers}" if blockers else ""
    target = f" · {esc(b.targetDate)}" if b.targetDate else ""
    flags = "".join(f" · *{esc(m)}*" for m in marks(plan, b, today))
    owner = named(b.owner, name_of)
    return (
        f"{STATUS_EMOJI[b.status]} *{esc(b.name)}* `{esc(b.id)}` · {b.priority} · "
        f"`{progress_bar(b.progress)}` {b.progress}% · {owner}{target}{tail}{flags}"
    )


def status_blocks(
    plan: Plan,
    max_blocks: int = MAX_MESSAGE_BLOCKS,
    today: dt.date | None = None,
    name_of: NameOf | None = None,
) -> list[Block]:
    current = plan.current_batch()
    counts = {s: sum(1 for b in plan.batches if b.status == s) for s in STATUSES}
    summary = " · ".join(f"{STATUS_EMOJI[s]} {n}" for s, n in counts.items() if n)
    now = f"*Current batch:* {esc(current.name)} `{esc(current.id)}`" if current else "All done"
    blocks: list[Block] = [
        header(f"📋 {plan.program.name}"),
        section(
            f"*Program progress:* `{progress_bar(plan.overall_progress())}` "
            f"{plan.overall_progress()}%\n{now}"
        ),
        context(summary or "No batches yet"),
        divider(),
    ]
    names = _names(plan)
    lines = [batch_line(plan, b, names, today, name_of) for b in plan.batches]
    blocks += pack(lines, max_blocks - len(blocks))
    return blocks


def batch_blocks(view: BatchView, name_of: NameOf | None = None) -> list[Block]:
    b, plan = view.batch, view.plan
    names = _names(plan)
    blockers = ", ".join(f"{esc(names.get(x, x))} `{esc(x)}`" for x in b.blockers) or "none"
    blocks: list[Block] = [
        header(f"{STATUS_EMOJI[b.status]} {b.name}"),
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Status*\n{STATUS_LABELS[b.status]}"},
                {"type": "mrkdwn", "text": f"*Priority*\n{b.priority}"},
                {
                    "type": "mrkdwn",
                    "text": f"*Progress*\n`{progress_bar(b.progress)}` {b.progress}%",
                },
                {"type": "mrkdwn", "text": f"*Owner*\n{named(b.owner, name_of)}"},
                {"type": "mrkdwn", "text": clip(f"*Target*\n{esc(target_text(view))}", 2000)},
                {"type": "mrkdwn", "text": clip(f"*Blocked by*\n{blockers}", 2000)},
            ],
        },
        section(f"*Notes*\n{esc(b.notes) or '—'}"),
    ]
    if view.forecast:
        blocks.insert(2, section(f"*Forecast:* {esc(view.forecast)}"))
    link = plan.links.get(b.id)
    if link is not None:  # where the % came from, and when
        blocks.insert(2, context(f"🔗 {esc(link.source(view.when_zone))}"))
    if view.history:
        lines = [
            f"• {e.when:%Y-%m-%d %H:%M} *{esc(e.author)}*: "
            + esc(", ".join(c.describe(60, name_of) for c in e.changes) or e.subject)
            for e in view.history
        ]
        blocks.append(section("*Recent changes*\n" + "\n".join(lines)))
    blocks.append(context(f"`{esc(b.id)}` · `/batch update {esc(b.id)}` to change it"))
    return blocks


def change_text(view: ChangeView, name_of: NameOf | None = None) -> str:
    who = f"*{esc(view.who(name_of))}*"

    def value(field: str, v: object) -> str:
        if field == "owner":
            return named(str(v), name_of, "—")
        return esc(person_name(show(v), name_of, '""'))

    what = "\n".join(
        f"• *{named(c.field, name_of)}*: {value(c.field, c.old)} → {value(c.field, c.new)}"
        for c in view.changes
    )
    target = "the metrics" if view.target == "metrics" else f"*{esc(view.target_name)}*"
    return f"{who} updated {target}:\n{what}"


def history_lines(view: HistoryView, name_of: NameOf | None = None) -> list[str]:
    lines = []
    for e in view.entries:
        what = summarize_changes(e.changes, limit=60, name_of=name_of) or e.subject
        hand = " _(by hand)_" if e.by_hand else ""
        lines.append(f"• {e.when:%Y-%m-%d %H:%M} *{esc(e.author)}*{hand}: {esc(what)}")
    return lines


def render(reply: Reply) -> tuple[str, list[Block]]:
    """(fallback text, blocks) for a chat message."""
    v = reply.view
    name_of = reply.name_of
    if isinstance(v, StatusView | DashboardView):
        plan = v.plan
        text = f"{esc(plan.program.name)}: {plan.overall_progress()}% complete"
        if isinstance(v, StatusView) and v.notice:
            blocks = status_blocks(plan, MAX_MESSAGE_BLOCKS - 1, v.today, name_of)
            return f"⚠️ {esc(v.notice)}\n{text}", [context(f"⚠️ {esc(v.notice)}"), *blocks]
        return text, status_blocks(plan, today=v.today, name_of=name_of)
    if isinstance(v, BatchView):  # fallback texts show in notifications: escaped like blocks
        return f"{esc(v.batch.name)}: {v.batch.progress}%", batch_blocks(v, name_of)
    if isinstance(v, ChangeView):
        text = change_text(v, name_of)
        blocks = [section(text)]
        if v.warning:
            blocks.append(context(f"⚠️ {esc(v.warning)}"))
        elif v.commit:
            blocks.append(context(f"commit `{v.commit[:10]}`"))
        return clip(text, 3000), blocks
    if isinstance(v, ErrorView):
        text = f":warning: {esc(v.message)}" + (f"\n{esc(v.hint)}" if v.hint else "")
        return clip(text, 3000), [section(text)]
    if isinstance(v, TableView):
        return table_message(v)
    if isinstance(v, TextView):
        body = "\n".join(esc(line) for line in v.lines)
        title = f"*{esc(v.title)}*"
        text = f"{title}\n{body}" if body else title
        return clip(text, 3000), pack(text.split("\n"), MAX_MESSAGE_BLOCKS)
    if isinstance(v, HistoryView):
        title = f"*History{' of ' + esc(v.batch_id) if v.batch_id else ''}*"
        lines = history_lines(v, name_of) or ["No changes recorded yet."]
        return "History", [section(title), *pack(lines, MAX_MESSAGE_BLOCKS - 1)]
    if isinstance(v, WeeklyView):
        from bot.render.report_blocks import report_blocks

        return f"Weekly report draft — {esc(v.report.week.label)}", report_blocks(v.report)
    if isinstance(v, ChartView):
        from bot.render.chart_native import burnup_block

        chart = burnup_block(v.chart)
        return v.summary, [section(f"📈 {esc(v.summary)}"), *([chart] if chart else [])]
    if isinstance(v, StandupListView):
        lines = [f"• {esc(d)} *{esc(who)}*: {esc(text)}" for d, who, text in v.rows]
        blocks = [section(f"*{esc(v.title)}*"), *pack(lines or ["No standups found."], 49)]
        return esc(v.title), blocks
    raise TypeError(f"no Block Kit rendering for {type(v).__name__}")


#: Slack's table block: one per message, at most 100 rows of at most 20 cells.
MAX_TABLE_ROWS = 100
MAX_TABLE_CELLS = 20


def table_block(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> Block:
    """Slack's own table (raw_text cells: nothing in them is markup, so nothing to escape).
    Rows past Slack's limit are cut; the caller says so in the notes."""
    width = min(MAX_TABLE_CELLS, len(header))
    body = [header[:width], *(r[:width] for r in rows[: MAX_TABLE_ROWS - 1])]
    return {
        "type": "table",
        "rows": [[{"type": "raw_text", "text": cell or " "} for cell in row] for row in body],
    }


def table_message(v: TableView) -> tuple[str, list[Block]]:
    text = clip("\n".join([v.title, *v.lines]), 3000)
    notes = [esc(n) for n in v.notes]
    if len(v.rows) > MAX_TABLE_ROWS - 1:
        notes.append(f"_first {MAX_TABLE_ROWS - 1} of {len(v.rows)} rows shown_")
    blocks = (
        [section(f"*{esc(v.title)}*"), *pack(notes, MAX_MESSAGE_BLOCKS - 2)]
        if notes
        else [section(f"*{esc(v.title)}*")]
    )
    return esc(text), [*blocks, table_block(v.header, v.rows)]


def home_view(
    plan: Plan,
    note: str | None = None,
    today: dt.date | None = None,
    name_of: NameOf | None = None,
) -> dict[str, Any]:
    blocks = status_blocks(plan, MAX_VIEW_BLOCKS - 2, today, name_of)
    blocks.append(context(note or "Use `/batch status`, `/batch update <id>` or `/batch help`."))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _option_label(b: Batch) -> str:
    return clip(plain(f"{b.name} ({b.id})"), 75)


def update_modal(plan: Plan, batch: Batch, private_metadata: str) -> dict[str, Any]:
    """The form behind `/batch update <id>` with no pairs: the same fields as key=val."""
    from bot.commands import owner_id

    status_options = [
        {"text": {"type": "plain_text", "text": STATUS_LABELS[s]}, "value": s} for s in STATUSES
    ]
    current_status = next(o for o in status_options if o["value"] == batch.status)
    others = [b for b in plan.batches if b.id != batch.id][:100]  # Slack: 100 options max
    blocker_options = [
        {"text": {"type": "plain_text", "text": _option_label(b)}, "value": b.id} for b in others
    ]
    owner_select: dict[str, Any] = {"type": "users_select", "action_id": "value"}
    if owner_id(batch.owner):
        owner_select["initial_user"] = owner_id(batch.owner)
    blockers_select: dict[str, Any] = (
        {"type": "multi_static_select", "action_id": "value", "options": blocker_options}
        if blocker_options
        else {}
    )
    selected = [o for o in blocker_options if o["value"] in batch.blockers]
    if selected:
        blockers_select["initial_options"] = selected

    def text_input(
        block_id: str, label: str, value: str, multiline: bool = False, max_length: int = 100
    ) -> Block:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": multiline,
            "max_length": max_length,
        }
        if value:
            element["initial_value"] = value
        return {
            "type": "input",
            "block_id": block_id,
            "optional": True,
            "label": {"type": "plain_text", "text": label},
            "element": element,
        }

    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": "status",
            "label": {"type": "plain_text", "text": "Status"},
            "element": {
                "type": "static_select",
                "action_id": "value",
                "options": status_options,
                "initial_option": current_status,
            },
        },
        text_input("progress", "Progress (0–100 %)", str(batch.progress), max_length=3),
        {
            "type": "input",
            "block_id": "owner",
            "optional": True,
            "label": {"type": "plain_text", "text": "Owner"},
            "element": owner_select,
        },
        text_input("targetDate", "Target", batch.targetDate),
    ]
    if len(plan.batches) - 1 > 100:  # too many for a select: type the ids instead
        blocks.append(
            text_input(
                "blockers",
                "Blocked by (batch ids, comma-separated)",
                ",".join(batch.blockers),
                max_length=2000,
            )
        )
    elif blockers_select:
        blocks.append(
            {
                "type": "input",
                "block_id": "blockers",
                "optional": True,
                "label": {"type": "plain_text", "text": "Blocked by"},
                "element": blockers_select,
            }
        )
    blocks.append(text_input("notes", "Notes", batch.notes, multiline=True, max_length=2000))
    return {
        "type": "modal",
        "callback_id": "batch_update",
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": clip(f"Update {batch.id}", 24)},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }
