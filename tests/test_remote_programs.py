"""Remote mode with several programs (issue 17): every `plan/<program>.toml` in the team's
repository is served from ONE clone, written through ONE group-commit queue and ONE push
per round on ONE branch — and one program's trouble (a refused edit, a file broken
upstream) never refuses nor holds up another's write. A bare repository on disk plays
GitHub; real git, real clones, real pushes, a real SQLite database for the shared tips."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bot.plan.edits import EditError, update_batch
from bot.plan.model import Plan, PlanInvalid
from bot.plan.remote import NotSaved, RemoteConfig, RemotePlanStore
from bot.plan.store import Actor
from tests.conftest import git

ALPHA = "plan/execution-plan.toml"
BETA = "plan/beta.toml"
ANA = Actor("Ana", slack_id="U0ANA")


@pytest.fixture
def remote(plan_repo: Path, tmp_path: Path) -> Path:
    """The team's repository with two programs: the first and `beta`."""
    alpha = (plan_repo / ALPHA).read_text()
    (plan_repo / BETA).write_text(alpha.replace('name = "', 'name = "Beta: ', 1))
    git(plan_repo, "add", ".")
    git(plan_repo, "commit", "-qm", "beta")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(plan_repo), str(bare))
    return bare


def start(remote: Path, workdir: Path, sync: float = 30.0) -> RemotePlanStore:
    store = RemotePlanStore(RemoteConfig(url=str(remote), plan_file=ALPHA, workdir=workdir,
                                         sync_seconds=sync))  # fmt: skip
    store.start()
    return store


def program(store: RemotePlanStore, plan_file: str) -> RemotePlanStore:
    found = {s.config.plan_file: s for s in store.programs()}
    assert plan_file in found, sorted(found)
    beta = found[plan_file]
    assert isinstance(beta, RemotePlanStore)
    return beta


def upstream(remote: Path, tmp: Path, path: str, text: str | None = None, edit: str = "") -> str:
    """A commit straight to the remote's main (a merged pull request); its sha."""
    work = tmp / f"pr-{time.monotonic_ns()}"
    git(tmp, "clone", "-q", str(remote), str(work))
    git(work, "config", "user.name", "Merger")
    git(work, "config", "user.email", "merger@example.com")
    target = work / path
    if text is None:
        old, new = edit.split("->")
        text = target.read_text().replace(old, new, 1)
    target.write_text(text)
    git(work, "add", ".")
    git(work, "commit", "-qm", f"upstream {path}")
    git(work, "push", "-q", "origin", "HEAD:main")
    sha = git(work, "rev-parse", "HEAD").strip()
    shutil.rmtree(work)
    return sha


def progress_to(value: int, batch: str = "batch-1"):  # type: ignore[no-untyped-def]
    return lambda p: update_batch(p, batch, [("progress", str(value))])


def progress(store: RemotePlanStore, batch: str = "batch-1") -> int:
    b = store.load().batch(batch)
    assert b is not None
    return b.progress


def files_of(remote: Path, sha: str) -> list[str]:
    return git(remote, "show", "--name-only", "--format=", sha).split()


def test_links_and_names_no_one_can_type_are_not_programs_upstream(
    plan_repo: Path, tmp_path: Path
) -> None:
    """A committed symlink (`plan/link.toml -> beta.toml`, or to anything on the server),
    an editor's leftover and a name with a space are not served (bot/plan/program_files.py)."""
    alpha = (plan_repo / ALPHA).read_text()
    (plan_repo / BETA).write_text(alpha)
    (plan_repo / "plan" / "my plan.toml").write_text(alpha)
    (plan_repo / "plan" / ".#beta.toml").write_text(alpha)
    (plan_repo / "plan" / "link.toml").symlink_to("beta.toml")
    git(plan_repo, "add", ".")
    git(plan_repo, "commit", "-qm", "odd files")
    bare = tmp_path / "odd.git"
    git(tmp_path, "clone", "-q", "--bare", str(plan_repo), str(bare))
    store = start(bare, tmp_path / "a")
    assert [s.config.plan_file for s in store.programs()] == [ALPHA, BETA]


def test_start_serves_every_program_file_beside_the_plan_file(remote: Path, tmp_path: Path):
    store = start(remote, tmp_path / "a")
    assert [s.config.plan_file for s in store.programs()] == [ALPHA, BETA]
    beta = program(store, BETA)
    assert beta.load().program.name.startswith("Beta: ")
    assert not store.load().program.name.startswith("Beta: ")
    assert beta.state().sha == store.state().sha


