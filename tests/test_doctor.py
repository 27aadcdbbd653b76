"""`batchbot doctor`: one line per check, what to do when one fails, exit 1 on any failure.

Run as a new process (as an operator would) against real git repositories, a real SQLite
file, a bare repository on disk as the remote, and the fake Slack Web API on loopback.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, git, init_repo, run_cli, without_package
from tests.conftest_db import db_url_fixture  # noqa: F401
from tests.fakegithub import FakeGitHub
from tests.fakeslack import FakeSlack

TOKEN = "xoxb-doctor-token"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, team_id="T0TEAM") as f:
        yield f


def make_db(path: Path) -> str:
    """A database as `batchbot serve` leaves it: created and migrated by the real code."""
    from bot.db import Database

    url = f"sqlite:///{path}"
    Database(url).close()
    return url


def doctor(
    plan_file: Path,
    tmp_path: Path,
    fake: FakeSlack | None,
    *args: str,
    **env: str,
) -> tuple[int, list[str]]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BATCHBOT_", "DATABASE_URL", "EXECUTION_PLAN_PATH"))
    }
    base.update(
        {
            "EXECUTION_PLAN_PATH": str(plan_file),
            "DATABASE_URL": env.pop("DATABASE_URL", None) or make_db(tmp_path / "bot.db"),
            "HOME": str(tmp_path),
        }
    )
    if fake is not None:
        base |= {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.url, "SLACK_SIGNING_SECRET": "s"}
    base.update(env)
    if "PYTHONPATH" in env:  # a package hidden from imports: only a new process can
        result = subprocess.run(
            [sys.executable, "-m", "bot", "doctor", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=base,
            timeout=60,
        )
    else:  # in this process (tests/conftest.py run_cli): 0.5 s of CPU less per check
        result = run_cli("doctor", *args, cwd=tmp_path, env=base, replace_env=True)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, (result.stdout + result.stderr).splitlines()


def line(lines: list[str], name: str) -> str:
    found = [x for x in lines if f" {name}:" in x]
    assert found, (name, lines)
    return found[0]


def test_a_healthy_setup_passes_every_check(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    code, lines = doctor(plan_file, tmp_path, fake)
    assert code == 0, lines
    for name in ("settings", "git", "plan", "repository", "database", "slack", "slack scopes"):
        assert line(lines, name).startswith("ok"), lines
    assert "T0TEAM" in line(lines, "slack")
    assert not any(x.startswith("FAIL") for x in lines)


def test_a_missing_scope_fails_and_says_to_reinstall(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    fake.scopes = tuple(s for s in fake.scopes if s != "files:write")
    code, lines = doctor(plan_file, tmp_path, fake)
    assert code == 1
    scopes = line(lines, "slack scopes")
    assert scopes.startswith("FAIL") and "files:write" in scopes and "reinstall" in scopes


def test_a_refused_token_fails(plan_file: Path, tmp_path: Path, fake: FakeSlack) -> None:
    code, lines = doctor(plan_file, tmp_path, fake, SLACK_BOT_TOKEN="xoxb-wrong")
    assert code == 1
    assert line(lines, "slack").startswith("FAIL") and "invalid_auth" in line(lines, "slack")


def test_unreachable_slack_api_fails(plan_file: Path, tmp_path: Path) -> None:
    with FakeSlack(token=TOKEN) as gone:
        url = gone.url
    code, lines = doctor(plan_file, tmp_path, None, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=url)
    assert code == 1 and line(lines, "slack").startswith("FAIL")
    assert "SLACK_API_URL" in line(lines, "slack")


def test_without_a_slack_token_the_slack_checks_are_skipped(
    plan_file: Path, tmp_path: Path
) -> None:
    code, lines = doctor(plan_file, tmp_path, None)
    assert code == 0, lines
    assert line(lines, "slack").startswith("skip")


def test_invalid_settings_fail_with_every_problem(plan_file: Path, tmp_path: Path) -> None:
    code, lines = doctor(
        plan_file, tmp_path, None, BATCHBOT_TIMEZONE="Mars/Base", BATCHBOT_STANDUP_TIME="25:00"
    )
    assert code == 1
    text = "\n".join(lines)
    assert line(lines, "settings").startswith("FAIL")
    assert "BATCHBOT_TIMEZONE" in text and "BATCHBOT_STANDUP_TIME" in text


def test_git_missing_from_path_fails(plan_file: Path, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    code, lines = doctor(plan_file, tmp_path, None, PATH=str(empty))
    assert code == 1
    assert line(lines, "git").startswith("FAIL") and "PATH" in line(lines, "git")


def test_a_missing_git_identity_is_a_warning(plan_file: Path, tmp_path: Path) -> None:
    repo = plan_file.parent.parent
    git(repo, "config", "--unset", "user.email")
    git(repo, "config", "--unset", "user.name")
    code, lines = doctor(
        plan_file, tmp_path, None, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1"
    )
    assert code == 0, lines
    identity = line(lines, "git identity")
    assert identity.startswith("warn") and "git config user.email" in identity


def test_a_program_named_like_a_command_or_not_servable_is_a_warning_saying_what_to_do(
    plan_file: Path, tmp_path: Path
) -> None:
    plan_file.with_name("team.toml").write_text(plan_file.read_text())
    plan_file.with_name("beta.toml").write_text(plan_file.read_text())
    plan_file.with_name("my plan.toml").write_text(plan_file.read_text())
    git(plan_file.parent.parent, "add", ".")
    git(plan_file.parent.parent, "commit", "-qm", "two more programs")
    code, lines = doctor(plan_file, tmp_path, None)
    assert code == 0, lines
    warned = line(lines, "program team")
    assert warned.startswith("warn") and "`/batch team status`" in warned
    assert "git mv plan/team.toml" in warned
    assert not [x for x in lines if "program beta" in x]
    skipped = line(lines, "program my plan")
    assert skipped.startswith("warn") and "plan/my plan.toml is not served" in skipped


def test_uncommitted_plan_edits_fail(plan_file: Path, tmp_path: Path) -> None:
    plan_file.write_text(plan_file.read_text() + "\n# edited by hand\n")
    code, lines = doctor(plan_file, tmp_path, None)
    assert code == 1
    repo_line = line(lines, "repository")
    assert repo_line.startswith("FAIL") and "uncommitted" in repo_line and "git commit" in repo_line


def test_a_detached_head_fails(plan_file: Path, tmp_path: Path) -> None:
    repo = plan_file.parent.parent
    git(repo, "checkout", "-q", "--detach")
    code, lines = doctor(plan_file, tmp_path, None)
    assert code == 1
    assert "detached" in line(lines, "repository") and "git switch" in line(lines, "repository")


def test_a_rebase_in_progress_fails(plan_file: Path, tmp_path: Path) -> None:
    repo = plan_file.parent.parent
    git(repo, "checkout", "-qb", "side")
    (repo / "other.txt").write_text("side\n")
    git(repo, "add", "other.txt")
    git(repo, "commit", "-qm", "side")
    git(repo, "checkout", "-q", "main")
    (repo / "other.txt").write_text("main\n")
    git(repo, "add", "other.txt")
    git(repo, "commit", "-qm", "main")
    git(repo, "checkout", "-q", "side")
    subprocess.run(["git", "rebase", "main"], cwd=repo, capture_output=True, check=False)
    code, lines = doctor(plan_file, tmp_path, None)
    assert code == 1
    repo_line = line(lines, "repository")
    assert "rebase" in repo_line and "--abort" in repo_line


def test_an_invalid_plan_fails(plan_file: Path, tmp_path: Path) -> None:
    repo = plan_file.parent.parent
    plan_file.write_text("garbage = [\n")
    git(repo, "commit", "-qam", "broken")
    code, lines = doctor(plan_file, tmp_path, None)
    assert code == 1 and line(lines, "plan").startswith("FAIL")


def test_push_to_an_unreachable_remote_fails(plan_file: Path, tmp_path: Path) -> None:
    repo = plan_file.parent.parent
    git(repo, "remote", "add", "origin", str(tmp_path / "nowhere.git"))
    code, lines = doctor(plan_file, tmp_path, None, BATCHBOT_GIT_PUSH="true")
    assert code == 1
    remote = line(lines, "remote")
    assert remote.startswith("FAIL") and "origin" in remote


def test_push_to_a_reachable_remote_passes(plan_file: Path, tmp_path: Path) -> None:
    repo = plan_file.parent.parent
    bare = tmp_path / "team.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "main")
    code, lines = doctor(plan_file, tmp_path, None, BATCHBOT_GIT_PUSH="true")
    assert code == 0, lines
    assert line(lines, "remote").startswith("ok")


def test_a_locked_database_fails(plan_file: Path, tmp_path: Path) -> None:
    url = make_db(tmp_path / "locked.db")
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, lines = doctor(plan_file, tmp_path, None, DATABASE_URL=url)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1
    db = line(lines, "database")
    assert db.startswith("FAIL") and "locked" in db


def test_a_database_without_the_schema_fails(plan_file: Path, tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "empty.db").close()
    code, lines = doctor(
        plan_file, tmp_path, None, DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}"
    )
    assert code == 1
    assert "schema" in line(lines, "database")


def test_a_database_not_created_yet_is_a_warning_and_is_not_created(
    plan_file: Path, tmp_path: Path
) -> None:
    db = tmp_path / "later.db"
    code, lines = doctor(plan_file, tmp_path, None, DATABASE_URL=f"sqlite:///{db}")
    assert code == 0, lines
    assert line(lines, "database").startswith("warn")
    assert not db.exists()


def test_doctor_is_listed_in_the_help() -> None:
    result = run_cli("--help", cwd=ROOT)
    assert "doctor" in result.stdout


def test_doctor_without_a_plan_repo_still_reports(tmp_path: Path) -> None:
    plan = init_repo(tmp_path / "r") / "plan.toml"
    shutil.copy(ROOT / "plan" / "execution-plan.toml", plan)
    code, lines = doctor(plan, tmp_path, None)
    assert code == 1  # the plan is not committed yet
    assert "not committed" in line(lines, "repository")


def test_remote_mode_checks_the_remote_itself(plan_file: Path, tmp_path: Path) -> None:
    repo = plan_file.parent.parent
    bare = tmp_path / "team.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    code, lines = doctor(plan_file, tmp_path, None, BATCHBOT_GIT_URL=str(bare))
    assert code == 0, lines
    assert line(lines, "remote").startswith("ok")
    assert line(lines, "plan").startswith("skip")


def test_remote_mode_with_an_unreachable_remote_fails(plan_file: Path, tmp_path: Path) -> None:
    code, lines = doctor(plan_file, tmp_path, None, BATCHBOT_GIT_URL=str(tmp_path / "missing.git"))
    assert code == 1
    assert line(lines, "remote").startswith("FAIL")


# --------------------------------------------------------------------------- issue 20


def test_a_healthy_database_passes_on_each_backend(
    plan_file: Path, tmp_path: Path, db_url: str
) -> None:
    from bot.db import Database

    Database(db_url).close()  # created and migrated as serve leaves it
    code, lines = doctor(plan_file, tmp_path, None, DATABASE_URL=db_url)
    assert code == 0, lines
    assert line(lines, "database").startswith("ok") and "writable" in line(lines, "database")


def test_postgres_without_the_postgres_extra_says_to_install_it(
    plan_file: Path, tmp_path: Path
) -> None:
    # A psycopg that is not there, as in a plain `pip install batchbot`.
    shadow = tmp_path / "shadow" / "psycopg"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n"
    )
    code, lines = doctor(
        plan_file,
        tmp_path,
        None,
        DATABASE_URL="postgresql://bot@127.0.0.1:9/batchbot",
        PYTHONPATH=f"{shadow.parent}{os.pathsep}{ROOT}",
    )
    assert code == 1
    db = line(lines, "database")
    assert db.startswith("FAIL") and "batchbot[postgres]" in db and "psycopg" in db


def test_a_github_token_without_the_github_extra_says_to_install_it(
    plan_file: Path, tmp_path: Path
) -> None:
    code, lines = doctor(
        plan_file,
        tmp_path,
        None,
        BATCHBOT_GITHUB_TOKEN="ghp_writer",
        BATCHBOT_GITHUB_REPO="acme/shop",
        PYTHONPATH=without_package(tmp_path, "github"),
    )
    assert code == 1
    gh = line(lines, "github")
    assert gh.startswith("FAIL") and "github extra (PyGithub)" in gh, lines
    assert "pip install './batchbot[github]'" in "\n".join(lines)
    assert "Traceback" not in "\n".join(lines)


def test_doctor_says_which_extras_are_installed_and_what_the_others_are_for(
    plan_file: Path, tmp_path: Path
) -> None:
    _, lines = doctor(plan_file, tmp_path, None)
    assert line(lines, "extras").startswith("ok") and "installed: postgres, github, charts" in (
        line(lines, "extras")
    )
    _, lines = doctor(
        plan_file, tmp_path, None, PYTHONPATH=without_package(tmp_path, "github", "matplotlib")
    )
    extras = line(lines, "extras")
    assert extras.startswith("ok") and "installed: postgres;" in extras, lines
    assert "not installed: github (metrics, the report issue, linked work), charts (" in extras


def test_http_mode_without_the_signing_secret_fails_what_serve_refuses(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    code, lines = doctor(
        plan_file, tmp_path, None, "--http", SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake.url
    )
    assert code == 1
    serve = line(lines, "serve")
    assert serve.startswith("FAIL") and "SLACK_SIGNING_SECRET is not set" in serve
    assert line(lines, "settings").startswith("ok")


def test_the_manifest_says_which_mode_serve_needs_tokens_for(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    (tmp_path / "manifest.yml").write_text(
        "oauth_config:\n  scopes:\n    bot: [commands]\nsettings:\n  socket_mode_enabled: true\n"
    )
    code, lines = doctor(plan_file, tmp_path, fake)  # signing secret, but no app token
    assert code == 1
    serve = line(lines, "serve")
    assert serve.startswith("FAIL") and "Socket Mode" in serve and "SLACK_APP_TOKEN" in serve
    code, lines = doctor(plan_file, tmp_path, fake, SLACK_APP_TOKEN="xapp-1-A-1-x")
    assert code == 0, lines
    assert line(lines, "serve").startswith("ok")


def test_a_bad_setting_does_not_stop_the_other_checks(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    code, lines = doctor(plan_file, tmp_path, fake, BATCHBOT_TIMEZONE="Mars/Base")
    assert code == 1
    assert line(lines, "settings").startswith("FAIL") and "BATCHBOT_TIMEZONE" in line(
        lines, "settings"
    )
    for name in ("serve", "git", "plan", "repository", "database", "slack", "slack scopes"):
        assert line(lines, name).startswith("ok"), (name, lines)


def test_a_failed_slack_check_still_reports_the_scopes_line_and_the_rest(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    code, lines = doctor(plan_file, tmp_path, fake, SLACK_BOT_TOKEN="xoxb-wrong")
    assert code == 1
    assert line(lines, "slack scopes").startswith("skip")
    assert line(lines, "github").startswith("skip")


def test_scopes_in_the_flow_form_are_read(plan_file: Path, tmp_path: Path, fake: FakeSlack) -> None:
    (tmp_path / "manifest.yml").write_text(
        "oauth_config:\n  scopes:\n    bot: [commands, chat:write]  # two\n"
        "settings:\n  socket_mode_enabled: false\n"
    )
    code, lines = doctor(plan_file, tmp_path, fake)
    assert code == 0, lines
    assert "all 2 scopes" in line(lines, "slack scopes")
    fake.scopes = ("commands",)
    code, lines = doctor(plan_file, tmp_path, fake)
    assert code == 1 and "chat:write" in line(lines, "slack scopes")


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(
        {"ghp_writer": {"issues:write"}, "ghp_reader": set(), "ghp_blind": {"issues:write"}},
        visible={"ghp_blind": set()},
    ) as gh:
        gh.add_repo("acme/shop")
        yield gh


def github_doctor(
    plan_file: Path, tmp_path: Path, github: FakeGitHub, token: str
) -> tuple[int, list[str]]:
    return doctor(
        plan_file,
        tmp_path,
        None,
        BATCHBOT_GITHUB_TOKEN=token,
        BATCHBOT_GITHUB_REPO="acme/shop",
        BATCHBOT_GITHUB_API_URL=github.url,
    )


def test_github_token_repository_and_issue_rights_pass(
    plan_file: Path, tmp_path: Path, github: FakeGitHub
) -> None:
    code, lines = github_doctor(plan_file, tmp_path, github, "ghp_writer")
    assert code == 0, lines
    assert line(lines, "github").startswith("ok") and "acme/shop" in line(lines, "github")
    assert line(lines, "github issues").startswith("ok")
    assert github.issues_in("acme/shop") == []  # the probe created nothing


def test_a_refused_github_token_fails(plan_file: Path, tmp_path: Path, github: FakeGitHub) -> None:
    code, lines = github_doctor(plan_file, tmp_path, github, "ghp_unknown")
    assert code == 1
    gh = line(lines, "github")
    assert gh.startswith("FAIL") and "Bad credentials" in gh and "ghp_unknown" not in gh


def test_a_repository_the_token_cannot_see_fails(
    plan_file: Path, tmp_path: Path, github: FakeGitHub
) -> None:
    code, lines = github_doctor(plan_file, tmp_path, github, "ghp_blind")
    assert code == 1
    assert line(lines, "github").startswith("FAIL") and "404" in line(lines, "github")


def test_a_token_without_issues_write_fails(
    plan_file: Path, tmp_path: Path, github: FakeGitHub
) -> None:
    code, lines = github_doctor(plan_file, tmp_path, github, "ghp_reader")
    assert code == 1
    assert line(lines, "github").startswith("ok")
    issues = line(lines, "github issues")
    assert issues.startswith("FAIL") and "Issues: read and write" in issues


def test_a_git_url_that_is_an_option_is_refused_and_never_run(
    plan_file: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    code, lines = doctor(
        plan_file, tmp_path, None, BATCHBOT_GIT_URL=f"--upload-pack=touch {marker};"
    )
    assert code == 1
    assert line(lines, "settings").startswith("FAIL") and "BATCHBOT_GIT_URL" in line(
        lines, "settings"
    )
    assert not marker.exists()


def test_the_remote_check_passes_its_url_to_git_as_a_repository(plan_file: Path) -> None:
    from bot.doctor import _remote_reachable

    repo = plan_file.parent.parent
    bare = repo.parent / "team.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    git(repo, "remote", "add", "origin", str(bare))  # what git falls back to without a URL
    marker = repo.parent / "ran"
    check = _remote_reachable(f"--upload-pack=touch {marker};", repo)
    assert check.status == "FAIL"
    assert not marker.exists()
