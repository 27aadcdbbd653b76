"""`batchbot doctor`: check an installation before people find out it is broken.

Each check prints one line — `ok`, `warn`, `skip` or `FAIL`, its name, what it found and,
when it is not ok, what to do — and the exit code is 1 when any check failed. Checks never
change anything: the database is opened read-only where it can be, a write is rolled back,
git is asked, never told.

What is checked, and why each one — every check runs even after another failed, so one run
lists everything to fix:
- settings: every problem at once (the same rules `serve` applies); a bad value is reported
  and the other checks go on with its default;
- serve: what `batchbot serve` needs for the Slack mode this installation uses (HTTP: the bot
  token and the signing secret; Socket Mode: the bot token and the app-level token) — the
  mode from `--http`/`--socket-mode`, else manifest.yml's `socket_mode_enabled`;
- git: present on PATH (without it batchbot cannot commit), the identity commits are made with,
  the repository's state (a rebase, a merge or a detached HEAD makes git drop commits; hand
  edits make batchbot refuse updates), and the remote when pushes are on or the plan is remote;
- the plan: it loads and is valid;
- the database: reachable, writable (not locked by another process), schema present and
  not newer than this code;
- Slack: `auth.test` with the bot token against SLACK_API_URL, and the token's scopes (Slack's
  `x-oauth-scopes` header) against the bot scopes manifest.yml asks for;
- GitHub (when a token or app is set): the token is accepted, the repository is reachable,
  and the token may write issues (the weekly report is published as one).
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
        # `--`: whatever the setting says, git reads it as a repository, never as an option
        # (`--upload-pack=…` would run a command).
        proc = _git(["ls-remote", "--exit-code", "--heads", "--", remote], cwd=root, env=env)
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


def team_checks(settings: Settings, plan: Path) -> Iterator[Check]:
    """Each team setting with where its value comes from (the plan's `[team]`/`[schedule]`,
    the environment, or the built-in default), and a warning for every environment variable
    the plan shadows (it is set, but the plan's value is the one used)."""
    from bot.plan import codec
    from bot.plan.model import PlanInvalid
    from bot.plan.team import SPECS, shadowed
    from bot.settings import team_defaults

    defaults = team_defaults(settings)
    values: dict[str, Any] = {}
    if not settings.remote_mode:
        try:
            values = dict(codec.read(plan).team)
        except PlanInvalid:
            yield Check("team settings", "skip", "the plan is not valid; showing the environment's")
    from bot.plan.team import effective

    team = effective(values, defaults)
    for spec in SPECS:
        source = team.source(spec.key)
        where = f"{source} ({spec.env})" if source == "environment" else source
        yield ok(f"team {spec.key}", f"{team.shown(spec.key)} — from {where}")
    for key in shadowed(values, defaults):
        spec = next(s for s in SPECS if s.key == key)
        yield Check(
            f"team {key}",
            "warn",
            f"{spec.env} is set but the plan's [{spec.table}] {key} wins",
            f"remove {spec.env} from the environment (the plan's value is the one used)",
        )


def check_database(url: str) -> Check:
    """Reachable, schema present and current, writable — without creating or migrating."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from bot.db import SCHEMA_VERSION, normalize_url

    try:
        parsed = normalize_url(url)
    except ArgumentError:
        return fail(
            "database",
            f"DATABASE_URL {url.split('@')[-1]!r} is not a database URL",
            "sqlite:///batchbot.db or postgresql://user:password@host/dbname",
        )
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        return fail(
            "database",
            f"{shown}: batchbot keeps its data in SQLite or PostgreSQL, not {backend}",
            "sqlite:///batchbot.db or postgresql://user:password@host/dbname",
        )
    sqlite = backend == "sqlite"
    if sqlite and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "")
        if not path.parent.is_dir():
            return fail(
                "database",
                f"{shown}: the folder {path.parent} does not exist, so the database cannot be "
                "created there",
                f"create the folder (mkdir -p {path.parent}) or check DATABASE_URL",
            )
        if not path.exists():
            return Check(
                "database",
                "warn",
                f"{shown} does not exist yet",
                "batchbot serve creates it on start; or check DATABASE_URL",
            )
    args = {"timeout": 1.0} if sqlite else {"connect_timeout": 5}
    try:
        engine = create_engine(parsed, connect_args=args)
    except ImportError as exc:  # the driver: psycopg comes with the `postgres` extra
        return fail(
            "database",
            f"{shown} needs the {exc.name or 'database'} driver, which is not installed",
            "install batchbot with its postgres extra (pip install './batchbot[postgres]' from "
            "your clone), or just the driver: pip install 'psycopg[binary]>=3.1'"
            if not sqlite
            else "reinstall Python with sqlite3",
        )
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("schema_version"):
                return fail(
                    "database",
                    f"{shown} has no batchbot schema (no schema_version table)",
                    "check DATABASE_URL points at batchbot's database; serve creates the schema",
                )
            version = conn.execute(text("SELECT version FROM schema_version")).scalar()
            # A write, rolled back: proves the user may write and nobody holds a lock.
            # The connection has already begun a transaction (SQLAlchemy's autobegin);
            # SQLite needs its own BEGIN IMMEDIATE to take the write lock as serve does.
            conn.rollback()
            if sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(text("SET LOCAL lock_timeout = '5s'"))
            conn.execute(text("UPDATE schema_version SET version = version"))
            conn.rollback()
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)  # the driver's own message, without SQL
        reason = (str(orig) if orig is not None else str(exc)).strip().splitlines()[0]
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


def read_manifest(path: Path) -> dict[str, Any]:
    """manifest.yml as data (a YAML parser: Slack accepts block and flow forms alike)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {str(exc).splitlines()[0]}") from None
    return data if isinstance(data, dict) else {}


def manifest_scopes(path: Path) -> list[str]:
    """The bot scopes listed under oauth_config.scopes.bot in manifest.yml."""
    scopes = ((read_manifest(path).get("oauth_config") or {}).get("scopes") or {}).get("bot")
    return [str(s).strip() for s in scopes or [] if str(s).strip()]


def manifest_socket_mode(path: Path) -> bool | None:
    """settings.socket_mode_enabled in manifest.yml, or None when it does not say."""
    value = (read_manifest(path).get("settings") or {}).get("socket_mode_enabled")
    return value if isinstance(value, bool) else None


def find_manifest() -> Path | None:
    """The team's manifest.yml (in this folder, as `batchbot init` writes it), else the one
    batchbot ships (same scopes)."""
    for path in (
        Path.cwd() / "manifest.yml",
        Path(__file__).resolve().parent / "data" / "manifest.yml",
    ):
        if path.is_file():
            return path
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
        yield Check("slack scopes", "skip", "not checked: auth.test failed")
        return
    except (SlackClientError, OSError) as exc:
        yield fail(
            "slack",
            f"cannot reach SLACK_API_URL {settings.slack_api_url}: {type(exc).__name__}",
            "check the network, proxies and SLACK_API_URL",
        )
        yield Check("slack scopes", "skip", "not checked: Slack was not reached")
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
    try:
        wanted = manifest_scopes(manifest)
    except (OSError, ValueError) as exc:
        yield fail("slack scopes", f"cannot read {manifest}: {exc}", "fix manifest.yml")
        return
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


def serve_check(settings: Settings, socket_mode: bool | None) -> Check:
    """What `batchbot serve` would refuse, for the mode this installation runs in."""
    if socket_mode is None:
        manifest = Path.cwd() / "manifest.yml"  # the team's own, as `batchbot init` wrote it
        from_manifest = None
        if manifest.is_file():
            try:
                from_manifest = manifest_socket_mode(manifest)
            except (OSError, ValueError):
                from_manifest = None
        if from_manifest is not None:
            socket_mode, why = from_manifest, "socket_mode_enabled in manifest.yml"
        else:
            socket_mode, why = bool(settings.slack_app_token), "SLACK_APP_TOKEN is set"
            if not socket_mode:
                why = "no manifest.yml says otherwise"
    else:
        why = "--socket-mode" if socket_mode else "--http"
    mode = "Socket Mode" if socket_mode else "HTTP"
    command = "batchbot serve --socket-mode" if socket_mode else "batchbot serve"
    missing = settings.missing_for_serving(socket_mode)
    if not settings.slack_bot_token:
        return Check(
            "serve",
            "skip",
            f"SLACK_BOT_TOKEN is not set: `{command}` would refuse to start "
            "(the command line works without Slack)",
        )
    if missing:
        return fail(
            "serve",
            f"{mode} ({why}): `{command}` would refuse to start: {'; '.join(missing)}",
            "set them in the environment or .env (see manifest.yml and .env.example)",
        )
    return ok("serve", f"{mode} ({why}): `{command}` has the tokens it needs")


# --------------------------------------------------------------------------- GitHub


def github_checks(settings: Settings) -> Iterator[Check]:
    """Token accepted, repository reachable, issues writable — for `report publish` and the
    weekly job's issue. Nothing is created: the write probe is an issue without a title,
    which GitHub refuses with 422 when the token may write issues and 403 when it may not."""
    from bot.github import GitHubNotConfigured, config_from_settings

    if not (settings.github_token or settings.github_app_id or settings.github_private_key):
        yield Check(
            "github",
            "skip",
            "BATCHBOT_GITHUB_TOKEN is not set (needed only for metrics collect and the "
            "report issue)",
        )
        return
    try:
        config = config_from_settings(settings)
    except GitHubNotConfigured as exc:
        yield fail("github", str(exc), "see the README's GitHub section")
        return
    from bot.github import build_adapter
    from bot.github.config import INSTALL_HINT, NOT_INSTALLED

    fix = (
        "a fine-grained token for that repository with Issues: read and write "
        "(and Actions: read, Dependabot alerts: read for metrics)"
    )
    try:
        adapter = build_adapter(settings)
    except GitHubNotConfigured as exc:  # or PyGithub (the `github` extra) is missing
        missing = str(exc) == NOT_INSTALLED
        yield fail(
            "github",
            str(exc).split(":")[0] if missing else str(exc),
            INSTALL_HINT if missing else fix,
        )
        return
    from bot.github.client import explain

    try:
        repo = adapter.repo()
        full_name = repo.full_name
    except Exception as exc:
        why = explain(exc, config, config.repo)
        yield fail("github", f"{config.repo} at {config.api_url}: {why}", fix)
        adapter.close()
        return
    yield ok("github", f"{full_name} reachable at {config.api_url}")
    try:
        status, _headers, _body = adapter.gh.requester.requestJson(
            "POST", f"/repos/{config.repo}/issues", input={"title": ""}
        )
    except Exception as exc:
        yield fail("github issues", explain(exc, config, "issues"), fix)
        return
    finally:
        adapter.close()
    if status == 422:
        yield ok("github issues", "the token may write issues (the weekly report issue)")
    elif status in (401, 403, 404):
        yield fail(
            "github issues",
            f"the token may not write issues in {config.repo} ({status})",
            fix,
        )
    else:
        yield Check("github issues", "warn", f"GitHub answered {status} to the write probe", fix)


# --------------------------------------------------------------------------- running


def env_file_check() -> Iterator[Check]:
    """`.env` lines python-dotenv cannot parse are dropped without a word (an unclosed quote
    loses the setting): name them. An unreadable `.env` is the settings check's to report."""
    from bot.localenv import ENV_FILE

    path = Path(ENV_FILE)
    if not path.is_file():
        return
    from dotenv.parser import parse_stream

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    import io

    bad = [str(b.original.line) for b in parse_stream(io.StringIO(text)) if b.error]
    if bad:
        yield Check(
            ".env",
            "warn",
            f"line{'s' if len(bad) > 1 else ''} {', '.join(bad)} of {ENV_FILE} cannot be read "
            "and are ignored",
            "one NAME=value per line; quote a value with spaces and close the quote",
        )


def manifest_check() -> Iterator[Check]:
    """The team's manifest.yml (as `batchbot init` wrote it): Slack takes only a YAML
    mapping, and doctor reads its mode and scopes from it."""
    path = Path.cwd() / "manifest.yml"
    if not path.exists():
        return
    try:
        if not path.is_file():
            raise ValueError("not a file")
        data = read_manifest(path)
        if not data:
            raise ValueError("not a Slack app manifest (no settings, features or oauth_config)")
    except (OSError, ValueError) as exc:
        yield Check(
            "manifest",
            "warn",
            f"manifest.yml cannot be used: {exc}; the Slack mode and scopes are not read from it",
            "fix it: a YAML mapping with display_information, features, oauth_config and "
            "settings, as `batchbot init` writes it",
        )


def run_checks(settings: Settings, plan: Path, socket_mode: bool | None = None) -> Iterator[Check]:
    yield from env_file_check()
    yield from manifest_check()
    yield serve_check(settings, socket_mode)
    git = check_git()
    yield git
    yield check_plan(settings, plan)
    yield from team_checks(settings, plan)
    if git.status != "ok":
        yield Check("repository", "skip", "not checked: git is missing")
    elif settings.remote_mode:
        yield from remote_mode_checks(settings)
    else:
        yield from repository_checks(settings, plan)
    yield check_database(settings.database_url)
    yield from slack_checks(settings)
    yield from github_checks(settings)
    yield from program_github_checks(settings, plan)
    yield from program_name_checks(settings, plan)
    yield extras_check()


#: The optional extras (pyproject.toml), the package each brings, and what it is for.
EXTRAS = (
    ("postgres", "psycopg", "a PostgreSQL DATABASE_URL"),
    ("github", "github", "metrics, the report issue, linked work"),
    ("charts", "matplotlib", "the burn-up as a PNG file"),
)


def extras_check() -> Check:
    """Which optional extras this install has, so a team lead sees what a plain install
    leaves out (the checks above fail only for an extra the settings need). Found, not
    imported: matplotlib alone takes a second to import."""
    import importlib.util

    have = [name for name, module, _ in EXTRAS if importlib.util.find_spec(module) is not None]
    missing = [f"{name} ({why})" for name, module, why in EXTRAS if name not in have]
    detail = f"installed: {', '.join(have) or 'none'}"
    if missing:
        detail += f"; not installed: {', '.join(missing)} — pip install './batchbot[NAME]'"
    return ok("extras", detail)


def program_github_checks(settings: Settings, plan: Path) -> Iterator[Check]:
    """Each further program (`plan/<program>.toml`) publishes to the repository its own plan
    names; the environment's is the first program's only, so one without is not published."""
    if settings.remote_mode or not (settings.github_token or settings.github_app_id):
        return
    from bot.plan import codec
    from bot.plan.model import PlanInvalid
    from bot.plan.program_files import other_plan_files, program_id

    for path in other_plan_files(plan):
        pid = program_id(path)
        try:
            repo = dict(codec.read(path).team).get("github_repo")
        except PlanInvalid:
            yield Check(f"github {pid}", "skip", f"{path.name} is not valid")
            continue
        if repo:
            yield ok(f"github {pid}", f"{pid}'s reports are published to {repo}")
        else:
            yield Check(
                f"github {pid}",
                "warn",
                f"{pid}'s reports are posted but not published: its plan names no repository",
                f"/batch {pid} settings github_repo=owner/name",
            )


def program_name_checks(settings: Settings, plan: Path) -> Iterator[Check]:
    """A program named like a command (`plan/team.toml`) does not take the command away
    (bot.commands.programs.named_program), but `/batch team` then never means the program:
    say so before the team wonders."""
    if settings.remote_mode:
        return
    from bot.commands import COMMAND_WORDS
    from bot.plan.program_files import other_plan_files, program_id, skipped_files

    if plan.suffix.lower() == ".toml" and plan.parent.is_dir():
        for path in skipped_files(plan.parent):
            shown = f"{path.parent.name}/{path.name}"
            if path.is_symlink() or not path.is_file():
                why, fix = "it is a link (or not a file)", "put the plan file itself there"
            else:
                why = "a program's name is letters, digits, '-', '_' or '.' (`/batch NAME …`)"
                fix = f"rename it, e.g. git mv '{shown}' {path.parent.name}/NAME.toml"
            yield Check(f"program {path.stem}", "warn", f"{shown} is not served: {why}", fix)

    for path in other_plan_files(plan):
        pid, folder = program_id(path), path.parent.name
        if pid in COMMAND_WORDS:
            yield Check(
                f"program {pid}",
                "warn",
                f"{folder}/{path.name}: '{pid}' is also a command, so `/batch {pid}` stays the "
                f"command; this program is reached as `/batch {pid} status`, by its channel or "
                "`--program`",
                f"rename it: git mv {folder}/{path.name} {folder}/{pid}-plan.toml (the file name "
                "is the program)",
            )


def main(opts: dict[str, Any], out: Callable[[str], None] = print) -> int:
    """`batchbot doctor`; exit 1 when any check failed. Every check runs, whatever failed."""
    from bot.settings import load_settings_leniently

    overrides = {"execution_plan_path": opts["plan"]} if opts.get("plan") else {}
    settings, problems = load_settings_leniently(**overrides)
    failed = bool(problems)
    if problems:
        detail = "; ".join(problems) + " (the checks below use the defaults instead)"
        out(fail("settings", detail, "fix them in the environment or .env").line())
    else:
        out(ok("settings", "loaded, every value valid").line())
    for check in run_checks(settings, Path(settings.execution_plan_path), opts.get("socket_mode")):
        out(check.line())
        failed = failed or check.status == "FAIL"
        sys.stdout.flush()
    return 1 if failed else 0