def test_writes_to_two_programs_from_two_instances_land_as_commits_on_the_one_branch(
    remote: Path, tmp_path: Path
):
    a, b = start(remote, tmp_path / "a"), start(remote, tmp_path / "b")
    before = int(git(remote, "rev-list", "--count", "main"))
    program(a, BETA).change(ANA, progress_to(11))
    b.change(ANA, progress_to(22))
    program(b, BETA).change(ANA, progress_to(33, "batch-2"))
    a.change(ANA, progress_to(44, "batch-2"))
    assert int(git(remote, "rev-list", "--count", "main")) == before + 4
    assert git(remote, "branch", "--format=%(refname:short)").split() == ["main"]
    shown = {path: git(remote, "show", f"main:{path}") for path in (ALPHA, BETA)}
    assert "progress = 22" in shown[ALPHA] and "progress = 44" in shown[ALPHA]
    assert "progress = 11" in shown[BETA] and "progress = 33" in shown[BETA]


def test_an_edit_of_beta_touches_only_its_own_file(remote: Path, tmp_path: Path):
    store = start(remote, tmp_path / "a")
    saved = program(store, BETA).change(ANA, progress_to(57))
    assert saved.commit is not None
    assert files_of(remote, saved.commit) == [BETA]
    assert progress(program(store, BETA)) == 57
    assert progress(store) != 57


def hold_the_queue(remote: Path, seconds: float) -> Path:
    """Every push waits `seconds` (a slow remote): writers arriving meanwhile queue up and
    ride the next push together."""
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nsleep {seconds}\ncat >/dev/null\n")
    hook.chmod(0o755)
    return hook


def run_together(*writes) -> list[object]:  # type: ignore[no-untyped-def]
    """Start each write on its own thread, a moment apart (the first leads a round, the rest
    queue for the next); each one's result or refusal."""
    results: list[object] = [None] * len(writes)

    def one(i: int) -> None:
        try:
            results[i] = writes[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(writes))]
    for t in threads:
        t.start()
        time.sleep(0.15)
    for t in threads:
        t.join(60)
    return results


def refuse(plan: Plan) -> tuple[Plan, list[object]]:
    raise EditError("beta's editors only")


def test_a_refused_change_in_beta_rides_the_same_round_and_alpha_lands(
    remote: Path, tmp_path: Path
):
    store = start(remote, tmp_path / "a")
    beta = program(store, BETA)
    hold_the_queue(remote, 0.6)
    pushes = store.pushes
    first, refused, alpha = run_together(
        lambda: store.change(ANA, progress_to(1, "batch-3")),
        lambda: beta.change(ANA, refuse),  # type: ignore[arg-type]
        lambda: store.change(ANA, progress_to(61)),
    )
    assert getattr(first, "commit", None), first
    assert isinstance(refused, EditError), refused
    assert getattr(alpha, "commit", None), alpha
    assert store.pushes == pushes + 2  # the first round, then alpha's: nobody waited more
    assert progress(store) == 61


def test_beta_broken_upstream_refuses_only_betas_writes_and_alpha_keeps_being_served(
    remote: Path, tmp_path: Path
):
    store = start(remote, tmp_path / "a")
    beta = program(store, BETA)
    served = beta.state().sha
    broken = upstream(remote, tmp_path, BETA, text="[[[ not toml\n")
    store.sync()
    assert store.notice() is None and store.state().sha == broken
    assert beta.state().sha == served and beta.state().invalid_sha == broken
    assert "beta.toml" in (beta.notice() or "")
    hold_the_queue(remote, 0.6)
    first, refused, alpha = run_together(
        lambda: store.change(ANA, progress_to(2, "batch-3")),
        lambda: beta.change(ANA, progress_to(5)),
        lambda: store.change(ANA, progress_to(62)),
    )
    assert getattr(first, "commit", None), first
    assert isinstance(refused, NotSaved), refused
    assert "plan/beta.toml at" in str(refused) and "invalid" in str(refused)
    assert getattr(alpha, "commit", None), alpha
    assert "progress = 62" in git(remote, "show", f"main:{ALPHA}")
    assert progress(store) == 62
    with pytest.raises(PlanInvalid):  # beta never served anything else: nothing to fall back on
        program(start(remote, tmp_path / "fresh"), BETA).load()


