"""RemotePlanStore: the plan's truth is the team's git remote; the local clone is only a cache.

Why it is built this way:

- **Reads never touch the network.** The plan served is held in memory, refreshed by `sync()`
  (a background loop every `sync_seconds`, or at once when a webhook says the branch moved).
  A remote that is down or a commit that breaks the plan never takes the bot down: the last
  valid plan keeps being served, with a notice saying how old it is or what is wrong.
- **Writes are re-applied, not merged.** Every write fetches the tip, applies the *edit* (a
  pure function of the plan) to the plan at the tip, commits it and pushes. A rejected push
  means someone else wrote first: fetch and re-apply, a bounded number of times, with jitter.
  The person is told "saved" only after the push went through; nothing of value ever exists
  only in the clone, so a throwaway disk loses nothing.
- **Commits are made with plumbing in a bare clone** (`hash-object`, a private index,
  `commit-tree`), never by writing a work tree: there is no half-written file to recover after
  a kill -9, no hand edit to refuse, and no rebase state to get stuck in.
- **Group commit.** Writers that arrive while a push is in flight queue up; the next leader
  applies all of them onto one fetched tip, one commit each, and pushes them together. With a
  remote that takes 1.5 s per push, throughput grows with the queue instead of stalling on it.
- **The token never touches disk.** It reaches git as an `http.extraHeader` through
  `GIT_CONFIG_*` environment variables, so neither the URL in `.git/config` nor any log line
  carries it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.plan import archive, codec
from bot.plan.clone import (
    NoBranch,
    NotSaved,
    PlanClone,
    PlanState,
    RemoteConfig,
    SharedClone,
    classify_push_failure,
    git_env,
    lock_trouble,
    utc_now,
)
from bot.plan.edits import Change
from bot.plan.gitrepo import GitError, NewCommit, write_commits
from bot.plan.journey import Step, apply_writes
from bot.plan.model import Plan, PlanInvalid
from bot.plan.store import Actor, PlanStore, Saved
from bot.plan.writequeue import Outcome, Write, WriteQueue
from bot.redact import redact

if TYPE_CHECKING:
    pass

log = logging.getLogger("batchbot.remote")

Edit = Callable[[Plan], tuple[Plan, list[Change]]]
BOT_COMMITTER = "batchbot <batchbot@localhost>"


class Turns(Protocol):
    """Orders the writes of several instances, so they take turns instead of racing pushes."""

    def take(self) -> Callable[[], None]:
        """Wait for our turn; the function that ends it."""
        ...


@dataclass(frozen=True)
class _Routed:
    """A write in the clone's one queue, with the program's store it is for."""

    write: Write
    store: RemotePlanStore

    @property
    def future(self) -> Outcome[Saved]:
        return self.write.future


@dataclass(frozen=True)
class _Commit:
    files: dict[str, str]
    actor: Actor
    message: str


class RemotePlanStore(PlanClone, PlanStore):
    """A PlanStore whose reads come from memory and whose writes go to the remote first."""

    def __init__(
        self,
        config: RemoteConfig,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        on_change: Callable[[str | None, str], None] | None = None,
        on_invalid: Callable[[str, str], None] | None = None,
        lock_timeout: float = 60.0,
        shared: SharedClone | None = None,
    ) -> None:
        self._init_clone(config, on_change, on_invalid, shared)
        super().__init__(self.clone_dir / config.plan_file, clock=clock, lock_timeout=lock_timeout)
        if self._group.push_queue is None:  # one queue for every program of the clone
            self._group.push_queue = WriteQueue[_Routed](
                lambda: NotSaved("not saved: the write was interrupted; nothing was changed")
            )

    def _sibling(self, plan_file: str) -> RemotePlanStore:
        """The store of another program in this clone (`plan/<program>.toml`): its own
        plan and freshness; the clone, branch, queue, turns and pushes are this one's."""
        config = dataclasses.replace(self.config, plan_file=plan_file)
        return RemotePlanStore(
            config, clock=self.clock, lock_timeout=self.lock_timeout, shared=self._group
        )

    # Turns at writing across instances sharing this remote (see bot/writeturns.py), and
    # the push counters: one for every program of the clone.
    @property
    def turns(self) -> Turns | None:
        turns: Turns | None = self._group.turns
        return turns

    @turns.setter
    def turns(self, value: Turns | None) -> None:
        self._group.turns = value

    @property
    def push_attempts(self) -> int:
        return self._group.push_attempts

    @push_attempts.setter
    def push_attempts(self, value: int) -> None:
        self._group.push_attempts = value

    @property
    def pushes(self) -> int:
        return self._group.pushes

    @pushes.setter
    def pushes(self, value: int) -> None:
        self._group.pushes = value

    # -- start -----------------------------------------------------------------------------
    # -- reading ---------------------------------------------------------------------------
    # -- background sync ---------------------------------------------------------------------
    # -- writing ---------------------------------------------------------------------------
    def change(self, actor: Actor, edit: Edit, *, via: str = "cli") -> Saved:
        return self._submit(Write(actor, edit, via))

    def replace(self, plan: Plan, actor: Actor, message: str) -> Saved:
        def edit(current: Plan) -> tuple[Plan, list[Change]]:
            if current == plan:
                return current, []
            return plan, [Change("plan", "import", "", message)]

        return self._submit(Write(actor, edit, "import", creates=True))

    def commit_file(self, rel_path: str, text: str, actor: Actor, message: str) -> str | None:
        archive.check_path(rel_path)  # and against the tip it lands on, in _apply_all
        saved = self._submit(Write(actor, None, "report", {rel_path: text}, message))
        return saved.commit

    def _submit(self, item: Write) -> Saved:
        queue: WriteQueue[_Routed] = self._group.push_queue
        return queue.submit(_Routed(item, self), self._lead_push_round)

    def _lead_push_round(self, take: Callable[[], list[_Routed]]) -> None:
        end_turn = self._take_turn()
        try:
            self._commit_batch(take(), landed=end_turn)  # all who queued while we waited
        finally:
            end_turn()

    def _take_turn(self) -> Callable[[], None]:
        """Wait for our turn among the instances, if they share one; the function ending it
        (safe to call twice). A broken queue only makes writes slower, never refused."""
        end: Callable[[], None] | None = None
        if self.turns is not None:
            try:
                end = self.turns.take()
            except Exception:
                log.exception("waiting for a write turn failed; writing without one")
        ended = threading.Event()

        def end_once() -> None:
            if end is None or ended.is_set():
                return
            ended.set()
            try:
                end()
            except Exception:
                log.exception("ending a write turn failed (its lease will end it)")

        return end_once

    def _commit_batch(self, batch: list[_Routed], landed: Callable[[], None]) -> None:
        try:
            # The sync loop fetches into the same ref: one git at a time moves it.
            with self._clone_lock():
                self._commit_batch_locked(batch, landed)
        except BaseException as exc:
            if isinstance(exc, NotSaved):
                failure: BaseException = exc
            else:
                log.exception("committing to the remote failed")
                failure = NotSaved(f"not saved: {type(exc).__name__}; nothing was changed")
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(failure)
            if not isinstance(exc, Exception):
                raise

    def _commit_batch_locked(self, batch: list[_Routed], landed: Callable[[], None]) -> None:
        """Fetch, re-apply, commit, push; `landed()` runs the moment the push is in (the next
        instance's turn need not wait for our bookkeeping). The batch may hold writes of
        every program: each program's writes are applied to its own file at the tip, and
        whatever refuses one program (its edit, its file invalid upstream) fails only its
        writes — the others' commits ride the same push."""
        reason = "someone else kept changing the plan"
        began = time.monotonic()
        for attempt in range(self.config.max_attempts):
            if attempt:
                # The winner has just landed, so try again at once; if we keep losing (instances
                # without a shared database to take turns in), back off exponentially, with
                # full jitter so the losers spread out.
                time.sleep(random.uniform(0, min(1.0, 0.01 * 2**attempt)) if attempt > 1 else 0)
            t0 = time.monotonic()
            refused: dict[int, BaseException] = {}
            try:
                tip = self._fetch()
            except NoBranch:
                if not any(item.write.creates for item in batch):
                    raise NotSaved(
                        f"not saved: the remote has no branch {self.branch!r} yet; "
                        "`batchbot import PLAN` makes its first commit"
                    ) from None
                tip = ""  # an empty repository: the import is its first commit
                refused = {
                    i: NotSaved(
                        f"not saved: the remote has no branch {self.branch!r} yet; "
                        "`batchbot import PLAN` makes its first commit"
                    )
                    for i, item in enumerate(batch)
                    if not item.write.creates
                }
            except NotSaved as exc:
                raise NotSaved(f"not saved: {exc}; nothing was changed, try again") from None
            t1 = time.monotonic()
            results, head, finals = self._apply_programs(batch, tip, refused)
            if head == tip:
                self._finish(batch, results)
                return
            self.push_attempts += 1
            t2 = time.monotonic()
            try:
                proc = self._git.run(
                    "push", "--porcelain", "origin", f"{head}:refs/heads/{self.branch}", check=False
                )
            except GitError:  # timed out: the push may or may not have landed; ask the remote
                if self._landed_anyway(head):
                    landed()
                    self._pushed(batch, results, head, finals)
                    return
                raise NotSaved(
                    "not saved as far as the remote shows: it stopped answering during the push; "
                    "check /batch status in a minute before trying again"
                ) from None
            log.debug(
                "batch of %d, attempt %d: fetch %.0f ms, commit %.0f ms, push %.0f ms (%s), "
                "%.0f ms since the lock",
                len(batch), attempt + 1, (t1 - t0) * 1000, (t2 - t1) * 1000,
                (time.monotonic() - t2) * 1000, "landed" if proc.returncode == 0 else "refused",
                (time.monotonic() - began) * 1000,
            )  # fmt: skip
            if proc.returncode == 0:
                landed()
                self._pushed(batch, results, head, finals)
                return
            output = redact(proc.stderr + proc.stdout, self.config.token)
            kind, why = classify_push_failure(output)
            if kind != "rejected":
                log.warning("push refused (%s): %s", kind, output.strip()[-300:])
                apart = self._by_program(batch, results)
                if len(apart) > 1:  # a rule about one program's file must not refuse another's
                    self._push_apart(batch, results, apart, landed)
                    return
                raise NotSaved(f"not saved: {why}; nothing was changed")
            reason = why
        raise NotSaved(f"not saved: {reason} {self.config.max_attempts} times; try again")

    @staticmethod
    def _by_program(
        batch: list[_Routed], results: dict[int, Saved | BaseException]
    ) -> list[list[_Routed]]:
        """The writes that made a commit, one list per program, in the order they came."""
        apart: dict[RemotePlanStore, list[_Routed]] = {}
        for i, item in enumerate(batch):
            result = results.get(i)
            if isinstance(result, Saved) and result.commit:
                apart.setdefault(item.store, []).append(item)
        return list(apart.values())

    def _push_apart(
        self,
        batch: list[_Routed],
        results: dict[int, Saved | BaseException],
        apart: list[list[_Routed]],
        landed: Callable[[], None],
    ) -> None:
        """The remote refused a push carrying several programs' commits (a protected path, a
        hook about one file): push each program's writes on their own, so the refusal stays
        with the program it is about. The writes that made no commit are answered as they
        were."""
        for writes in apart:
            try:
                self._commit_batch_locked(writes, landed)
            except NotSaved as exc:
                for item in writes:
                    if not item.future.done():
                        item.future.set_exception(exc)
        self._finish(batch, results)

    def _landed_anyway(self, head: str) -> bool:
        """After a push that timed out: is `head` on the remote branch after all?"""
        try:
            tip = self._fetch()
        except NotSaved:
            raise NotSaved(
                "not saved? the plan's git remote stopped answering during the push and cannot "
                "be asked whether it landed; check /batch status in a minute"
            ) from None
        merged = self._git.run("merge-base", "--is-ancestor", head, tip, check=False)
        return merged.returncode == 0

    def _pushed(
        self,
        batch: list[_Routed],
        results: dict[int, Saved | BaseException],
        head: str,
        finals: dict[RemotePlanStore, tuple[str, Plan]],
    ) -> None:
        """The push landed: tell every writer first — nothing after this may say 'not saved'."""
        self._finish(batch, results)
        self.pushes += 1
        moved: list[tuple[RemotePlanStore, str | None]] = []
        try:
            self._run("update-ref", self.tracking_ref, head)
            for store, (text, plan) in finals.items():  # the programs whose file we wrote
                before = store.state().sha
                store._blob = ""  # not known without asking git: the next sync reads it
                store._set(sha=head, plan=plan, synced_at=utc_now(), error=None, invalid_sha=None)
                if self.tips is not None:
                    self.tips.publish(store.plan_key, head)
                codec.remember_valid(text, store._as_json)
                moved.append((store, before))
        except Exception:  # the next sync repairs the cache; the remote already has it all
            log.exception("bookkeeping after a successful push failed")
            return
        for store, before in moved:
            listener = store._listener("on_change")
            if listener is not None:
                self._safe(listener, before, head)

    def _start_at(self, tip: str) -> tuple[str | None, Plan | None]:
        """This program's file at `tip` (text and plan; None, None when it is not there).
        NotSaved when it cannot be read or is invalid there: that refuses this program's
        writes only."""
        text = self._text_at_sha(tip) if tip else None
        try:
            source = f"{self.config.plan_file}@{tip[:7]}"
            return text, None if text is None else codec.loads(text, source, self._as_json)
        except PlanInvalid as exc:
            why = "; ".join(str(p) for p in exc.problems)[:300]
            what = "the plan" if self is self._group.first else self.config.plan_file
            raise NotSaved(
                f"not saved: {what} at {tip[:7]} on the remote is invalid ({why}); "
                "fix it there first"
            ) from None

    def _apply_programs(
        self, batch: list[_Routed], tip: str, refused: dict[int, BaseException]
    ) -> tuple[dict[int, Saved | BaseException], str, dict[RemotePlanStore, tuple[str, Plan]]]:
        """Apply every pending write onto `tip`, one commit each, each program's writes to its
        own file; (results by the write's index, the new head, each written program's final
        text and plan). A failing edit fails alone; a program whose file cannot be read at the
        tip fails its own writes alone. Commits keep the order the writes came in.

        The edits run first (journey.py); then one `git fast-import` writes the whole chain
        of commits (one process instead of five per commit — the difference between 60 ms and
        15 ms per write on a busy host).
        """

        def check_file(rel: str) -> None:  # never replace a link someone committed there
            archive.check_write(self._git, tip, rel)

        results: dict[int, Saved | BaseException] = dict(refused)
        by_store: dict[RemotePlanStore, list[int]] = {}
        for i, item in enumerate(batch):
            if i not in refused and not item.future.done():
                by_store.setdefault(item.store, []).append(i)
        steps: list[tuple[int, Step]] = []
        finals: dict[RemotePlanStore, tuple[str, Plan]] = {}
        for store, indexes in by_store.items():
            try:
                start = store._start_at(tip)
            except NotSaved as exc:
                results.update((i, exc) for i in indexes)
                continue
            done = apply_writes(
                [batch[i].write for i in indexes],
                start,
                plan_file=store.config.plan_file,
                as_json=store._as_json,
                check_file=check_file,
                no_plan=f"the remote has no {store.config.plan_file}",
            )
            results.update((indexes[i], exc) for i, exc in done.failed.items())
            steps += [(indexes[step.index], step) for step in done.steps]
            if done.plan is not None and done.text is not None and any(s.files for s in done.steps):
                finals[store] = (done.text, done.plan)
        steps.sort(key=lambda pair: pair[0])
        commits = [_Commit(step.files, step.actor, step.message) for _, step in steps if step.files]
        shas = self._commit_chain(tip, commits)
        head, made = tip, iter(shas)
        for i, step in steps:
            sha = next(made) if step.files else None
            head = sha or head
            results[i] = Saved(step.plan, step.changes, sha)  # type: ignore[arg-type]
        return results, head, finals

    def _commit_chain(self, parent: str, commits: list[_Commit]) -> list[str]:
        """Write `commits` as a chain on `parent`; their shas. The committer is batchbot,
        the author the person."""
        stamp = int((self.clock() if self.clock else utc_now()).timestamp())
        chain = [
            NewCommit(c.files, c.message, c.actor.git_author(), BOT_COMMITTER) for c in commits
        ]
        try:
            try:
                return write_commits(self._git, parent, chain, stamp)[0]
            except GitError as exc:  # fast-import moves a scratch ref: a stale lock stops it
                if not lock_trouble(exc.output):
                    raise
            self._unlock_clone()
            return write_commits(self._git, parent, chain, stamp)[0]
        except GitError as exc:
            raise GitError(
                ["fast-import"], exc.code, redact(exc.output, self.config.token)
            ) from None

    @staticmethod
    def _finish(batch: list[_Routed], results: dict[int, Saved | BaseException]) -> None:
        for i, item in enumerate(batch):
            if item.future.done():
                continue
            result = results.get(i)
            if isinstance(result, BaseException):
                item.future.set_exception(result)
            elif result is not None:
                item.future.set_result(result)


__all__ = [
    "NotSaved",
    "PlanState",
    "RemoteConfig",
    "RemotePlanStore",
    "Turns",
    "classify_push_failure",
    "git_env",
]
