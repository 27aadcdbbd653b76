"""Where the local store's branch lives: the person's work tree. The crash-safe commit, git's
locks respected, an interrupted commit finished, and the push to the team's remote.

A commit moves the branch before the file (objects → journal → branch, compare-and-swap →
index → file → journal dropped), so a kill at any point leaves either nothing changed or a
journal from which the next change or read finishes the job; and it refuses, as git itself
does, while git holds its own locks (issue 19 item 9).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.plan.commits import FALLBACK_EMAIL, FALLBACK_NAME, Actor, PlanConflict, clean_ident

if TYPE_CHECKING:
    import logging

    from bot.plan.gitrepo import GitRepo, Identity

PUSH_TIMEOUT = 120.0  # seconds a BATCHBOT_GIT_PUSH push (or its pull) may take
JOURNAL = "batchbot-journal.json"  # in the git dir while a commit's file may lag its branch
OUR_LOCK_SECONDS = 5.0  # a git lock taken this soon after a killed commit's journal was its own


def _log() -> logging.Logger:
    """The store's logger; `logging` (with traceback and textwrap) loads only to log."""
    import logging

    return logging.getLogger("batchbot.store")


class WorkTreeCommits:
    """The commit half of the local store: what it needs from the store is declared here."""

    path: Path
    remote: str
    clock: Callable[[], dt.datetime] | None
    _gitdir: Path | None
    _identity: bool | None
    _committer: str | None
    _whoami: Identity | None
    _cache: object

    @property
    def repo(self) -> GitRepo | None:
        raise NotImplementedError

    def _rel(self, repo: GitRepo) -> str:
        raise NotImplementedError

    def _refuse_hand_edits(self, repo: GitRepo) -> str:
        """Refuse when the file has uncommitted edits (staged or not); HEAD's commit, the
        parent of the next one ("" before the first commit).

        One `git status` answers both (porcelain v2 with --branch names HEAD's commit; no
        ahead/behind count, which would walk the history for nothing). An untracked plan file
        is no hand edit: its first commit adds it."""
        rel = repo.relative(self.path)
        args = ["status", "--porcelain=v2", "--branch", "--no-ahead-behind", "--", rel]
        parent = ""
        for line in repo.run(*args).stdout.splitlines():
            if line.startswith("# branch.oid "):
                oid = line.removeprefix("# branch.oid ").strip()
                parent = "" if oid == "(initial)" else oid
            elif line[:2] in ("1 ", "2 ", "u "):
                raise PlanConflict(
                    f"{rel} has uncommitted changes made by hand; commit or discard them "
                    "(git commit / git checkout) before changing the plan through batchbot"
                )
        return parent

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
        self,
        repo: GitRepo,
        commits: Sequence[tuple[str, Actor | None, str]],
        parent: str | None = None,
    ) -> tuple[list[str], str | None]:
        """Commit each text in turn as the plan file through git's objects *before* touching
        the file; one fast-import writes the whole chain.

        Order: blob, tree and commit objects (nothing visible yet) → a journal naming the
        last commit → move the branch (compare-and-swap on the old tip) → the index entry → the
        file, atomically → drop the journal. A kill at any point leaves either nothing changed
        or a journal from which the next change finishes the job (`_recover`); the file never
        differs from HEAD in a way that would be mistaken for a hand edit. `parent`: HEAD's
        commit as the caller's check under the lock read it (None: read it now); the branch
        moves only if it is still there.
        """
        from bot.plan.gitrepo import GitError, NewCommit, write_commits

        rel = self._rel(repo)
        if parent is None:
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
        from bot.plan.gitrepo import GitError

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
        from bot.plan.gitrepo import GitError

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
        branch = repo.symbolic_head()
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
        from bot.plan.gitrepo import GitError

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
        if not repo.symbolic_head():
            raise PlanConflict(
                "the plan's repository has a detached HEAD, so a commit would belong to no "
                "branch; check out a branch (git switch main) first; nothing was changed"
            )

    def _atomic_write(self, text: str) -> None:
        atomic_write_file(self.path, text)
        self._cache = None

    def _idents(self, repo: GitRepo, actor: Actor | None) -> tuple[str, str]:
        """(author, committer) as `Name <email>` for a commit by `actor`.

        A machine with no git identity (a fresh server, CI) still commits: the committer
        becomes batchbot, the author stays the person who made the change.
        """
        if self._committer is None:
            whoami = self._git_identity(repo)
            self._identity = bool(whoami.email)
            ident = whoami.committer if self._identity else ""
            self._committer = ident or f"{FALLBACK_NAME} <{FALLBACK_EMAIL}>"
        explicit = actor is not None and bool(actor.email or actor.slack_id)
        if explicit and actor is not None:
            author = actor.git_author()
        elif self._identity:
            author = self._committer
        else:
            author = f"{clean_ident(actor.name) if actor else FALLBACK_NAME} <{FALLBACK_EMAIL}>"
        return author, self._committer

    def _git_identity(self, repo: GitRepo) -> Identity:
        """The git identity of this machine, asked once (one process) per store."""
        if self._whoami is None:
            self._whoami = repo.identity()
        return self._whoami

    def _push(self, repo: GitRepo) -> str | None:
        """Push; on rejection rebase onto the remote and retry. Failure keeps the commit."""
        import dataclasses

        from bot.plan.gitrepo import GitError

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


def atomic_write_file(target: Path, text: str) -> None:
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
    fd, tmp = _make_temp(path)
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


def _make_temp(path: Path) -> tuple[int, str]:
    """A new file `.NAME.RANDOM.tmp` beside `path`, made as `tempfile.mkstemp` makes one
    (O_EXCL, mode 0600), without importing tempfile (shutil, bz2, lzma, random)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _install(tmp: Path, target: Path) -> None:
    """Rename a staged file over `target` (its real path) and make the rename durable."""
    path = Path(os.path.realpath(target))
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _last_line(proc: object) -> str:
    text = (getattr(proc, "stderr", "") or getattr(proc, "stdout", "") or "").strip()
    return text.splitlines()[-1] if text else ""


__all__ = ["JOURNAL", "PUSH_TIMEOUT", "WorkTreeCommits", "atomic_write_file"]
