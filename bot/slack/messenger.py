"""The Messenger protocol over slack_sdk's WebClient.

The client retries 429, 5xx and connection errors; what still fails raises MessengerError."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.messenger import MessengerError, Posted, UserInfo

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


class SlackMessenger:
    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._identity: dict[str, Any] | None = None

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

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method.replace(".", "_"))(**kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error") if exc.response else "unknown_error"
            log.error("Slack %s failed: %s", method, error)
            raise MessengerError(f"Slack {method} failed: {error}") from None
        except SlackClientError as exc:  # connection errors after retries
            log.error("Slack %s failed: %s", method, type(exc).__name__)
            raise MessengerError(f"Slack {method} failed: {type(exc).__name__}") from None
        except OSError as exc:
            log.error("Slack %s failed: %s", method, exc)
            raise MessengerError(f"Slack {method} failed: {exc}") from None

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        """views.publish: the App Home tab (Slack-only, so not part of the Messenger protocol)."""
        self._call("views.publish", user_id=user_id, view=view)

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """views.open: a modal, within 3 s of the click or command that carried trigger_id."""
        self._call("views.open", trigger_id=trigger_id, view=view)

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
        try:
            resp = self.client.users_info(user=user_id)
        except SlackApiError:
            return None
        except (SlackClientError, OSError):
            return None
        user = resp["user"]
        if user.get("is_bot") or user.get("deleted") or user_id == "USLACKBOT":
            return None  # not a person to ask for a standup
        profile = user.get("profile", {})
        return UserInfo(
            user_id,
            profile.get("display_name") or user.get("name") or user_id,
            user.get("real_name") or profile.get("real_name") or user.get("name") or user_id,
            user.get("tz") or "UTC",
        )

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
