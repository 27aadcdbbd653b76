"""Pure edits of the plan's links to GitHub work: link, unlink, and record a measurement.

Each returns a new plan and the changes for the commit message, like `bot.plan.edits`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.plan.edits import Change, EditError, UsageError
from bot.plan.links import BatchLink
from bot.plan.model import Plan, Status

MAX_MILESTONE, MAX_LABEL = 200, 100  # the plan's limits (`BatchLink`)


def link_batch(plan: Plan, batch_id: str, milestone: str, label: str) -> tuple[Plan, list[Change]]:
    milestone, label = " ".join(milestone.split()), " ".join(label.split())
    if bool(milestone) == bool(label):
        raise UsageError('link one of: milestone="Infra v1" or label=infra')
    # Refused, never cut: a cut name matches nothing on GitHub and the batch would read 0 %.
    for key, value, most in (("milestone", milestone, MAX_MILESTONE), ("label", label, MAX_LABEL)):
        if len(value) > most:
            raise UsageError(f"{key} is {len(value)} characters; at most {most} are allowed")
    if plan.batch(batch_id) is None:
        raise EditError(f"no batch {batch_id!r}")
    old = plan.links.get(batch_id)
    new = BatchLink(milestone=milestone, label=label)
    if old is not None and (old.milestone, old.label) == (new.milestone, new.label):
        return plan, []
    links = {**plan.links, batch_id: new}
    change = Change(batch_id, "link", old.what if old else None, new.what)
    return dataclasses.replace(plan, links=links), [change]


def unlink_batch(plan: Plan, batch_id: str) -> tuple[Plan, list[Change]]:
    old = plan.links.get(batch_id)
    if old is None:
        raise EditError(f"{batch_id} is not linked to GitHub")
    links = {k: v for k, v in plan.links.items() if k != batch_id}
    return dataclasses.replace(plan, links=links), [Change(batch_id, "link", old.what, None)]


def percent(done: int, total: int) -> int:
    """Rounded down, so 100 % means everything linked is closed, never 99.5 % rounded up."""
    return 0 if total == 0 else (100 * done) // total


def apply_measured(
    plan: Plan, measured: dict[str, tuple[int, int]], at: dt.datetime
) -> tuple[Plan, list[Change]]:
    """Record each linked batch's (done, total) and set its progress from them.

    A batch with nothing linked yet (total 0) keeps its progress. A batch the team marked
    done stays done; one that moved from 0 starts being in progress. Only real changes are
    returned (a collection that found nothing new commits nothing)."""
    batches = list(plan.batches)
    links = dict(plan.links)
    changes: list[Change] = []
    for i, b in enumerate(batches):
        link = links.get(b.id)
        if link is None or b.id not in measured:
            continue
        done, total = measured[b.id]
        if (link.done, link.total) != (done, total):
            changes.append(Change(b.id, "linked", link.done, f"{done}/{total}"))
        links[b.id] = dataclasses.replace(link, done=done, total=total, at=at)
        if total == 0 or b.status == "done":
            continue
        progress = percent(done, total)
        status: Status | None = (
            "in-progress" if progress > 0 and b.status in ("not-started", "queued") else None
        )
        if progress != b.progress:
            changes.append(Change(b.id, "progress", b.progress, progress))
        if status:
            changes.append(Change(b.id, "status", b.status, status))
        batches[i] = dataclasses.replace(b, progress=progress, status=status or b.status)
    if not changes:
        return plan, []
    return dataclasses.replace(plan, batches=tuple(batches), links=links), changes
