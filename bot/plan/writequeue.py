"""Group commit: writers that arrive while a commit is being made ride along in the next one.

Why: a commit costs the same whether it carries one change or eight (locks, a git process,
fsyncs, in remote mode a fetch and a push). When eight people update at once, committing
them one after another makes the last one wait for seven commits; committing everyone who
is waiting together makes nobody wait for more than two rounds.

Why each writer leads at most once: the first version let a leader keep leading while
anyone was queued, so under steady load its own caller waited for seconds (a queue that
never empties). Here a writer leads only the round that carries its own write; when it is
done, the next waiting writer whose write is still pending takes over.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from bot.plan.commits import Actor, Saved
    from bot.plan.edits import Change
    from bot.plan.model import Plan

__all__ = ["Outcome", "Queued", "Write", "WriteQueue"]

T = TypeVar("T")


class Outcome(Generic[T]):
    """A queued write's answer: set once, by whoever leads its round (the new plan, or why
    not), and waited for by its writer. The part of `concurrent.futures.Future` the queue
    uses, without importing that package (and the logging it loads: ~6 ms of CPU at every
    `batchbot update`)."""

    def __init__(self) -> None:
        self._settled = threading.Event()
        self._lock = threading.Lock()
        self._value: T | None = None
        self._error: BaseException | None = None

    def done(self) -> bool:
        return self._settled.is_set()

    def set_result(self, value: T) -> None:
        self._settle(value, None)

    def set_exception(self, error: BaseException) -> None:
        self._settle(None, error)

    def _settle(self, value: T | None, error: BaseException | None) -> None:
        with self._lock:
            if self._settled.is_set():  # as Future's InvalidStateError: a bug, never a reply
                raise RuntimeError("this write was already answered")
            self._value, self._error = value, error
            self._settled.set()

    def result(self) -> T:
        """The answer, once set; the refusal is raised."""
        self._settled.wait()
        if self._error is not None:
            raise self._error
        return cast(T, self._value)


class Queued(Protocol):
    """A queued write: whoever leads its round sets its future (a result or the refusal)."""

    @property
    def future(self) -> Outcome[Saved]: ...


@dataclass
class Write:
    """A change waiting for its store's next round: an edit of the plan, or (edit None) other
    files to commit as they are, e.g. the report archive. `creates`: may run where there is
    no plan yet (an import)."""

    actor: Actor
    edit: Callable[[Plan], tuple[Plan, list[Change]]] | None
    via: str
    files: dict[str, str] = field(default_factory=dict)
    message: str = ""
    creates: bool = False
    future: Outcome[Saved] = field(default_factory=Outcome)


W = TypeVar("W", bound=Queued)
Take = Callable[[], "list[W]"]


class WriteQueue(Generic[W]):
    def __init__(self, interrupted: Callable[[], BaseException]) -> None:
        self._cond = threading.Condition()  # guards _pending and _leading
        self._pending: list[W] = []
        self._leading = False
        self._interrupted = interrupted  # what a writer hears if its round ended without it

    def submit(self, item: W, lead: Callable[[Callable[[], list[W]]], None]) -> Saved:
        """Queue `item` and wait for its result, leading one round if nobody else is.

        `lead(take)` runs a round: it calls `take()` when it is ready to commit (after its
        locks, so everyone who queued meanwhile rides along) and must set the future of
        every item `take()` returned.
        """
        with self._cond:
            self._pending.append(item)
            while self._leading and not item.future.done():
                self._cond.wait()
            if item.future.done():
                return item.future.result()
            self._leading = True
        try:
            lead(self._take)
        finally:
            with self._cond:
                self._leading = False
                if not item.future.done():  # the round failed before it took us: never hang
                    self._pending = [p for p in self._pending if p is not item]
                    item.future.set_exception(self._interrupted())
                self._cond.notify_all()
        return item.future.result()

    def _take(self) -> list[W]:
        with self._cond:
            batch, self._pending = self._pending, []
        return batch
