"""What a commit of the plan says: who made it (Actor), what it saved (Saved), how history
reads it back (HistoryEntry, the trailers), and what a hand edit changed (diff_plans).

These names sit below both stores and the write queue, so that none of them imports another to
name them (the old `plan/store ↔ plan/writequeue` cycle, issue 20).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.plan.edits import Change
from bot.plan.model import Batch, Metrics, Plan, field_names
from bot.plan.values import printable

TRAILER = "Batchbot-Change: "
FALLBACK_NAME = "batchbot"
FALLBACK_EMAIL = "batchbot@localhost"


@dataclass(frozen=True)
class Actor:
    """Who makes a change. `slack_id` is set when the change came from Slack."""

    name: str
    email: str | None = None
    slack_id: str | None = None

    def __post_init__(self) -> None:
        # Names come from Slack or the OS, not from the plan's rules: never refuse them, but no
        # control character may reach git (NUL is refused there), a commit message or a
        # terminal (issue 12, found by tests/faults/test_http_fuzz.py).
        for attr in ("name", "email", "slack_id"):
            value = getattr(self, attr)
            if isinstance(value, str):
                object.__setattr__(self, attr, printable(value))

    @staticmethod
    def parse(text: str) -> Actor:
        """`Name <email>` as git writes it (the CLI's --author)."""
        text = text.strip()
        if text.endswith(">") and "<" in text:
            name, _, email = text[:-1].rpartition("<")
            if name.strip() and "@" in email:
                return Actor(name.strip(), email.strip())
        raise ValueError(f"--author must look like 'Name <email>', got {text!r}")

    def git_author(self) -> str:
        if self.email:
            return f"{clean_ident(self.name)} <{clean_ident(self.email)}>"
        if self.slack_id:
            name = clean_ident(self.name)
            return f"{name} ({self.slack_id}) <{self.slack_id}@users.slack.invalid>"
        return f"{clean_ident(self.name)} <{FALLBACK_EMAIL}>"

    @property
    def label(self) -> str:
        return self.name


def clean_ident(text: str) -> str:
    """git refuses <, > and newlines in identities; nobody's name needs them."""
    return " ".join(text.replace("<", "").replace(">", "").split()) or "unknown"


class PlanConflict(Exception):
    """The file changed under us in a way we must not overwrite (hand edit)."""


@dataclass(frozen=True)
class Saved:
    """What a write produced: the new plan, its changes and the commit (if any)."""

    plan: Plan
    changes: list[Change]
    commit: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One plan commit as the history command and reports read it."""

    commit: str
    when: dt.datetime
    author: str
    email: str
    subject: str
    changes: list[Change] = field(default_factory=list)
    by_hand: bool = False


def commit_message(plan: Plan, changes: list[Change], actor: Actor, via: str) -> str:
    by_target: dict[str, list[Change]] = {}
    for c in changes:
        by_target.setdefault(c.target, []).append(c)
    parts = []
    for target, items in by_target.items():
        batch = plan.batch(target)
        label = f"{target} ({batch.name})" if batch else target
        parts.append(f"{label}: " + ", ".join(c.describe() for c in items))
    subject = "; ".join(parts)
    who = f"{actor.name} ({actor.slack_id})" if actor.slack_id else actor.name
    lines = [subject, "", f"Changed by {who} via {via}.", ""]
    import json  # here and below: reading the plan (the dashboard) does not need it

    for c in changes:
        payload = {"target": c.target, "field": c.field, "old": _json(c.old), "new": _json(c.new)}
        lines.append(TRAILER + json.dumps(payload, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def _json(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def parse_trailers(body: str) -> list[Change]:
    import json

    changes = []
    for line in body.splitlines():
        if line.startswith(TRAILER):
            try:
                item = json.loads(line[len(TRAILER) :])
                old, new = item.get("old"), item.get("new")
                old = tuple(old) if isinstance(old, list) else old
                new = tuple(new) if isinstance(new, list) else new
                changes.append(Change(item["target"], item["field"], old, new))
            except (ValueError, KeyError, TypeError):
                continue
    return changes


def diff_plans(old: Plan | None, new: Plan) -> list[Change]:
    """Field-by-field differences between two plans (for edits made outside batchbot)."""
    changes: list[Change] = []
    old_batches: dict[str, Batch] = {b.id: b for b in old.batches} if old else {}
    for b in new.batches:
        before = old_batches.pop(b.id, None)
        if before is None:
            changes.append(Change(b.id, "batch", None, "added"))
            continue
        for key in field_names(Batch):
            if getattr(before, key) != getattr(b, key):
                changes.append(Change(b.id, key, getattr(before, key), getattr(b, key)))
    for gone in old_batches:
        changes.append(Change(gone, "batch", "present", "removed"))
    if old is not None:
        for key in field_names(Metrics):
            if getattr(old.metrics, key) != getattr(new.metrics, key):
                changes.append(
                    Change("metrics", key, getattr(old.metrics, key), getattr(new.metrics, key))
                )
    return changes


__all__ = [
    "FALLBACK_EMAIL",
    "FALLBACK_NAME",
    "TRAILER",
    "Actor",
    "HistoryEntry",
    "PlanConflict",
    "Saved",
    "clean_ident",
    "commit_message",
    "diff_plans",
    "parse_trailers",
]
