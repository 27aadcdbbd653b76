"""A real HTTP server on a free loopback port, served on a daemon thread: what the fake Slack
and the fake GitHub are built on, so both start, stop and queue connections the same way."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

__all__ = ["LoopbackFake"]


class _Server(ThreadingHTTPServer):
    # Slack's and GitHub's edges never drop a connection for want of a listen backlog; the
    # stdlib default of 5 does, and a dropped SYN costs the caller a 1 s retransmit.
    request_queue_size = 128
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A caller that hung up before its answer was written (a client timeout, a server
        stopped mid-request) is not the fake's failure: Slack and GitHub don't print it.
        socketserver's default prints a traceback to sys.stderr, which is whatever that
        moment's in-process CLI test is capturing, and failed its "no Traceback" check."""
        import sys

        if isinstance(sys.exception(), ConnectionError):  # BrokenPipe, ConnectionReset, …
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class LoopbackFake:
    """Start/stop/`with` for a fake service; subclasses say how requests are handled."""

    thread_name = "loopback"
    _server: _Server | None = None
    _thread: threading.Thread | None = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        """Bind a free port and serve on a daemon thread (so a stuck test can't hang exit)."""
        if self._server is not None:
            return self
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            # A short poll interval keeps stop() fast (shutdown waits for the next poll).
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down and free the port; safe to call twice."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
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
        """The bound port; only valid while started."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() first")
        return int(self._server.server_address[1])
