"""`POST /github/webhook`: a signed `push` to the plan's branch makes the bot sync at once;
a signed `issues` or `pull_request` delivery re-measures the batches linked to GitHub work.

GitHub signs each delivery with `X-Hub-Signature-256: sha256=HMAC-SHA256(secret, raw body)`.
Nothing is parsed before the signature checks out, the comparison is constant-time, and the
only thing a valid delivery can do is wake the sync loop — which fetches from the configured
remote, never from a URL in the payload.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("batchbot.webhook")
MAX_BODY = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip())


def handle_delivery(
    secret: str,
    branch: Callable[[], str | None],
    trigger: Callable[[], None] | None,
    headers: dict[str, str],
    body: bytes,
    on_work: Callable[[], None] | None = None,
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON answer) for one delivery. `trigger` None: no plan remote to sync."""
    if not signature_ok(secret, body, headers.get("x-hub-signature-256")):
        log.warning("refused a GitHub webhook delivery with a missing or wrong signature")
        return 401, {"ok": False, "error": "bad signature"}
    event = headers.get("x-github-event", "")
    if event == "ping":
        return 200, {"ok": True, "event": "ping"}
    if event in ("issues", "pull_request") and on_work is not None:
        on_work()  # the payload is not trusted for numbers: the refresh asks GitHub itself
        return 202, {"ok": True, "linked": "refresh started"}
    if event != "push" or trigger is None:
        return 202, {"ok": True, "ignored": event or "unknown event"}
    try:
        payload = json.loads(body)
        ref = str(payload.get("ref", ""))
    except (ValueError, AttributeError):
        return 400, {"ok": False, "error": "body is not a JSON object"}
    wanted = branch()
    if wanted is not None and ref != f"refs/heads/{wanted}":
        return 202, {"ok": True, "ignored": ref}
    trigger()
    return 202, {"ok": True, "sync": "started"}


def read_body(environ: dict[str, Any]) -> bytes | None:
    """The raw body, or None when it is larger than GitHub ever sends."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length < 0 or length > MAX_BODY:
        return None
    return environ["wsgi.input"].read(length) if length else b""


def wsgi_headers(environ: dict[str, Any]) -> dict[str, str]:
    return {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }


class Debounced:
    """Runs `work` on its own thread once deliveries pause for `quiet` seconds: a burst of
    webhooks (a milestone closed in bulk) costs one refresh, never one per delivery, and the
    HTTP answer never waits for GitHub."""

    def __init__(self, work: Callable[[], None], quiet: float = 2.0) -> None:
        import threading

        self._work = work
        self._quiet = quiet
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def __call__(self) -> None:
        import threading

        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self._quiet, self._run)
            self._timer.daemon = True
            self._timer.start()

    def _run(self) -> None:
        try:
            self._work()
        except Exception:
            log.exception("refreshing linked batches after a webhook failed")
