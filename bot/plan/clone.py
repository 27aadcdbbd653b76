"""Where the remote store's branch lives: a bare, blobless clone of the team's repository,
kept as a cache. Starting it, fetching the tip, serving the last valid plan with how fresh it
is, the background sync, and the one lock every git that writes in the clone runs under.

Nothing of value lives only here: a clone that looks wrong is thrown away and made again.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from bot.plan import codec
from bot.plan.commits import PlanConflict
from bot.plan.gitrepo import GitError, GitRepo
from bot.plan.model import Plan, PlanInvalid, Problem
from bot.plan.program_files import is_program_name
from bot.redact import redact

if TYPE_CHECKING:
    from filelock import FileLock

log = logging.getLogger("batchbot.remote")

CLONE_DIR = "plan.git"
# git repacks on its own after a fetch once enough packs pile up (each fast-import writes
# one): half a second inside someone's write. The sync loop does that housekeeping instead.
NO_AUTO_GC = ("-c", "gc.auto=0", "-c", "maintenance.auto=false")
HOUSEKEEPING_SECONDS = 600.0
# A git lock file in the clone older than this, found while we hold the clone lock, was left
# by a git that died (kill -9, a timeout): every git of ours that writes there runs under the
# clone lock. A younger one might still belong to a git that runs (a person's, by hand): wait.
STALE_LOCK_SECONDS = 2.0


class Tips(Protocol):
    """Shares the tip each instance pushed, so the others read it at once (bot/plantips.py)."""

    def publish(self, plan: str, sha: str) -> None: ...

    def latest(self, plan: str) -> str | None: ...


class NotSaved(PlanConflict):
    """A write that did not reach the remote; the message says why, in the person's words."""


class NoBranch(NotSaved):
    """The remote has no such branch yet (a new, empty repository): only an import may start it."""


@dataclass(frozen=True)
class RemoteConfig:
    url: str
    plan_file: str = "plan/execution-plan.toml"
    branch: str | None = None  # None: the remote's default branch
    workdir: Path = Path(".batchbot-remote")
    token: str | None = None
    sync_seconds: float = 30.0
    max_attempts: int = 12
    git_timeout: float = 120.0  # the longest one fetch, push or clone may take

    def __post_init__(self) -> None:
        rel = PurePosixPath(self.plan_file)
        if rel.is_absolute() or ".." in rel.parts or not rel.name:
            raise ValueError(
                f"BATCHBOT_PLAN_FILE must be a path inside the repository, got {self.plan_file!r}"
            )


@dataclass(frozen=True)
class PlanState:
    """What the store serves and how fresh it is."""

    sha: str | None = None  # the commit the served plan comes from
    plan: Plan | None = None
    synced_at: dt.datetime | None = None  # last successful fetch
    error: str | None = None  # last fetch error, None once a fetch succeeds again
    invalid_sha: str | None = None  # the tip, when it holds an invalid plan
    invalid_reason: str | None = None


def lock_trouble(output: str) -> bool:
    """Did git fail because a lock file exists ("Unable to create '….lock': File exists")?"""
    return ".lock" in output and "exists" in output


def classify_push_failure(output: str) -> tuple[str, str]:
    """('rejected' | 'auth' | 'protected' | 'unreachable' | 'other', a line for a person)."""
    low = output.lower()
    if any(
        s in low
        for s in ("[rejected]", "non-fast-forward", "fetch first", "failed to update ref", "stale")
    ):
        return "rejected", "someone else changed the plan first"
    if any(s in low for s in ("protected branch", "gh006", "pre-receive hook declined")):
        return "protected", "the branch is protected: the remote refused a direct push"
    if any(
        s in low
        for s in (
            "authentication failed",
            "could not read username",
            "permission denied",
            "403",
            "401",
            "invalid credentials",
            "access denied",
        )
    ):
        return "auth", "the git remote refused our credentials (check BATCHBOT_GIT_TOKEN)"
    if any(
        s in low
        for s in (
            "could not resolve host",
            "does not appear to be a git repository",
            "could not read from remote",
            "unable to access",
            "connection refused",
            "timed out",
            "no such file or directory",
            "does not exist",
            "not found",
        )
    ):
        return "unreachable", "the plan's git remote could not be reached"
    return "other", "git refused the change"


