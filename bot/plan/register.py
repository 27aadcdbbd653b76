"""The lead's registers kept in the plan file: weekly goals and tracked blockers.

Records are frozen dataclasses validated by pydantic like the rest of the plan (see model,
which holds them in `Plan.goals` and `Plan.blockers`). A goal, blocker or risk is named by
its 1-based position in its list: nothing is ever removed (a goal is dropped, a blocker
resolved, a risk closed), so `#3` keeps meaning the same record and the file keeps the whole
story for git to show. The edits that change them live in `register_edits`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from bot.plan.values import date_problem

if TYPE_CHECKING:  # bound by bot.plan.model._constraint_names() when pydantic validates
    from annotated_types import MaxLen, MinLen

GoalStatus = Literal["open", "done", "dropped"]
BlockerStatus = Literal["open", "resolved"]
ISO_WEEK = re.compile(r"^([0-9]{4})-W([0-9]{2})$")


@dataclass(frozen=True)
class Goal:
    """A goal the lead sets for one ISO week (`2026-W49`), optionally for one batch."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    text: Annotated[str, MinLen(1), MaxLen(500)]
    week: Annotated[str, MinLen(8), MaxLen(8)]  # YYYY-Www
    batch: Annotated[str, MaxLen(64)] = ""
    status: GoalStatus = "open"
    setBy: Annotated[str, MaxLen(100)] = ""
    setOn: dt.date | None = None
    closedOn: dt.date | None = None


@dataclass(frozen=True)
class Blocker:
    """A blocker on a batch, tracked until resolved: who owns it and how it gets resolved."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    batch: Annotated[str, MinLen(1), MaxLen(64)]
    text: Annotated[str, MinLen(1), MaxLen(500)]
    raised: dt.date
    owner: Annotated[str, MaxLen(100)] = ""
    resolution: Annotated[str, MaxLen(1000)] = ""
    raisedBy: Annotated[str, MaxLen(100)] = ""
    status: BlockerStatus = "open"
    resolvedOn: dt.date | None = None
    note: Annotated[str, MaxLen(1000)] = ""
    #: The day it is to be resolved by (`due=`): the nudge job tells the owner once it passes.
    due: dt.date | None = None


# --------------------------------------------------------------------------- weeks


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(week: str) -> dt.date:
    return dt.date.fromisocalendar(int(week[:4]), int(week[6:8]), 1)


def valid_week(week: str) -> bool:
    m = ISO_WEEK.match(week)
    if not m:
        return False
    try:
        monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        return False
    return date_problem(monday) is None


def check_registers(
    goals: Sequence[Goal], blockers: Sequence[Blocker], ids: set[str]
) -> list[tuple[str, str]]:
    """(where, problem) for records naming a batch the plan does not have, or a bad week."""
    out: list[tuple[str, str]] = []
    for i, g in enumerate(goals):
        if g.batch and g.batch not in ids:
            out.append((f"goals[{i}].batch", f"{g.batch!r} is not a batch id"))
        if not valid_week(g.week):
            out.append((f"goals[{i}].week", f"{g.week!r} is not an ISO week like 2026-W49"))
    for i, b in enumerate(blockers):
        if b.batch not in ids:
            out.append((f"blockers[{i}].batch", f"{b.batch!r} is not a batch id"))
    return out
