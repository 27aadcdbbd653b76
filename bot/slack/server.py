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


Health = Callable[[], tuple[bool, dict[str, Any]]]
Webhook = Callable[[dict[str, str], bytes], tuple[int, dict[str, Any]]]


def _json_response(
    start_response: Callable[..., Any], status: str, data: dict[str, Any]
) -> list[bytes]:
    body = json.dumps(data).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def wsgi_app(  # type: ignore[no-untyped-def]
    handler: Callable[..., Iterable[bytes]],
    health: Health,
    webhook: Webhook | None = None,
):
    """/slack/events → Bolt; /healthz → JSON (503 when no valid plan can be served);
    /github/webhook → a sync (when a secret is set); anything else → 404."""
    from bot.webhook import read_body, wsgi_headers

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in ("GET", "HEAD"):
            ok, data = health()
            return _json_response(
                start_response, "200 OK" if ok else "503 Service Unavailable", data
            )
        if path == "/slack/events":
            return handler(environ, start_response)
        if path == "/github/webhook" and webhook is not None and method == "POST":
            body = read_body(environ)
            if body is None:
                return _json_response(start_response, "413 Payload Too Large", {"ok": False})
            status, data = webhook(wsgi_headers(environ), body)
            reason = {200: "OK", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized"}
            return _json_response(start_response, f"{status} {reason.get(status, '')}", data)
        body = b"Not Found"
        start_response(
            "404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


def check_plan_home(settings: Any) -> str | None:
    """Why `serve` must not start in local mode here, or None. A host with a throwaway disk
    and no .git (a Heroku slug) would lose every change: that needs remote mode."""
    from bot.plan.gitrepo import GitRepo

    if settings.remote_mode:
        return None
    path = settings.execution_plan_path
    if GitRepo.find(path.absolute()) is None:
        return (
            f"{path} is not in a git repository, so changes could not be committed and would "
            "be lost on a restart; run inside a checkout of the plan's repository, or set "
            "BATCHBOT_GIT_URL (remote mode: the bot clones the repository itself)"
        )
    return None


def main(opts: dict[str, Any]) -> int:
    from bot.settings import SettingsError, load_settings

    try:
        overrides: dict[str, Any] = {}
        if opts.get("plan"):
            overrides["execution_plan_path"] = opts["plan"]
        if opts.get("push"):
            overrides["git_push"] = True
        settings = load_settings(**overrides)
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
    refused = check_plan_home(settings)
    if refused:
        print(f"batchbot cannot start: {refused}", file=sys.stderr)
        return 1
    if settings.plan_path_ignored:
        log.warning("EXECUTION_PLAN_PATH is ignored in remote mode; BATCHBOT_PLAN_FILE is used")

    from bot.runtime import build_runtime, tell_admins_plan_invalid
    from bot.slack.app import build_app
    from bot.slack.messenger import SlackMessenger, make_client

    token = settings.slack_bot_token.get_secret_value()  # type: ignore[union-attr]
    client = make_client(token, settings.slack_api_url)
    try:
        rt = build_runtime(settings, SlackMessenger(client))
        remote = _remote_store(rt)
        if remote is not None:
            remote.on_invalid = lambda sha, why: tell_admins_plan_invalid(rt, sha, why)
            state = remote.start()  # the same as runtime.start_store, with the tip logged
            log.info(
                "plan from %s (branch %s) at %s",
                _safe_url(settings.git_url),
                remote.branch,
                (state.sha or "?")[:10],
            )
        rt.store.load()
        app, edge = build_app(rt, socket_mode=socket_mode)
    except Exception as exc:
        print(f"batchbot cannot start: {exc}", file=sys.stderr)
        return 1
    if remote is not None:
        remote.on_change = lambda before, after: edge.after_change()
        remote.start_sync()

    scheduler = None
    if settings.scheduler and not opts.get("no-scheduler"):
        from bot.jobs import start_scheduler

        scheduler = start_scheduler(rt)

    stop = threading.Event()
    stopping: list[float] = []  # when SIGTERM (or SIGINT) came: the shutdown deadline's start

    def health() -> tuple[bool, dict[str, Any]]:
        data: dict[str, Any] = {
            "ok": True,
            "team": edge.team_id,
            "uptime_s": round(time.time() - STARTED, 1),
            "scheduler": bool(scheduler and scheduler.running),
        }
        gone = rt.db.gone()
        if gone is not None:  # writes would be refused: take this instance out of service
            data |= {"ok": False, "database": gone}
            return False, data
        try:
            rt.store.load()
        except Exception as exc:  # no valid plan to serve: a host's health check must see it
            data |= {"ok": False, "plan": _short_error(exc)}
            return False, data
        notice = rt.store.notice()
        if remote is not None:
            data["plan_sha"] = (remote.state().sha or "")[:10]
            data["push_attempts"] = remote.push_attempts
            data["pushes"] = remote.pushes
        if notice:
            data["plan_notice"] = notice
        return True, data

    webhook = None
    secret = settings.github_webhook_secret
    github = getattr(rt.ctx, "github", None)
    if secret is not None and (remote is not None or github is not None):
        from bot.webhook import Debounced, handle_delivery

        store = remote
        refresh = Debounced(lambda: _refresh_links(rt, edge)) if github is not None else None

        def webhook(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
            return handle_delivery(
                secret.get_secret_value(),
                lambda: store.branch if store else None,
                store.trigger_sync if store else None,
                headers,
                body,
                on_work=refresh,
            )

    def shutdown(*_: Any) -> None:
        stopping.append(time.monotonic())
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
        _settle()
        if handler.client.is_connected():
            log.info("batchbot connected over Socket Mode")
        else:
            log.warning("Socket Mode connection not up yet; slack_sdk keeps retrying")
        side = _side_server(settings, health, webhook)
        stop.wait()
        if side is not None:
            side.close()
        close_socket_mode(handler.client)
    else:
        from waitress.server import create_server

        from bot.slack.body import slack_http_handler

        server = create_server(
            wsgi_app(slack_http_handler(app, settings), health, webhook),
            host=settings.host,
            port=settings.port,
            threads=settings.server_threads,
            ident="batchbot",
            channel_timeout=30,
        )

        def on_term(*_: Any) -> None:
            # waitress's loop catches SystemExit, lets running requests finish (≤ 5 s) and
            # cancels the queue; we then stop the scheduler and drain follow-up work.
            stopping.append(time.monotonic())
            stop.set()
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, on_term)
        signal.signal(signal.SIGINT, on_term)
        log.info("batchbot listening on http://%s:%s/slack/events", settings.host, settings.port)
        _settle()
        server.run()
    _close(rt, edge, scheduler, stopping[0] if stopping else None)
    log.info("batchbot stopped")
    return 0


def _refresh_links(rt: Any, edge: Any) -> None:
    """An issue or pull request changed on GitHub: re-measure the linked batches now."""
    from bot.report.job import BOT_ACTOR
    from bot.report.linked import refresh_links

    # Every program with its own GitHub: each measures its links in its own repository.
    for pid, ctx in (getattr(rt, "programs", None) or {"": rt.ctx}).items():
        github = ctx.github
        if github is None or not getattr(github, "publishes", lambda: True)():
            continue
        result, saved = refresh_links(ctx.store, github, rt.clock(), BOT_ACTOR, via="webhook")
        for batch, why in result.failed.items():
            log.warning("linked batch %s of %s not measured: %s", batch, pid, why)
        if saved is not None and saved.changes:
            edge.after_change()


def _settle() -> None:
    """Keep garbage collection out of the acknowledgements' way: everything built at start
    (Bolt, the plan, pydantic models, Slack clients) moves to a generation the collector never
    walks again, so a full collection during a burst costs milliseconds, not a tail of
    hundreds (measured: bench/bench_faults.py burst)."""
    import gc

    gc.collect()
    gc.freeze()
    # Hand the interpreter lock over every 1 ms instead of 5: a request being acknowledged
    # waits at most that long for a worker drawing a reply.
    sys.setswitchinterval(0.001)


def _side_server(settings: Any, health: Health, webhook: Webhook | None) -> Any:
    """Socket Mode with PORT set (a host that routes HTTP and checks health, like Heroku):
    serve /healthz and /github/webhook there too; Slack's own traffic stays on the socket."""
    if "port" not in settings.model_fields_set:
        return None
    from waitress.server import create_server

    def no_events(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        return _json_response(
            start_response, "404 Not Found", {"ok": False, "error": "this bot uses Socket Mode"}
        )

    server = create_server(
        wsgi_app(no_events, health, webhook),
        host=settings.host,
        port=settings.port,
        threads=2,
        ident="batchbot",
    )
    threading.Thread(target=server.run, name="healthz", daemon=True).start()
    log.info("health check on http://%s:%s/healthz", settings.host, settings.port)
    return server


def close_socket_mode(client: Any) -> None:
    """Close slack_sdk's built-in Socket Mode client without its wait of up to 3 s.

    Its `close()` takes the socket's receive lock, which the reader thread holds while it sits
    in `recv()` with a 3 s timeout (slack_sdk's `Connection.receive_timeout`, which the client
    does not let us set), so every SIGTERM cost up to 3 s. We first do what `close()` does
    first (no reconnect, the session's reader told to stop), then shut the socket down, which
    wakes the reader at once; `close()` then finds the lock free. Its message processor waits
    up to 1 s on an empty queue: a None (which it skips) wakes it too."""
    import contextlib
    import socket

    client.closed = True
    client.auto_reconnect_enabled = False
    client.current_session_state.terminated = True
    sock = getattr(client.current_session, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed by the peer: nothing to wake
            sock.shutdown(socket.SHUT_RDWR)
    client.message_queue.put(None)
    client.close()


def _close(rt: Any, edge: Any, scheduler: Any, stopping: float | None = None) -> None:
    """Stop scheduling, finish every acknowledged command (its write must land), give the
    replies until BATCHBOT_SHUTDOWN_SECONDS after `stopping` (SIGTERM's time.monotonic()),
    stop syncing, close the DB — in that order."""
    if scheduler is not None:
        scheduler.shutdown(wait=False)
    started = stopping if stopping is not None else time.monotonic()
    # two seconds are kept for stopping the sync, closing the database and exiting
    edge.drain(started + max(0.5, rt.settings.shutdown_seconds - 2.0))
    remote = _remote_store(rt)
    if remote is not None:
        remote.stop_sync()
    rt.db.close()


def _remote_store(rt: Any) -> Any:
    from bot.plan.remote import RemotePlanStore

    return rt.store if isinstance(rt.store, RemotePlanStore) else None


def _safe_url(url: str | None) -> str:
    from bot.redact import redact

    return redact(url or "")


def _short_error(exc: Exception) -> str:
    text = str(exc).splitlines()
    return " ".join(text[:2])[:300]