def git_env(url: str, token: str | None) -> tuple[tuple[str, str], ...]:
    """The environment every git command against the plan's remote runs with (the bot's and
    `batchbot doctor`'s): never a prompt, a stalled connection dropped, the token as a header.

    A stalled connection is dropped, not waited on: https below 1 KB/s for 30 s, ssh after a
    minute without an answer (RemoteConfig.git_timeout is the backstop for everything).
    """
    env = [
        (
            "GIT_SSH_COMMAND",
            "ssh -o BatchMode=yes -o ConnectTimeout=20 -o ServerAliveInterval=15 "
            "-o ServerAliveCountMax=4",
        ),
        ("GIT_HTTP_LOW_SPEED_LIMIT", "1000"),
        ("GIT_HTTP_LOW_SPEED_TIME", "30"),
    ]
    if token and url.startswith(("https://", "http://")):
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env += [
            ("GIT_CONFIG_COUNT", "1"),
            ("GIT_CONFIG_KEY_0", "http.extraHeader"),
            ("GIT_CONFIG_VALUE_0", f"Authorization: Basic {basic}"),
        ]
    return tuple(env)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SharedClone:
    """What every program's store in one clone shares (issue 17): the clone, its git, the
    one lock every git that writes in it runs under, the branch, the sync loop, the turns,
    the group-commit queue and the push counters. One program's store is made per plan file
    (`plan/<program>.toml`); each keeps only what it serves (its own PlanState)."""

    def __init__(self, config: RemoteConfig, clone_dir: Path) -> None:
        self.git = GitRepo(
            clone_dir, env=git_env(config.url, config.token), timeout=config.git_timeout
        )
        self.thread_lock = threading.Lock()
        self.process_lock: FileLock | None = None
        self.lock_holder: int | None = None  # the thread holding the clone lock
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.branch: str | None = config.branch
        self.no_branch = False  # the last fetch found no branch (an empty repository)
        self.tips: Tips | None = None
        self.turns: Any = None  # remote.Turns: orders the writes of several instances
        self.push_queue: Any = None  # the one group-commit queue of every program (remote.py)
        self.push_attempts = 0  # pushes tried and pushes that landed: the bench's retry figure
        self.pushes = 0
        # Every program's store, the first (BATCHBOT_PLAN_FILE's) first; by plan file.
        self.members: dict[str, PlanClone] = {}
        # Told (under the clone lock, before the others' plans move to that tip; it must not
        # write) of the stores of programs a sync found for the first time: a
        # `plan/<program>.toml` pushed upstream is served without a restart.
        self.on_programs: Callable[[list[PlanClone]], None] | None = None

    @property
    def first(self) -> PlanClone:
        return next(iter(self.members.values()))

    def stores(self) -> list[PlanClone]:
        return list(self.members.values())


