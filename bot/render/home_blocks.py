"""The App Home tab of one person: each program they belong to with its dashboard, and for a
lead of a program that program's team settings with an **Edit settings** button (the form is
`settings_modal`). Every piece of user text is escaped.

Limits: 100 blocks a Home tab or modal, 3,000 characters a section. A person in many
programs gets each program in fewer blocks (`_fit`): first without dividers, then one or two
blocks a program; past what even that allows, the rest are named in a closing line.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.people.names import NameOf, person_name
from bot.plan.model import Plan
from bot.plan.team import CHANNEL_ID, DAY_NAMES, SPEC, SPECS, TeamSettings
from bot.render.blocks import (
    MAX_VIEW_BLOCKS,
    SECTION_LIMIT,
    context,
    divider,
    header,
    home_view,
    section,
)
from bot.render.escape import esc
from bot.render.markdown import STATUS_EMOJI, progress_bar
from bot.slackids import user_id_in
from bot.text import clip

Block = dict[str, Any]

SETTINGS_OPEN = "team_settings_open"  # action: the lead's **Edit settings** button
SETTINGS_FORM = "team_settings"  # view callback: the settings form
#: what the form edits: every team setting except the people lists (`/batch team add|remove`).
FORM_KEYS = tuple(s.key for s in SPECS if s.kind not in ("people", "users"))
FOOTER = "Use `/batch status`, `/batch update <id>` or `/batch help`."


@dataclass(frozen=True)
class HomeProgram:
    """One program as a person's Home tab shows it; `team` only when they lead it."""

    id: str
    plan: Plan
    team: TeamSettings | None = None


def person_home(
    user_id: str,
    programs: Sequence[HomeProgram],
    note: str | None = None,
    today: dt.date | None = None,
    name_of: NameOf | None = None,
) -> dict[str, Any]:
    """One program: its full dashboard (as before programs existed), plus the settings for a
    lead. Several: a compact dashboard each, within the tab's 100 blocks."""
    footer = context(note or FOOTER)
    if len(programs) == 1:
        only = programs[0]
        extra = _settings_blocks(only, name_of, merged=False) if only.team else []
        view = home_view(only.plan, None, today, name_of)
        blocks = view["blocks"][:-1]  # its footer goes last
        room = MAX_VIEW_BLOCKS - len(extra) - 1
        return {"type": "home", "blocks": [*blocks[:room], *extra, footer]}
    top = [header(f"📋 Your programs ({len(programs)})")]
    body = _fit(user_id, programs, MAX_VIEW_BLOCKS - len(top) - 1, name_of)
    return {"type": "home", "blocks": [*top, *body, footer]}


def _fit(
    user_id: str, programs: Sequence[HomeProgram], room: int, name_of: NameOf | None
) -> list[Block]:
    """Each program in as many blocks as the room allows: level 0 with dividers and a block
    per part, level 1 without dividers, level 2 one block (two for a lead) a program."""
    for level in (0, 1, 2):
        parts = [_program_blocks(user_id, p, level, name_of) for p in programs]
        if sum(len(p) for p in parts) <= room:
            return [b for part in parts for b in part]
    out: list[Block] = []
    for n, part in enumerate(parts):
        if len(out) + len(part) > room - 1:
            rest = [p.id for p in programs[n:]]
            out.append(
                context(
                    clip(
                        f"{len(rest)} more: {', '.join(esc(r) for r in rest)} — "
                        "`/batch <program> status` shows any one",
                        2000,
                    )
                )
            )
            break
        out += part
    return out


def _program_blocks(
    user_id: str, p: HomeProgram, level: int, name_of: NameOf | None
) -> list[Block]:
    plan = p.plan
    done = plan.overall_progress()
    title = f"*📋 {esc(plan.program.name)}* `{esc(p.id)}` · `{progress_bar(done)}` {done}%"
    batches = [
        f"{STATUS_EMOJI[b.status]} {esc(b.name)} `{esc(b.id)}` {b.progress}%" for b in plan.batches
    ] or ["_no batches yet_"]
    mine = _own_items(user_id, plan)
    dashboard = _lines([title, *batches], SECTION_LIMIT - (len(mine) + 20 if level == 2 else 0))
    blocks: list[Block]
    if level == 2:
        blocks = [section(dashboard + (f"\n*Yours:* {mine}" if mine else ""))]
    else:
        blocks = [section(dashboard)]
        if mine:
            blocks.append(context(f"*Yours:* {mine}"))
    if p.team is not None:
        blocks += _settings_blocks(p, name_of, merged=level > 0)
    if level == 0:
        blocks.append(divider())
    return blocks


def _lines(lines: list[str], limit: int) -> str:
    """Lines joined within `limit` characters; the cut ones counted in a last line."""
    out = ""
    for i, line in enumerate(lines):
        more = f"\n_…and {len(lines) - i} more_"
        if len(out) + len(line) + 1 + len(more) > limit:
            return out + more
        out = f"{out}\n{line}" if out else line
    return out


