"""A loopback stand-in for Slack's Socket Mode WebSocket endpoint.

Socket Mode (https://docs.slack.dev/apis/events-api/using-socket-mode/) works like this:
the app calls ``apps.connections.open`` with its app-level token (``xapp-...``), gets a
one-time ``wss://.../link/?ticket=...`` URL, opens a WebSocket there and receives a
``hello`` message. Slack then pushes *envelopes* (``slash_commands``, ``events_api``,
``interactive``) and the app must answer each with ``{"envelope_id": ...}`` — plus a
``payload`` where the envelope ``accepts_response_payload`` — within 3 seconds.

``FakeSocketMode`` attaches to a ``FakeSlack`` (which answers ``apps.connections.open``) and
serves that WebSocket on 127.0.0.1 over plain ``ws://`` (slack_sdk's built-in client only
uses TLS on port 443). Tickets are single-use, as Slack's are, so a client that reconnects
must ask ``apps.connections.open`` again. Tests push envelopes with ``slash_command`` /
``event`` / ``interactive`` and wait for the app's acknowledgement with ``wait_for_ack``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from .server import FakeSlack, JsonDict
from .signing import event_body, slash_command_body

HOST = "applink-fake-0"  # Slack's debug_info names the edge host that served the socket


@dataclass(frozen=True)
class Ack:
    """One acknowledgement the app sent back: ``payload`` is None for a bare ack."""

    envelope_id: str
    payload: JsonDict | None
    raw: str
    time: float


class FakeSocketMode:
    """A real WebSocket server on 127.0.0.1 that speaks Slack's Socket Mode protocol.

    Use as a context manager next to a ``FakeSlack`` created with ``app_token=...``::

        with FakeSlack(token=..., app_token="xapp-1-...") as fake, FakeSocketMode(fake) as sm:
            ...  # start the app with SLACK_API_URL=fake.url
            sm.wait_connected()
            eid = sm.slash_command("status", response_url=fake.response_url("r"))
            sm.wait_for_ack(eid)
    """

    def __init__(self, fake: FakeSlack) -> None:
        if not fake.app_token:
            raise ValueError("Socket Mode needs FakeSlack(app_token='xapp-...')")
        self.fake = fake
        self._cond = threading.Condition(threading.RLock())
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self._opened = 0  # connections that got their hello, ever
        self._acks: list[Ack] = []
        self._received: list[str] = []  # every text frame from the app, acks or not
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeSocketMode:
        if self._server is not None:
            return self
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,
            server_header="FakeSlack/1.0",
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fakeslack-socket", daemon=True
        )
        self._thread.start()
        self.fake.socket_url = self.issue_url
        return self

    def stop(self) -> None:
        """Close every socket, stop serving and detach from the fake; safe to call twice."""
        if self._server is None:
            return
        self.fake.socket_url = None
        for conn in self.connections:
            conn.close()
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSocketMode is not running; call start() first")
        return int(self._server.socket.getsockname()[1])

    def issue_url(self) -> str:
        """What ``apps.connections.open`` answers: a fresh single-use link for this app."""
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.fake.app_id}"

    # --- server side -------------------------------------------------------------------

    def _check_ticket(self, conn: ServerConnection, request: Request) -> Response | None:
        """Refuse the handshake unless the URL carries a ticket we issued and nobody used."""
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._cond:
            if parts.path.rstrip("/") != "/link" or ticket not in self._tickets:
                return conn.respond(401, "invalid or already used ticket\n")
            self._tickets.discard(ticket)
        return None

    def _handle(self, conn: ServerConnection) -> None:
        conn.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self.connections) + 1,
                    "debug_info": {
                        "host": HOST,
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.fake.app_id},
                }
            )
        )
        with self._cond:
            self._connections.append(conn)
            self._opened += 1
            self._cond.notify_all()
        try:
            for message in conn:
                if isinstance(message, str):
                    self._on_text(message)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                if conn in self._connections:
                    self._connections.remove(conn)
                self._cond.notify_all()

    def _on_text(self, raw: str) -> None:
        with self._cond:
            self._received.append(raw)
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("envelope_id"), str):
                self._acks.append(Ack(data["envelope_id"], data.get("payload"), raw, time.time()))
            self._cond.notify_all()

    # --- test controls -----------------------------------------------------------------

    @property
    def connections(self) -> list[ServerConnection]:
        """Sockets currently open (newest last)."""
        with self._cond:
            return list(self._connections)

    @property
    def opened(self) -> int:
        """How many connections were ever established (and greeted with ``hello``)."""
        with self._cond:
            return self._opened

    @property
    def acks(self) -> list[Ack]:
        with self._cond:
            return list(self._acks)

    @property
    def received(self) -> list[str]:
        """Every text frame the app sent, in order (acks and anything unexpected)."""
        with self._cond:
            return list(self._received)

    def wait_connected(self, opened: int = 1, timeout: float = 10.0) -> ServerConnection:
        """Block until ``opened`` connections were made in total and one is open; return it."""

        def ready() -> bool:
            return self._opened >= opened and bool(self._connections)

        self._wait(ready, f"{opened} Socket Mode connection(s)", timeout)
        return self.connections[-1]

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """Block until the app acknowledged ``envelope_id``; raise ``TimeoutError`` if not."""

        def found() -> bool:
            return any(a.envelope_id == envelope_id for a in self._acks)

        self._wait(found, f"ack of envelope {envelope_id}", timeout)
        return next(a for a in self.acks if a.envelope_id == envelope_id)

    def _wait(self, done: Any, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"waited {timeout}s for {what}; connections opened: {self._opened}, "
                        f"open now: {len(self._connections)}, received: {self._received[-5:]}"
                    )
                self._cond.wait(left)

    def send(self, message: JsonDict) -> None:
        """Send a raw message on the newest open connection (as Slack picks one of them)."""
        conns = self.connections
        if not conns:
            raise RuntimeError("no Socket Mode connection is open")
        conns[-1].send(json.dumps(message))

    def envelope(
        self,
        kind: str,
        payload: JsonDict,
        *,
        accepts_response_payload: bool,
        **extra: Any,
    ) -> str:
        """Push one envelope and return its ``envelope_id`` (to wait for the ack)."""
        envelope_id = str(uuid.uuid4())
        self.send(
            {
                "envelope_id": envelope_id,
                "payload": payload,
                "type": kind,
                "accepts_response_payload": accepts_response_payload,
                **extra,
            }
        )
        return envelope_id

    def slash_command(self, text: str = "", **fields: Any) -> str:
        """A ``slash_commands`` envelope; ``fields`` as for ``signing.slash_command_body``.

        Over Socket Mode the payload carries the same string fields Slack would form-post."""
        payload = dict(parse_qsl(slash_command_body(text=text, **fields).decode()))
        return self.envelope("slash_commands", payload, accepts_response_payload=True)

    def event(self, event: JsonDict, *, retry_attempt: int = 0, **fields: Any) -> str:
        """An ``events_api`` envelope around an ``event_callback`` (see ``event_body``)."""
        payload = json.loads(event_body(event, **fields))
        return self.envelope(
            "events_api",
            payload,
            accepts_response_payload=False,
            retry_attempt=retry_attempt,
            retry_reason="timeout" if retry_attempt else "",
        )

    def interactive(self, payload: JsonDict) -> str:
        """An ``interactive`` envelope (block_actions, view_submission, shortcut, ...)."""
        accepts = payload.get("type") in ("view_submission", "block_suggestion")
        return self.envelope("interactive", payload, accepts_response_payload=accepts)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Tell the app to reconnect, as Slack does every few hours; the client opens a new
        connection (through ``apps.connections.open``) and closes this one itself."""
        conns = self.connections
        if not conns:
            raise RuntimeError("no Socket Mode connection is open")
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": HOST}}
        conns[-1].send(json.dumps(message))