def test_a_program_pushed_upstream_is_served_after_the_next_sync(remote: Path, tmp_path: Path):
    store = start(remote, tmp_path / "a")
    told: list[list[str]] = []
    store.on_programs = lambda stores: told.append([s.config.plan_file for s in stores])
    gamma = git(remote, "show", f"main:{ALPHA}").replace('name = "', 'name = "Gamma: ', 1)
    upstream(remote, tmp_path, "plan/gamma.toml", text=gamma)
    upstream(remote, tmp_path, "plan/notes.txt", text="not a program\n")
    store.sync()
    assert told == [["plan/gamma.toml"]]
    assert program(store, "plan/gamma.toml").load().program.name.startswith("Gamma: ")
    store.sync()
    assert told == [["plan/gamma.toml"]]  # found once


def test_a_program_found_upstream_is_registered_before_any_program_serves_the_new_tip(
    remote: Path, tmp_path: Path
):
    """A request that sees the new tip (healthz, the first program's reply) must find the new
    program routed: the runtime is told while every known program still serves the old tip,
    and the new program already serves its plan."""
    store = start(remote, tmp_path / "a")
    beta = program(store, BETA)
    old = store.state().sha
    seen: list[tuple[str | None, str | None, str]] = []

    def told(stores: list[Any]) -> None:
        name = stores[0].load().program.name
        seen.append((store.state().sha, beta.state().sha, name))

    store.on_programs = told
    gamma = git(remote, "show", f"main:{ALPHA}").replace('name = "', 'name = "Gamma: ', 1)
    tip = upstream(remote, tmp_path, "plan/gamma.toml", text=gamma)
    store.sync()
    assert len(seen) == 1 and seen[0][:2] == (old, old), seen
    assert seen[0][2].startswith("Gamma: ")
    assert store.state().sha == tip and beta.state().sha == tip


def test_a_write_to_beta_on_one_instance_is_read_on_the_other_at_once(remote: Path, tmp_path: Path):
    from bot.db import Database
    from bot.plantips import DatabaseTips

    db = Database(f"sqlite:///{tmp_path / 'shared.db'}")
    a, b = start(remote, tmp_path / "a"), start(remote, tmp_path / "b")  # sync every 30 s
    a.tips, b.tips = DatabaseTips(db), DatabaseTips(db)
    assert progress(program(b, BETA)) != 71
    program(a, BETA).change(ANA, progress_to(71))
    assert progress(program(b, BETA)) == 71
    a.change(ANA, progress_to(72))
    assert progress(b) == 72
    assert progress(program(b, BETA)) == 71


def remote_runtime(remote: Path, tmp: Path, name: str):  # type: ignore[no-untyped-def]
    """The composition root in remote mode, started as `batchbot serve` starts it."""
    import datetime as dt
    import io

    from bot.messenger import ConsoleMessenger
    from bot.runtime import build_runtime, start_store
    from bot.settings import Settings

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        git_url=str(remote),
        workdir=tmp / f"work-{name}",
        sync_seconds=30,
        database_url=f"sqlite:///{tmp / 'shared.db'}",
        editors="U0ANA",
    )
    rt = build_runtime(settings, ConsoleMessenger(out=io.StringIO()),
                       clock=lambda: dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC))  # fmt: skip
    start_store(rt)
    return rt


def say(rt, actor: Actor, text: str, channel: str = "D0DM") -> str:  # type: ignore[no-untyped-def]
    import json

    from bot.commands import Command, handle
    from bot.commands.programs import dispatch

    reply = dispatch(Command.from_text(actor, text, "slack", channel), rt.programs,
                     rt.default_program, handle)  # fmt: skip
    return json.dumps(reply, default=str, ensure_ascii=False)


BOB = Actor("Bob", slack_id="U0BOB")


def test_the_runtime_routes_to_a_program_whose_team_changed_upstream(remote: Path, tmp_path: Path):
    rt = remote_runtime(remote, tmp_path, "a")
    assert sorted(rt.programs) == ["beta", "execution-plan"]
    assert "Beta: " not in say(rt, BOB, "status")  # Bob is in no team: the first program
    with_bob = git(remote, "show", f"main:{BETA}") + '\n[team]\npeople = [{ id = "U0BOB" }]\n'
    upstream(remote, tmp_path, BETA, text=with_bob)
    rt.store.sync()  # what the webhook or the sync loop does
    assert "Beta: " in say(rt, BOB, "status")


