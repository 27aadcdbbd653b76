"""`batchbot serve`: the Bolt app under waitress (HTTP) or over Socket Mode, plus the scheduler.

waitress is a production WSGI server: multi-threaded (Bolt's own `app.start()` is a
single-threaded development server), pure Python, and it drains in-flight requests on SIGTERM.
It runs in one process, so the scheduler runs exactly once; several instances are still safe
because every scheduled post goes through a once-only claim in the shared database.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.logs import TokenFilter, setup_logging

__all__ = ["TokenFilter", "main", "setup_logging", "wsgi_app"]

log = logging.getLogger("batchbot")
STARTED = time.time()


def wsgi_app(handler: Callable[..., Iterable[bytes]], health: Callable[[], dict[str, Any]]):  # type: ignore[no-untyped-def]
    """/slack/events → Bolt; /healthz → a small JSON status; anything else → 404."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            body = json.dumps(health()).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        if path == "/slack/events":
            return handler(environ, start_response)
        body = b"Not Found"
        start_response(
            "404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


def main(opts: dict[str, Any]) -> int:
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 1
    socket_mode = bool(opts.get("socket-mode"))
    missing = settings.missing_for_serving(socket_mode)
    if missing:
        print(
            "batchbot cannot start; fix these settings:\n" + "\n".join(f"- {m}" for m in missing),
            file=sys.stderr,
        )
        return 1
    setup_logging(settings.log_level, settings.log_format)

    from bot.runtime import build_runtime
    from bot.slack.app import build_app
    from bot.slack.messenger import SlackMessenger, make_client

    token = settings.slack_bot_token.get_secret_value()  # type: ignore[union-attr]
    client = make_client(token, settings.slack_api_url)
    try:
        rt = build_runtime(settings, SlackMessenger(client))
        rt.store.load()
        app, edge = build_app(rt, socket_mode=socket_mode)
    except Exception as exc:
        print(f"batchbot cannot start: {exc}", file=sys.stderr)
        return 1

    scheduler = None
    if settings.scheduler and not opts.get("no-scheduler"):
        from bot.jobs import start_scheduler

        scheduler = start_scheduler(rt)

    stop = threading.Event()

    def health() -> dict[str, Any]:
        return {
            "ok": True,
            "team": edge.team_id,
            "uptime_s": round(time.time() - STARTED, 1),
            "scheduler": bool(scheduler and scheduler.running),
        }

    def shutdown(*_: Any) -> None:
        stop.set()

    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        app_token = settings.slack_app_token.get_secret_value()  # type: ignore[union-attr]
        handler = SocketModeHandler(app, app_token)
        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        from slack_sdk.errors import SlackApiError

        try:
            handler.connect()
        except SlackApiError as exc:
            code = exc.response.get("error", "unknown_error") if exc.response else "unknown_error"
            print(
                f"batchbot cannot start: Slack refused SLACK_APP_TOKEN ({code}); create an "
                "app-level token with connections:write",
                file=sys.stderr,
            )
            handler.close()
            _close(rt, edge, scheduler)
            return 1
        if handler.client.is_connected():
            log.info("batchbot connected over Socket Mode")
        else:
            log.warning("Socket Mode connection not up yet; slack_sdk keeps retrying")
        stop.wait()
        handler.close()
    else:
        from slack_bolt.adapter.wsgi import SlackRequestHandler
        from waitress.server import create_server

        server = create_server(
            wsgi_app(SlackRequestHandler(app), health),
            host=settings.host,
            port=settings.port,
            threads=settings.server_threads,
            ident="batchbot",
            channel_timeout=30,
        )

        def on_term(*_: Any) -> None:
            # waitress's loop catches SystemExit, lets running requests finish (≤ 5 s) and
            # cancels the queue; we then stop the scheduler and drain follow-up work.
            stop.set()
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, on_term)
        signal.signal(signal.SIGINT, on_term)
        log.info("batchbot listening on http://%s:%s/slack/events", settings.host, settings.port)
        server.run()
    _close(rt, edge, scheduler)
    log.info("batchbot stopped")
    return 0


def _close(rt: Any, edge: Any, scheduler: Any) -> None:
    """Stop scheduling, let follow-up work (replies, Home refreshes) finish, close the DB."""
    if scheduler is not None:
        scheduler.shutdown(wait=False)
    edge.pool.shutdown(wait=True, cancel_futures=False)
    rt.db.close()
