"""End to end over Socket Mode: the real `batchbot serve --socket-mode` process gets its
WebSocket URL from the fake Web API (`apps.connections.open` with the xapp- token), connects
to the fake Socket Mode server on loopback and answers envelopes exactly as it would Slack's.
No signing secret is involved: over Socket Mode nothing is signed."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHIPPED_PLAN, clean_env, committed_repo, git
from tests.fakeslack import FakeSlack, FakeSocketMode, validate_blocks
from tests.serveproc import ServeProcess, spawn_serve

TOKEN = "xoxb-socket-e2e-token"
APP_TOKEN = "xapp-1-A0APP-1-socketmodesecret"
USERS = {
    "U0ALICE": {"name": "alice", "real_name": "Alice Doe", "tz": "America/New_York"},
    "U0BOB": {"name": "bob", "real_name": "Bob Roe", "tz": "Asia/Tokyo"},
    "U0EVE": {"name": "eve", "real_name": "Eve", "tz": "UTC"},
}

pytestmark = pytest.mark.e2e


@dataclass
class SocketBot:
    proc: subprocess.Popen[str] | ServeProcess
    plan: Path
    repo: Path
    fake: FakeSlack
    sm: FakeSocketMode
    log: Path

    def slash(
        self,
        text: str,
        key: str = "cmd",
        user: str = "U0ALICE",
        name: str = "alice",
        channel: str = "C0PLAN",
        **kw: Any,
    ) -> str:
        """Push `/batch <text>` as a slash_commands envelope; return its envelope_id."""
        return self.sm.slash_command(
            text,
            user_id=user,
            user_name=name,
            channel_id=channel,
            response_url=self.fake.response_url(key),
            trigger_id=f"trig-{key}",
            **kw,
        )

    def reply(self, key: str = "cmd", count: int = 1) -> dict[str, Any]:
        return self.fake.wait_for_response(key, count, timeout=10)[count - 1].body

    def commits(self) -> int:
        return int(git(self.repo, "rev-list", "--count", "HEAD").strip())

    def logs(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def launch(
    tmp: Path,
    fake: FakeSlack,
    app_token: str = APP_TOKEN,
    files: dict[str, str] | None = None,
    **extra: str,
) -> tuple[Path, Path, Path, Any]:
    """Start `batchbot serve --socket-mode` (no PORT, no signing secret); return paths + proc.
    `files`: more files committed first (`plan/beta.toml`: a second program)."""
    repo = committed_repo(tmp / "repo", message="plan", date=None)
    plan = repo / "plan" / "execution-plan.toml"
    if files:
        for name, content in files.items():
            (repo / name).write_text(content)
        git(repo, "add", ".")
        git(repo, "commit", "-qm", "more programs")
    env = clean_env()
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_APP_TOKEN": app_token,
            "SLACK_API_URL": fake.url,
            "EXECUTION_PLAN_PATH": str(plan),
            "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
            "BATCHBOT_SCHEDULER": "false",
            **extra,
        }
    )
    log = tmp / "server.log"
    proc = spawn_serve(["serve", "--socket-mode"], cwd=tmp, env=env, log=log)
    return repo, plan, log, proc


def start_socket_bot(
    tmp: Path,
    fake: FakeSlack,
    sm: FakeSocketMode,
    files: dict[str, str] | None = None,
    **extra: str,
) -> SocketBot:
    repo, plan, log, proc = launch(tmp, fake, files=files, **extra)
    deadline = time.monotonic() + 20
    while True:
        try:
            sm.wait_connected(timeout=0.1)
            break
        except TimeoutError:
            if proc.poll() is not None:
                raise RuntimeError(f"bot exited: {log.read_text()}") from None
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"bot never connected: {log.read_text()}") from None
    return SocketBot(proc, plan, repo, fake, sm, log)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, team_id="T0TEAM", users=USERS, app_token=APP_TOKEN) as f:
        yield f


@pytest.fixture
def sm(fake: FakeSlack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode(fake) as s:
        yield s


@pytest.fixture
def bot(tmp_path: Path, fake: FakeSlack, sm: FakeSocketMode) -> Iterator[SocketBot]:
    b = start_socket_bot(tmp_path, fake, sm)
    try:
        yield b
    finally:
        b.stop()


def test_connects_with_the_app_token_only(bot: SocketBot) -> None:
    (opened,) = bot.fake.calls_to("apps.connections.open")
    assert opened.ok, opened.response
    assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
    assert opened.response["url"].startswith(f"ws://127.0.0.1:{bot.sm.port}/link/?ticket=")
    # The bot token is for the Web API; the app token for nothing else.
    others = [c for c in bot.fake.calls if c.method != "apps.connections.open"]
    assert others and all(c.headers["authorization"] == f"Bearer {TOKEN}" for c in others)


def test_status_is_acked_and_answered_on_the_response_url(bot: SocketBot) -> None:
    pushed = time.time()
    envelope = bot.slash("status")
    ack = bot.sm.wait_for_ack(envelope)
    assert ack.payload is None  # a bare ack: the answer goes to response_url
    assert ack.time - pushed < 3  # Slack's deadline for an ack
    reply = bot.reply()
    assert reply["response_type"] == "ephemeral"
    text = json.dumps(reply["blocks"], ensure_ascii=False)
    for name in ("Critical Blockers", "Infrastructure", "Observability"):
        assert name in text
    assert validate_blocks(reply["blocks"], max_blocks=50) == []


def test_update_commits_and_announces_in_channel(bot: SocketBot) -> None:
    before = bot.commits()
    envelope = bot.slash("update batch-1 progress=40")
    assert bot.sm.wait_for_ack(envelope).payload is None
    reply = bot.reply()
    assert reply["response_type"] == "in_channel"
    text = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "*Alice Doe* updated *Critical Blockers*" in text and "0 → 40" in text  # not a ping
    assert bot.commits() == before + 1
    author = git(bot.repo, "log", "-1", "--format=%an <%ae>").strip()
    assert author == "alice (U0ALICE) <U0ALICE@users.slack.invalid>"
    assert tomllib.loads(bot.plan.read_text())["batches"][0]["progress"] == 40


def test_app_home_opened_publishes_the_dashboard(bot: SocketBot) -> None:
    envelope = bot.sm.event(
        {"type": "app_home_opened", "user": "U0ALICE", "tab": "home", "channel": "D0ALICE"}
    )
    assert bot.sm.wait_for_ack(envelope).payload is None
    (call,) = bot.fake.wait_for("views.publish", timeout=10)
    assert call.ok, call.response
    assert call.args["user_id"] == "U0ALICE"
    assert "Critical Blockers" in json.dumps(call.args["view"])


def test_modal_submit_errors_ride_back_on_the_ack(bot: SocketBot) -> None:
    """Over Socket Mode a view_submission's `response_action` is the ack's payload."""
    bot.sm.wait_for_ack(bot.slash("update batch-2", key="m"))
    (opened,) = bot.fake.wait_for("views.open", timeout=10)
    assert opened.ok, opened.response
    assert opened.args["trigger_id"] == "trig-m"
    view = opened.args["view"]
    state = {
        "status": {"value": {"type": "static_select", "selected_option": {"value": "queued"}}},
        "progress": {"value": {"type": "plain_text_input", "value": "250"}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM", "domain": "batchbot-test"},
        "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "token": "verification-token",
        "trigger_id": "trig-submit",
        "view": {**view, "id": "V1", "team_id": "T0TEAM", "state": {"values": state}},
    }
    before = bot.commits()
    ack = bot.sm.wait_for_ack(bot.sm.interactive(payload))
    assert ack.payload is not None and ack.payload["response_action"] == "errors"
    assert "progress must be 0–100" in ack.payload["errors"]["progress"]
    assert bot.commits() == before


def test_request_from_another_workspace_is_refused_in_the_ack(bot: SocketBot) -> None:
    before = (bot.commits(), bot.plan.read_bytes())
    ack = bot.sm.wait_for_ack(bot.slash("update batch-1 progress=99", key="o", team_id="T0OTHER"))
    assert ack.payload is not None and "refused" in ack.payload["text"]
    time.sleep(0.3)
    assert (bot.commits(), bot.plan.read_bytes()) == before
    assert not [r for r in bot.fake.responses if r.name == "o"]


def test_reconnects_when_slack_asks_for_a_refresh(bot: SocketBot) -> None:
    """Slack sends `disconnect` (refresh_requested) every few hours; tickets are single-use,
    so the bot must call apps.connections.open again and keep answering."""
    bot.sm.disconnect("refresh_requested")
    bot.sm.wait_connected(opened=2, timeout=10)
    assert len(bot.fake.calls_to("apps.connections.open")) == 2
    bot.sm.wait_for_ack(bot.slash("status", key="after"), timeout=10)
    assert "Critical Blockers" in json.dumps(bot.reply("after"))


def test_sigterm_stops_the_bot_within_ten_seconds_and_closes_the_socket(bot: SocketBot) -> None:
    bot.sm.wait_for_ack(bot.slash("status"))
    bot.reply()
    started = time.monotonic()
    bot.proc.send_signal(signal.SIGTERM)
    assert bot.proc.wait(10) == 0
    assert time.monotonic() - started < 10
    deadline = time.monotonic() + 5
    while bot.sm.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bot.sm.connections == []
    logs = bot.logs()
    assert "batchbot stopped" in logs
    assert TOKEN not in logs and APP_TOKEN not in logs


def _run_with_wrong_app_token(tmp_path: Path, fake: FakeSlack) -> tuple[int, str, float]:
    _, _, log, proc = launch(tmp_path, fake, app_token="xapp-1-A0APP-1-revoked")
    started = time.monotonic()
    try:
        code = proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    return code, log.read_text(), time.monotonic() - started


def test_wrong_app_token_stops_the_start(
    tmp_path: Path, fake: FakeSlack, sm: FakeSocketMode
) -> None:
    code, logs, took = _run_with_wrong_app_token(tmp_path, fake)
    assert code == 1 and took < 10
    (opened,) = fake.calls_to("apps.connections.open")  # asked once, not retried forever
    assert opened.response == {"ok": False, "error": "invalid_auth"}
    assert "invalid_auth" in logs
    assert sm.opened == 0
    assert "xapp-1-A0APP-1-revoked" not in logs and TOKEN not in logs


def test_wrong_app_token_is_reported_in_one_line(
    tmp_path: Path, fake: FakeSlack, sm: FakeSocketMode
) -> None:
    _, logs, _ = _run_with_wrong_app_token(tmp_path, fake)
    assert "Traceback" not in logs
    assert "batchbot cannot start" in logs and "SLACK_APP_TOKEN" in logs


def test_with_a_port_socket_mode_answers_the_health_check_there(
    tmp_path: Path, fake: FakeSlack, sm: FakeSocketMode
) -> None:
    """A host that routes HTTP and checks health (Heroku, a load balancer) gets /healthz on
    $PORT even over Socket Mode; Slack's own traffic stays on the socket."""
    import socket
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bot = start_socket_bot(tmp_path, fake, sm, PORT=str(port), BATCHBOT_HOST="127.0.0.1")
    try:
        deadline = time.monotonic() + 30  # a loaded machine starts slowly
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    status, body = r.status, json.loads(r.read())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert status == 200 and body["ok"] is True and body["team"] == "T0TEAM"
        with pytest.raises(urllib.error.HTTPError) as events:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/slack/events", b"{}", timeout=2)
        assert events.value.code == 404
    finally:
        bot.stop()
    assert bot.proc.returncode == 0, bot.logs()


