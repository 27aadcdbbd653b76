"""PlanStore: the one owner of the plan file and its git history.

Every change goes: take the lock → refuse if someone edited the file by hand and has not
committed → read the current file → apply the edit → write atomically → commit the plan file
alone, authored by the person → optionally push. Readers never take the lock: the atomic
rename means they always see a whole file, old or new. Changes that arrive while one is being
committed queue up and are committed together in the next round, one commit each
(writequeue.py): eight people updating at once wait for two rounds, not eight commits.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.plan import codec
from bot.plan.edits import Change, EditError
from bot.plan.gitrepo import GitError, GitRepo, NewCommit, write_commits
from bot.plan.model import Batch, Metrics, Plan, PlanInvalid, field_names
from bot.plan.values import printable

if TYPE_CHECKING:
    import logging

    from bot.plan.writequeue import LocalWrite, WriteQueue

Clock = Callable[[], dt.datetime]
PUSH_TIMEOUT = 120.0  # seconds a BATCHBOT_GIT_PUSH push (or its pull) may take
JOURNAL = "batchbot-journal.json"  # in the git dir while a commit's file may lag its branch
CATCH_UP_SECONDS = 0.5  # how long a reader waits to finish an interrupted commit itself
OUR_LOCK_SECONDS = 5.0  # a git lock taken this soon after a killed commit's journal was its own


def _log() -> logging.Logger:
    """The store's logger; `logging` (with traceback and textwrap) loads only to log."""
    import logging

    return logging.getLogger("batchbot.store")


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
            return f"{_clean(self.name)} <{_clean(self.email)}>"
        if self.slack_id:
            return f"{_clean(self.name)} ({self.slack_id}) <{self.slack_id}@users.slack.invalid>"
        return f"{_clean(self.name)} <{FALLBACK_EMAIL}>"

    @property
    def label(self) -> str:
        return self.name


def _clean(text: str) -> str:
    """git refuses <, > and newlines in identities; nobody's name needs them."""
    return " ".join(text.replace("<", "").replace(">", "").split()) or "unknown"


class PlanConflict(Exception):
    """The file changed under us in a way we must not overwrite (hand edit)."""


@dataclass(frozen=True)
class Saved:
    plan: Plan
    changes: list[Change]
    commit: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    commit: str
    when: dt.datetime
    author: str
    email: str
    subject: str
    changes: list[Change] = field(default_factory=list)
    by_hand: bool = False


