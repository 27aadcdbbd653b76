"""What scheduled jobs need from a chat system, as a small protocol.

Jobs (standup prompts, reminders, the Friday report) talk to a `Messenger`, not to slack_sdk:
Slack's implementation lives at the edge (`bot/slack/messenger.py`), and `ConsoleMessenger`
lets `batchbot shell` and tests run the same jobs with no Slack at all.
"""

from __future__ import annotations

import itertools
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


@dataclass(frozen=True)
class UserInfo:
    user_id: str
    name: str  # the user name (Slack's legacy handle)
    real_name: str
    tz: str  # IANA zone, e.g. "America/New_York"
    display_name: str = ""  # what the person chose to be called; often empty
    is_bot: bool = False
    deleted: bool = False  # deactivated: still has a name, gets no prompts


class MessengerError(Exception):
    """A chat API call failed after its retries; the message says which call and why.

    `reason` is what the chat system said in its own words (Slack's error code, e.g.
    `ratelimited`), for a reply that tells a person why."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class RateLimited(MessengerError):
    """The chat system asked us to wait (HTTP 429): nothing was sent; try after the pause."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Messenger(Protocol):
    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> Posted: ...

    def update(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None: ...

    def dm(self, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> Posted: ...

    def upload(
        self,
        channel: str,
        filename: str,
        content: str | bytes,
        title: str,
        comment: str | None = None,
        thread_ts: str | None = None,
    ) -> None: ...

    def user_info(self, user_id: str) -> UserInfo | None:
        """The person's profile; None when there is no such user. Raises MessengerError when
        the lookup failed (RateLimited when the chat system asked to wait)."""
        ...

    def channel_members(self, channel: str) -> list[str]: ...


@dataclass
class ConsoleMessenger:
    """Prints what would be sent to Slack; records it too (for the shell and for tests)."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    zone: str = "UTC"
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, channel, text)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(self, kind: str, channel: str, text: str) -> Posted:
        with self._lock:
            ts = f"{next(self._ts):010d}.000000"
            self.sent.append((kind, channel, text))
        print(f"[{kind} → {channel}] {text}", file=self.out)
        return Posted(channel, ts)

    def post(self, channel, text, blocks=None, thread_ts=None):  # type: ignore[no-untyped-def]
        kind = "thread reply" if thread_ts else "post"
        return self._record(kind, channel, text)

    def update(self, channel, ts, text, blocks=None):  # type: ignore[no-untyped-def]
        self._record("update", channel, text)

    def dm(self, user_id, text, blocks=None):  # type: ignore[no-untyped-def]
        return self._record("dm", user_id, text)

    def upload(self, channel, filename, content, title, comment=None, thread_ts=None):  # type: ignore[no-untyped-def]
        unit = "bytes" if isinstance(content, bytes) else "characters"
        self._record("file", channel, f"{filename} ({len(content)} {unit})")

    def user_info(self, user_id):  # type: ignore[no-untyped-def]
        # No chat system, so no names: the people directory falls back to the plan's people
        # list (never to the id dressed up as a name). The zone keeps prompts on time.
        return UserInfo(user_id, "", "", self.zone)

    def channel_members(self, channel):  # type: ignore[no-untyped-def]
        return []
