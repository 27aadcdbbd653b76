"""The write journey both stores share, up to the commits: each queued edit is applied, in
order, to the plan the one before left (a failing edit fails alone; one that changes nothing
makes no commit), and each change becomes the commit that records it — the file's new text,
with the team's comments kept, and a message naming the person and the change.

Where those commits then go is each store's transport: the branch of a work tree
(worktree.py: journal, compare-and-swap, index, file, optional push) or the team's remote
(remote.py: a fetched tip, fast-import in the cache clone, a push that is the
compare-and-swap).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.plan import codec
from bot.plan.commits import Actor, commit_message
from bot.plan.edits import Change
from bot.plan.model import Plan, PlanInvalid, Problem
from bot.plan.writequeue import Write

__all__ = ["Round", "Step", "apply_writes"]


@dataclass(frozen=True)
class Step:
    """One write's outcome: the plan after it, its changes, and what its commit writes
    (`files` is empty when there is nothing to commit)."""

    index: int
    plan: Plan | None
    changes: list[Change]
    actor: Actor
    files: dict[str, str] = field(default_factory=dict)
    message: str = ""


@dataclass
class Round:
    steps: list[Step]
    failed: dict[int, BaseException]  # by the write's index: the edit's own refusal
    text: str | None  # the plan file's text after the last step
    plan: Plan | None


def apply_writes(
    writes: Sequence[Write],
    start: tuple[str | None, Plan | None],
    *,
    plan_file: str,
    as_json: bool,
    check_file: Callable[[str], None] | None = None,
    no_plan: str = "",
) -> Round:
    """Apply `writes` (skipping those already answered) onto `start` (the file's text and
    plan; None, None when there is no plan yet: only a write that `creates` may run then,
    the others fail with `no_plan`)."""
    before, plan = start
    steps: list[Step] = []
    failed: dict[int, BaseException] = {}
    for i, item in enumerate(writes):
        if item.future.done():
            continue
        try:
            if item.edit is None:  # another file (the report archive), committed as given
                for rel in item.files:
                    if check_file is not None:
                        check_file(rel)
                steps.append(Step(i, plan, [], item.actor, dict(item.files), item.message))
                continue
            if plan is None and not item.creates:
                raise PlanInvalid([Problem("", no_plan or f"there is no {plan_file}")], "")
            new_plan, changes = item.edit(plan)  # type: ignore[arg-type]  # import: None
            if not changes:
                steps.append(Step(i, new_plan, [], item.actor))
                continue
            text = codec.dumps_over(before, plan, new_plan, as_json=as_json)
            message = commit_message(new_plan, changes, item.actor, item.via)
            steps.append(Step(i, new_plan, changes, item.actor, {plan_file: text}, message))
            before, plan = text, new_plan
        except Exception as exc:  # the command path turns it into a line for the person
            failed[i] = exc
    return Round(steps, failed, before, plan)
