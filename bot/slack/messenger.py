"""The Messenger protocol over slack_sdk's WebClient.

The client retries 429, 5xx and connection errors; what still fails raises MessengerError."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.messenger import MessengerError, Posted, RateLimited, UserInfo

log = logging.getLogger("batchbot.slack")


def make_client(token: str, base_url: str) -> WebClient:
    """A WebClient that retries like a careful person: on 429 after Retry-After, on 5xx, on
    dropped connections. slack-sdk only turns on the connection handler by default."""
    client = WebClient(token=token, base_url=base_url, timeout=10)
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    return client


class CallBudget:
    """A token bucket for one Web API method: at most `per_minute` calls a minute after a burst
    of `burst`, and none at all while Slack's Retry-After runs. `take()` never waits: a caller
    that gets False serves what it has (a cached name) instead of holding a reply."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            if now < self._paused_until:
                return False
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True

    def pause(self, seconds: float) -> None:
        """Slack answered 429: no call until Retry-After has passed."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def wait_left(self) -> float:
        with self._lock:
            return max(0.0, self._paused_until - self._clock(), (1 - self._tokens) / self.rate)


#: users.info is Tier 4 ("100+ per minute"): stay under it with room for other instances'
#: bursts; a cold cache names up to `burst` new people at once.
USERS_INFO_PER_MINUTE = 90
USERS_INFO_BURST = 30


class SlackMessenger:
    def __init__(self, client: WebClient, users_budget: CallBudget | None = None) -> None:
        self.client = client
        self._identity: dict[str, Any] | None = None
        self.users_budget = users_budget or CallBudget(USERS_INFO_PER_MINUTE, USERS_INFO_BURST)
        # users.info without the 429 retry handler: a name is never worth sleeping a worker
        # through Retry-After; the directory serves the cached name and asks again later.
        self._lookup_client = WebClient(
            token=client.token, base_url=client.base_url, timeout=5, headers=client.headers
        )
        self._lookup_client.retry_handlers = [ConnectionErrorRetryHandler(max_retry_count=1)]
        # views.open without retries and with a short timeout: its trigger_id expires 3 s
        # after the click, so a retry after a 429 or a 500 cannot succeed; the caller answers
        # with the typed form of the command at once instead (see listeners/commands.py).
        self._views_client = WebClient(
            token=client.token, base_url=client.base_url, timeout=3, headers=client.headers
        )
        self._views_client.retry_handlers = []

    def identity(self) -> dict[str, Any]:
        """auth.test, asked once: the workspace and our own user id (raises if refused)."""
        if self._identity is None:
            self._identity = dict(self.client.auth_test().data)  # type: ignore[arg-type]
        return self._identity

    @property
    def bot_user_id(self) -> str | None:
        """Our own user id, so jobs never prompt the bot itself."""
        try:
            return self.identity().get("user_id")
        except (SlackApiError, SlackClientError, OSError):
            return None

    def _call(self, method: str, client: WebClient | None = None, **kwargs: Any) -> Any:
        try:
            return getattr(client or self.client, method.replace(".", "_"))(**kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error") if exc.response else "unknown_error"
            log.error("Slack %s failed: %s", method, error)
            raise MessengerError(f"Slack {method} failed: {error}", error) from None
        except SlackClientError as exc:  # connection errors after retries
            what = type(exc).__name__
            log.error("Slack %s failed: %s", method, what)
            raise MessengerError(f"Slack {method} failed: {what}", what) from None
        except OSError as exc:
            what = "no answer in time" if isinstance(exc, TimeoutError) else str(exc)
            log.error("Slack %s failed: %s", method, what)
            raise MessengerError(f"Slack {method} failed: {what}", what) from None

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        """views.publish: the App Home tab (Slack-only, so not part of the Messenger protocol)."""
        self._call("views.publish", user_id=user_id, view=view)

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """views.open: a modal, within 3 s of the click or command that carried trigger_id."""
        self._call("views.open", self._views_client, trigger_id=trigger_id, view=view)

    def post(self, channel, text, blocks=None, thread_ts=None):  # type: ignore[no-untyped-def]
        args: dict[str, Any] = {"channel": channel, "text": text}
        if blocks:
            args["blocks"] = blocks
        if thread_ts:
            args["thread_ts"] = thread_ts
        resp = self._call("chat.postMessage", **args)
        return Posted(resp["channel"], resp["ts"])

    def update(self, channel, ts, text, blocks=None):  # type: ignore[no-untyped-def]
        args: dict[str, Any] = {"channel": channel, "ts": ts, "text": text}
        if blocks:
            args["blocks"] = blocks
        self._call("chat.update", **args)

    def dm(self, user_id, text, blocks=None):  # type: ignore[no-untyped-def]
        opened = self._call("conversations.open", users=user_id)
        return self.post(opened["channel"]["id"], text, blocks)

    def upload(self, channel, filename, content, title, comment=None, thread_ts=None):  # type: ignore[no-untyped-def]
        try:
            self.client.files_upload_v2(
                channel=channel,
                filename=filename,
                content=content,
                title=title,
                initial_comment=comment,
                thread_ts=thread_ts,
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.error("Slack file upload failed: %s", type(exc).__name__)
            raise MessengerError(f"Slack file upload failed: {exc}") from None

    def user_info(self, user_id):  # type: ignore[no-untyped-def]
        """users.info within Slack's rate tier. None: no such user (or not visible to us).
        RateLimited: Slack said 429, or our own budget is spent; nothing waits for it."""
        if not self.users_budget.take():
            raise RateLimited("users.info: over our budget", self.users_budget.wait_left())
        try:
            resp = self._lookup_client.users_info(user=user_id)
        except SlackApiError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            error = (exc.response.get("error") if exc.response is not None else None) or ""
            if status == 429:
                retry = float(exc.response.headers.get("Retry-After", "") or 30)
                self.users_budget.pause(retry)
                log.warning("users.info rate limited; no lookups for %.0f s", retry)
                raise RateLimited("Slack users.info failed: ratelimited", retry) from None
            if error in ("user_not_found", "user_not_visible"):
                return None
            log.error("Slack users.info failed: %s", error or status)
            raise MessengerError(f"Slack users.info failed: {error or status}") from None
        except (SlackClientError, OSError) as exc:
            log.error("Slack users.info failed: %s", type(exc).__name__)
            raise MessengerError(f"Slack users.info failed: {type(exc).__name__}") from None
        return user_info_from(resp["user"])

    def channel_members(self, channel):  # type: ignore[no-untyped-def]
        members: list[str] = []
        cursor = None
        while True:
            args: dict[str, Any] = {"channel": channel, "limit": 200}
            if cursor:
                args["cursor"] = cursor
            resp = self._call("conversations.members", **args)
            members += resp.get("members", [])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return members


def user_info_from(user: dict[str, Any]) -> UserInfo:
    """A Slack user object (users.info, or the user_change event) as plain values."""
    profile = user.get("profile") or {}
    user_id = str(user.get("id") or "")
    name = str(user.get("name") or "")
    return UserInfo(
        user_id,
        name,
        str(profile.get("real_name") or user.get("real_name") or ""),
        str(user.get("tz") or "UTC"),
        display_name=str(profile.get("display_name") or ""),
        is_bot=bool(user.get("is_bot")) or user_id == "USLACKBOT",
        deleted=bool(user.get("deleted")),
    )