class PlanStore:
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
        self._queue: WriteQueue[LocalWrite] | None = None  # made on the first write
        self._journal_at: Path | bool | None = False  # False: not looked up yet

    # -- reading ---------------------------------------------------------------------------
    @property
    def repo(self) -> GitRepo | None:
        if self._repo is False:
            self._repo = GitRepo.find(self.path)
        return self._repo  # type: ignore[return-value]

    def _rel(self, repo: GitRepo) -> str:
        """The plan file's path inside its repository."""
        return repo.relative(self.path)

    def _head(self) -> str:
        """The revision whose history is the plan's (the remote store reads its fetched tip)."""
        return "HEAD"

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
        import getpass

        repo = self.repo
        if repo is not None:
            name = repo.run("config", "--get", "user.name", check=False).stdout.strip()
            email = repo.run("config", "--get", "user.email", check=False).stdout.strip()
            if name and email:
                return Actor(name, email)
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
        from bot.plan.writequeue import LocalWrite  # writes only: the dashboard never waits

        return self._writes.submit(LocalWrite(actor, edit, via), self._lead_round)

    @property
    def _writes(self) -> WriteQueue[LocalWrite]:
        from bot.plan.writequeue import WriteQueue

        with _LOCKS_GUARD:
            if self._queue is None:
                self._queue = WriteQueue(
                    lambda: PlanConflict("the change was interrupted; nothing was changed")
                )
            return self._queue

    def _lead_round(self, take: Callable[[], list[LocalWrite]]) -> None:
        """One round: take the locks, then everyone queued by then, then one commit chain.

        Two locks: threads of one process queue on a plain (fair enough, no polling) lock
        first, so the file lock — which polls and serves no one in order — only arbitrates
        between processes. Without it, 8 concurrent Slack updates starved for over a second.
        """
        batch: list[LocalWrite] = []
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
        import shutil

        from filelock import FileLock, Timeout

        if shutil.which("git") is None:
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
            lock = FileLock(str(self._lock_path))
            lock.acquire(timeout=wait, poll_interval=0.01)
        except BaseException as exc:  # a timeout, or a folder this user may not write
            in_process.release()
            if isinstance(exc, Timeout):
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

    def _commit_round(self, batch: list[LocalWrite]) -> None:
        """Apply every write in order (a failing edit fails alone), then commit them all."""
        repo = self.repo
        if repo:
            self._refuse_unsafe_state(repo)
            self._refuse_hand_edits(repo)
        as_json = codec.is_json(self.path)
        before = codec.read_text(self.path)
        plan = start = codec.loads(before, str(self.path), as_json)
        done: list[tuple[LocalWrite, Plan, list[Change]]] = []
        for item in batch:
            try:
                new_plan, changes = item.edit(plan)
            except Exception as exc:  # the command path turns it into a line for the person
                item.future.set_exception(exc)
                continue
            if not changes:
                item.future.set_result(Saved(plan, []))
                continue
            done.append((item, new_plan, changes))
            plan = new_plan
        if not done:
            return
        results = self._write_and_commit(repo, done, (before, start))
        for (item, _, _), saved in zip(done, results, strict=True):
            item.future.set_result(saved)

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

    def _refuse_hand_edits(self, repo: GitRepo) -> bool:
        """Refuse when the file has uncommitted edits; True when git does not track it yet."""
        rel = repo.relative(self.path)
        status = repo.run("status", "--porcelain", "--", rel).stdout
        if status.startswith("??"):
            return True
        if status.strip():
            raise PlanConflict(
                f"{rel} has uncommitted changes made by hand; commit or discard them "
                "(git commit / git checkout) before changing the plan through batchbot"
            )
        return False

    def _write_and_commit(
        self,
        repo: GitRepo | None,
        done: list[tuple[LocalWrite, Plan, list[Change]]],
        start: tuple[str, Plan],
    ) -> list[Saved]:
        """Write the last plan of the round and commit the round's changes, one commit each;
        each text is the one before with only the changed values changed (comments kept)."""
        as_json = codec.is_json(self.path)
        texts = edited_texts(start, [plan for _, plan, _ in done], as_json=as_json)
        if repo is None:
            self._atomic_write(texts[-1])
            codec.remember_valid(texts[-1], as_json)
            return [Saved(plan, changes) for _, plan, changes in done]
        commits = [
            (text, item.actor, commit_message(plan, changes, item.actor, item.via))
            for (item, plan, changes), text in zip(done, texts, strict=True)
        ]
        try:
            shas, warning = self._commit_texts(repo, commits)
        except GitError as exc:
            raise PlanConflict(f"could not commit the change, nothing was changed: {exc}") from exc
        except OSError as exc:  # a full disk while git writes its objects: nothing moved
            raise PlanConflict(
                f"could not commit the change, nothing was changed: {exc.strerror or exc}"
            ) from exc
        codec.remember_valid(texts[-1], as_json)  # edits were checked value by value and whole
        if self.push:
            warning = self._push(repo) or warning
        return [
            Saved(plan, changes, sha, warning)
            for (_, plan, changes), sha in zip(done, shas, strict=True)
        ]

    # -- the crash-safe commit ---------------------------------------------------------------
    def _git_dir(self, repo: GitRepo) -> Path:
        if self._gitdir is None:
            self._gitdir = repo.git_dir()
        return self._gitdir

    def _journal(self, repo: GitRepo) -> Path:
        return self._git_dir(repo) / JOURNAL

    def _commit_text(
        self, repo: GitRepo, text: str, actor: Actor | None, message: str
    ) -> tuple[str, str | None]:
        shas, warning = self._commit_texts(repo, [(text, actor, message)])
        return shas[0], warning

    def _commit_texts(
        self, repo: GitRepo, commits: Sequence[tuple[str, Actor | None, str]]
    ) -> tuple[list[str], str | None]:
        """Commit each text in turn as the plan file through git's objects *before* touching
        the file; one fast-import writes the whole chain.

        Order: blob, tree and commit objects (nothing visible yet) → a journal naming the
        last commit → move the branch (compare-and-swap on the old tip) → the index entry → the
        file, atomically → drop the journal. A kill at any point leaves either nothing changed
        or a journal from which the next change finishes the job (`_recover`); the file never
        differs from HEAD in a way that would be mistaken for a hand edit.
        """
        rel = self._rel(repo)
        parent = repo.run("rev-parse", "--verify", "-q", "HEAD", check=False).stdout.strip()
        stamp = int((self.clock() if self.clock else dt.datetime.now(dt.UTC)).timestamp())
        chain = []
        for text, actor, message in commits:
            author, committer = self._idents(repo, actor)
            chain.append(NewCommit({rel: text}, message, author, committer))
        shas, blobs = write_commits(repo, parent, chain, stamp)
        sha, blob = shas[-1], blobs[rel]
        staged = self._stage(commits[-1][0])  # the file can be written, or nothing moves
        try:
            import json

            journal = self._journal(repo)
            journal.write_text(
                json.dumps({"commit": sha, "parent": parent, "path": rel, "blob": blob}),
                encoding="utf-8",
            )
            message = commits[-1][2]
            subject = message.splitlines()[0] if message else "batchbot"
            try:
                repo.run("update-ref", "-m", f"commit: {subject}", "HEAD", sha, parent or "0" * 40)
            except GitError as exc:
                journal.unlink(missing_ok=True)
                raise self._busy_or(exc) from None
            try:
                repo.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{rel}")
                indexed = True
                _install(staged, self.path)
            except (GitError, OSError) as exc:
                indexed = not isinstance(exc, GitError)
                if not self._undo(repo, rel, sha, parent, indexed):
                    _log().error("committed, but the plan file could not be rewritten: %s", exc)
                    return shas, (
                        "committed to git, but the plan file on disk could not be rewritten "
                        f"({getattr(exc, 'strerror', None) or exc}); the next change repairs it"
                    )
                journal.unlink(missing_ok=True)
                raise self._busy_or(exc) from None
            self._cache = None
            journal.unlink(missing_ok=True)
            return shas, None
        finally:
            staged.unlink(missing_ok=True)

    def _stage(self, text: str) -> Path:
        """The new file's text, written and flushed beside the plan, before any commit moves:
        a folder we cannot write (read-only, immutable, full) refuses the change whole."""
        try:
            return _stage_file(self.path, text)
        except OSError as exc:
            raise PlanConflict(
                f"could not write {self.path.name} ({exc.strerror or exc}); nothing was changed"
            ) from None

    def _undo(self, repo: GitRepo, rel: str, sha: str, parent: str, indexed: bool) -> bool:
        """Put the branch (and the index entry, if we wrote it) back where they were after the
        file could not follow; True when nothing of the commit is left."""
        try:
            if indexed:
                old = repo.run("rev-parse", "--verify", "-q", f"{parent}:{rel}", check=False)
                if parent and old.returncode == 0:
                    info = f"100644,{old.stdout.strip()},{rel}"
                    repo.run("update-index", "--cacheinfo", info)
                else:
                    repo.run("update-index", "--force-remove", "--", rel)
            if parent:
                repo.run("update-ref", "-m", "batchbot: undo", "HEAD", parent, sha)
            else:
                repo.run("update-ref", "-d", "HEAD", sha)
        except GitError as exc:
            _log().error("could not undo commit %s: %s", sha[:10], exc)
            return False
        return True

    def _busy_or(self, exc: Exception) -> PlanConflict:
        """What a person is told when a commit step failed: git busy, or what went wrong."""
        if isinstance(exc, GitError) and ".lock" in exc.output and "exists" in exc.output:
            for lock in self._git_locks(self.repo) if self.repo else []:
                if lock.exists():
                    return PlanConflict(self._busy_line(lock))
            return PlanConflict(
                "git is busy in this repository (a .lock file exists): finish or remove it, "
                "then retry; nothing was changed"
            )
        if isinstance(exc, OSError):
            return PlanConflict(
                f"could not write {self.path.name} ({exc.strerror or exc}); nothing was changed"
            )
        return PlanConflict(f"could not commit the change, nothing was changed: {exc}")

    def _git_locks(self, repo: GitRepo) -> list[Path]:
        """The lock files git takes for what a commit changes: the index, HEAD, the branch."""
        gd = self._git_dir(repo)
        locks = [gd / "index.lock", gd / "HEAD.lock"]
        branch = repo.run("symbolic-ref", "-q", "HEAD", check=False).stdout.strip()
        if branch:
            locks.append(gd / f"{branch}.lock")
        return locks

    def _busy_line(self, lock: Path) -> str:
        repo = self.repo
        shown = lock.as_posix()
        if repo is not None and lock.is_relative_to(repo.root):
            shown = lock.relative_to(repo.root).as_posix()
        return (
            f"git is busy in this repository ({shown} exists): finish or remove it, then retry; "
            "nothing was changed"
        )

    def _refuse_git_busy(self, repo: GitRepo) -> None:
        """Refuse, as git itself would, while git holds a lock on what a commit changes (a
        person's `git commit` waiting in an editor, a rebase step): never commit behind it."""
        for lock in self._git_locks(repo):
            if lock.exists():
                raise PlanConflict(self._busy_line(lock))

    def _finish_commit(self, repo: GitRepo, rel: str, blob: str, text: str) -> str | None:
        """Index and file after the branch moved (an interrupted commit, `_recover`); the
        journal goes only when both are done."""
        try:
            repo.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{rel}")
            self._atomic_write(text)
        except (GitError, OSError) as exc:
            _log().error("committed, but the plan file could not be rewritten: %s", exc)
            return (
                "committed to git, but the plan file on disk could not be rewritten "
                f"({getattr(exc, 'strerror', None) or exc}); the next change repairs it"
            )
        self._journal(repo).unlink(missing_ok=True)
        return None

    def _recover(self, repo: GitRepo) -> None:
        """Finish a commit that a kill (or a full disk) interrupted; see `_commit_text`."""
        import json

        real = Path(os.path.realpath(self.path))
        for tmp in real.parent.glob(f".{real.name}.*.tmp"):  # staged by a killed writer
            tmp.unlink(missing_ok=True)
        journal = self._journal(repo)
        if not journal.exists():
            return
        try:
            data = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            journal.unlink(missing_ok=True)
            return
        # A lock the killed commit's own git left (taken within seconds of the journal) is
        # ours to remove; any other belongs to a person's git, and `_refuse_git_busy` waits.
        written = journal.stat().st_mtime
        for lock in self._git_locks(repo):
            try:
                if written - 1 <= lock.stat().st_mtime <= written + OUR_LOCK_SECONDS:
                    lock.unlink()
            except FileNotFoundError:
                continue
        if any(lock.exists() for lock in self._git_locks(repo)):
            return  # a person's git is at work: finish later (`_refuse_git_busy` says so)
        head = repo.run("rev-parse", "--verify", "-q", "HEAD", check=False).stdout.strip()
        if head == data.get("commit"):
            text = repo.run("cat-file", "blob", data["blob"]).stdout
            current = self.path.read_text(encoding="utf-8") if self.path.exists() else None
            if current != text:
                parent_text = None
                if data.get("parent"):
                    parent_text = repo.run(
                        "cat-file", "blob", f"{data['parent']}:{data['path']}", check=False
                    ).stdout
                if current is not None and current != parent_text:
                    journal.unlink(missing_ok=True)  # someone edited since: theirs to decide
                    return
            self._finish_commit(repo, data["path"], data["blob"], text)
            _log().warning("finished an interrupted commit %s of %s", head[:10], data["path"])
            return
        journal.unlink(missing_ok=True)  # the branch never moved: nothing had changed

    def _refuse_unsafe_state(self, repo: GitRepo) -> None:
        """Refuse to commit where git would drop the commit or the person would not expect it."""
        gd = self._git_dir(repo)
        if (gd / "rebase-merge").exists() or (gd / "rebase-apply").exists():
            raise PlanConflict(
                "a git rebase is in progress in the plan's repository; finish it "
                "(git rebase --continue) or abort it (git rebase --abort) first; "
                "nothing was changed"
            )
        if (gd / "MERGE_HEAD").exists():
            raise PlanConflict(
                "a git merge is in progress in the plan's repository; commit or abort it "
                "(git merge --abort) first; nothing was changed"
            )
        if repo.run("symbolic-ref", "-q", "HEAD", check=False).returncode != 0:
            raise PlanConflict(
                "the plan's repository has a detached HEAD, so a commit would belong to no "
                "branch; check out a branch (git switch main) first; nothing was changed"
            )

    def _atomic_write(self, text: str) -> None:
        _atomic_write_file(self.path, text)
        self._cache = None

    def _idents(self, repo: GitRepo, actor: Actor | None) -> tuple[str, str]:
        """(author, committer) as `Name <email>` for a commit by `actor`.

        A machine with no git identity (a fresh server, CI) still commits: the committer
        becomes batchbot, the author stays the person who made the change.
        """
        if self._committer is None:
            if self._identity is None:
                self._identity = repo.has_identity()
            ident = ""
            if self._identity:
                proc = repo.run("var", "GIT_COMMITTER_IDENT", check=False)
                ident = proc.stdout.strip().rsplit(" ", 2)[0] if proc.returncode == 0 else ""
            self._committer = ident or f"{FALLBACK_NAME} <{FALLBACK_EMAIL}>"
        explicit = actor is not None and bool(actor.email or actor.slack_id)
        if explicit and actor is not None:
            author = actor.git_author()
        elif self._identity:
            author = self._committer
        else:
            author = f"{_clean(actor.name) if actor else FALLBACK_NAME} <{FALLBACK_EMAIL}>"
        return author, self._committer

    def _push(self, repo: GitRepo) -> str | None:
        """Push; on rejection rebase onto the remote and retry. Failure keeps the commit."""
        import dataclasses

        reason = ""
        branch = repo.run("rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
        net = dataclasses.replace(repo, timeout=PUSH_TIMEOUT)  # a stalled remote is given up on
        try:
            for _ in range(3):
                proc = net.run("push", "--quiet", self.remote, "HEAD", check=False)
                if proc.returncode == 0:
                    return None
                reason = _last_line(proc)
                pulled = net.run(
                    "pull", "--rebase", "--autostash", "--quiet", self.remote, branch, check=False
                )
                if pulled.returncode != 0:
                    repo.run("rebase", "--abort", check=False)
                    reason = _last_line(pulled) or reason
                    break
        except GitError as exc:  # timed out
            repo.run("rebase", "--abort", check=False)
            reason = exc.output
        return f"committed locally but could not push to {self.remote}: {reason}"

    # -- history ---------------------------------------------------------------------------
    def history(
        self,
        batch_id: str | None = None,
        *,
        limit: int = 20,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        diff_by_hand: bool = True,
    ) -> list[HistoryEntry]:
        """Changes from the git log, newest first; hand edits are diffed to show what changed.

        `diff_by_hand=False` lists hand edits without their changes: diffing one means parsing
        the plan twice (≈ 0.4 s each for 1,000 batches), too dear for a year of history read
        only for the pace of progress (forecasts, the burn-up chart)."""
        repo = self.repo
        if repo is None:
            return []
        rel = self._rel(repo)
        # NUL separates fields and records: git never stores NUL in a commit message, while any
        # other control character can reach one (a value typed with \x1e broke the old parser).
        args = ["log", "-z", "--format=%H%x00%cI%x00%an%x00%ae%x00%s%x00%B"]
        if since:
            args.append(f"--since={since.astimezone(dt.UTC).isoformat()}")
        if until:
            args.append(f"--until={until.astimezone(dt.UTC).isoformat()}")
        if batch_id is None and limit:
            args.append(f"-n{limit}")
        proc = repo.run(*args, self._head(), "--", rel, check=False)
        if proc.returncode != 0:
            return []
        entries: list[HistoryEntry] = []
        fields = proc.stdout.split("\x00")
        for at in range(0, len(fields) - 5, 6):
            sha, when, name, email, subject, body = fields[at : at + 6]
            sha = sha.strip("\n")
            changes = parse_trailers(body)
            by_hand = not changes and TRAILER.strip() not in body
            if by_hand and diff_by_hand:
                changes = self._diff_commit(repo, rel, sha)
            if batch_id is not None and not any(c.target == batch_id for c in changes):
                continue
            if batch_id is not None:
                changes = [c for c in changes if c.target == batch_id]
            entries.append(
                HistoryEntry(
                    sha, dt.datetime.fromisoformat(when), name, email, subject, changes, by_hand
                )
            )
            if limit and len(entries) >= limit:
                break
        return entries

    def _diff_commit(self, repo: GitRepo, rel: str, sha: str) -> list[Change]:
        new = self._plan_at(repo, rel, sha)
        old = self._plan_at(repo, rel, f"{sha}~1")
        if new is None:
            return []
        return diff_plans(old, new)

    def _plan_at(self, repo: GitRepo, rel: str, rev: str) -> Plan | None:
        proc = repo.run("show", f"{rev}:{rel}", check=False)
        if proc.returncode != 0:
            return None
        try:
            return codec.loads(proc.stdout, f"{rev}:{rel}", codec.is_json(self.path))
        except PlanInvalid:
            return None

    def plan_at(self, when: dt.datetime) -> Plan | None:
        """The plan as committed at `when` (None before the file existed)."""
        repo = self.repo
        if repo is None:
            return None
        rel = self._rel(repo)
        stamp = when.astimezone(dt.UTC).isoformat()
        sha = repo.run("rev-list", "-1", f"--before={stamp}", self._head(), "--", rel, check=False)
        if sha.returncode != 0 or not sha.stdout.strip():
            return None
        return self._plan_at(repo, rel, sha.stdout.strip())

    def commit_file(self, rel_path: str, text: str, actor: Actor, message: str) -> str | None:
        """Write and commit another file of the plan repo (the weekly report archive).

        Under the plan's locks and the same way as a plan change: objects first, then the
        branch (compare-and-swap), the index entry and the file, so an archive written while
        someone updates the plan never collides with their commit. None when nothing changed.
        """
        from bot.plan import archive  # links and paths outside plan/reports/ are refused

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
_LOCKS_GUARD = threading.Lock()


def _atomic_write_file(target: Path, text: str) -> None:
    """Replace `target` with `text` whole: a temp file, fsync, rename, fsync the folder."""
    tmp = _stage_file(target, text)
    try:
        _install(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _stage_file(target: Path, text: str) -> Path:
    """`text` in a flushed temp file beside `target`, ready for `_install`."""
    # Through a symlink, replace its target: renaming over the link itself would turn it
    # into a regular file and leave the real plan behind (issue 12 item 10).
    path = Path(os.path.realpath(target))
    import tempfile  # writes only: reading the plan (the dashboard) does not need it

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _install(tmp: Path, target: Path) -> None:
    """Rename a staged file over `target` (its real path) and make the rename durable."""
    path = Path(os.path.realpath(target))
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _process_lock(path: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path.resolve(), threading.Lock())


def _last_line(proc: object) -> str:
    text = (getattr(proc, "stderr", "") or getattr(proc, "stdout", "") or "").strip()
    return text.splitlines()[-1] if text else ""


def edited_texts(start: tuple[str, Plan], plans: Sequence[Plan], *, as_json: bool) -> list[str]:
    """The file's text after each plan of a chain of edits on `start` (text, plan)."""
    before, old = start
    texts = []
    for plan in plans:
        before = codec.dumps_over(before, old, plan, as_json=as_json)
        texts.append(before)
        old = plan
    return texts


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


__all__ = ["Actor", "EditError", "HistoryEntry", "PlanConflict", "PlanStore", "Saved"]
