"""The real Slack edge, in process: `build_app` on a real runtime (git plan repo, SQLite) against
the fake Slack Web API, mounted exactly as `batchbot serve` mounts it, called through WSGI.

Calling the WSGI app directly (no sockets, no server process) makes one request cost about a
millisecond plus the work it causes, so the fuzzers can try hundreds of request shapes in a few
seconds; a smaller variant in test_http_fuzz.py goes through the real `batchbot serve` too.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import committed_repo, git
from tests.fakeslack import FORM, FakeSlack, signed_headers

SECRET = "faults-signing-secret"
TOKEN = "xoxb-faults-token"
TEAM = "T0TEAM"
USERS = {
    "U0ALICE": {"name": "alice", "real_name": "Alice Doe", "tz": "America/New_York"},
    "U0BOB": {"name": "bob", "real_name": "Bob Roe", "tz": "Asia/Tokyo"},
}


@dataclass
class EdgeUnderTest:
    """One running Slack edge: post bodies to it, read what it answered and what it sent."""

    wsgi: Any
    fake: FakeSlack
    repo: Path
    plan: Path
    edge: Any
    _seq: Any = field(default_factory=lambda: iter(range(1, 1 << 30)))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key(self) -> str:
        with self._lock:
            return f"k{next(self._seq)}"

    def post(
        self,
        body: bytes,
        content_type: str = FORM,
        headers: dict[str, str] | None = None,
        path: str = "/slack/events",
    ) -> tuple[int, bytes]:
        """POST through the WSGI app; signed like Slack unless `headers` are given."""
        hdrs = headers if headers is not None else signed_headers(SECRET, body, content_type)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "3000",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "CONTENT_LENGTH": str(len(body)),
        }
        for name, value in hdrs.items():
            if name.lower() == "content-type":
                environ["CONTENT_TYPE"] = value
            else:
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        status: list[str] = []

        def start_response(st: str, _headers: list[tuple[str, str]], *_: Any) -> None:
            status.append(st)

        out = b"".join(self.wsgi(environ, start_response))
        return int(status[0].split()[0]), out

    def answer(self, key: str, timeout: float = 10) -> dict[str, Any]:
        """The reply posted to response_url `key` (the command's answer)."""
        return self.fake.wait_for_response(key, 1, timeout=timeout)[0].body

    def commits(self) -> int:
        return int(git(self.repo, "rev-list", "--count", "HEAD").strip())


def build_edge(tmp: Path, fake: FakeSlack) -> tuple[Any, Any, Path, Path]:
    """A committed plan repo and the Slack edge over it, mounted like `batchbot serve` does."""
    from bot.runtime import build_runtime
    from bot.settings import Settings
    from bot.slack.app import build_app
    from bot.slack.body import slack_http_handler
    from bot.slack.messenger import SlackMessenger, make_client
    from bot.slack.server import wsgi_app

    repo = committed_repo(tmp / "repo", message="plan", date=None)
    plan = repo / "plan" / "execution-plan.toml"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.url,
        EXECUTION_PLAN_PATH=str(plan),
        DATABASE_URL=f"sqlite:///{tmp / 'bot.db'}",
        BATCHBOT_SCHEDULER="false",
    )
    rt = build_runtime(settings, SlackMessenger(make_client(TOKEN, fake.url)))
    app, edge = build_app(rt)
    wsgi = wsgi_app(slack_http_handler(app, settings), lambda: (True, {"ok": True}))
    return wsgi, edge, repo, plan


@pytest.fixture(scope="module")
def slack_edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeUnderTest]:
    """Module-scoped so a fuzzer's examples share one edge (hypothesis runs them in a loop)."""
    import os

    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.lower().endswith("_proxy")}
    tmp = tmp_path_factory.mktemp("edge")
    with FakeSlack(token=TOKEN, team_id=TEAM, users=USERS) as fake:
        wsgi, edge, repo, plan = build_edge(tmp, fake)
        try:
            yield EdgeUnderTest(wsgi, fake, repo, plan, edge)
        finally:
            edge.drain()
            edge.rt.db.close()
    os.environ.update(saved)


def payload_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)