def test_a_program_file_pushed_upstream_is_routed_to_by_name_after_the_sync(
    remote: Path, tmp_path: Path
):
    rt = remote_runtime(remote, tmp_path, "a")
    gamma = git(remote, "show", f"main:{ALPHA}").replace('name = "', 'name = "Gamma: ', 1)
    upstream(remote, tmp_path, "plan/gamma.toml", text=gamma)
    assert "gamma" not in rt.programs
    rt.store.sync()
    assert "Gamma: " in say(rt, BOB, "gamma status")
    saved = say(rt, ANA, "gamma update batch-1 progress=5")  # nobody leads gamma: anyone may
    assert "progress" in saved
    assert files_of(remote, "main") == ["plan/gamma.toml"]


def test_the_cli_acts_on_the_program_it_names_in_the_teams_repository(remote: Path, tmp_path: Path):
    from tests.conftest import run_cli

    env = {"BATCHBOT_GIT_URL": str(remote), "BATCHBOT_WORKDIR": str(tmp_path / "cli")}
    done = run_cli("--program", "beta", "update", "batch-1", "progress=14", "--author",
                   "Ana <ana@x.io>", env=env, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert files_of(remote, "main") == [BETA]
    assert "progress = 14" in git(remote, "show", f"main:{BETA}")
    shown = run_cli("status", env={**env, "BATCHBOT_PROGRAM": "beta"}, cwd=tmp_path)
    assert "Beta: " in shown.stdout, shown.stderr
    unknown = run_cli("--program", "nope", "status", env=env, cwd=tmp_path)
    assert unknown.returncode == 2
    assert "no program 'nope'" in unknown.stderr and "beta, execution-plan" in unknown.stderr


def test_a_push_the_remote_refuses_for_betas_file_still_lands_alphas_change(
    remote: Path, tmp_path: Path
):
    """A rule about one file (a push ruleset, a hook) refuses the push that carries it:
    the other program's commits, queued in the same round, are pushed on their own."""
    store = start(remote, tmp_path / "a")
    beta = program(store, BETA)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\nsleep 0.6\nwhile read old new ref; do\n"
        '  if git diff --name-only "$old" "$new" | grep -q beta.toml; then\n'
        '    echo "plan/beta.toml is protected" >&2; exit 1\n  fi\ndone\n'
    )
    hook.chmod(0o755)
    first, refused, alpha = run_together(
        lambda: store.change(ANA, progress_to(3, "batch-3")),
        lambda: beta.change(ANA, progress_to(6)),
        lambda: store.change(ANA, progress_to(63)),
    )
    assert getattr(first, "commit", None), first
    assert isinstance(refused, NotSaved) and "refused" in str(refused), refused
    assert getattr(alpha, "commit", None), alpha
    assert "progress = 63" in git(remote, "show", f"main:{ALPHA}")
    assert "progress = 6\n" not in git(remote, "show", f"main:{BETA}")


def test_a_sync_after_a_commit_to_beta_does_not_read_the_first_programs_file_again(
    remote: Path, tmp_path: Path
):
    a, b = start(remote, tmp_path / "a"), start(remote, tmp_path / "b")
    served, stamp = b.state().plan, b.stamp()
    head = program(a, BETA).change(ANA, progress_to(81)).commit
    b.sync()
    assert b.state().sha == head  # the first program follows the branch…
    assert b.state().plan is served and b.stamp() == stamp  # …without reading its file again
    assert progress(program(b, BETA)) == 81


def test_admins_hear_once_per_program_whose_file_is_broken_in_the_same_commit(
    remote: Path, tmp_path: Path
):
    from bot.runtime import tell_admins_plan_invalid

    rt = remote_runtime(remote, tmp_path, "a")
    rt.settings.admins = ["U0EVE"]  # type: ignore[misc]
    told: list[str] = []
    rt.messenger.dm = lambda user, text, blocks=None: told.append(text)  # type: ignore[method-assign]
    for _ in range(2):  # a second sync, or a second instance, tells nobody again
        tell_admins_plan_invalid(rt, "a" * 40, "cannot be read as TOML")
        tell_admins_plan_invalid(rt, "a" * 40, "plan/beta.toml: cannot be read as TOML")
    assert len(told) == 2 and "plan/beta.toml" in told[1]
