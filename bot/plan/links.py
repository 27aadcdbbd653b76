"""Batches linked to their GitHub work (`[links.batch-2]` in the plan): a milestone or a label.

A linked batch's progress is *measured*, not typed: closed issues and merged pull requests over
all the linked ones. The link and the last measurement live in the plan file beside the batch,
so the dashboard, the history and a reviewer of the file see where a % came from and when.
The edits that change them live in `link_edits`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

if TYPE_CHECKING:  # bound by bot.plan.model._constraint_names() when pydantic validates
    from annotated_types import Ge, MaxLen


@dataclass(frozen=True)
class BatchLink:
    """Where a batch is followed outside the plan (a GitHub milestone or label)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    milestone: Annotated[str, MaxLen(200)] = ""
    label: Annotated[str, MaxLen(100)] = ""
    # The last measurement (written by the collection; absent until the first one).
    done: Annotated[int, Ge(0)] | None = None
    total: Annotated[int, Ge(0)] | None = None
    at: dt.datetime | None = None

    @property
    def what(self) -> str:
        return f'milestone "{self.milestone}"' if self.milestone else f'label "{self.label}"'

    def source(self, zone: dt.tzinfo | None = None) -> str:
        """`7 of 12 closed in milestone "Infra v1", GitHub Fri 04 Dec 10:00`."""
        if self.done is None or self.total is None or self.at is None:
            return f"linked to {self.what} on GitHub, not measured yet"
        when = self.at.astimezone(zone) if zone else self.at
        return f"{self.done} of {self.total} closed in {self.what}, GitHub {when:%a %d %b %H:%M}"


def link_problems(links: dict[str, BatchLink], batch_ids: set[str]) -> list[tuple[str, str]]:
    out = []
    for bid, link in links.items():
        where = f"links.{bid}"
        if bid not in batch_ids:
            out.append((where, "names no batch of the plan"))
        if bool(link.milestone.strip()) == bool(link.label.strip()):
            out.append((where, "needs exactly one of milestone or label"))
        if link.done is not None and link.total is not None and link.done > link.total:
            out.append((where, "done cannot be more than total"))
    return out
