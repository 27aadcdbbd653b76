"""Replies leave through one asyncio event loop, so a slow destination holds no thread.

Why: replies used to share a small thread pool with blocking HTTP calls. Twenty-four
response_urls answering in 25 s held every thread, and everyone else's reply waited 24 s
behind them. Here each post is a coroutine on one loop thread (slack_sdk's async clients on
aiohttp): a pending post costs a few kilobytes, not a thread, and a slow host delays only
the posts addressed to it. Every post has a deadline (`timeout`, retries included), and the
number in flight is bounded (`limit`) so memory stays bounded too.

On shutdown `close(deadline)` waits for what is pending until the deadline, then cancels the
rest and logs what was not sent (a host stops a process 30 s after SIGTERM; replies must not
be what makes it kill us).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

log = logging.getLogger("batchbot.slack")

Job = Callable[[], Awaitable[object]]


def _retries() -> list[Any]:
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


class Outbox:
    """Posts to response_urls and the Web API from one event-loop thread; `submit` never blocks."""

    def __init__(
        self, token: str, base_url: str, *, timeout: float = 15.0, limit: int = 10_000
    ) -> None:
        self.timeout = timeout
        self.limit = limit
        self._token = token
        self._base_url = base_url
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._pending: dict[concurrent.futures.Future[None], str] = {}
        self._closed = False
        self._session: aiohttp.ClientSession | None = None
        self._web: AsyncWebClient | None = None
        self._thread = threading.Thread(target=self._run, name="batchbot-outbox", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    # -- the loop thread -----------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._open())
        self._ready.set()
        self._loop.run_forever()

    async def _open(self) -> None:
        # limit=0: no cap on open connections, so posts to one slow host never queue the
        # posts to every other host behind a connection pool (in flight is capped by `limit`).
        # No read timeout here: a post that was sent but not answered must not be retried
        # (slack_sdk's connection handler would retry a read timeout: a duplicate message);
        # `_guard` ends the whole post, retries included, after `timeout` seconds.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=min(5.0, self.timeout)),
        )
        self._web = AsyncWebClient(
            token=self._token,
            base_url=self._base_url,
            session=self._session,
            timeout=int(self.timeout),
            retry_handlers=_retries(),
        )

    async def _guard(self, what: str, job: Job) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                await job()
        except TimeoutError:
            log.error("%s: no answer within %g s (it may not have arrived)", what, self.timeout)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error") if exc.response else "?"
            log.error("%s not sent: Slack said %s", what, error)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("%s not sent: %s", what, type(exc).__name__)

    # -- what callers use ----------------------------------------------------------------
    def submit(self, what: str, job: Job) -> bool:
        """Run `job()` on the loop; False (at once, logged) when closed or `limit` are pending."""
        with self._lock:
            if self._closed or len(self._pending) >= self.limit:
                log.error(
                    "%s dropped: the outbox is %s", what, "closed" if self._closed else "full"
                )
                return False
            future = asyncio.run_coroutine_threadsafe(self._guard(what, job), self._loop)
            self._pending[future] = what
        future.add_done_callback(self._done)
        return True

    def _done(self, future: concurrent.futures.Future[None]) -> None:
        with self._lock:
            self._pending.pop(future, None)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def respond(self, response_url: str, payload: dict[str, Any], what: str = "reply") -> bool:
        """POST `payload` to a command's response_url."""

        async def job() -> None:
            hook = AsyncWebhookClient(
                response_url,
                timeout=int(self.timeout),
                session=self._session,
                retry_handlers=_retries(),
            )
            started = time.monotonic()
            resp = await hook.send_dict(payload)
            log.debug("response_url answered in %.0f ms", (time.monotonic() - started) * 1000)
            if resp.status_code != 200:
                log.error("%s: response_url answered %s: %s", what, resp.status_code, resp.body)

        return self.submit(what, job)

    def call(self, method: str, what: str | None = None, **kwargs: Any) -> bool:
        """A Web API call (chat.postMessage, chat.update, views.publish, …) by its name."""

        async def job() -> None:
            assert self._web is not None
            await self._web.api_call(method, json=kwargs)

        return self.submit(what or method, job)

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        what: str | None = None,
    ) -> bool:
        args: dict[str, Any] = {"channel": channel, "text": text}
        if blocks:
            args["blocks"] = blocks
        if thread_ts:
            args["thread_ts"] = thread_ts
        return self.call("chat.postMessage", what or f"message to {channel}", **args)

    def dm(self, user_id: str, text: str, what: str | None = None) -> bool:
        """Open the DM with `user_id` and post `text` there."""

        async def job() -> None:
            assert self._web is not None
            opened = await self._web.conversations_open(users=user_id)
            channel = opened["channel"]["id"]
            await self._web.chat_postMessage(channel=channel, text=text)

        return self.submit(what or f"DM to {user_id}", job)

    def upload(self, channel: str, filename: str, content: bytes, title: str) -> bool:
        async def job() -> None:
            assert self._web is not None
            await self._web.files_upload_v2(
                channel=channel, filename=filename, content=content, title=title
            )

        return self.submit(f"{filename} upload to {channel}", job)

    def close(self, deadline: float) -> list[str]:
        """Refuse new posts, wait for pending ones until `deadline` (time.monotonic()), cancel
        the rest; returns what was not sent (also logged), then stops the loop."""
        with self._lock:
            self._closed = True
            waiting = list(self._pending)
        concurrent.futures.wait(waiting, timeout=max(0.0, deadline - time.monotonic()))
        with self._lock:
            unsent = list(self._pending.items())
        for future, _ in unsent:
            future.cancel()
        if unsent:
            log.error(
                "shutting down: %d repl%s not sent: %s",
                len(unsent),
                "y" if len(unsent) == 1 else "ies",
                "; ".join(what for _, what in unsent[:20]),
            )
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shut(), self._loop).result(timeout=5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        return [what for _, what in unsent]

    async def _shut(self) -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
