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
    classify_push_failure,
    git_env,
    lock_trouble,
    utc_now,
)
from bot.plan.edits import Change
from bot.plan.gitrepo import GitError, NewCommit, write_commits
from bot.plan.journey import apply_writes
from bot.plan.model import Plan, PlanInvalid
from bot.plan.store import Actor, PlanStore, Saved
from bot.plan.writequeue import Write, WriteQueue
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
    ) -> None:
        self._init_clone(config, on_change, on_invalid)
        super().__init__(self.clone_dir / config.plan_file, clock=clock, lock_timeout=lock_timeout)
        self._push_queue: WriteQueue[Write] = WriteQueue(
            lambda: NotSaved("not saved: the write was interrupted; nothing was changed")
        )
        # Turns at writing across instances sharing this remote (see bot/writeturns.py).
        self.turns: Turns | None = None
        self.push_attempts = 0  # pushes tried and pushes that landed: the bench's retry figure
        self.pushes = 0

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
        return self._push_queue.submit(item, self._lead_push_round)

    def _lead_push_round(self, take: Callable[[], list[Write]]) -> None:
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

    def _commit_batch(self, batch: list[Write], landed: Callable[[], None]) -> None:
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

    def _commit_batch_locked(self, batch: list[Write], landed: Callable[[], None]) -> None:
        """Fetch, re-apply, commit, push; `landed()` runs the moment the push is in (the next
        instance's turn need not wait for our bookkeeping)."""
        reason = "someone else kept changing the plan"
        began = time.monotonic()
        for attempt in range(self.config.max_attempts):
            if attempt:
                # The winner has just landed, so try again at once; if we keep losing (instances
                # without a shared database to take turns in), back off exponentially, with
                # full jitter so the losers spread out.
                time.sleep(random.uniform(0, min(1.0, 0.01 * 2**attempt)) if attempt > 1 else 0)
            t0 = time.monotonic()
            try:
                tip = self._fetch()
            except NoBranch:
                if not all(item.creates for item in batch):
                    raise NotSaved(
                        f"not saved: the remote has no branch {self.branch!r} yet; "
                        "`batchbot import PLAN` makes its first commit"
                    ) from None
                tip = ""  # an empty repository: the import is its first commit
            except NotSaved as exc:
                raise NotSaved(f"not saved: {exc}; nothing was changed, try again") from None
            try:
                text = self._text_at_sha(tip) if tip else None
                source = f"{self.config.plan_file}@{tip[:7]}"
                start = None if text is None else codec.loads(text, source, self._as_json)
            except PlanInvalid as exc:
                why = "; ".join(str(p) for p in exc.problems)[:300]
                raise NotSaved(
                    f"not saved: the plan at {tip[:7]} on the remote is invalid ({why}); "
                    "fix it there first"
                ) from None
            t1 = time.monotonic()
            results, head, (text, plan) = self._apply_all(batch, tip, (text, start))
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
                    self._pushed(batch, results, head, plan, text)
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
                self._pushed(batch, results, head, plan, text)
                return
            output = redact(proc.stderr + proc.stdout, self.config.token)
            kind, why = classify_push_failure(output)
            if kind != "rejected":
                log.warning("push refused (%s): %s", kind, output.strip()[-300:])
                raise NotSaved(f"not saved: {why}; nothing was changed")
            reason = why
        raise NotSaved(f"not saved: {reason} {self.config.max_attempts} times; try again")

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
        batch: list[Write],
        results: dict[int, Saved | BaseException],
        head: str,
        plan: Plan | None,
        text: str | None,
    ) -> None:
        """The push landed: tell every writer first — nothing after this may say 'not saved'."""
        self._finish(batch, results)
        self.pushes += 1
        try:
            self._run("update-ref", self.tracking_ref, head)
            before = self.state().sha
            self._set(sha=head, plan=plan, synced_at=utc_now(), error=None, invalid_sha=None)
            if self.tips is not None:
                self.tips.publish(self.plan_key, head)
            if plan is not None and text is not None:
                codec.remember_valid(text, self._as_json)
        except Exception:  # the next sync repairs the cache; the remote already has it all
            log.exception("bookkeeping after a successful push failed")
            return
        if self.on_change is not None:
            self._safe(self.on_change, before, head)

    def _apply_all(
        self, batch: list[Write], tip: str, start: tuple[str | None, Plan | None]
    ) -> tuple[dict[int, Saved | BaseException], str, tuple[str | None, Plan | None]]:
        """Apply every pending write onto `tip`, one commit each; a failing edit fails alone.

        The edits run first, in order, each on the plan the previous one left (journey.py);
        then one `git fast-import` writes the whole chain of commits (one process instead of
        five per commit — the difference between 60 ms and 15 ms per write on a busy host).
        """

        def check_file(rel: str) -> None:  # never replace a link someone committed there
            archive.check_write(self._git, tip, rel)

        done = apply_writes(
            batch,
            start,
            plan_file=self.config.plan_file,
            as_json=self._as_json,
            check_file=check_file,
            no_plan=f"the remote has no {self.config.plan_file}",
        )
        commits = [
            _Commit(step.files, step.actor, step.message) for step in done.steps if step.files
        ]
        shas = self._commit_chain(tip, commits)
        results: dict[int, Saved | BaseException] = dict(done.failed)
        head, made = tip, iter(shas)
        for step in done.steps:
            sha = next(made) if step.files else None
            head = sha or head
            results[step.index] = Saved(step.plan, step.changes, sha)  # type: ignore[arg-type]
        return results, head, (done.text, done.plan)

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
    def _finish(batch: list[Write], results: dict[int, Saved | BaseException]) -> None:
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
