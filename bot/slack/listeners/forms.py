"""Reading a submitted Slack form: shared by the update and standup forms (views.py) and the
lead's blocker and risk forms (lead.py), so neither listener module imports the other for it."""

from __future__ import annotations

import json
from typing import Any


def form_meta(view: dict[str, Any]) -> dict[str, Any]:
    """A form's private_metadata as the object the bot put there; `{}` when it is empty or
    not a JSON object (a form opened by an older bot, a tampered submission). Parsed with
    `json.loads` as it was, such a submission was a traceback and an HTTP 500: Slack then
    showed "We had some trouble connecting" and the person never learned why."""
    raw = view.get("private_metadata") or ""
    try:
        meta = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def submitted_value(state: dict[str, Any], block: str) -> str | None:
    """The submitted value of one input, as the text a person would type after key=."""
    element = next(iter((state.get(block) or {}).values()), None)
    if element is None:
        return None
    kind = element.get("type")
    if kind == "static_select":
        return (element.get("selected_option") or {}).get("value", "")
    if kind == "multi_static_select":
        return ",".join(o["value"] for o in element.get("selected_options") or []) or "none"
    if kind == "timepicker":
        return element.get("selected_time") or ""
    if kind in ("conversations_select", "channels_select"):
        return element.get("selected_conversation") or element.get("selected_channel") or ""
    if kind == "users_select":
        user = element.get("selected_user")
        return f"<@{user}>" if user else ""
    return element.get("value") or ""
