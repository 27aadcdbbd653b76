"""`batchbot init [DIR]`: a folder a team can run and deploy from, as the README's guides say.

It writes the starter plan (dated from today, so nothing is overdue on the first dashboard),
the Slack app manifest for the mode the bot will run in (Socket Mode, or HTTP with the bot's
public URL in every request URL), `.env.example`, and what each deploy guide needs:
`requirements.txt` and `.python-version` (Heroku's Python buildpack refuses an app without
them), a `Procfile`, and `deploy/batchbot.service` (a systemd unit that `systemd-analyze
verify` accepts). A `.gitignore` keeps `.env` and the database out of git, and the folder
becomes a git repository with a first commit — the plan's history is git, so every later
change has something to commit onto. It never overwrites a file: if one exists, nothing is
written.

batchbot is not on the package index, so `requirements.txt` pins it to where this copy came
from (a git URL and commit, read from pip's install record), or to `--source`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

GITIGNORE = ".env\n*.db\n*.db-wal\n*.db-shm\n"
PLACEHOLDER_SOURCE = "git+https://YOUR-GIT-HOST/batchbot.git"
URL_RE = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[\w./~%-]*)?")


class InitError(Exception):
    """Why the folder was not set up; nothing was written."""


@dataclass(frozen=True)
class SlackMode:
    """Socket Mode, or HTTP at `url` (the bot's public base URL; None: fill in later)."""

    socket: bool
    url: str | None = None

    @property
    def serve(self) -> str:
        return "batchbot serve --socket-mode" if self.socket else "batchbot serve"


@dataclass(frozen=True)
class Started:
    written: list[Path]
    notes: list[str]  # what the person still has to do, one line each
    new_repository: bool = True  # False: committed onto the repository the folder was in


def check_url(url: str) -> str:
    """The bot's public base URL, without a trailing slash; InitError when it is not one."""
    url = url.strip().rstrip("/")
    port = re.match(r"https?://[^/:]*:(\d+)", url)
    if not URL_RE.fullmatch(url) or (port and not 0 < int(port.group(1)) < 65536):
        raise InitError(
            f"--url {url!r} is not the bot's public base URL (like https://bot.example.com; "
            "a port is 1-65535)"
        )
    return url.removesuffix("/slack/events")


def check_source(source: str) -> str:
    source = source.strip()
    if not source or source.startswith("-") or re.search(r"\s", source):
        raise InitError(
            f"--source {source!r} is not something pip installs (like "
            "git+https://git.example.com/batchbot.git@v0.1.0 or ./batchbot-0.1.0-py3-none-any.whl)"
        )
    return source


# --------------------------------------------------------------------------- the files


def starter_plan(template: str, today: dt.date) -> str:
    """The packaged plan with `[program] start` set to today (targets count weeks from it)."""
    text, n = re.subn(
        r"(?m)^start = \d{4}-\d{2}-\d{2}$", f"start = {today.isoformat()}", template, count=1
    )
    if n != 1:
        raise InitError("the packaged starter plan has no [program] start line")
    return text


def manifest_for(template: str, mode: SlackMode) -> str:
    """The packaged manifest for one mode: socket_mode_enabled and the request URLs agree.

    Edited as text so its comments stay; the result is checked with a YAML parser.
    """
    lines = [x for x in template.splitlines() if not x.startswith("#")]
    body = "\n".join(lines) + "\n"
    if mode.socket:
        head = (
            "# Slack app manifest for batchbot in Socket Mode (`batchbot serve --socket-mode`):\n"
            "# no public URL needed. In https://api.slack.com/apps choose Create New App →\n"
            "# From an app manifest, pick your workspace and paste this file. Then create an\n"
            "# App-Level Token with connections:write (SLACK_APP_TOKEN).\n"
        )
        body = re.sub(r"(?m)^ *(request_)?url: .*\n", "", body)
        body = body.replace("socket_mode_enabled: false", "socket_mode_enabled: true")
    else:
        base = mode.url or "https://YOUR-HOST"
        fill = "" if mode.url else " Replace https://YOUR-HOST with it (three places) first."
        head = (
            f"# Slack app manifest for batchbot over HTTP (`batchbot serve`), at {base}.{fill}\n"
            "# In https://api.slack.com/apps choose Create New App → From an app manifest, pick\n"
            "# your workspace and paste this file; Slack verifies /slack/events at that URL.\n"
        )
        body = body.replace("https://YOUR-HOST", base)
        body = body.replace("socket_mode_enabled: true", "socket_mode_enabled: false")
    text = head + body
    _check_manifest(text, mode)
    return text


def _check_manifest(text: str, mode: SlackMode) -> None:
    import yaml

    data = yaml.safe_load(text)
    settings = data["settings"]
    urls = [settings.get("event_subscriptions", {}).get("request_url")]
    urls.append(settings.get("interactivity", {}).get("request_url"))
    urls += [c.get("url") for c in data["features"].get("slash_commands", [])]
    if settings["socket_mode_enabled"] is not mode.socket:
        raise InitError("the packaged manifest has no socket_mode_enabled line to set")
    if mode.socket and any(urls):
        raise InitError("the packaged manifest kept a request URL in Socket Mode")
    if not mode.socket and not all(u and u.endswith("/slack/events") for u in urls):
        raise InitError("the packaged manifest lacks a request URL for HTTP mode")


def installed_source() -> str | None:
    """Where this batchbot was installed from, as a pip URL another host can reach, or None.

    pip records it in `direct_url.json` (PEP 610): a git URL and commit, or a local folder —
    usable when that folder is a git checkout with a remote (its URL and the commit); a wheel
    file or a folder without a remote is not reachable from a host.
    """
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        raw = distribution("batchbot").read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    if not raw:  # from a package index: the same index can serve it again
        from importlib.metadata import version

        return f"=={version('batchbot')}"
    info = json.loads(raw)
    url = str(info.get("url", ""))
    if "vcs_info" in info:
        return f"{info['vcs_info'].get('vcs', 'git')}+{url}@{info['vcs_info']['commit_id']}"
    if "dir_info" in info and url.startswith("file://"):
        from urllib.parse import unquote, urlsplit

        folder = Path(unquote(urlsplit(url).path))
        origin = _git(folder, "remote", "get-url", "origin")
        commit = _git(folder, "rev-parse", "HEAD")
        if origin.returncode == 0 and commit.returncode == 0:
            return f"{_pip_git_url(origin.stdout.strip())}@{commit.stdout.strip()}"
    return None


def _pip_git_url(remote: str) -> str:
    """A git remote as pip's `git+…` URL (scp-like ssh and plain paths included)."""
    scp = re.fullmatch(r"([\w.-]+@)?([\w.-]+):(?!//)(.+)", remote)
    if scp and not Path(remote).exists():
        return f"git+ssh://{scp.group(1) or ''}{scp.group(2)}/{scp.group(3)}"
    if re.match(r"^[a-z][\w+.-]*://", remote):
        return f"git+{remote}"
    # file://localhost/…: pip's requirement parser refuses a git+file URL without a host.
    return "git+file://localhost" + Path(remote).resolve().as_uri().removeprefix("file://")


#: What a team's host installs: the database driver a shared deployment needs and GitHub
#: (the weekly report issue, metrics, linked work), both optional in a plain install.
PINNED_EXTRAS = "batchbot[postgres,github]"


def requirements(source: str | None) -> str:
    if source is None:
        source = PLACEHOLDER_SOURCE
    line = f"{PINNED_EXTRAS}{source}" if source.startswith("==") else f"{PINNED_EXTRAS} @ {source}"
    return (
        "# What a host installs (Heroku's Python buildpack runs pip install -r requirements.txt).\n"
        "# batchbot is not on the package index: this pins the copy `batchbot init` ran from.\n"
        "# Extras: postgres (the PostgreSQL driver), github (metrics, the report issue, linked\n"
        "# work); add charts for the burn-up as a PNG file (matplotlib, ~170 MB).\n"
        f"{line}\n"
    )


def systemd_unit(folder: Path, mode: SlackMode, user: str) -> str:
    """A unit for `batchbot serve` in `folder` (local mode: the plan's checkout).

    systemd has no end-of-line comments, so every comment is a line of its own.
    """
    exe = Path(sys.executable).with_name("batchbot")
    command = str(exe) if exe.is_file() else f"{sys.executable} -m bot"
    serve = "serve --socket-mode" if mode.socket else "serve"
    return f"""[Unit]
Description=batchbot: the delivery plan in {folder} on Slack
Documentation=https://api.slack.com/apps
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User={user}
# The plan's checkout: serve commits there, and reads .env there too.
WorkingDirectory={folder}
# The settings (SLACK_BOT_TOKEN=…, one per line), mode 0600. They override Environment=
# below; a .env in the working directory does not (the environment wins over .env).
EnvironmentFile=/etc/batchbot.env
# /var/lib/batchbot, owned by {user}: the database lives there, not in /.
StateDirectory=batchbot
Environment=DATABASE_URL=sqlite:////var/lib/batchbot/batchbot.db
ExecStart={command} {serve}
Restart=on-failure
RestartSec=5
KillSignal=SIGTERM
TimeoutStopSec=30

[Install]
WantedBy=multi-user.target
"""


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}\n"


