"""Progress measured from linked GitHub work: what the adapter returns, how it is counted,
and how it reaches the plan (one commit by the bot when a number changed).

How each item counts (the README says the same):
- an issue closed as completed, and a pull request merged: **done**;
- an issue or pull request still open: **not done yet**;
- an issue closed as "not planned" and a pull request closed without merging: **left out**
  (neither done nor to do — the work was dropped, so it must not hold the % down).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.plan.links import BatchLink

if TYPE_CHECKING:
    from bot.plan.edits import Change
    from bot.plan.model import Plan
    from bot.plan.store import Actor, Saved


@dataclass(frozen=True)
class Item:
    """One issue or pull request, as much of it as the count needs."""

    state: str  # open | closed
    pull: bool
    merged: bool = False
    not_planned: bool = False


def count(items: Iterable[Item]) -> tuple[int, int]:
    """(done, total) over linked items, by the rules in the module docstring."""
    done = total = 0
    for it in items:
        if it.state == "closed" and (it.not_planned or (it.pull and not it.merged)):
            continue
        total += 1
        if it.state == "closed":
            done += 1
    return done, total


@dataclass
class LinkedCollection:
    at: dt.datetime
    measured: dict[str, tuple[int, int]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # batch id → why, in one line
    calls: int = 0  # API requests made (the bench and the note count them)

    def lines(self, names: Mapping[str, str]) -> list[str]:
        out = [
            f"{names.get(b, b)}: {d} of {t} closed" + (f" ({100 * d // t}%)" if t else "")
            for b, (d, t) in self.measured.items()
        ]
        out += [f"{names.get(b, b)}: not measured — {why}" for b, why in self.failed.items()]
        return out


class LinkedSource(Protocol):
    def linked(self, links: Mapping[str, BatchLink], at: dt.datetime) -> LinkedCollection: ...


class _Store(Protocol):
    def load(self) -> Plan: ...
    def change(
        self, actor: Actor, edit: Callable[[Plan], tuple[Plan, list[Change]]], *, via: str
    ) -> Saved: ...


def refresh_links(
    store: _Store, source: LinkedSource, at: dt.datetime, actor: Actor, via: str = "github"
) -> tuple[LinkedCollection, Saved | None]:
    """Measure every linked batch and commit what changed (nothing when nothing did)."""
    from bot.plan.link_edits import apply_measured

    plan = store.load()
    if not plan.links:
        return LinkedCollection(at), None
    result = source.linked(dict(plan.links), at)
    if not result.measured:
        return result, None

    def edit(p: Plan) -> tuple[Plan, list[Change]]:
        still = {b: m for b, m in result.measured.items() if b in p.links}  # unlinked meanwhile
        return apply_measured(p, still, at)

    return result, store.change(actor, edit, via=via)
