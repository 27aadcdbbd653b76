"""Start real `batchbot serve` processes in remote mode against a bare repository on disk
(playing GitHub) and one shared database. Shared by the remote e2e specs and bench."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import clean_env, committed_repo, git
from tests.fakeslack import FORM, FakeSlack, post_signed, slash_command_body
from tests.serveproc import ServeProcess, spawn_serve

SECRET = "remote-signing-secret"
TOKEN = "xoxb-remote-token"
HOOK_SECRET = "github-hook-secret"
PLAN = "plan/execution-plan.toml"
USERS = {
    "U0ALICE": {"name": "alice", "real_name": "Alice Doe", "tz": "UTC"},
    "U0BOB": {"name": "bob", "real_name": "Bob Roe", "tz": "UTC"},
    "U0EVE": {"name": "eve", "real_name": "Eve", "tz": "UTC"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_remote(tmp: Path) -> Path:
    """A bare repository holding the shipped plan on `main`, as GitHub would."""
    seed = committed_repo(tmp / "seed", date=None)
    bare = tmp / "origin.git"
    git(tmp, "clone", "-q", "--bare", str(seed), str(bare))
    return bare


def slow_pushes(remote: Path, seconds: float) -> None:
    """Every push to the remote takes `seconds` (GitHub takes about 1.5 s)."""
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f'#!/bin/sh\ntouch "$GIT_DIR/push-started"\nsleep {seconds}\ncat >/dev/null\n')
    hook.chmod(0o755)


def push_upstream(remote: Path, tmp: Path, old: str, new: str, name: str = "pr") -> str:
    """Commit straight to the remote's main, as a merged pull request does; its sha."""
    work = tmp / f"pr-{name}-{time.monotonic_ns()}"
    git(tmp, "clone", "-q", str(remote), str(work))
    git(work, "config", "user.name", "Merger")
    git(work, "config", "user.email", "merger@example.com")
    path = work / PLAN
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    git(work, "commit", "-qam", f"Merge pull request: {new[:40]}")
    git(work, "push", "-q", "origin", "HEAD:main")
    sha = git(work, "rev-parse", "HEAD").strip()
    shutil.rmtree(work)
    return sha


def remote_sha(remote: Path) -> str:
    return git(remote, "rev-parse", "main").strip()


@dataclass
class RemoteBot:
    name: str
    base: str
    proc: subprocess.Popen[str] | ServeProcess
    workdir: Path
    fake: FakeSlack
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def events_url(self) -> str:
        return f"{self.base}/slack/events"

    def slash(self, text: str, key: str, user: str = "U0ALICE") -> tuple[int, float]:
        """POST a signed /batch; (HTTP status, seconds until the ack came back)."""
        body = slash_command_body(
            text=text,
            user_id=user,
            user_name=USERS[user]["name"],
            team_id="T0TEAM",
            channel_id="C0PLAN",
            response_url=self.fake.response_url(key),
            trigger_id=f"trig-{key}",
        )
        started = time.perf_counter()
        status, _, _ = post_signed(self.events_url, body, SECRET, FORM)
        return status, time.perf_counter() - started

    def reply(self, key: str, timeout: float = 30) -> dict:  # type: ignore[type-arg]
        return self.fake.wait_for_response(key, 1, timeout=timeout)[0].body

    def health(self) -> tuple[int, dict]:  # type: ignore[type-arg]
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=5) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def webhook(self, payload: dict, secret: str | None = HOOK_SECRET) -> int:  # type: ignore[type-arg]
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": "push"}
        if secret is not None:
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = f"sha256={digest}"
        req = urllib.request.Request(f"{self.base}/github/webhook", body, headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def wait_sha(self, sha: str, timeout: float = 10) -> float:
        """Seconds until /healthz serves `sha`."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.health()[1].get("plan_sha") == sha[:10]:
                return time.perf_counter() - started
            time.sleep(0.02)
        raise AssertionError(f"{self.name} did not serve {sha[:10]} in {timeout}s: {self.logs()}")

    def logs(self) -> str:
        return self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_remote_bot(
    tmp: Path,
    fake: FakeSlack,
    remote: Path,
    name: str,
    *,
    sync_seconds: float = 1.0,
    extra_env: dict[str, str] | None = None,
    workdir: Path | None = None,
) -> RemoteBot:
    port = free_port()
    workdir = workdir or tmp / f"work-{name}"
    env = clean_env()
    env.pop("EXECUTION_PLAN_PATH", None)
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "PORT": str(port),
            "BATCHBOT_HOST": "127.0.0.1",
            "BATCHBOT_GIT_URL": str(remote),
            "BATCHBOT_WORKDIR": str(workdir),
            "BATCHBOT_SYNC_SECONDS": str(sync_seconds),
            "BATCHBOT_GITHUB_WEBHOOK_SECRET": HOOK_SECRET,
            "DATABASE_URL": f"sqlite:///{tmp / 'shared.db'}",
            "BATCHBOT_SCHEDULER": "false",
            **(extra_env or {}),
        }
    )
    run_dir = tmp / f"run-{name}"  # not a checkout: nothing on this disk matters
    run_dir.mkdir(exist_ok=True)
    log = tmp / f"server-{name}-{time.monotonic_ns()}.log"
    proc = spawn_serve(["serve"], cwd=run_dir, env=env, log=log)
    bot = RemoteBot(name, f"http://127.0.0.1:{port}", proc, workdir, fake, log, env)
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server {name} exited: {log.read_text()}")
        try:
            status, _ = bot.health()
            if status in (200, 503):
                return bot
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server {name} did not start: {log.read_text()}")


@contextmanager
def running(*bots: RemoteBot) -> Iterator[tuple[RemoteBot, ...]]:
    try:
        yield bots
    finally:
        for bot in bots:
            bot.stop()