class PlanClone:
    """The clone half of the remote store (its write half is RemotePlanStore)."""

    lock_timeout: float

    def _init_clone(
        self,
        config: RemoteConfig,
        on_change: Callable[[str | None, str], None] | None,
        on_invalid: Callable[[str, str], None] | None,
        shared: SharedClone | None = None,
    ) -> None:
        """`shared`: the clone of the first program's store, for another program's (one
        clone, one branch, one queue, one push for all of them)."""
        self.config = config
        self.clone_dir = Path(config.workdir).absolute() / CLONE_DIR
        self.on_change = on_change
        self.on_invalid = on_invalid
        self._state = PlanState()
        self._state_lock = threading.Lock()
        self._served = 0  # plans served so far: the stamp
        self._blob = ""  # the served plan file's blob id, when known
        # The tip pushed by any instance, in the shared database: a read fetches when it
        # differs from ours (bot/plantips.py). `_tip_followed`: the last one we fetched for.
        self._tip_followed: str | None = None
        # The clone lock (in `_group`): one thread of this process (a plain lock, so threads
        # queue without polling), then one process on this host (a file lock). Every git that
        # writes in the clone — start, sync, a write round, housekeeping — runs under it, taken
        # in that order, once: nothing under it takes it again (issue 19 item 6 was a re-entry
        # and a reversed order, each waiting 60 s on itself).
        self._group = shared if shared is not None else SharedClone(config, self.clone_dir)
        self._group.members.setdefault(config.plan_file, self)
        self._told_invalid: set[str] = set()

    @property
    def _git(self) -> GitRepo:
        return self._group.git

    @property
    def tips(self) -> Tips | None:
        return self._group.tips

    @tips.setter
    def tips(self, value: Tips | None) -> None:
        self._group.tips = value

    @property
    def on_programs(self) -> Callable[[list[PlanClone]], None] | None:
        return self._group.on_programs

    @on_programs.setter
    def on_programs(self, value: Callable[[list[PlanClone]], None] | None) -> None:
        self._group.on_programs = value

    def programs(self) -> list[PlanClone]:
        """Every program's store in this clone, the first (BATCHBOT_PLAN_FILE's) first."""
        return self._group.stores()

    def _sibling(self, plan_file: str) -> PlanClone:
        """A store for another program's file in this clone (made by the write half)."""
        raise NotImplementedError

    def _run(self, *args: str, **kw: object) -> str:
        try:
            return self._git.run(*args, **kw).stdout  # type: ignore[arg-type]
        except GitError as exc:
            raise GitError([*args], exc.code, redact(exc.output, self.config.token)) from None

    @property
    def repo(self) -> GitRepo | None:
        return self._git if (self.clone_dir / "HEAD").exists() else None

    @property
    def branch(self) -> str:
        if self._group.branch is None:
            raise RuntimeError("start() has not run")
        return self._group.branch

    @property
    def plan_key(self) -> str:
        """Which plan this is, across instances: remote, branch and file (no credentials)."""
        return f"{redact(self.config.url)}#{self.branch}:{self.config.plan_file}"

    @property
    def tracking_ref(self) -> str:
        return f"refs/remotes/origin/{self.branch}"

    def _rel(self, repo: GitRepo) -> str:
        return self.config.plan_file

    def _head(self) -> str:
        return self.tracking_ref

    def start(self, *, creating: bool = False) -> PlanState:
        """Clone into an empty workdir or reuse the one there; then fetch the tip.

        Anything odd in the clone (a broken repository, another URL, a stale lock left by a
        kill -9) is not repaired by hand: the clone is a cache, so it is thrown away and made
        again. Raises NotSaved (with the reason) when the remote cannot be cloned at all.
        """
        self.clone_dir.parent.mkdir(parents=True, exist_ok=True)
        with self._clone_lock():
            if not self._usable_clone():
                shutil.rmtree(self.clone_dir, ignore_errors=True)
                self._clone()
            self._clear_stale_locks(older_than=0.0)  # we just started: none is ours
            if self._group.branch is None:
                self._group.branch = self._default_branch()
        state = self.sync()
        if state.plan is None and state.error and not (creating and self._group.no_branch):
            raise NotSaved(state.error)
        return state

    def _usable_clone(self) -> bool:
        if not (self.clone_dir / "HEAD").exists():
            return False
        proc = self._git.run("config", "--get", "remote.origin.url", check=False)
        if proc.returncode != 0 or proc.stdout.strip() != self.config.url:
            log.warning("the clone in %s is for another remote; cloning again", self.clone_dir)
            return False
        return self._git.run("rev-parse", "--git-dir", check=False).returncode == 0

    def _clone(self) -> None:
        # No --branch: a configured branch that does not exist yet (an empty repository
        # waiting for its first import) must not stop the clone; the fetch names the branch.
        args = ["clone", "--bare", "--quiet", "--filter=blob:none"]
        try:
            GitRepo(self.clone_dir.parent, env=self._git.env, timeout=self._git.timeout).run(
                *args, "--", self.config.url, str(self.clone_dir)
            )
        except GitError as exc:
            shutil.rmtree(self.clone_dir, ignore_errors=True)
            kind, why = classify_push_failure(exc.output)
            if kind == "other":
                why = "could not clone the plan's repository"
            said = "\n".join(
                line for line in exc.output.splitlines() if not line.startswith("warning:")
            )
            raise NotSaved(f"{why}: {redact(said, self.config.token).strip()[-300:]}") from None
        except FileNotFoundError:
            raise NotSaved("git is not installed (it must be on PATH)") from None

    def _clear_stale_locks(self, older_than: float = STALE_LOCK_SECONDS) -> bool:
        """Remove the git lock files in the clone older than `older_than` seconds; True when
        younger ones remain. Called only under the clone lock, where no git of ours writes."""
        now = time.time()
        young = False
        for lock in [*self.clone_dir.glob("*.lock"), *(self.clone_dir / "refs").rglob("*.lock")]:
            try:
                if now - lock.stat().st_mtime < older_than:
                    young = True
                    continue
                lock.unlink()
            except FileNotFoundError:
                continue
            log.warning("removed a stale git lock from the plan's clone: %s", lock.name)
        return young

    def _unlock_clone(self) -> None:
        """After git failed on a lock file: clear the stale ones, and wait (at most
        STALE_LOCK_SECONDS) for a young one to be released by its owner or to turn stale."""
        deadline = time.monotonic() + STALE_LOCK_SECONDS
        while self._clear_stale_locks() and time.monotonic() < deadline:
            time.sleep(0.05)
        self._clear_stale_locks()

    def _run_unlocking(self, *args: str) -> str:
        """`_run` for a git that writes refs in the clone: a stale lock is cleared, then the
        command is tried once more. The caller holds the clone lock."""
        try:
            return self._run(*args)
        except GitError as exc:
            if not lock_trouble(exc.output):
                raise
        self._unlock_clone()
        return self._run(*args)

    def _default_branch(self) -> str:
        out = self._git.run("symbolic-ref", "--short", "HEAD", check=False).stdout.strip()
        return out or "main"

    @contextmanager
    def _clone_lock(self) -> Iterator[None]:
        """Hold the clone: this thread, then this process (see `__init__`). Never nested."""
        from filelock import FileLock, Timeout

        busy = NotSaved(
            "not saved: the plan's clone stayed busy for "
            f"{self.lock_timeout:g} s; nothing was changed, try again"
        )
        if not self._group.thread_lock.acquire(timeout=self.lock_timeout):
            raise busy
        try:
            if self._group.process_lock is None:
                self._group.process_lock = FileLock(str(self.clone_dir.parent / "plan.lock"))
            try:
                self._group.process_lock.acquire(timeout=self.lock_timeout, poll_interval=0.01)
            except Timeout:
                raise busy from None
            self._group.lock_holder = threading.get_ident()
            try:
                yield
            finally:
                self._group.lock_holder = None
                self._group.process_lock.release()
        finally:
            self._group.thread_lock.release()

    def state(self) -> PlanState:
        with self._state_lock:
            return self._state

    def load(self) -> Plan:
        self._follow_tip()
        state = self.state()
        if state.plan is not None:
            return state.plan
        reason = state.invalid_reason or state.error or "the plan has not been fetched yet"
        raise PlanInvalid([Problem("", reason)], self.config.plan_file)

    def _follow_tip(self) -> None:
        """Before a read: when another instance pushed a tip we do not serve, fetch it now,
        once per tip (a tip older than ours, published late, costs one fetch, not one per
        read). Not while this thread holds the clone lock (a listener called mid-write)."""
        group = self._group
        if self.tips is None or group.branch is None or group.lock_holder == threading.get_ident():
            return
        tip = self.tips.latest(self.plan_key)
        if tip is None or tip == self.state().sha or tip == self._tip_followed:
            return
        self._tip_followed = tip
        self.sync()

    def notice(self) -> str | None:
        state = self.state()
        short = (state.sha or "")[:7]
        if state.invalid_sha:
            what = "plan" if self is self._group.first else self.config.plan_file
            return (
                f"{what} at {state.invalid_sha[:7]} is invalid: {state.invalid_reason}; "
                f"showing {short or 'nothing'}"
            )
        if state.error:
            age = ""
            if state.synced_at is not None:
                minutes = int((utc_now() - state.synced_at).total_seconds() // 60)
                age = f", fetched {minutes} min ago" if minutes else ", fetched under a minute ago"
            return f"{state.error}; showing {short or 'nothing'}{age}"
        return None

    def _fetch(self) -> str:
        """Fetch the branch; the tip's sha. Raises NotSaved when the remote cannot be reached.
        The caller holds the clone lock."""
        refspec = f"+refs/heads/{self.branch}:{self.tracking_ref}"
        try:
            self._run_unlocking(*NO_AUTO_GC, "fetch", "--quiet", "--no-tags", "origin", refspec)
        except GitError as exc:
            kind, why = classify_push_failure(exc.output)
            missing = "couldn't find remote ref" in exc.output.lower()
            if kind == "other" and not missing:
                log.warning("git fetch failed: %s", exc.output[-300:])
            if missing:
                raise NoBranch(
                    f"the remote has no branch {self.branch!r} (an empty repository? "
                    "`batchbot import PLAN` makes its first commit)"
                ) from None
            raise NotSaved(why) from None
        except FileNotFoundError:
            raise NotSaved("git is not installed (it must be on PATH)") from None
        return self._run("rev-parse", self.tracking_ref).strip()

    def _plan_at_sha(self, sha: str) -> Plan | None:
        """The plan committed at `sha`; None when the file is not there; PlanInvalid if bad."""
        text = self._text_at_sha(sha)
        if text is None:
            return None
        return codec.loads(text, f"{self.config.plan_file}@{sha[:7]}", self._as_json)

    def _text_at_sha(self, sha: str) -> str | None:
        """The plan file's text at `sha`; None when the file is not there."""
        try:  # a blobless clone may have to fetch the blob: that can time out
            proc = self._git.run("cat-file", "blob", f"{sha}:{self.config.plan_file}", check=False)
        except GitError as exc:
            raise NotSaved(f"could not read the plan at {sha[:7]}: {exc.output[-200:]}") from None
        if proc.returncode != 0:
            if "does not exist" in proc.stderr or "not a valid object" in proc.stderr.lower():
                return None
            raise NotSaved(f"could not read the plan at {sha[:7]}: {proc.stderr.strip()[-200:]}")
        return proc.stdout

    @property
    def _as_json(self) -> bool:
        return codec.is_json(Path(self.config.plan_file))

    def sync(self) -> PlanState:
        """Fetch now and serve the tip's plan when it is valid; never raises. One fetch
        refreshes every program of the clone (each from its own file at the tip: one bad
        file stops only its own program) and finds the programs added upstream."""
        stores = self._group.stores()
        try:
            with self._clone_lock():
                moved, _found = self._sync_all_locked()
        except NotSaved as exc:  # the clone stayed busy: serve what we have, say why
            for store in stores:
                store._set(error=str(exc).removeprefix("not saved: "))
            return self.state()
        for store, (before, after) in moved:  # outside the lock: a listener may write,
            listener = store._listener("on_change")  # which takes the lock itself
            if listener is not None:
                self._safe(listener, before, after)
        return self.state()

    def _sync_all_locked(
        self,
    ) -> tuple[list[tuple[PlanClone, tuple[str | None, str]]], list[PlanClone]]:
        """The sync under the clone lock: ([(store, (old sha, new sha))] for each program
        whose served plan moved, [stores of programs found for the first time])."""
        try:
            tip = self._fetch()
        except (NotSaved, GitError) as exc:
            self._group.no_branch = isinstance(exc, NoBranch)
            msg = str(exc) if isinstance(exc, NotSaved) else "git fetch failed"
            if self.state().error != msg:
                log.warning("plan sync failed: %s", msg)
            for store in self._group.stores():
                store._fetch_failed(msg)
            return [], []
        found, blobs = self._discover(tip)
        moved = []
        # The programs found first, then told (under the lock, before any served plan moves
        # to this tip: whoever sees the new tip also sees its programs — the listener only
        # builds what serves them and must not write), then the others.
        for store in found:
            change = store._adopt(tip, blobs.get(store.config.plan_file, ""))
            if change is not None:
                moved.append((store, change))
        if found and self._group.on_programs is not None:
            self._safe(self._group.on_programs, found)
        first = self._group.first  # last: once /healthz shows the tip, every program has it
        for store in [*(s for s in self._group.stores() if s is not first), first]:
            if store in found:
                continue
            change = store._adopt(tip, blobs.get(store.config.plan_file, ""))
            if change is not None:
                moved.append((store, change))
        return moved, found

    def _discover(self, tip: str) -> tuple[list[PlanClone], dict[str, str]]:
        """The stores of programs at `tip` not served yet: every `*.toml` in the first plan
        file's folder (`plan/<program>.toml`), as in local mode. A plan at the repository's
        root (beside pyproject.toml and friends) or a JSON plan stays the only program.
        Also each program file's blob id at `tip` (from the same one git): a program whose
        file did not change is not read nor parsed again."""
        first = PurePosixPath(self._group.first.config.plan_file)
        if first.suffix.lower() != ".toml" or first.parent == PurePosixPath("."):
            return [], {}
        try:
            out = self._run("ls-tree", "-z", tip, "--", f"{first.parent}/")
        except GitError as exc:
            log.warning("could not list the programs at %s: %s", tip[:7], exc.output[-200:])
            return [], {}
        found: list[PlanClone] = []
        blobs: dict[str, str] = {}
        for entry in out.split("\0"):
            meta, _, path = entry.partition("\t")
            if meta.split()[1:2] != ["blob"] or not path.lower().endswith(".toml"):
                continue  # "blob" and a mode of 100644/100755: a symlink is mode 120000
            if meta.split()[0] == "120000" or not is_program_name(PurePosixPath(path).stem):
                continue  # not a program (bot/plan/program_files.py)
            blobs[path] = meta.split()[2]
            if path in self._group.members:
                continue
            try:
                store = self._group.first._sibling(path)
            except ValueError as exc:  # a name RemoteConfig refuses: not a program
                log.warning("not serving %s: %s", path, exc)
                continue
            log.info("serving the program in %s (found at %s)", path, tip[:7])
            found.append(store)
        return found, blobs

    def _fetch_failed(self, msg: str) -> None:
        if self.state().plan is None:  # a restart while the remote is down: the last fetch
            self._serve_local_tip()
        self._set(error=msg)

    def _adopt(self, tip: str, blob: str = "") -> tuple[str | None, str] | None:
        """Serve this program's plan at `tip` (just fetched) when it is valid; (old sha, new
        sha) when the served plan moved. `blob`: the file's blob id at `tip` when known (the
        same as the plan served: only the commit moves). The caller holds the clone lock."""
        before = self.state()
        if tip == before.sha and not before.invalid_sha:
            self._set(synced_at=utc_now(), error=None)
            return None
        if blob and blob == self._blob and before.plan is not None and not before.invalid_sha:
            self._set(sha=tip, synced_at=utc_now(), error=None)
            return None
        if tip == before.invalid_sha:
            self._set(synced_at=utc_now(), error=None)
            return None
        try:
            plan = self._plan_at_sha(tip)
            if plan is None:
                raise PlanInvalid([Problem("", "the plan file is missing")], "")
        except PlanInvalid as exc:
            reason = "; ".join(str(p) for p in exc.problems)[:300]
            self._set(synced_at=utc_now(), error=None, invalid_sha=tip, invalid_reason=reason)
            self._tell_invalid(tip, reason)
            return None
        except NotSaved as exc:
            self._set(error=str(exc))
            return None
        self._blob = blob
        self._set(
            sha=tip,
            plan=plan,
            synced_at=utc_now(),
            error=None,
            invalid_sha=None,
            invalid_reason=None,
        )
        return (before.sha, tip) if before.sha != tip else None

    def _listener(self, name: str) -> Callable[..., None] | None:
        """This store's `on_change`/`on_invalid`, else the first program's: the server sets
        them on the first store, and a program found later is told the same way."""
        own: Callable[..., None] | None = getattr(self, name)
        if own is not None:
            return own
        first = self._group.first
        return None if first is self else getattr(first, name)

    def _serve_local_tip(self) -> None:
        proc = self._git.run("rev-parse", "--verify", "--quiet", self.tracking_ref, check=False)
        sha = proc.stdout.strip()
        if not sha:
            return
        try:
            plan = self._plan_at_sha(sha)
        except (PlanInvalid, NotSaved):
            return
        if plan is not None:
            self._set(sha=sha, plan=plan)

    def _set(self, **changes: object) -> PlanState:
        import dataclasses

        with self._state_lock:
            if "plan" in changes and changes["plan"] is not self._state.plan:
                self._served += 1
            self._state = dataclasses.replace(self._state, **changes)  # type: ignore[arg-type]
            return self._state

    def stamp(self) -> tuple[int, int, int, int] | None:
        """What the routing index compares to know the plan is still the one it read
        (PlanStore.stamp): no file in a bare clone, so the count of plans served so far —
        it moves with every write and every sync that serves another plan."""
        with self._state_lock:
            return (self._served, 0, 0, 0)

    def _tell_invalid(self, sha: str, reason: str) -> None:
        if sha in self._told_invalid:
            return
        self._told_invalid.add(sha)
        log.error(
            "the plan %s at %s is invalid: %s (serving the last valid plan)",
            self.config.plan_file, sha[:10], reason,
        )  # fmt: skip
        listener = self._listener("on_invalid")
        if listener is not None:
            if self is not self._group.first:  # name the program whose file is wrong
                reason = f"{self.config.plan_file}: {reason}"
            self._safe(listener, sha, reason)

    @staticmethod
    def _safe(fn: Callable[..., None], *args: object) -> None:
        try:
            fn(*args)
        except Exception:  # a listener's failure must not stop syncing
            log.exception("plan sync listener failed")

    def start_sync(self) -> None:
        if self._group.thread is not None:
            return
        self._group.thread = threading.Thread(target=self._loop, name="batchbot-sync", daemon=True)
        self._group.thread.start()

    def trigger_sync(self) -> None:
        """Sync as soon as possible (a webhook said the branch moved)."""
        self._group.wake.set()

    def stop_sync(self) -> None:
        self._group.stop.set()
        self._group.wake.set()
        if self._group.thread is not None:
            self._group.thread.join(timeout=10)
            self._group.thread = None

    def _loop(self) -> None:
        tidied = time.monotonic()
        while not self._group.stop.is_set():
            self._group.wake.wait(self.config.sync_seconds)
            self._group.wake.clear()
            if self._group.stop.is_set():
                return
            try:
                self.sync()
                if time.monotonic() - tidied > HOUSEKEEPING_SECONDS:
                    tidied = time.monotonic()
                    self.housekeeping()
            except Exception:  # the loop must outlive any one bad sync
                log.exception("plan sync failed unexpectedly; trying again later")

    def housekeeping(self) -> None:
        """Repack the clone when git thinks it is due, off the write path (see NO_AUTO_GC)."""
        with self._clone_lock():
            proc = self._git.run("gc", "--auto", "--quiet", check=False)
        if proc.returncode != 0:
            log.warning("git gc in the clone failed: %s", proc.stderr.strip()[-200:])


__all__ = [
    "NoBranch",
    "NotSaved",
    "PlanClone",
    "PlanState",
    "RemoteConfig",
    "Tips",
    "classify_push_failure",
    "git_env",
    "lock_trouble",
    "utc_now",
]
