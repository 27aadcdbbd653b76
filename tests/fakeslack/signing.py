"""Build and send requests to a Bolt app exactly the way Slack signs and encodes them.

End-to-end tests must go through Bolt's real signature check rather than bypass it, so a
broken signing-secret setup fails in tests instead of in production. The payload builders
produce the same fields Slack sends (per https://docs.slack.dev/interactivity/
implementing-slash-commands and the Events API envelope), and ``post_signed`` lets tests
forge a signature or send a stale timestamp to prove the app refuses them.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_seq = itertools.count(1)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Slack's v0 signature: ``v0=`` + hex HMAC-SHA256(secret, ``v0:{timestamp}:{body}``)."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: bytes, content_type: str = FORM, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Slack attaches to every request (useful for in-process ``BoltRequest``)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(secret, body, ts),
    }


def slash_command_body(
    command: str = "/batch",
    text: str = "",
    user_id: str = "U0USER",
    user_name: str = "alice",
    team_id: str = "T0TEAM",
    channel_id: str = "C0CHAN",
    response_url: str = "https://hooks.slack.com/commands/T0TEAM/1/x",
    trigger_id: str | None = None,
    *,
    team_domain: str = "batchbot-test",
    channel_name: str = "general",
    api_app_id: str = "A0APP",
    token: str = "verification-token",
) -> bytes:
    """Form body of a slash command, with every field Slack sends, in Slack's order."""
    fields = {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or f"{next(_seq)}.1234567890.0123456789abcdef0123456789abcdef",
    }
    return urlencode(fields).encode()


def interactive_body(payload: dict[str, Any]) -> bytes:
    """Form body of an interaction (block_actions, view_submission, ...): ``payload=<json>``."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(
    event: dict[str, Any],
    team_id: str = "T0TEAM",
    *,
    api_app_id: str = "A0APP",
    bot_user_id: str = "UBOT",
    event_id: str | None = None,
    event_time: int | None = None,
    token: str = "verification-token",
) -> bytes:
    """JSON ``event_callback`` envelope as the Events API delivers it."""
    envelope = {
        "token": token,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_seq):010d}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(envelope).encode()


def url_verification_body(challenge: str = "challenge-token") -> bytes:
    """The one-off handshake Slack sends when the Request URL is configured."""
    return json.dumps(
        {"token": "verification-token", "challenge": challenge, "type": "url_verification"}
    ).encode()


def post_signed(
    url: str,
    body: bytes,
    secret: str,
    content_type: str = FORM,
    timestamp: int | None = None,
    signature: str | None = None,
    timeout: float = 5.0,
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` to ``url`` signed like Slack; return (status, headers, body).

    ``timestamp`` defaults to now; pass an old one to test replay protection. ``signature``
    overrides the computed one to test forgery. Proxies are bypassed on purpose: the target
    is a local server and a proxy env var must not silently reroute the test. HTTP errors
    are returned, not raised, because asserting a 401 is the point of many tests.
    """
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature if signature is not None else sign(secret, body, ts),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()
