"""Remote mode: the team's git remote is the truth, the clone only a cache. A bare repository
on disk plays GitHub; every test uses real git, real clones and real pushes."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from bot.plan.edits import update_batch
from bot.plan.model import PlanInvalid
from bot.plan.remote import NotSaved, RemoteConfig, RemotePlanStore
from bot.plan.store import Actor
from tests.conftest import git

PLAN = "plan/execution-plan.toml"
ANA = Actor("Ana", slack_id="U0ANA")


@pytest.fixture
def remote(plan_repo: Path, tmp_path: Path) -> Path:
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(plan_repo), str(bare))
    return bare


def make_store(remote: Path, workdir: Path, **kw: object) -> RemotePlanStore:
    store = RemotePlanStore(
        RemoteConfig(url=str(remote), plan_file=PLAN, workdir=workdir, sync_seconds=0.2), **kw
    )
    store.start()
    return store


def upstream_commit(remote: Path, tmp_path: Path, edit: str, name: str = "up") -> str:
    """A commit pushed straight to the remote, as a merged pull request would be."""
    work = tmp_path / f"checkout-{name}"
    if work.exists():
        shutil.rmtree(work)
    git(tmp_path, "clone", "-q", str(remote), str(work))
    git(work, "config", "user.name", "Merger")
    git(work, "config", "user.email", "merger@example.com")
    plan = work / PLAN
    text = plan.read_text()
    if edit == "break":
        text = text + "\n[[[ not toml\n"
    else:
        old, new = edit.split("->")
        assert old in text
        text = text.replace(old, new, 1)
    plan.write_text(text)
    git(work, "commit", "-qam", f"upstream: {edit[:30]}")
    git(work, "push", "-q", "origin", "HEAD:main")
    return git(work, "rev-parse", "HEAD").strip()


def remote_log(remote: Path) -> list[str]:
    return git(remote, "log", "--format=%s", "main").splitlines()


def progress(store: RemotePlanStore, batch: str = "batch-1") -> int:
    b = store.load().batch(batch)
    assert b is not None
    return b.progress


def set_progress(store: RemotePlanStore, value: int, batch: str = "batch-1", who: Actor = ANA):
    return store.change(who, lambda p: update_batch(p, batch, [("progress", str(value))]), via="t")


def test_start_clones_an_empty_workdir_and_serves_the_remote_tip(remote: Path, tmp_path: Path):
    store = make_store(remote, tmp_path / "work")
    assert store.state().sha == git(remote, "rev-parse", "main").strip()
    assert store.load().batches
    assert store.notice() is None


def test_update_is_pushed_before_it_is_reported_saved(remote: Path, tmp_path: Path):
    store = make_store(remote, tmp_path / "work")
    saved = set_progress(store, 40)
    assert saved.commit == git(remote, "rev-parse", "main").strip()
    assert "Changed by Ana (U0ANA)" in git(remote, "log", "-1", "--format=%B", "main")
    assert git(remote, "log", "-1", "--format=%an <%ae>", "main").strip() == (
        "Ana (U0ANA) <U0ANA@users.slack.invalid>"
    )
    assert progress(store) == 40


def test_write_is_reapplied_on_top_of_a_commit_pushed_by_someone_else(remote: Path, tmp_path: Path):
    store = make_store(remote, tmp_path / "work")
    upstream_commit(remote, tmp_path, 'owner = ""->owner = "Merged Upstream"')
    set_progress(store, 55)  # no sync in between: the write itself fetches
    shown = git(remote, "show", f"main:{PLAN}")
    assert "Merged Upstream" in shown and "progress = 55" in shown
    assert remote_log(remote)[:2][1].startswith("upstream:")


def test_two_instances_writing_at_once_lose_nothing(remote: Path, tmp_path: Path):
    stores = [make_store(remote, tmp_path / f"work{i}") for i in range(2)]
    before = len(remote_log(remote))
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        store = stores[n % 2]
        for k in range(5):
            try:
                note = f"w{n}-{k}"
                store.change(
                    Actor(f"W{n}", slack_id=f"U0W{n}"),
                    lambda p, note=note: update_batch(p, "batch-2", [("notes", note)]),
                )
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    log = remote_log(remote)
    assert len(log) - before == 40
    bodies = git(remote, "log", "--format=%B", "main")
    for n in range(8):
        for k in range(5):
            assert f'"w{n}-{k}"' in bodies


def test_instances_sharing_a_database_take_turns_instead_of_racing_pushes(
    remote: Path, tmp_path: Path
):
    from bot.db import Database
    from bot.writeturns import DatabaseTurns

    db = Database(f"sqlite:///{tmp_path / 'shared.db'}")
    stores = [make_store(remote, tmp_path / f"work{i}") for i in range(2)]
    for i, store in enumerate(stores):
        store.turns = DatabaseTurns(db, f"instance-{i}")
    before = len(remote_log(remote))

    def writer(n: int) -> None:
        for k in range(4):
            note = f"t{n}-{k}"
            stores[n % 2].change(
                ANA, lambda p, note=note: update_batch(p, "batch-3", [("notes", note)])
            )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(remote_log(remote)) - before == 32
    attempts = sum(s.push_attempts for s in stores)
    pushes = sum(s.pushes for s in stores)
    assert attempts == pushes, f"{attempts - pushes} pushes were rejected: the turns raced"
    db.close()


def test_a_writer_is_answered_while_others_keep_queueing(remote: Path, tmp_path: Path):
    """Under steady load the queue never empties; the first writer must not be kept leading
    round after round for everyone else (its own answer waiting seconds)."""
    store = make_store(remote, tmp_path / "work")
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nsleep 0.15\n")  # each push takes a while, as GitHub's do
    hook.chmod(0o755)
    stop = threading.Event()
    answered: dict[str, float] = {}

    def first() -> None:
        set_progress(store, 11)
        answered["first"] = time.monotonic()

    def stream(n: int) -> None:
        k = 0
        while not stop.is_set():
            set_progress(store, 20 + (n * 7 + k) % 70, batch="batch-2")
            k += 1

    lead = threading.Thread(target=first)
    lead.start()
    time.sleep(0.05)  # the first writer leads the first round
    others = [threading.Thread(target=stream, args=(n,)) for n in range(4)]
    for t in others:
        t.start()
    lead.join(10)
    stopped_at = time.monotonic()
    time.sleep(0.1)
    stop.set()
    for t in others:
        t.join(10)
    assert "first" in answered
    assert answered["first"] <= stopped_at, "the first writer waited for the queue to empty"
    assert progress(store) == 11


def test_the_same_field_edited_on_two_instances_lands_twice_and_the_later_wins(
    remote: Path, tmp_path: Path
):
    a, b = (make_store(remote, tmp_path / f"w{i}") for i in range(2))
    set_progress(a, 10)
    set_progress(b, 20)  # b's clone still thinks progress is 0: it fetches first
    newest, older = remote_log(remote)[:2]
    assert "progress 10 → 20" in newest and "progress 0 → 10" in older
    assert "progress = 20" in git(remote, "show", f"main:{PLAN}")


def test_remote_gone_refuses_writes_but_serves_the_last_plan_then_recovers(
    remote: Path, tmp_path: Path
):
    store = make_store(remote, tmp_path / "work")
    moved = remote.with_name("moved.git")
    remote.rename(moved)
    with pytest.raises(NotSaved, match="could not be reached"):
        set_progress(store, 30)
    state = store.sync()
    assert state.error and store.load().batches  # still served
    assert "could not be reached" in (store.notice() or "")
    moved.rename(remote)
    store.sync()
    assert store.notice() is None
    set_progress(store, 31)
    assert "progress = 31" in git(remote, "show", f"main:{PLAN}")


def test_an_invalid_plan_upstream_is_flagged_and_the_last_valid_one_served(
    remote: Path, tmp_path: Path
):
    told: list[tuple[str, str]] = []
    store = make_store(
        remote, tmp_path / "work", on_invalid=lambda sha, why: told.append((sha, why))
    )
    good = store.state().sha
    bad = upstream_commit(remote, tmp_path, "break", name="bad")
    store.sync()
    store.sync()
    assert store.state().sha == good and store.load().batches
    assert f"plan at {bad[:7]} is invalid" in (store.notice() or "")
    assert [sha for sha, _ in told] == [bad]  # told once per bad commit
    with pytest.raises(NotSaved, match="invalid"):
        set_progress(store, 70)
    fixed = upstream_commit(remote, tmp_path, "[[[ not toml->", name="fix")
    store.sync()
    assert store.state().sha == fixed and store.notice() is None
    set_progress(store, 71)


def test_an_edit_of_a_batch_removed_upstream_is_not_saved(remote: Path, tmp_path: Path):
    store = make_store(remote, tmp_path / "work")
    with pytest.raises(Exception, match="unknown batch"):
        set_progress(store, 10, batch="batch-99")
    assert len(remote_log(remote)) == 1


def test_a_restart_recovers_from_stale_locks_or_a_wiped_workdir(remote: Path, tmp_path: Path):
    work = tmp_path / "work"
    store = make_store(remote, work)
    set_progress(store, 5)
    clone = work / "plan.git"
    (clone / "refs" / "remotes" / "origin" / "main.lock").write_text("")
    (clone / "packed-refs.lock").write_text("")
    again = make_store(remote, work)  # as after kill -9
    set_progress(again, 6)
    shutil.rmtree(work)
    fresh = make_store(remote, work)  # a throwaway disk
    assert progress(fresh) == 6


def test_history_and_plan_at_read_the_remote_tip(remote: Path, tmp_path: Path):
    store = make_store(remote, tmp_path / "work")
    set_progress(store, 12)
    entries = store.history("batch-1")
    assert entries[0].changes[0].new == 12 and entries[0].author.startswith("Ana")


def test_report_archive_files_are_committed_to_the_remote(remote: Path, tmp_path: Path):
    store = make_store(remote, tmp_path / "work")
    sha = store.commit_file("plan/reports/2026-W48.md", "# Week 1\n", ANA, "Weekly report 2026-W48")
    assert sha == git(remote, "rev-parse", "main").strip()
    assert git(remote, "show", "main:plan/reports/2026-W48.md") == "# Week 1\n"


def test_the_token_is_never_written_to_the_clone_or_shown_in_errors(tmp_path: Path):
    token = "ghp_SECRETSECRETSECRET1234"
    store = RemotePlanStore(
        RemoteConfig(url="http://127.0.0.1:9/team/plan.git", workdir=tmp_path / "w", token=token)
    )
    with pytest.raises(NotSaved) as caught:
        store.start()
    assert token not in str(caught.value)
    for path in (tmp_path / "w").rglob("*"):
        if path.is_file():
            assert token not in path.read_text(errors="replace")


def test_the_url_on_disk_has_no_credentials(remote: Path, tmp_path: Path):
    store = make_store(remote, tmp_path / "work")
    config = (tmp_path / "work" / "plan.git" / "config").read_text()
    assert str(remote) in config and "extraHeader" not in config
    assert store.repo is not None


def test_a_plan_file_outside_the_repository_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="inside the repository"):
        RemoteConfig(url="x", plan_file="../etc/passwd")


def test_load_before_any_fetch_says_why(tmp_path: Path):
    store = RemotePlanStore(RemoteConfig(url=str(tmp_path / "nope.git"), workdir=tmp_path / "w"))
    with pytest.raises(PlanInvalid):
        store.load()
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0


def test_a_protected_branch_is_not_saved_and_says_why(remote: Path, tmp_path: Path):
    store = make_store(remote, tmp_path / "work")
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\necho 'remote: error: GH006: Protected branch update failed for "
        "refs/heads/main.' >&2\nexit 1\n"
    )
    hook.chmod(0o755)
    with pytest.raises(NotSaved, match="branch is protected"):
        set_progress(store, 44)
    assert len(remote_log(remote)) == 1 and progress(store) == 0


def test_refused_credentials_are_not_saved_and_say_why(tmp_path: Path):
    """An https remote that answers 401 (as GitHub does for a bad token)."""
    import http.server
    import threading as th

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="GitHub"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    th.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/acme/plan.git"
        store = RemotePlanStore(
            RemoteConfig(url=url, workdir=tmp_path / "w", token="ghp_badtoken1234567890")
        )
        with pytest.raises(NotSaved, match="refused our credentials") as caught:
            store.start()
        assert "ghp_badtoken" not in str(caught.value)
    finally:
        server.shutdown()


def test_an_empty_repository_is_started_by_an_import_and_refuses_other_writes(
    plan_repo: Path, tmp_path: Path
):
    from bot.plan import codec

    empty = tmp_path / "empty.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=main", str(empty))
    with pytest.raises(NotSaved, match=r"no branch 'main'.*batchbot import"):
        make_store(empty, tmp_path / "w0")
    store = RemotePlanStore(
        RemoteConfig(url=str(empty), plan_file=PLAN, workdir=tmp_path / "w1", sync_seconds=0.2)
    )
    store.start(creating=True)
    with pytest.raises(NotSaved, match="no branch 'main' yet"):
        set_progress(store, 5)
    plan = codec.read(plan_repo / PLAN)
    saved = store.replace(plan, ANA, "Import plan from old.json")
    assert saved.commit == git(empty, "rev-parse", "main").strip()
    assert git(empty, "rev-list", "--count", "main").strip() == "1"
    set_progress(store, 5)
    assert progress(make_store(empty, tmp_path / "w2")) == 5


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"BATCHBOT_GIT_URL": "https://ana:ghp_x1@github.com/o/r.git"}, "must not carry"),
        ({"BATCHBOT_GIT_URL": "x", "BATCHBOT_GIT_BRANCH": "my branch"}, "not a git branch"),
        ({"BATCHBOT_GIT_URL": "x", "BATCHBOT_GIT_BRANCH": "../main"}, "not a git branch"),
    ],
)
def test_remote_settings_that_would_leak_or_cannot_work_are_refused(
    env: dict[str, str], said: str, monkeypatch: pytest.MonkeyPatch
):
    from bot.settings import SettingsError, load_settings

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError, match=said) as caught:
        load_settings()
    assert "ghp_x1" not in str(caught.value)


def test_remote_settings_are_forgiving_about_pasted_whitespace_and_full_ref_names(
    monkeypatch: pytest.MonkeyPatch,
):
    from bot.settings import load_settings

    monkeypatch.setenv("BATCHBOT_GIT_URL", " git@github.com:o/r.git\n")
    monkeypatch.setenv("BATCHBOT_GIT_BRANCH", "refs/heads/release/2026 ")
    settings = load_settings()
    assert settings.git_url == "git@github.com:o/r.git"
    assert settings.git_branch == "release/2026"


def test_a_remote_that_does_not_exist_says_it_cannot_be_reached(tmp_path: Path):
    store = RemotePlanStore(RemoteConfig(url=str(tmp_path / "gone.git"), workdir=tmp_path / "w"))
    with pytest.raises(NotSaved, match="could not be reached") as caught:
        store.start()
    assert "warning:" not in str(caught.value)


def test_a_remote_that_stops_answering_is_given_up_on_not_waited_for(tmp_path: Path):
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/team/plan.git"
    store = RemotePlanStore(RemoteConfig(url=url, workdir=tmp_path / "w", git_timeout=1.5))
    started = time.monotonic()
    with pytest.raises(NotSaved, match=r"could not be reached.*timed out"):
        store.start()
    assert time.monotonic() - started < 10
    silent.close()


def test_a_push_that_times_out_but_landed_is_reported_saved(remote: Path, tmp_path: Path):
    store = RemotePlanStore(
        RemoteConfig(url=str(remote), plan_file=PLAN, workdir=tmp_path / "work", git_timeout=1.0)
    )
    store.start()
    hook = remote / "hooks" / "post-receive"  # runs after the branch moved; the push waits
    hook.write_text("#!/bin/sh\nsleep 3\n")
    hook.chmod(0o755)
    saved = set_progress(store, 61)
    assert saved.commit == git(remote, "rev-parse", "main").strip()
    assert progress(store) == 61


def test_a_push_that_times_out_before_landing_is_not_reported_saved(remote: Path, tmp_path: Path):
    store = RemotePlanStore(
        RemoteConfig(url=str(remote), plan_file=PLAN, workdir=tmp_path / "work", git_timeout=1.0)
    )
    store.start()
    hook = remote / "hooks" / "pre-receive"  # the remote sits on the push before deciding
    hook.write_text("#!/bin/sh\nsleep 3\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(NotSaved, match=r"stopped answering during the push.*check /batch status"):
        set_progress(store, 62)
    assert progress(store) != 62
