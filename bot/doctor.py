"""`batchbot doctor`: check an installation before people find out it is broken.

Each check prints one line — `ok`, `warn`, `skip` or `FAIL`, its name, what it found and,
when it is not ok, what to do — and the exit code is 1 when any check failed. Checks never
change anything: the database is opened read-only where it can be, a write is rolled back,
git is asked, never told.

What is checked, and why each one:
- settings: every problem at once (the same rules `serve` applies);
- git: present on PATH (without it batchbot cannot commit), the identity commits are made with,
  the repository's state (a rebase, a merge or a detached HEAD makes git drop commits; hand
  edits make batchbot refuse updates), and the remote when pushes are on or the plan is remote;
- the plan: it loads and is valid;
- the database: reachable, writable (not locked by another process), schema present and
  not newer than this code;
- Slack: `auth.test` with the bot token against SLACK_API_URL, and the token's scopes (Slack's
  `x-oauth-scopes` header) against the bot scopes manifest.yml asks for.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from bot.settings import Settings

Status = Literal["ok", "warn", "skip", "FAIL"]
GIT_TIMEOUT = 20.0


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        todo = f" → {self.fix}" if self.fix and self.status in ("warn", "FAIL") else ""
        return f"{self.status:<4} {self.name}: {self.detail}{todo}"


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def fail(name: str, detail: str, fix: str) -> Check:
    return Check(name, "FAIL", detail, fix)


# --------------------------------------------------------------------------- git


def _git(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Any:
    import os

    full = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full,
        timeout=GIT_TIMEOUT,
        check=False,
    )


def _last_line(proc: Any) -> str:
    lines = (proc.stderr or proc.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit {proc.returncode}"


def check_git() -> Check:
    if shutil.which("git") is None:
        return fail(
            "git",
            "git is not on PATH; batchbot cannot commit or read history",
            "install git (e.g. apt-get install git) and make sure PATH includes it",
        )
    proc = _git(["--version"])
    return ok("git", proc.stdout.strip() or "present")


def repository_checks(settings: Settings, plan: Path) -> Iterator[Check]:
    """Identity, state and remote of the repository holding the plan (local mode)."""
    folder = plan.parent if plan.parent.exists() else Path.cwd()
    top = _git(["rev-parse", "--show-toplevel"], cwd=folder)
    if top.returncode != 0:
        yield Check(
            "repository",
            "warn",
            f"{plan} is not in a git repository: changes are saved without history",
            f"git init in {folder} and commit the plan",
        )
        return
    root = Path(top.stdout.strip())
    yield _identity(root)
    yield _state(root, plan)
    if settings.git_push:
        yield _remote_reachable(settings.git_remote, root)


def _identity(root: Path) -> Check:
    email = _git(["config", "--get", "user.email"], cwd=root).stdout.strip()
    name = _git(["config", "--get", "user.name"], cwd=root).stdout.strip()
    if not email:
        return Check(
            "git identity",
            "warn",
            "no git identity: commits from the CLI are authored 'batchbot <batchbot@localhost>'",
            'git config user.name "Your Name" && git config user.email you@example.com',
        )
    return ok("git identity", f"{name or '(no name)'} <{email}>")


def _state(root: Path, plan: Path) -> Check:
    git_dir_out = _git(["rev-parse", "--absolute-git-dir"], cwd=root).stdout.strip()
    git_dir = Path(git_dir_out) if git_dir_out else root / ".git"
    if (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists():
        return fail(
            "repository",
            f"a rebase is in progress in {root}; a commit now would be lost on abort",
            "finish it (git rebase --continue) or undo it (git rebase --abort)",
        )
    if (git_dir / "MERGE_HEAD").exists():
        return fail(
            "repository",
            f"a merge is in progress in {root}",
            "finish it (git commit) or undo it (git merge --abort)",
        )
    if _git(["symbolic-ref", "-q", "HEAD"], cwd=root).returncode != 0:
        return fail(
            "repository",
            f"{root} is on a detached HEAD; commits there belong to no branch",
            "git switch <your branch> (e.g. git switch main)",
        )
    try:
        rel = plan.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return fail(
            "repository", f"{plan} is outside {root}", "keep the plan inside the repository"
        )
    status = _git(["status", "--porcelain", "--", rel], cwd=root).stdout
    if status.startswith("??") or _git(["ls-files", "--error-unmatch", rel], cwd=root).returncode:
        return fail(
            "repository",
            f"{rel} is not committed yet",
            f"git add {rel} && git commit -m 'Add the plan'",
        )
    if status.strip():
        return fail(
            "repository",
            f"{rel} has uncommitted changes made by hand; batchbot refuses to overwrite them",
            f"commit them (git commit {rel}) or discard them (git checkout -- {rel})",
        )
    branch = _git(["symbolic-ref", "--short", "HEAD"], cwd=root).stdout.strip()
    return ok("repository", f"{root.name} on {branch}, plan committed")


def _remote_reachable(remote: str, root: Path | None, env: dict[str, str] | None = None) -> Check:
    try:
        proc = _git(["ls-remote", "--exit-code", "--heads", remote], cwd=root, env=env)
    except subprocess.TimeoutExpired:
        return fail(
            "remote",
            f"{remote} did not answer within {GIT_TIMEOUT:.0f} s",
            "check the network and the remote's URL",
        )
    if proc.returncode not in (0, 2):  # 2: reachable, no branches yet
        return fail(
            "remote",
            f"cannot reach {remote}: {_last_line(proc)}",
            "check the remote's URL (git remote -v) and the credentials batchbot runs with",
        )
    return ok("remote", f"{remote} is reachable")


def remote_mode_checks(settings: Settings) -> Iterator[Check]:
    """Remote mode: the bot keeps its own clone; only the remote itself can be checked."""
    from bot.plan.remote import git_env
    from bot.redact import redact

    token = settings.git_token.get_secret_value() if settings.git_token else None
    url = settings.git_url or ""
    check = _remote_reachable(url, None, dict(git_env(url, token)))
    yield Check(check.name, check.status, redact(check.detail, token), check.fix)


# --------------------------------------------------------------------------- plan, database


def check_plan(settings: Settings, plan: Path) -> Check:
    from bot.plan import codec
    from bot.plan.model import PlanInvalid

    if settings.remote_mode:
        return Check("plan", "skip", "remote mode: the plan is read from the remote at start")
    try:
        loaded = codec.read(plan)
    except PlanInvalid as exc:
        first = exc.problems[0] if exc.problems else "not valid"
        more = f" (+{len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        return fail("plan", f"{plan}: {first}{more}", f"batchbot --plan {plan} validate lists all")
    return ok("plan", f"{plan}: {len(loaded.batches)} batches, valid")


def check_database(url: str) -> Check:
    """Reachable, schema present and current, writable — without creating or migrating."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import SCHEMA_VERSION, normalize_url

    parsed = normalize_url(url)
    shown = parsed.render_as_string(hide_password=True)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "")
        if not path.exists():
            return Check(
                "database",
                "warn",
                f"{shown} does not exist yet",
                "batchbot serve creates it on start; or check DATABASE_URL",
            )
    args = {"timeout": 1.0} if sqlite else {"connect_timeout": 5}
    engine = create_engine(parsed, connect_args=args)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("schema_version"):
                return fail(
                    "database",
                    f"{shown} has no batchbot schema (no schema_version table)",
                    "check DATABASE_URL points at batchbot's database; serve creates the schema",
                )
            version = conn.execute(text("SELECT version FROM schema_version")).scalar()
            if sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, as serve takes it
            else:
                conn.begin()
            conn.execute(text("UPDATE schema_version SET version = version"))
            conn.rollback()
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)  # the driver's own message, without SQL
        reason = (str(orig) if orig is not None else str(exc)).splitlines()[0]
        return fail(
            "database",
            f"{shown} is not usable: {reason}",
            "another process may hold it locked, or the file/folder is not writable"
            if sqlite
            else "check the server, the credentials and the user's rights",
        )
    finally:
        engine.dispose()
    if version is None or int(version) > SCHEMA_VERSION:
        return fail(
            "database",
            f"{shown} has schema version {version}; this batchbot knows {SCHEMA_VERSION}",
            "upgrade batchbot (a newer release wrote this database)",
        )
    behind = f" (migrates to {SCHEMA_VERSION} on start)" if int(version) < SCHEMA_VERSION else ""
    return ok("database", f"{shown} writable, schema version {version}{behind}")