# -- two programs over Socket Mode (as tests/e2e/test_programs_e2e.py does over HTTP) -------

BETA_TEAM = """
[team]
editors = ["U0BOB"]
standup_channel = "C0BETA"

[[team.people]]
id = "U0BOB"

[[team.people]]
id = "U0EVE"
"""
TWO_PROGRAMS_ENV = {"BATCHBOT_EDITORS": "U0ALICE,U0EVE", "BATCHBOT_STANDUP_CHANNEL": "C0ALPHA"}


@pytest.fixture
def two(tmp_path: Path, fake: FakeSlack, sm: FakeSocketMode) -> Iterator[SocketBot]:
    """`plan/execution-plan.toml` (its team from the environment: Alice and Eve edit it) and
    `plan/beta.toml` (Bob edits it; Bob and Eve are its people): Eve is in both."""
    beta = SHIPPED_PLAN.read_text().replace('name = "', 'name = "Beta: ', 1) + BETA_TEAM
    b = start_socket_bot(tmp_path, fake, sm, files={"plan/beta.toml": beta}, **TWO_PROGRAMS_ENV)
    try:
        yield b
    finally:
        b.stop()


def answer(bot: SocketBot, text: str, key: str, user: str, channel: str) -> str:
    envelope = bot.slash(text, key=key, user=user, name=user[2:].lower(), channel=channel)
    assert bot.sm.wait_for_ack(envelope).payload is None
    return json.dumps(bot.reply(key), ensure_ascii=False)