# --------------------------------------------------------------------------- writing


def init_folder(
    target: Path,
    mode: SlackMode,
    *,
    source: str | None = None,
    today: dt.date | None = None,
) -> Started:
    """Write the starter files into `target` and commit them."""
    if shutil.which("git") is None:
        raise InitError("git is not installed; batchbot keeps the plan's history in git")
    if mode.url is not None:
        mode = SlackMode(mode.socket, check_url(mode.url))
    notes: list[str] = []
    if source is not None:
        source = check_source(source)
    else:
        source = installed_source()
        if source is None:
            notes.append(
                "requirements.txt: this batchbot came from a wheel or a folder without a git "
                "remote, which a host cannot reach; put its git URL in (or run init with "
                "--source git+https://…/batchbot.git@TAG)"
            )
    user = getpass.getuser()
    if os.name == "posix" and os.geteuid() == 0:
        user = "batchbot"  # never run the bot as root
        notes.append(
            "deploy/batchbot.service runs as user batchbot: create it and let it own this "
            "folder (chown -R batchbot .)"
        )
    if not mode.socket and mode.url is None:
        notes.append("manifest.yml: replace https://YOUR-HOST with the bot's public URL")
    folder = target.absolute()
    data = files("bot") / "data"
    plan = data / "execution-plan.toml"
    contents: dict[str, str] = {
        "plan/execution-plan.toml": starter_plan(
            plan.read_text(encoding="utf-8"), today or dt.date.today()
        ),
        "manifest.yml": manifest_for((data / "manifest.yml").read_text(encoding="utf-8"), mode),
        ".env.example": (data / "env.example").read_text(encoding="utf-8"),
        "requirements.txt": requirements(source),
        ".python-version": python_version(),
        "Procfile": f"web: {mode.serve}\n",
        "deploy/batchbot.service": systemd_unit(Path(os.path.normpath(folder)), mode, user),
    }
    ignore = target / ".gitignore"
    if not os.path.lexists(ignore):
        contents[".gitignore"] = GITIGNORE
    _refuse_in_the_way(target, list(contents))
    written: list[Path] = []
    made: list[Path] = []  # folders init created, removed again if it fails
    try:
        for name, text in contents.items():
            path = target / name
            for folder in reversed(path.parents):
                if not folder.exists():
                    folder.mkdir()
                    made.append(folder)
            with path.open("x", encoding="utf-8") as f:  # never over a file that came meanwhile
                written.append(path)
                f.write(text)
        new_repository = _commit(target, written)
    except (OSError, InitError) as exc:
        _undo(written, made)
        if isinstance(exc, InitError):
            raise
        raise InitError(
            f"cannot write {exc.filename or target}: {exc.strerror or exc}; nothing was written"
        ) from None
    return Started(written, notes, new_repository)