# --------------------------------------------------------------------------- Slack


def manifest_scopes(path: Path) -> list[str]:
    """The bot scopes listed under oauth_config.scopes.bot in manifest.yml.

    A few lines instead of a YAML library: the manifest is ours, its layout fixed, and a
    runtime dependency for one list is not worth it (tests/test_doctor.py reads the real file).
    """
    scopes: list[str] = []
    section: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        content = raw.split("#", 1)[0].rstrip()
        if not content.strip():
            continue
        indent = len(content) - len(content.lstrip())
        item = content.strip()
        if item.startswith("- "):
            if section[-3:] == ["oauth_config", "scopes", "bot"]:
                scopes.append(item[2:].strip().strip("\"'"))
            continue
        key = item.rstrip(":").strip()
        depth = indent // 2
        section = [*section[:depth], key]
    return scopes


def find_manifest() -> Path | None:
    for folder in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (folder / "manifest.yml").is_file():
            return folder / "manifest.yml"
    return None


def slack_checks(settings: Settings) -> Iterator[Check]:
    if not settings.slack_bot_token:
        yield Check("slack", "skip", "SLACK_BOT_TOKEN is not set (needed only for Slack)")
        return
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError, SlackClientError

    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
    )
    try:
        resp = client.auth_test()
    except SlackApiError as exc:
        code = exc.response.get("error", "unknown_error") if exc.response else "unknown_error"
        yield fail(
            "slack",
            f"Slack refused SLACK_BOT_TOKEN ({code})",
            "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page",
        )
        return
    except (SlackClientError, OSError) as exc:
        yield fail(
            "slack",
            f"cannot reach SLACK_API_URL {settings.slack_api_url}: {type(exc).__name__}",
            "check the network, proxies and SLACK_API_URL",
        )
        return
    yield ok(
        "slack",
        f"auth.test: team {resp.get('team_id')} ({resp.get('team')}) as @{resp.get('user')}",
    )
    headers = {k.lower(): v for k, v in (resp.headers or {}).items()}
    granted_raw = headers.get("x-oauth-scopes")
    manifest = find_manifest()
    if manifest is None:
        yield Check("slack scopes", "skip", "manifest.yml not found here; scopes not compared")
        return
    wanted = manifest_scopes(manifest)
    if granted_raw is None:
        yield Check("slack scopes", "warn", "Slack sent no x-oauth-scopes header", "")
        return
    granted = {s.strip() for s in str(granted_raw).split(",") if s.strip()}
    missing = [s for s in wanted if s not in granted]
    if missing:
        yield fail(
            "slack scopes",
            f"the token lacks {', '.join(missing)} (manifest.yml asks for them)",
            "add them under OAuth & Permissions → Bot Token Scopes and reinstall the app",
        )
        return
    yield ok("slack scopes", f"all {len(wanted)} scopes of manifest.yml granted")


