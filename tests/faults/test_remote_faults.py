"""Faults of remote mode's cache clone (issue 19 item 6), with real git and a bare remote.

Each spec failed before its fix: with a stale `refs/remotes/origin/main.lock` in the clone and
the upstream branch moved, the fetch failed on the lock and then took the plan's file lock a
second time while the write already held it (60 s, then "not saved: Timeout"); the sync path
took the same two locks in the opposite order.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from bot.plan.edits import update_batch
from bot.plan.remote import RemoteConfig, RemotePlanStore
from bot.plan.store import Actor
from tests.conftest import git
from tests.test_remote_store import PLAN, progress, upstream_commit

ANA = Actor("Ana", slack_id="U0ANA")


@pytest.fixture
def remote(plan_repo: Path, tmp_path: Path) -> Path:
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(plan_repo), str(bare))
    return bare


def started(remote: Path, work: Path) -> RemotePlanStore:
    # A short lock timeout: the old code stalled for the whole of it, then failed.
    store = RemotePlanStore(
        RemoteConfig(url=str(remote), plan_file=PLAN, workdir=work, sync_seconds=60),
        lock_timeout=8,
    )
    store.start()
    return store


def stale(lock: Path, age: float = 60.0) -> None:
    """A git lock file left by a git process killed `age` seconds ago."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    then = time.time() - age
    os.utime(lock, (then, then))


def test_a_stale_tracking_ref_lock_with_upstream_moved_does_not_stall_a_write(
    remote: Path, tmp_path: Path
) -> None:
    store = started(remote, tmp_path / "work")
    lock = store.clone_dir / "refs" / "remotes" / "origin" / "main.lock"
    stale(lock)
    upstream_commit(remote, tmp_path, 'owner = ""->owner = "Merged Upstream"')
    t0 = time.monotonic()
    saved = store.change(ANA, lambda p: update_batch(p, "batch-1", [("progress", "44")]))
    assert time.monotonic() - t0 < 3, "the write waited on its own lock"
    assert saved.commit == git(remote, "rev-parse", "main").strip()
    assert "Merged Upstream" in git(remote, "show", f"main:{PLAN}")
    assert not lock.exists()


def test_a_stale_tracking_ref_lock_does_not_stall_the_sync(remote: Path, tmp_path: Path) -> None:
    store = started(remote, tmp_path / "work")
    stale(store.clone_dir / "refs" / "remotes" / "origin" / "main.lock")
    tip = upstream_commit(remote, tmp_path, 'owner = ""->owner = "Merged Upstream"')
    t0 = time.monotonic()
    state = store.sync()
    assert time.monotonic() - t0 < 3
    assert state.error is None and state.sha == tip


def test_a_sync_and_writes_at_once_with_a_stale_lock_never_deadlock(
    remote: Path, tmp_path: Path
) -> None:
    store = started(remote, tmp_path / "work")
    stale(store.clone_dir / "refs" / "remotes" / "origin" / "main.lock")
    upstream_commit(remote, tmp_path, 'owner = ""->owner = "Merged Upstream"')
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            store.change(ANA, lambda p: update_batch(p, "batch-2", [("progress", str(n))]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=store.sync)]
    threads += [threading.Thread(target=write, args=(n,)) for n in range(30, 34)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert time.monotonic() - t0 < 5 and errors == []
    assert store.sync().error is None


def test_a_lock_just_taken_by_a_live_git_is_waited_for_not_removed(
    remote: Path, tmp_path: Path
) -> None:
    """Only stale locks are cleared: one that is seconds old may belong to a git that runs."""
    store = started(remote, tmp_path / "work")
    lock = store.clone_dir / "refs" / "remotes" / "origin" / "main.lock"
    stale(lock, age=0)
    upstream_commit(remote, tmp_path, 'owner = ""->owner = "Merged Upstream"')
    removed_by_owner = threading.Timer(0.5, lambda: lock.unlink(missing_ok=True))
    removed_by_owner.start()
    saved = store.change(ANA, lambda p: update_batch(p, "batch-1", [("progress", "45")]))
    removed_by_owner.join()
    assert saved.commit == git(remote, "rev-parse", "main").strip()
    assert progress(store) == 45
