"""A token never leaks in encoded form, and never travels over plain http (issue 18 item 3).

git sends the remote token as `Authorization: Basic base64("x-access-token:TOKEN")`; a
remote that echoes the request into its error put that header, readable, into the reply
and the log, because only the raw token was masked. Real git against a real loopback HTTP
server that echoes the header, real settings from the environment.
"""

from __future__ import annotations

import base64
import http.server
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.github import GitHubConfig
from bot.logs import TextFormatter, TokenFilter
from bot.plan.remote import NotSaved, RemoteConfig, RemotePlanStore
from bot.redact import redact
from bot.settings import SettingsError, load_settings

TOKEN = "ghp_R3alTokenValue0123456789abcdefABCDEF"
BASIC = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()


def pkt(line: str) -> bytes:
    data = line.encode()
    return f"{len(data) + 4:04x}".encode() + data


@pytest.fixture
def echoing_remote() -> Iterator[str]:
    """A smart-HTTP git remote that refuses with an ERR line quoting the request's header."""

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            auth = self.headers.get("Authorization")
            if not auth:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = pkt("# service=git-upload-pack\n") + b"0000" + pkt(f"ERR bad header {auth}")
            self.send_response(200)
            self.send_header("Content-Type", "application/x-git-upload-pack-advertisement")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/acme/plan.git"
    finally:
        server.shutdown()
        server.server_close()


def test_a_remote_echoing_the_auth_header_shows_no_credential(
    echoing_remote: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = RemotePlanStore(RemoteConfig(url=echoing_remote, workdir=tmp_path / "w", token=TOKEN))
    with caplog.at_level(logging.DEBUG), pytest.raises(NotSaved) as caught:
        store.start()
    said = str(caught.value) + caplog.text
    assert "bad header" in said  # the echo did come back …
    assert BASIC not in said and BASIC.rstrip("=") not in said and TOKEN not in said  # … masked


@pytest.mark.parametrize(
    "leak",
    [
        TOKEN,
        BASIC,
        f"Authorization: Basic {BASIC}",
        f"authorization: bearer {TOKEN}",
        f"Authorization: token {TOKEN}",
        f"https://x-access-token:{TOKEN}@github.com/acme/plan.git",
        base64.b64encode(f"someone:{TOKEN}".encode()).decode(),
        base64.b64encode(f"ab:{TOKEN}".encode()).decode(),
        base64.b64encode(TOKEN.encode()).decode(),
    ],
)
def test_redact_masks_every_form_of_the_token(leak: str) -> None:
    out = redact(f"remote said: {leak} (end)", TOKEN)
    raw = TOKEN.encode()
    pieces = (
        [TOKEN]
        + [  # the token, and its base64 at each of the three byte alignments
            base64.b64encode(raw[k : k + 3 * ((len(raw) - k) // 3)]).decode() for k in range(3)
        ]
    )
    for piece in pieces:  # no 12-character run of any of them survives
        for start in range(len(piece) - 12):
            assert piece[start : start + 12] not in out, out


def test_the_log_filter_masks_an_auth_header_it_was_never_told_about() -> None:
    record = logging.LogRecord("git", logging.ERROR, __file__, 1, "git said %s", (BASIC,), None)
    record.msg = "git said Authorization: Basic %s"
    TokenFilter().filter(record)
    line = TextFormatter().format(record)
    assert BASIC not in line and "Authorization: Basic ***" in line


# -- a token is never sent over plain http -----------------------------------------------------
def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> object:
    for name in ("BATCHBOT_GIT_URL", "BATCHBOT_GIT_TOKEN", "BATCHBOT_GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


@pytest.mark.parametrize(
    "env",
    [
        {"BATCHBOT_GIT_URL": "http://git.example.com/acme/plan.git", "BATCHBOT_GIT_TOKEN": TOKEN},
        {
            "BATCHBOT_GITHUB_API_URL": "http://ghe.example.com/api/v3",
            "BATCHBOT_GITHUB_TOKEN": TOKEN,
        },
    ],
)
def test_a_token_for_a_plain_http_url_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    with pytest.raises(SettingsError) as caught:
        _settings(monkeypatch, **env)
    assert "plain http:// and a token would be sent in the clear" in str(caught.value)
    assert "BATCHBOT_ALLOW_INSECURE_HTTP" in str(caught.value)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "env",
    [
        {
            "BATCHBOT_GIT_URL": "http://git.example.com/acme/plan.git",
            "BATCHBOT_GIT_TOKEN": TOKEN,
            "BATCHBOT_ALLOW_INSECURE_HTTP": "true",
        },
        {"BATCHBOT_GITHUB_API_URL": "http://127.0.0.1:8080", "BATCHBOT_GITHUB_TOKEN": TOKEN},
        {"BATCHBOT_GITHUB_API_URL": "http://[::1]:8080", "BATCHBOT_GITHUB_TOKEN": TOKEN},
        {"BATCHBOT_GIT_URL": "http://localhost/acme/plan.git", "BATCHBOT_GIT_TOKEN": TOKEN},
        {"BATCHBOT_GIT_URL": "http://git.example.com/acme/plan.git"},  # no token: nothing sent
    ],
)
def test_loopback_an_explicit_opt_in_or_no_token_is_allowed(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    _settings(monkeypatch, **env)


def test_the_github_adapter_refuses_a_plain_http_api_even_when_built_directly() -> None:
    from bot.github.client import GitHubAdapter

    with pytest.raises(ValueError, match="in the clear"):
        GitHubAdapter(GitHubConfig(repo="a/b", token=TOKEN, api_url="http://ghe.example.com"))