def _refuse_in_the_way(target: Path, names: list[str]) -> None:
    """InitError when a starter file exists (a dangling link too: writing would follow it) or
    when something not a folder stands where init needs one (`deploy` as a file, DIR a file)."""
    for name in names:
        path = target / name
        if os.path.lexists(path):
            raise InitError(f"{path} already exists; nothing was written")
        for folder in path.parents:
            if os.path.lexists(folder) and not folder.is_dir():
                raise InitError(f"{folder} is not a folder; nothing was written")


def _undo(written: list[Path], made: list[Path]) -> None:
    """Take back what a failed init wrote: its files, then the folders it made (deepest
    first); a git repository it created goes with the target folder only if init made it."""
    for path in written:
        with contextlib.suppress(OSError):
            path.unlink()
    for folder in reversed(made):
        shutil.rmtree(folder, ignore_errors=True)


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True)


def _commit(folder: Path, paths: list[Path]) -> bool:
    """Commit the starter files alone (whatever else an existing repository has staged);
    when that fails, the repository is left as it was: a new one removed, an old one's index
    without them. True when the repository is new."""
    created = False
    if _git(folder, "rev-parse", "--git-dir").returncode != 0:
        init = _git(folder, "init", "-q", "-b", "main")
        if init.returncode != 0:  # git older than 2.28 has no -b
            init = _git(folder, "init", "-q")
        if init.returncode != 0:
            raise InitError(f"git init failed: {init.stderr.strip()}; nothing was written")
        created = True
    names = [str(p.relative_to(folder)) for p in paths]
    try:
        added = _git(folder, "add", "--", *names)
        if added.returncode != 0:
            raise InitError(f"git add failed: {added.stderr.strip()}; nothing was written")
        identity: list[str] = []
        if not _git(folder, "config", "user.email").stdout.strip():
            # No identity yet: commit as batchbot rather than fail; the team's own follow.
            identity = ["-c", "user.name=batchbot init", "-c", "user.email=batchbot@localhost"]
        message = "Start the delivery plan (batchbot init)"
        done = _git(folder, *identity, "commit", "-q", "-m", message, "--", *names)
        if done.returncode != 0:
            why = (done.stderr.strip() or done.stdout.strip()).splitlines()
            raise InitError(
                f"git commit failed: {why[-1] if why else 'no reason given'}; nothing was written"
            )
    except InitError:
        if created:
            shutil.rmtree(folder / ".git", ignore_errors=True)
        else:
            _git(folder, "rm", "-q", "--cached", "--ignore-unmatch", "--", *names)
        raise
    return created
