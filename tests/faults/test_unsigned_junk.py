"""Issue 12 item 8: junk and forgeries are refused before anything parses them.

A request without a valid Slack signature is answered 400 (malformed signing headers) or 401
(bad or stale signature) with one log line — never 500, never a traceback — and a signed body
that is not a form or JSON object is a 400. Through the edge in process and through
`batchbot serve`.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.fakeslack import FORM, JSON, FakeSlack, post_signed, sign, slash_command_body
from tests.faults.conftest import SECRET, TEAM, USERS, EdgeUnderTest


def hdr(ts: str | int, signature: str) -> dict[str, str]:
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": signature}


def signed(body: bytes, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    return hdr(ts, sign(secret, body, ts))


def junk_cases() -> list[tuple[str, bytes, str, dict[str, str], int]]:
    """(name, body, content type, headers, expected status), signed now: built when a test
    runs, not when tests are collected (a long suite would make them stale)."""
    cmd = slash_command_body(text="status")
    now = str(int(time.time()))
    return [
        ("timestamp abc", cmd, FORM, hdr("abc", "v0=00"), 400),
        ("timestamp empty", cmd, FORM, hdr("", "v0=00"), 400),
        ("timestamp 1e3", cmd, FORM, hdr("1e3", "v0=00"), 400),
        ("no headers", cmd, FORM, {}, 401),
        ("signature not hex", cmd, FORM, hdr(now, "v0=\u00ff" * 3), 401),
        ("body {x unsigned", b"{x", JSON, hdr(now, "v0=00"), 401),
        ("payload=notjson unsigned", b"payload=notjson", FORM, hdr(now, "v0=00"), 401),
        ("forged", cmd, FORM, signed(cmd, secret="wrong"), 401),
        ("stale", cmd, FORM, signed(cmd, int(now) - 600), 401),
        ("signed payload=notjson", b"payload=notjson", FORM, signed(b"payload=notjson"), 400),
        ("signed {x", b"{x", JSON, signed(b"{x"), 400),
        ("signed JSON list", b"[1]", JSON, signed(b"[1]"), 400),
        ("signed bad utf-8", b"text=\xff\xfe", FORM, signed(b"text=\xff\xfe"), 400),
    ]


@pytest.mark.parametrize("name", [case[0] for case in junk_cases()])
def test_junk_is_refused_with_one_log_line_and_no_traceback(
    slack_edge: EdgeUnderTest, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    _name, body, ctype, headers, expected = {c[0]: c for c in junk_cases()}[name]
    before = slack_edge.commits()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        status, _out = slack_edge.post(body, ctype, headers={"Content-Type": ctype, **headers})
    assert status == expected
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert not any(r.exc_info for r in caplog.records)
    assert slack_edge.commits() == before


def test_a_valid_request_still_passes_the_check(slack_edge: EdgeUnderTest) -> None:
    key = slack_edge.key()
    body = slash_command_body(text="status", response_url=slack_edge.fake.response_url(key))
    status, _ = slack_edge.post(body)
    assert status == 200
    assert "Infrastructure" in str(slack_edge.answer(key))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.e2e.test_slack_e2e import TOKEN as E2E_TOKEN
    from tests.e2e.test_slack_e2e import running, start_bot

    tmp: Path = tmp_path_factory.mktemp("served-junk")
    with (
        FakeSlack(token=E2E_TOKEN, team_id=TEAM, users=USERS) as fake,
        running(start_bot(tmp, fake)) as bot,
    ):
        yield bot


@pytest.mark.e2e
def test_batchbot_serve_refuses_junk_without_a_traceback(served: Any) -> None:
    from tests.e2e.test_slack_e2e import SECRET as E2E_SECRET

    now = str(int(time.time()))
    for body, ctype, headers in (
        (b"{x", JSON, hdr("abc", "v0=0")),
        (b"payload=notjson", FORM, hdr(now, "v0=0")),
    ):
        req = urllib.request.Request(
            served.url, data=body, headers={"Content-Type": ctype, **headers}, method="POST"
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(req, timeout=5)
        assert refused.value.code in (400, 401)
    status, _, _ = post_signed(served.url, b"payload=notjson", E2E_SECRET, FORM)
    assert status == 400
    time.sleep(0.2)
    log = served.logs()
    assert "Traceback" not in log and " 500 " not in log, log
