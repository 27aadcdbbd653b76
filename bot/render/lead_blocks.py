"""Block Kit for the lead's registers: the Friday risk review DM with its buttons, the risk
update form, the blocker form and the standup's **Track it** button. Every piece of user
text is escaped; limits as in `blocks.py` (50 blocks a message, 100 in a modal)."""

from __future__ import annotations

import json
from typing import Any

from bot.plan.model import Plan, Risk
from bot.render.blocks import context, header, section
from bot.render.escape import esc, person, plain
from bot.text import clip

Block = dict[str, Any]

RISK_REVIEWED = "risk_reviewed"  # action: "Still accurate"
RISK_UPDATE = "risk_update_open"  # action: "Update" opens the form
RISK_FORM = "risk_update"  # view callback
BLOCKER_TRACK = "blocker_track"  # action: "Track it" under a standup
BLOCKER_FORM = "blocker_add"  # view callback
MAX_RISKS = 23  # two blocks each, plus header and footer, within 50


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, 75)},
        "action_id": action_id,
        "value": clip(value, 2000),
    }
    if style:
        button["style"] = style
    return button


def risk_text(n: int, r: Risk) -> str:
    reviewed = f"last reviewed {r.reviewed:%d %b %Y}" if r.reviewed else "never reviewed"
    owner = f" · owner {person(r.owner)}" if r.owner else ""
    return (
        f"*#{n} {esc(r.risk)}* — {r.probability} probability / {r.impact} impact{owner}\n"
        f"Mitigation: {esc(r.mitigation) or '—'}\n_{reviewed}_"
    )


def risk_value(program: str, n: int) -> str:
    """A risk button's value: its number, after its program when it is not the first
    (`beta:2`), so a click acts on the plan the DM was about."""
    return f"{program}:{n}" if program else str(n)


def risk_of(value: str) -> tuple[str, str]:
    """(program, risk number) from a button's value (`risk_value`)."""
    program, _, number = value.rpartition(":")
    return program, number


def risk_review_blocks(plan: Plan, program: str = "") -> tuple[str, list[Block]]:
    """The Friday DM: every open risk with **Still accurate** and **Update** buttons
    (`program`: the plan's program id, "" for the deployment's first)."""
    open_risks = [(n, r) for n, r in enumerate(plan.risks, 1) if r.status == "open"]
    blocks: list[Block] = [
        header("🧭 Friday risk review"),
        section(
            f"{len(open_risks)} open risk{'s' if len(open_risks) != 1 else ''} in "
            f"*{esc(plan.program.name)}*. Is each still accurate?"
        ),
    ]
    for n, r in open_risks[:MAX_RISKS]:
        blocks.append(section(risk_text(n, r)))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"risk-{n}",
                "elements": [
                    _button("Still accurate", RISK_REVIEWED, risk_value(program, n), "primary"),
                    _button("Update", RISK_UPDATE, risk_value(program, n)),
                ],
            }
        )
    if len(open_risks) > MAX_RISKS:
        rest = len(open_risks) - MAX_RISKS
        blocks.append(context(f"…and {rest} more: `/batch risks`, `/batch risk reviewed <n>`"))
    return f"Friday risk review: {len(open_risks)} open risks", blocks


def _select(options: list[tuple[str, str]], initial: str) -> Block:
    opts = [{"text": {"type": "plain_text", "text": t}, "value": v} for t, v in options]
    element: Block = {"type": "static_select", "action_id": "value", "options": opts}
    chosen = next((o for o in opts if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def _input(block_id: str, label: str, element: Block, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def _text(value: str, *, multiline: bool = False, max_length: int = 1000) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": max_length,
    }
    if value:
        element["initial_value"] = value[:max_length]
    return element


def risk_update_modal(n: int, r: Risk, meta: dict[str, Any]) -> dict[str, Any]:
    """The **Update** button's form: the same keys as `/batch risk update <n> key=value`."""
    levels = [("Low", "low"), ("Medium", "medium"), ("High", "high")]
    impacts = [*levels, ("Critical", "critical")]
    owner: Block = {"type": "users_select", "action_id": "value"}
    from bot.commands.base import owner_id

    if owner_id(r.owner):
        owner["initial_user"] = owner_id(r.owner)
    return {
        "type": "modal",
        "callback_id": RISK_FORM,
        "private_metadata": json.dumps({**meta, "risk": n}),
        "title": {"type": "plain_text", "text": clip(f"Update risk #{n}", 24)},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input("title", "Risk", _text(r.risk, max_length=300)),
            _input("probability", "Probability", _select(levels, r.probability.lower())),
            _input("impact", "Impact", _select(impacts, r.impact.lower())),
            _input("mitigation", "Mitigation", _text(r.mitigation, multiline=True)),
            _input("owner", "Owner", owner, optional=True),
        ],
    }


def blocker_modal(
    plan: Plan, batch_id: str | None, text: str, meta: dict[str, Any]
) -> dict[str, Any]:
    """The form behind `/batch blocker add <id>` and a standup's **Track it** button."""

    def label(b: Any) -> str:
        return clip(plain(f"{b.name} ({b.id})"), 75)

    batches = [(label(b), b.id) for b in plan.batches if b.status != "done"]
    batches = batches[:100] or [(label(b), b.id) for b in plan.batches][:100]
    batch_el = _select(batches, batch_id or "")
    return {
        "type": "modal",
        "callback_id": BLOCKER_FORM,
        "private_metadata": json.dumps(meta),
        "title": {"type": "plain_text", "text": "Track a blocker"},
        "submit": {"type": "plain_text", "text": "Track it"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input("batch", "Blocked batch", batch_el),
            _input("text", "What is blocking", _text(text, multiline=True, max_length=500)),
            _input("resolution", "Resolution plan", _text("", multiline=True), optional=True),
            _input("owner", "Owner", {"type": "users_select", "action_id": "value"}, True),
        ],
    }


def track_it_block(text: str) -> Block:
    """Under a standup that mentions a blocker: one button that opens the blocker form."""
    return {
        "type": "actions",
        "block_id": "track-blocker",
        "elements": [_button("Track it", BLOCKER_TRACK, text, "primary")],
    }