# --------------------------------------------------------------------------- running


def run_checks(settings: Settings, plan: Path) -> Iterator[Check]:
    git = check_git()
    yield git
    yield check_plan(settings, plan)
    if git.status == "ok":
        if settings.remote_mode:
            yield from remote_mode_checks(settings)
        else:
            yield from repository_checks(settings, plan)
    yield check_database(settings.database_url)
    yield from slack_checks(settings)


def main(opts: dict[str, Any], out: Callable[[str], None] = print) -> int:
    """`batchbot doctor`; exit 1 when any check failed."""
    from bot.settings import SettingsError, load_settings

    try:
        overrides = {"execution_plan_path": opts["plan"]} if opts.get("plan") else {}
        settings = load_settings(**overrides)
    except SettingsError as exc:
        problems = [line for line in str(exc).splitlines() if line.startswith("- ")]
        out(Check("settings", "FAIL", "; ".join(p[2:] for p in problems), "fix them").line())
        return 1
    ready = [
        mode
        for mode, socket in (("HTTP", False), ("Socket Mode", True))
        if not settings.missing_for_serving(socket)
    ]
    detail = f"loaded; ready to serve over {' and '.join(ready)}" if ready else "loaded"
    out(ok("settings", detail).line())
    failed = False
    for check in run_checks(settings, Path(settings.execution_plan_path)):
        out(check.line())
        failed = failed or check.status == "FAIL"
        sys.stdout.flush()
    return 1 if failed else 0
