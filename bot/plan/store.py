"""PlanStore: the one owner of the plan file and its git history.

Every change goes: take the lock → refuse if someone edited the file by hand and has not
committed → read the current file → apply the edit → write atomically → commit the plan file
alone, authored by the person → optionally push. Readers never take the lock: the atomic
rename means they always see a whole file, old or new. Changes that arrive while one is being
committed queue up and are committed together in the next round, one commit each
(writequeue.py): eight people updating at once wait for two rounds, not eight commits.
"""

from __future__ import annotations

import _thread  # a plain lock: reading never needs `threading` (and what it imports)
import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.plan import codec
from bot.plan.commits import (
    FALLBACK_EMAIL,
    FALLBACK_NAME,
    TRAILER,
    Actor,
    HistoryEntry,
    PlanConflict,
    Saved,
    commit_message,
    diff_plans,
    parse_trailers,
)
from bot.plan.edits import Change, EditError
from bot.plan.history import PlanHistory
from bot.plan.model import Plan
from bot.plan.worktree import JOURNAL, WorkTreeCommits

if TYPE_CHECKING:
    import threading

    from bot.plan.gitrepo import GitRepo, Identity
    from bot.plan.journey import Step
    from bot.plan.writequeue import Write, WriteQueue  # loaded by the first write

Clock = Callable[[], dt.datetime]
CATCH_UP_SECONDS = 0.5  # how long a reader waits to finish an interrupted commit itself