def test_two_programs_over_socket_mode_route_by_channel(two: SocketBot) -> None:
    assert "Beta: " in answer(two, "status", "in-beta", "U0BOB", "C0BETA")
    assert "Beta: " not in answer(two, "status", "in-alpha", "U0BOB", "C0ALPHA")


def test_two_programs_over_socket_mode_route_by_explicit_name_with_per_program_access(
    two: SocketBot,
) -> None:
    before = two.commits()
    assert "not allowed" in answer(two, "beta update batch-1 progress=10", "no", "U0ALICE", "C0X")
    assert two.commits() == before
    assert "progress" in answer(two, "beta update batch-1 progress=10", "yes", "U0BOB", "C0X")
    assert two.commits() == before + 1
    changed = git(two.repo, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["plan/beta.toml"]
    assert "not allowed" in answer(two, "update batch-1 progress=20", "alpha", "U0BOB", "C0ALPHA")


def test_two_programs_over_socket_mode_route_a_dm_to_the_only_program_or_ask(
    two: SocketBot,
) -> None:
    assert "Beta: " in answer(two, "status", "bob", "U0BOB", "D0BOB")
    asked = answer(two, "status", "eve", "U0EVE", "D0EVE")
    assert "which program?" in asked and "/batch beta status" in asked
    assert "[beta] Team settings" in answer(two, "beta settings", "named", "U0EVE", "D0EVE")


def test_two_programs_over_socket_mode_app_home_lists_both_for_a_person_in_both(
    two: SocketBot,
) -> None:
    envelope = two.sm.event({"type": "app_home_opened", "user": "U0EVE", "tab": "home"})
    assert two.sm.wait_for_ack(envelope).payload is None
    (call,) = two.fake.wait_for("views.publish", timeout=10)
    assert call.ok, call.response
    shown = json.dumps(call.args["view"], ensure_ascii=False)
    assert "`execution-plan`" in shown and "`beta`" in shown
