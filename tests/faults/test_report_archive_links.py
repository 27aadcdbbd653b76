"""A link in the plan repository's reports folder is never followed (issue 18 item 1).

A teammate can push `plan/reports/2026-W49.md -> /srv/app/.env` (the next publish would post
the secret as the issue body) or `plan/reports/2026-W47.md -> ../execution-plan.toml` (the
Friday job would write the report over the plan). Archives are read from git objects and
written only as regular files, in local mode and in remote mode. Real git, real CLI.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.commands import Context
from bot.commands.report import archived_report
from bot.plan.archive import ArchiveRefused
from bot.plan.remote import RemoteConfig, RemotePlanStore
from bot.plan.store import Actor, PlanStore
from tests.conftest import clean_env, git, run_cli
from tests.fakegithub import FakeGitHub

WEEK = "2026-W47"
REL = f"plan/reports/{WEEK}.md"
SECRET = "GITHUB_TOKEN=ghp_theSecretOfTheServer0000"
ANA = Actor("Ana", slack_id="U0ANA")


def ctx(store: object) -> Context:
    return Context(store=store, clock=lambda: dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC))  # type: ignore[arg-type]


def commit_link(repo: Path, rel: str, target: str) -> str:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)
    git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", f"link {rel}")
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "srv" / ".env"
    path.parent.mkdir()
    path.write_text(SECRET + "\n")
    return path


@pytest.fixture
def remote(plan_repo: Path, tmp_path: Path) -> Path:
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(plan_repo), str(bare))
    return bare


@pytest.fixture
def remote_store(remote: Path, tmp_path: Path) -> Iterator[RemotePlanStore]:
    store = RemotePlanStore(
        RemoteConfig(
            url=str(remote),
            plan_file="plan/execution-plan.toml",
            workdir=tmp_path / "work",
            sync_seconds=0.2,
        )
    )
    store.start()
    try:
        yield store
    finally:
        store.stop_sync()


def push_link(remote: Path, tmp_path: Path, rel: str, target: str) -> None:
    work = tmp_path / "teammate"
    git(tmp_path, "clone", "-q", str(remote), str(work))
    git(work, "config", "user.name", "Mallory")
    git(work, "config", "user.email", "m@example.com")
    commit_link(work, rel, target)
    git(work, "push", "-q", "origin", "HEAD:main")


# -- local mode --------------------------------------------------------------------------------
def test_report_publish_refuses_a_linked_archive_and_posts_nothing(
    plan_repo: Path, plan_file: Path, secret: Path, tmp_path: Path
) -> None:
    commit_link(plan_repo, REL, str(secret))
    with FakeGitHub({"ghp_test_token": {"issues:write"}}) as gh:
        gh.add_repo("acme/shop")
        env = {
            **clean_env(),
            "BATCHBOT_GITHUB_TOKEN": "ghp_test_token",
            "BATCHBOT_GITHUB_REPO": "acme/shop",
            "BATCHBOT_GITHUB_API_URL": gh.url,
            "BATCHBOT_ALLOW_INSECURE_HTTP": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        }
        out = run_cli("--plan", str(plan_file), "report", "publish", "--week", WEEK, env=env)
        posted = gh.calls_to("POST", r"/issues$")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "is a symbolic link in git" in out.stderr and "Traceback" not in out.stderr
    assert posted == []
    assert "ghp_theSecret" not in out.stdout + out.stderr


def test_the_archive_is_read_from_the_commit_not_the_working_tree(
    plan_repo: Path, plan_file: Path, secret: Path
) -> None:
    store = PlanStore(plan_file)
    store.commit_file(REL, "## the committed report\n", ANA, "archive")
    (plan_repo / REL).unlink()
    os.symlink(secret, plan_repo / REL)  # swapped on disk, never committed
    assert archived_report(ctx(store), WEEK) == "## the committed report\n"


def test_a_linked_reports_folder_is_refused_too(
    plan_repo: Path, plan_file: Path, secret: Path
) -> None:
    commit_link(plan_repo, "plan/reports", str(secret.parent))
    (secret.parent / f"{WEEK}.md").write_text(SECRET)
    with pytest.raises(ArchiveRefused, match="plan/reports is a symbolic link"):
        archived_report(ctx(PlanStore(plan_file)), WEEK)
    with pytest.raises(ArchiveRefused, match="plan/reports is a symbolic link"):
        PlanStore(plan_file).commit_file(REL, "## report\n", ANA, "archive")
    assert (secret.parent / f"{WEEK}.md").read_text() == SECRET


def test_the_friday_archive_never_writes_through_a_link_to_the_plan(
    plan_repo: Path, plan_file: Path
) -> None:
    plan_before = plan_file.read_text()
    head = commit_link(plan_repo, REL, "../execution-plan.toml")
    store = PlanStore(plan_file)
    with pytest.raises(ArchiveRefused, match="symbolic link"):
        store.commit_file(REL, "## Weekly report\n", ANA, "archive the Friday draft")
    assert plan_file.read_text() == plan_before
    assert git(plan_repo, "rev-parse", "HEAD").strip() == head
    assert git(plan_repo, "show", "HEAD:plan/execution-plan.toml") == plan_before
    assert store.load() is not None


def test_a_link_made_on_disk_only_is_not_written_through(plan_repo: Path, plan_file: Path) -> None:
    plan_before = plan_file.read_text()
    (plan_repo / "plan" / "reports").mkdir()
    os.symlink("../execution-plan.toml", plan_repo / REL)
    with pytest.raises(ArchiveRefused, match="on disk"):
        PlanStore(plan_file).commit_file(REL, "## Weekly report\n", ANA, "archive")
    assert plan_file.read_text() == plan_before


@pytest.mark.parametrize(
    "rel", ["plan/execution-plan.toml", "plan/reports/../execution-plan.toml", "README.md"]
)
def test_only_files_in_the_reports_folder_are_written(
    plan_repo: Path, plan_file: Path, rel: str
) -> None:
    plan_before = plan_file.read_text()
    with pytest.raises(ArchiveRefused, match="not a report archive"):
        PlanStore(plan_file).commit_file(rel, "## report\n", ANA, "archive")
    assert plan_file.read_text() == plan_before


def test_a_plain_archive_still_round_trips_in_local_mode(plan_repo: Path, plan_file: Path) -> None:
    store = PlanStore(plan_file)
    assert store.commit_file(REL, "## one\n", ANA, "archive") is not None
    assert store.commit_file(REL, "## one\n", ANA, "archive") is None  # unchanged
    assert archived_report(ctx(store), WEEK) == "## one\n"
    assert (plan_repo / REL).read_text() == "## one\n"


# -- remote mode -------------------------------------------------------------------------------
def test_remote_mode_refuses_to_read_a_linked_archive(
    remote: Path, remote_store: RemotePlanStore, tmp_path: Path, secret: Path
) -> None:
    push_link(remote, tmp_path, REL, str(secret))
    remote_store.sync()
    with pytest.raises(ArchiveRefused, match="symbolic link in git"):
        archived_report(ctx(remote_store), WEEK)


def test_remote_mode_refuses_to_write_over_a_linked_archive(
    remote: Path, remote_store: RemotePlanStore, tmp_path: Path
) -> None:
    push_link(remote, tmp_path, REL, "../execution-plan.toml")
    remote_store.sync()
    tip = git(remote, "rev-parse", "main").strip()
    with pytest.raises(ArchiveRefused, match="symbolic link in git"):
        remote_store.commit_file(REL, "## Weekly report\n", ANA, "archive")
    assert git(remote, "rev-parse", "main").strip() == tip
    assert remote_store.load() is not None


def test_remote_mode_refuses_a_path_outside_the_reports_folder(
    remote: Path, remote_store: RemotePlanStore
) -> None:
    tip = git(remote, "rev-parse", "main").strip()
    with pytest.raises(ArchiveRefused, match="not a report archive"):
        remote_store.commit_file("plan/execution-plan.toml", "x = 1\n", ANA, "archive")
    assert git(remote, "rev-parse", "main").strip() == tip


def test_an_archive_that_is_not_utf8_is_refused_in_one_line_on_read_and_write(
    plan_repo: Path, plan_file: Path
) -> None:
    """A teammate commits the report saved as Latin-1 (or any binary) at the week's name: the
    publish, the Edit button and the Friday archive say so in one line, never a
    UnicodeDecodeError out of git's output."""
    path = plan_repo / REL
    path.parent.mkdir(parents=True)
    path.write_bytes("## Rapport de la semaine — équipe\n".encode("latin-1", "replace"))
    git(plan_repo, "add", REL)
    git(plan_repo, "commit", "-q", "-m", "latin-1 report")
    store = PlanStore(plan_file)
    with pytest.raises(ArchiveRefused, match="not UTF-8 text"):
        archived_report(ctx(store), WEEK)
    with pytest.raises(ArchiveRefused, match="not UTF-8 text"):
        store.commit_file(REL, "## Weekly report\n", ANA, "archive the Friday draft")