class PlanStore(PlanHistory, WorkTreeCommits):
    def __init__(
        self,
        path: Path | str,
        *,
        push: bool = False,
        remote: str = "origin",
        clock: Clock | None = None,
        lock_timeout: float = 30.0,
    ) -> None:
        self.path = Path(path).absolute()
        self.push = push
        self.remote = remote
        self.clock = clock
        self.lock_timeout = lock_timeout
        self._repo: GitRepo | bool | None = False  # False: not looked up yet
        self._cache: tuple[tuple[int, int], Plan] | None = None
        self._lock_path: Path | None = None
        self._identity: bool | None = None  # does git know who commits on this machine?
        self._gitdir: Path | None = None
        self._committer: str | None = None
        self._whoami: Identity | None = None  # git's user.name/email and committer, asked once
        self._queue: WriteQueue[Write] | None = None  # made on the first write
        self._journal_at: Path | bool | None = False  # False: not looked up yet

    # -- reading ---------------------------------------------------------------------------
    @property
    def repo(self) -> GitRepo | None:
        if self._repo is False:
            from bot.plan.gitrepo import GitRepo  # git is run by writes and history only

            self._repo = GitRepo.find(self.path)
        return self._repo  # type: ignore[return-value]

    def stamp(self) -> tuple[int, int, int, int] | None:
        """The plan file's identity on disk (inode, mtime, ctime, size) from one stat, with no
        parse: what is derived from the plan (the program routing index) compares stamps to
        know it is still current. A write renames a new file into place, so it always changes
        the stamp — in this process and in any other. None: no file."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)

    def notice(self) -> str | None:
        """A line for people about the plan's freshness (remote mode); None when all is well."""
        return None

    def load(self) -> Plan:
        """The current plan; re-parsed only when the file changed on disk.

        The file is the committed plan, except after a kill between moving the branch and
        rewriting the file: then its journal is there, and the read finishes that commit first
        (or, if it may not — another writer, git busy — reads the plan HEAD holds). Checking
        costs one stat: the dashboard never starts git for it.
        """
        journal = self._journal_hint()
        if journal is not None and journal.exists():
            committed = self._catch_up()
            if committed is not None:
                return committed
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return codec.read(self.path)  # raises PlanInvalid with a clear message
        key = (st.st_mtime_ns, st.st_size)
        if self._cache and self._cache[0] == key:
            return self._cache[1]
        plan = codec.read(self.path)
        self._cache = (key, plan)
        return plan

    def _journal_hint(self) -> Path | None:
        """Where an interrupted commit's journal would be, found without running git (the
        `.git` folder, or the file a worktree has, above the plan); None outside a repo."""
        if self._journal_at is False:
            self._journal_at = None
            for folder in self.path.parents:
                dotgit = folder / ".git"
                if dotgit.is_dir():
                    self._journal_at = dotgit / JOURNAL
                elif dotgit.is_file():
                    line = dotgit.read_text(encoding="utf-8", errors="replace").strip()
                    if line.startswith("gitdir:"):
                        gitdir = Path(line.removeprefix("gitdir:").strip())
                        self._journal_at = (folder / gitdir).resolve() / JOURNAL
                else:
                    continue
                break
        return self._journal_at  # type: ignore[return-value]

    def _catch_up(self) -> Plan | None:
        """Finish an interrupted commit for a reader; the committed plan when that could not
        be done, None when the file is current again."""
        try:
            with self._locked(timeout=CATCH_UP_SECONDS):  # `_locked` runs `_recover`
                pass
            return None
        except (PlanConflict, OSError):
            pass
        repo = self.repo
        if repo is None:
            return None
        from bot.plan.gitrepo import GitError

        rel = self._rel(repo)
        try:
            proc = repo.run("cat-file", "blob", f"HEAD:{rel}", check=False)
        except (GitError, OSError):
            return None
        if proc.returncode != 0:
            return None
        return codec.loads(proc.stdout, f"HEAD:{rel}", codec.is_json(self.path))

    def local_actor(self) -> Actor:
        """Who is at this terminal: the git identity, else the OS user."""
        repo = self.repo
        if repo is not None:
            try:
                whoami = self._git_identity(repo)
            except OSError:  # git is gone (found by reading folders); a change says so
                whoami = None
            if whoami and whoami.name and whoami.email:
                return Actor(whoami.name, whoami.email)
        import getpass

        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "batchbot"
        return Actor(user)

    # -- writing ---------------------------------------------------------------------------
    def change(
        self,
        actor: Actor,
        edit: Callable[[Plan], tuple[Plan, list[Change]]],
        *,
        via: str = "cli",
    ) -> Saved:
        """Apply `edit` to the latest plan under the lock, write it and commit it.

        Writers that arrive while a commit is being made are applied together in the next
        round, each on the plan the one before left, one commit each, written by one git
        process (see writequeue.py): eight people updating at once wait for two rounds, not
        for eight commits.
        """
        from bot.plan.writequeue import Write  # writes only: the dashboard never waits

        return self._writes.submit(Write(actor, edit, via), self._lead_round)

    @property
    def _writes(self) -> WriteQueue[Write]:
        from bot.plan.writequeue import WriteQueue

        with _LOCKS_GUARD:
            if self._queue is None:
                self._queue = WriteQueue(
                    lambda: PlanConflict("the change was interrupted; nothing was changed")
                )
            return self._queue

    def _lead_round(self, take: Callable[[], list[Write]]) -> None:
        """One round: take the locks, then everyone queued by then, then one commit chain.

        Two locks: threads of one process queue on a plain (fair enough, no polling) lock
        first, so the file lock — which polls and serves no one in order — only arbitrates
        between processes. Without it, 8 concurrent Slack updates starved for over a second.
        """
        batch: list[Write] = []
        try:
            with self._locked():
                batch = take()
                self._commit_round(batch)
        except BaseException as exc:
            batch = batch or take()
            failure = (
                exc
                if isinstance(exc, Exception)
                else PlanConflict("the change was interrupted; nothing was changed")
            )
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(failure)
            if not isinstance(exc, Exception):
                raise

    @contextmanager
    def _locked(self, timeout: float | None = None) -> Iterator[None]:
        from bot.plan.flock import LockTimeout, PlanFileLock

        if not _git_on_path():
            raise PlanConflict(
                "git is not installed or not on PATH, so the change could not be committed; "
                "nothing was changed"
            )
        if self._repo is None:
            self._repo = False  # git may have come back since we last looked
        repo = self.repo
        if self._lock_path is None:
            self._lock_path = (
                self._git_dir(repo) / "batchbot-plan.lock"
                if repo
                else self.path.with_name(f".{self.path.name}.lock")
            )
        wait = self.lock_timeout if timeout is None else timeout
        in_process = _process_lock(self.path)
        if not in_process.acquire(timeout=wait):
            raise PlanConflict(
                f"another change to {self.path.name} is still in progress; try again"
            )
        try:
            lock = PlanFileLock(str(self._lock_path))
            lock.acquire(timeout=wait, poll_interval=0.01)
        except BaseException as exc:  # a timeout, or a folder this user may not write
            in_process.release()
            if isinstance(exc, LockTimeout):
                raise PlanConflict(
                    f"another change to {self.path.name} is still in progress; try again"
                ) from None
            raise
        try:
            if repo:  # our locks held; git's must be free too, as for any git command
                self._recover(repo)
                self._refuse_git_busy(repo)
            yield
        finally:
            lock.release()
            in_process.release()

    def _commit_round(self, batch: list[Write]) -> None:
        """Apply every write in order (a failing edit fails alone), then commit them all."""
        from bot.plan.journey import apply_writes

        repo = self.repo
        parent = None
        if repo:
            self._refuse_unsafe_state(repo)
            parent = self._refuse_hand_edits(repo)
        as_json = codec.is_json(self.path)
        before = codec.read_text(self.path)
        start = codec.loads(before, str(self.path), as_json)
        rel = self._rel(repo) if repo else self.path.name
        done = apply_writes(batch, (before, start), plan_file=rel, as_json=as_json)
        for i, exc in done.failed.items():
            batch[i].future.set_exception(exc)
        steps = [step for step in done.steps if step.files]
        for step in done.steps:
            if not step.files:
                batch[step.index].future.set_result(Saved(step.plan or start, []))
        if not steps:
            return
        results = self._write_and_commit(repo, steps, rel, parent)
        for step, saved in zip(steps, results, strict=True):
            batch[step.index].future.set_result(saved)

    def replace(self, plan: Plan, actor: Actor, message: str) -> Saved:
        """Write a whole plan (import), with the same lock, checks and single commit."""

        def edit(current: Plan) -> tuple[Plan, list[Change]]:
            if current == plan:
                return current, []
            return plan, [Change("plan", "import", "", message)]

        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = codec.dumps(plan, as_json=codec.is_json(self.path))
            repo = self.repo
            if repo is None:
                self._atomic_write(text)
                return Saved(plan, [Change("plan", "import", "", message)])
            sha, warning = self._commit_text(repo, text, actor, message)
            return Saved(plan, [Change("plan", "import", "", message)], sha, warning)
        return self.change(actor, edit, via="import")

    def _write_and_commit(
        self, repo: GitRepo | None, steps: list[Step], rel: str, parent: str | None = None
    ) -> list[Saved]:
        """Write the last plan of the round and commit the round's changes, one commit each."""
        as_json = codec.is_json(self.path)
        last = steps[-1].files[rel]
        if repo is None:
            self._atomic_write(last)
            codec.remember_valid(last, as_json)
            return [Saved(step.plan, step.changes) for step in steps]  # type: ignore[arg-type]
        commits = [(step.files[rel], step.actor, step.message) for step in steps]
        from bot.plan.gitrepo import GitError

        try:
            shas, warning = self._commit_texts(repo, commits, parent)
        except GitError as exc:
            raise PlanConflict(f"could not commit the change, nothing was changed: {exc}") from exc
        except OSError as exc:  # a full disk while git writes its objects: nothing moved
            raise PlanConflict(
                f"could not commit the change, nothing was changed: {exc.strerror or exc}"
            ) from exc
        codec.remember_valid(last, as_json)  # edits were checked value by value and whole
        if self.push:
            warning = self._push(repo) or warning
        return [
            Saved(step.plan, step.changes, sha, warning)  # type: ignore[arg-type]
            for step, sha in zip(steps, shas, strict=True)
        ]

    # -- other files -------------------------------------------------------------------------
    def commit_file(self, rel_path: str, text: str, actor: Actor, message: str) -> str | None:
        """Write and commit another file of the plan repo (the weekly report archive).

        Under the plan's locks and the same way as a plan change: objects first, then the
        branch (compare-and-swap), the index entry and the file, so an archive written while
        someone updates the plan never collides with their commit. None when nothing changed.
        """
        from bot.plan import archive  # links and paths outside plan/reports/ are refused
        from bot.plan.gitrepo import NewCommit, write_commits

        rel = archive.check_path(rel_path)
        repo = self.repo
        if repo is None:
            archive.write_disk(self.path.parent, rel, text)
            return None
        with self._locked():
            committed = archive.read_committed(repo, "HEAD", rel)
            on_disk = archive.read_disk(repo.root, rel)
            if committed == text == on_disk:
                return None
            parent = repo.run("rev-parse", "--verify", "-q", "HEAD", check=False).stdout.strip()
            author, committer = self._idents(repo, actor)
            stamp = int((self.clock() if self.clock else dt.datetime.now(dt.UTC)).timestamp())
            [sha], blobs = write_commits(
                repo, parent, [NewCommit({rel: text}, message, author, committer)], stamp
            )
            subject = message.splitlines()[0] if message else "batchbot"
            repo.run("update-ref", "-m", f"commit: {subject}", "HEAD", sha, parent or "0" * 40)
            repo.run("update-index", "--add", "--cacheinfo", f"100644,{blobs[rel]},{rel}")
            archive.write_disk(repo.root, rel, text)
            if self.push:
                self._push(repo)
            return sha


_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = _thread.allocate_lock()


def _git_on_path() -> bool:
    """`shutil.which("git")` without importing shutil (and the bz2/lzma it loads)."""
    import os

    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", "git")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return True
    return False


def _process_lock(path: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path.resolve(), _thread.allocate_lock())


__all__ = [  # the commit names are re-exported: callers import them from the store
    "FALLBACK_EMAIL",
    "FALLBACK_NAME",
    "TRAILER",
    "Actor",
    "EditError",
    "HistoryEntry",
    "PlanConflict",
    "PlanStore",
    "Saved",
    "commit_message",
    "diff_plans",
    "parse_trailers",
]