def _own_items(user_id: str, plan: Plan) -> str:
    """What the person owns in this program: unfinished batches and open risks."""
    items = [
        f"{esc(b.name)} `{esc(b.id)}` {b.progress}%"
        for b in plan.batches
        if b.status != "done" and user_id_in(b.owner or "") == user_id
    ]
    items += [
        f"risk #{n} {esc(clip(r.risk, 60))}"
        for n, r in enumerate(plan.risks, 1)
        if r.status == "open" and user_id_in(r.owner or "") == user_id
    ]
    return clip(" · ".join(items), 1500)


def _channel(value: str | None) -> str:
    """A channel id as Slack's link to it; a channel the environment names (`#delivery`,
    which the plan cannot hold) as its text: it was `<##delivery>`, a broken link."""
    if not value:
        return "—"
    return f"<#{value}>" if CHANNEL_ID.fullmatch(value) else esc(value)


def settings_text(team: TeamSettings) -> str:
    """The team's settings in one paragraph, as a lead reads them on Home."""
    day = DAY_NAMES[team.report_day]
    labels = ", ".join(team.github_labels) or "—"
    repo = f"{esc(team.github_repo)} (labels {esc(labels)})" if team.github_repo else "—"
    return (
        f"standup {_channel(team.standup_channel)} · prompt {team.shown('prompt_time')} · "
        f"reminder after {team.shown('reminder_hours')} h · digest {team.shown('digest_time')}\n"
        f"report {_channel(team.report_channel)} on {day} {team.shown('report_time')} · "
        f"holidays {esc(team.holiday_country or '—')} · GitHub {repo} · "
        f"blockers escalated after {team.escalate_days} days"
    )


def team_text(team: TeamSettings, name_of: NameOf | None) -> str:
    """Who is on the team, with their roles (changed with `/batch team add|remove`)."""
    ids = list(dict.fromkeys([*team.team, *team.leads, *team.editors]))
    shown = []
    for uid in ids:
        person = team.person(uid)
        name = (person.name if person and person.name else "") or person_name(uid, name_of, uid)
        roles = [r for r, who in (("lead", team.leads), ("editor", team.editors)) if uid in who]
        shown.append(esc(name) + (f" ({', '.join(roles)})" if roles else ""))
    listed = ", ".join(shown) or "nobody listed"
    return clip(f"*Team:* {listed} — `/batch team add|remove @user` changes it", 2000)


def _settings_blocks(p: HomeProgram, name_of: NameOf | None, *, merged: bool) -> list[Block]:
    team = p.team
    assert team is not None
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Edit settings"},
        "action_id": SETTINGS_OPEN,
        "value": p.id,
    }
    text = f"*Team settings* (you lead {esc(p.plan.program.name)})\n{settings_text(team)}"
    people = team_text(team, name_of)
    if merged:
        text = clip(f"{text}\n{people}", SECTION_LIMIT)
    block = section(text)
    block["accessory"] = button
    return [block] if merged else [block, context(people)]


# -- the form -----------------------------------------------------------------------------


def _label(key: str) -> str:
    return clip(f"{key.replace('_', ' ').capitalize()} — {SPEC[key].help}", 2000)


def _element(key: str, team: TeamSettings) -> Block:
    kind = SPEC[key].kind
    value = getattr(team, key)
    if kind == "channel":
        element: Block = {
            "type": "conversations_select",
            "action_id": "value",
            "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        }
        if value and CHANNEL_ID.fullmatch(value):  # the environment may name it (#delivery)
            element["initial_conversation"] = value
        return element
    if kind in ("time", "report_time"):
        return {"type": "timepicker", "action_id": "value", "initial_time": team.shown(key)}
    if kind == "day":
        options = [{"text": {"type": "plain_text", "text": d}, "value": d} for d in DAY_NAMES]
        return {
            "type": "static_select",
            "action_id": "value",
            "options": options,
            "initial_option": options[team.report_day],
        }
    element = {"type": "plain_text_input", "action_id": "value", "max_length": 200}
    shown = team.shown(key) if value not in (None, ()) else ""
    if shown and shown != "—":
        element["initial_value"] = shown
    return element


def form_value(key: str, team: TeamSettings) -> str:
    """A setting as the form shows it (what an untouched field submits)."""
    element = _element(key, team)
    for field in ("initial_conversation", "initial_time", "initial_value"):
        if field in element:
            return str(element[field])
    if "initial_option" in element:
        return str(element["initial_option"]["value"])
    return ""


def settings_modal(program: str, name: str, team: TeamSettings) -> dict[str, Any]:
    """The lead's form: one field per setting, each starting at the value in force. What
    the lead saw travels in private_metadata, so only the fields they changed are saved."""
    blocks: list[Block] = [
        context(
            f"Saved as one commit in the plan of *{esc(name)}*; "
            "an emptied field goes back to the default."
        )
    ]
    for key in FORM_KEYS:
        blocks.append(
            {
                "type": "input",
                "block_id": key,
                "optional": True,
                "label": {"type": "plain_text", "text": _label(key)},
                "element": _element(key, team),
            }
        )
    meta = {"program": program, "shown": {k: form_value(k, team) for k in FORM_KEYS}}
    return {
        "type": "modal",
        "callback_id": SETTINGS_FORM,
        "title": {"type": "plain_text", "text": "Team settings"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(meta),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }


__all__ = [
    "FORM_KEYS",
    "SETTINGS_FORM",
    "SETTINGS_OPEN",
    "HomeProgram",
    "form_value",
    "person_home",
    "settings_modal",
]
