"""Check Slack's request signature before anything reads the body as data.

Bolt verifies signatures in a middleware, i.e. after it has parsed the body and the signing
headers: `X-Slack-Request-Timestamp: abc` raised inside Bolt (500 and a traceback in the log),
and an unsigned `{x` or `payload=notjson` reached the parser. Here, at the WSGI level, an
unsigned request is refused first: 400 when the signing headers are malformed, 401 when the
signature is missing, wrong or older than five minutes (Slack's rule; Bolt's check, still on
behind this one, uses the same window). One warning line per refusal, no traceback.

slack_sdk's `SignatureVerifier` computes the signature (kept library code, not our own HMAC);
this module only adds the header checks it leaves to its caller.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk.signature import Clock, SignatureVerifier

log = logging.getLogger("batchbot.slack")

MAX_AGE_S = 5 * 60
MAX_BODY = 1 << 20  # Slack's bodies are a few kB; refuse to buffer megabytes from strangers
_TIMESTAMP = re.compile(r"\d{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def refusal(
    headers: dict[str, str], body: bytes, verifier: SignatureVerifier, now: float
) -> tuple[int, str] | None:
    """(status, reason) when the request is not signed by Slack, None when it is."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if timestamp is None or signature is None:
        return 401, "no Slack signature headers"
    if not _TIMESTAMP.fullmatch(timestamp.strip()):
        return 400, "X-Slack-Request-Timestamp is not a Unix time"
    if abs(now - int(timestamp)) > MAX_AGE_S:
        return 401, "the request is older than five minutes (or from the future)"
    if not _SIGNATURE.fullmatch(signature.strip()):
        return 401, "X-Slack-Signature is not a v0 signature"
    try:
        body.decode("utf-8")  # Slack sends UTF-8; slack_sdk's verifier would raise on other bytes
    except UnicodeDecodeError:
        return 400, "the body is not UTF-8"
    if not verifier.is_valid(body, timestamp.strip(), signature.strip()):
        return 401, "the signature does not match"
    return None


class _Clock(Clock):
    """slack_sdk's verifier asks a Clock for now; ours is injectable for tests."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


def signed_only(inner: WsgiApp, secret: str, clock: Callable[[], float] = time.time) -> WsgiApp:
    """Wrap the Slack WSGI handler: POSTs pass on only when Slack signed them."""
    verifier = SignatureVerifier(secret, clock=_Clock(clock))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return inner(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return _refuse(start_response, environ, 400 if length < 0 else 413, "bad body length")
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].lower().replace("_", "-"): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        refused = refusal(headers, body, verifier, clock())
        if refused is not None:
            return _refuse(start_response, environ, *refused)
        environ["wsgi.input"] = io.BytesIO(body)  # the handler reads it again
        return inner(environ, start_response)

    return app


_REASONS = {400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large"}


def _refuse(
    start_response: Callable[..., Any], environ: dict[str, Any], status: int, why: str
) -> Iterable[bytes]:
    log.warning(
        "refused a request to %s from %s: %s (%s)",
        environ.get("PATH_INFO", ""),
        environ.get("REMOTE_ADDR", "?"),
        why,
        status,
    )
    body = _REASONS[status].encode()
    start_response(
        f"{status} {_REASONS[status]}",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
    )
    return [body]
