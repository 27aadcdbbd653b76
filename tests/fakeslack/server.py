"""A small but honest fake of the Slack Web API, served over real HTTP.

Slack is unreachable from the machines our tests run on, so this is the one stand-in we
allow. It exists so that the *real* ``slack_sdk.WebClient`` (and Bolt on top of it) can be
exercised end to end: real sockets, real form/JSON encoding, real retry handlers.

"Honest" means it refuses what Slack refuses (bad tokens, missing arguments, Block Kit
limits, rate limits) with the error codes Slack documents, so a test that passes here does
not hide a payload that Slack would reject in production. It deliberately implements only
the methods the bot uses; anything else is ``unknown_method``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.loopback import LoopbackFake

JsonDict = dict[str, Any]

# --- Slack's documented limits (https://docs.slack.dev/reference/block-kit/...) ---------
MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_SECTION_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BLOCK_ID = 255
MAX_ACTION_ID = 255
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_MESSAGE_TEXT = 40_000
MAX_VIEW_TITLE = 24
MAX_VIEW_BUTTON_TEXT = 24  # modal submit / close
MAX_PRIVATE_METADATA = 3000

KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "data_visualization",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
TEXT_OBJECT_TYPES = frozenset({"plain_text", "mrkdwn"})
# Arguments that slack_sdk JSON-encodes into a string when it sends a form post.
JSON_ARGS = ("blocks", "attachments", "view", "files", "metadata")
# Methods that take an app-level token (xapp-...) instead of the bot token; Slack reads it
# only from the Authorization header for these.
APP_LEVEL_METHODS = frozenset({"apps.connections.open"})
# The bot scopes manifest.yml asks for: what an installed batchbot's token carries.
MANIFEST_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "users:read",
    "channels:read",
    "groups:read",
    "files:write",
)


@dataclass(frozen=True)
class Call:
    """One Web API call the fake received, recorded so tests can assert on what the bot sent.

    ``args`` merges query string and body (form or JSON) with JSON-valued arguments such as
    ``blocks`` and ``view`` already decoded. ``headers`` has lower-cased names. ``status``
    and ``response`` are what the fake answered, so tests can tell a refused call from an
    accepted one.
    """

    method: str
    args: JsonDict
    headers: dict[str, str]
    time: float
    status: int = 200
    response: JsonDict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when Slack would have accepted the call (HTTP 200 and ``"ok": true``)."""
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass(frozen=True)
class ResponseCall:
    """A POST to a ``response_url`` (what Bolt's ``respond()`` does); ``body`` is parsed JSON."""

    name: str
    body: JsonDict
    headers: dict[str, str]
    time: float


@dataclass
class UploadedFile:
    """A file going through the ``files_upload_v2`` flow (get URL → upload bytes → complete)."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False


@dataclass
class _Failure:
    status: int
    retry_after: int
    error: str | None
    remaining: int


class SlackError(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, messages: list[str] | None = None, status: int = 200) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.status = status

    def body(self) -> JsonDict:
        """The JSON Slack sends back for this error (``errors`` mirrors the metadata)."""
        out: JsonDict = {"ok": False, "error": self.error}
        if self.messages:
            out["errors"] = [m.removeprefix("[ERROR] ") for m in self.messages]
            out["response_metadata"] = {"messages": list(self.messages)}
        return out


# --- Block Kit validation ---------------------------------------------------------------


def _text_problems(obj: Any, ptr: str, *, max_len: int | None, plain_only: bool) -> list[str]:
    """Validate a text composition object the way Slack's schema check reports it."""
    if not isinstance(obj, dict):
        return [f"[ERROR] must provide an object [json-pointer:{ptr}]"]
    problems: list[str] = []
    kind = obj.get("type")
    if kind is None:
        problems.append(f"[ERROR] missing required field: type [json-pointer:{ptr}]")
    elif kind not in TEXT_OBJECT_TYPES or (plain_only and kind != "plain_text"):
        allowed = "plain_text" if plain_only else "plain_text, mrkdwn"
        problems.append(f"[ERROR] must be one of: {allowed} [json-pointer:{ptr}/type]")
    text = obj.get("text")
    if not isinstance(text, str) or text == "":
        problems.append(f"[ERROR] must be more than 0 characters [json-pointer:{ptr}/text]")
    elif max_len is not None and len(text) > max_len:
        problems.append(
            f"[ERROR] must be less than {max_len + 1} characters [json-pointer:{ptr}/text]"
        )
    return problems


def _element_problems(el: Any, ptr: str) -> list[str]:
    """Validate an interactive element (only the limits the bot can realistically hit)."""
    if not isinstance(el, dict):
        return [f"[ERROR] must provide an object [json-pointer:{ptr}]"]
    if "type" not in el:
        return [f"[ERROR] missing required field: type [json-pointer:{ptr}]"]
    problems: list[str] = []
    action_id = el.get("action_id")
    if isinstance(action_id, str) and len(action_id) > MAX_ACTION_ID:
        problems.append(
            f"[ERROR] must be less than {MAX_ACTION_ID + 1} characters "
            f"[json-pointer:{ptr}/action_id]"
        )
    if el["type"] == "button":
        problems += _text_problems(
            el.get("text"), f"{ptr}/text", max_len=MAX_BUTTON_TEXT, plain_only=True
        )
    return problems


def _table_problems(block: dict[str, Any], ptr: str) -> list[str]:
    """Slack's table block: 1–100 rows of 1–20 cells, each raw_text (text) or rich_text."""
    rows = block.get("rows")
    if not isinstance(rows, list) or not rows:
        return [f"[ERROR] must provide a non-empty array [json-pointer:{ptr}/rows]"]
    out = []
    if len(rows) > 100:
        out.append(f"[ERROR] must be less than 101 items [json-pointer:{ptr}/rows]")
    for r, row in enumerate(rows):
        if not isinstance(row, list) or not 1 <= len(row) <= 20:
            out.append(f"[ERROR] must have 1 to 20 cells [json-pointer:{ptr}/rows/{r}]")
            continue
        for c, cell in enumerate(row):
            kind = cell.get("type") if isinstance(cell, dict) else None
            bad = kind not in ("raw_text", "rich_text") or (
                kind == "raw_text" and not (isinstance(cell.get("text"), str) and cell["text"])
            )
            if bad:
                out.append(f"[ERROR] invalid table cell [json-pointer:{ptr}/rows/{r}/{c}]")
    settings = block.get("column_settings")
    if settings is not None and (not isinstance(settings, list) or len(settings) > 20):
        out.append(f"[ERROR] must be less than 21 items [json-pointer:{ptr}/column_settings]")
    return out


def validate_blocks(blocks: Any, *, max_blocks: int, ptr: str = "/blocks") -> list[str]:
    """Return Slack-style ``[ERROR] ... [json-pointer:...]`` messages; empty means valid."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must provide an array [json-pointer:{ptr}]"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"[ERROR] must be less than {max_blocks + 1} items [json-pointer:{ptr}]")
    for i, block in enumerate(blocks):
        bptr = f"{ptr}/{i}"
        if not isinstance(block, dict):
            problems.append(f"[ERROR] must provide an object [json-pointer:{bptr}]")
            continue
        kind = block.get("type")
        if kind is None:
            problems.append(f"[ERROR] missing required field: type [json-pointer:{bptr}]")
            continue
        if kind not in KNOWN_BLOCK_TYPES:
            problems.append(f"[ERROR] unsupported type: {kind} [json-pointer:{bptr}/type]")
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str) and len(block_id) > MAX_BLOCK_ID:
            problems.append(
                f"[ERROR] must be less than {MAX_BLOCK_ID + 1} characters "
                f"[json-pointer:{bptr}/block_id]"
            )
        if kind == "section":
            problems += _section_problems(block, bptr)
        elif kind == "table":
            problems += _table_problems(block, bptr)
            if sum(1 for b in blocks if isinstance(b, dict) and b.get("type") == "table") > 1:
                problems.append(f"[ERROR] only_one_table_allowed [json-pointer:{bptr}]")
        elif kind == "header":
            problems += _text_problems(
                block.get("text"), f"{bptr}/text", max_len=MAX_HEADER_TEXT, plain_only=True
            )
        elif kind in ("context", "actions"):
            limit = MAX_CONTEXT_ELEMENTS if kind == "context" else MAX_ACTIONS_ELEMENTS
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                problems.append(
                    f"[ERROR] must provide a non-empty array [json-pointer:{bptr}/elements]"
                )
                continue
            if len(elements) > limit:
                problems.append(
                    f"[ERROR] must be less than {limit + 1} items [json-pointer:{bptr}/elements]"
                )
            for j, el in enumerate(elements):
                eptr = f"{bptr}/elements/{j}"
                if kind == "actions":
                    problems += _element_problems(el, eptr)
                elif isinstance(el, dict) and el.get("type") in TEXT_OBJECT_TYPES | {None}:
                    problems += _text_problems(el, eptr, max_len=None, plain_only=False)
                elif not isinstance(el, dict):
                    problems.append(f"[ERROR] must provide an object [json-pointer:{eptr}]")
        elif kind == "data_visualization":
            problems += _chart_problems(block, bptr)
        elif kind == "input":
            problems += _text_problems(
                block.get("label"), f"{bptr}/label", max_len=2000, plain_only=True
            )
            if "element" not in block:
                problems.append(f"[ERROR] missing required field: element [json-pointer:{bptr}]")
    return problems


def _chart_problems(block: JsonDict, bptr: str) -> list[str]:
    """Slack's data_visualization limits (Block Kit reference, "Data visualization block"):
    title ≤ 50; a line/bar/area chart of 1–6 series, names ≤ 20 and unique, 1–20 points each
    whose labels are the axis categories (≤ 20 characters); axis titles ≤ 50."""
    problems: list[str] = []

    def too_long(value: Any, limit: int, ptr: str) -> None:
        if not isinstance(value, str) or not value or len(value) > limit:
            problems.append(f"[ERROR] must be 1 to {limit} characters [json-pointer:{ptr}]")

    too_long(block.get("title"), 50, f"{bptr}/title")
    chart = block.get("chart")
    if not isinstance(chart, dict) or chart.get("type") not in ("line", "bar", "area", "pie"):
        return [*problems, f"[ERROR] must be a pie, bar, area or line chart [json-pointer:{bptr}]"]
    if chart["type"] == "pie":
        return problems
    cptr = f"{bptr}/chart"
    axis = chart.get("axis_config")
    categories = axis.get("categories") if isinstance(axis, dict) else None
    if not isinstance(categories, list) or not categories:
        return [*problems, f"[ERROR] missing required field: categories [json-pointer:{cptr}]"]
    for i, category in enumerate(categories):
        too_long(category, 20, f"{cptr}/axis_config/categories/{i}")
    for key in ("x_label", "y_label"):
        if key in axis:
            too_long(axis[key], 50, f"{cptr}/axis_config/{key}")
    series = chart.get("series")
    if not isinstance(series, list) or not 1 <= len(series) <= 6:
        return [*problems, f"[ERROR] must provide 1 to 6 series [json-pointer:{cptr}/series]"]
    names = [s.get("name") for s in series if isinstance(s, dict)]
    if len(set(names)) != len(series):
        problems.append(f"[ERROR] series names must be unique [json-pointer:{cptr}/series]")
    for i, one in enumerate(series):
        sptr = f"{cptr}/series/{i}"
        too_long(one.get("name") if isinstance(one, dict) else None, 20, f"{sptr}/name")
        data = one.get("data") if isinstance(one, dict) else None
        if not isinstance(data, list) or not 1 <= len(data) <= 20:
            problems.append(f"[ERROR] must provide 1 to 20 data points [json-pointer:{sptr}/data]")
            continue
        labels = [p.get("label") if isinstance(p, dict) else None for p in data]
        values = [p.get("value") if isinstance(p, dict) else None for p in data]
        if labels != categories[: len(labels)] or any(label not in categories for label in labels):
            problems.append(f"[ERROR] labels must be the axis categories [json-pointer:{sptr}]")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            problems.append(f"[ERROR] every value must be a number [json-pointer:{sptr}/data]")
    return problems


def _section_problems(block: JsonDict, bptr: str) -> list[str]:
    problems: list[str] = []
    if "text" not in block and "fields" not in block:
        problems.append(f"[ERROR] must provide either text or fields [json-pointer:{bptr}]")
    if "text" in block:
        problems += _text_problems(
            block["text"], f"{bptr}/text", max_len=MAX_SECTION_TEXT, plain_only=False
        )
    if "fields" in block:
        fields_ = block["fields"]
        if not isinstance(fields_, list):
            return [*problems, f"[ERROR] must provide an array [json-pointer:{bptr}/fields]"]
        if len(fields_) > MAX_SECTION_FIELDS:
            problems.append(
                f"[ERROR] must be less than {MAX_SECTION_FIELDS + 1} items "
                f"[json-pointer:{bptr}/fields]"
            )
        for j, f in enumerate(fields_):
            problems += _text_problems(
                f, f"{bptr}/fields/{j}", max_len=MAX_SECTION_FIELD_TEXT, plain_only=False
            )
    if "accessory" in block:
        problems += _element_problems(block["accessory"], f"{bptr}/accessory")
    return problems


def validate_view(view: Any, *, expected_types: tuple[str, ...]) -> list[str]:
    """Validate a modal / home tab payload; messages use ``/view`` json-pointers like Slack."""
    if not isinstance(view, dict):
        return ["[ERROR] must provide an object [json-pointer:/view]"]
    kind = view.get("type")
    if kind not in expected_types:
        return [f"[ERROR] must be one of: {', '.join(expected_types)} [json-pointer:/view/type]"]
    problems: list[str] = []
    if kind == "modal":
        if "title" not in view:
            problems.append("[ERROR] missing required field: title [json-pointer:/view]")
        else:
            problems += _text_problems(
                view["title"], "/view/title", max_len=MAX_VIEW_TITLE, plain_only=True
            )
        for key in ("submit", "close"):
            if key in view:
                problems += _text_problems(
                    view[key], f"/view/{key}", max_len=MAX_VIEW_BUTTON_TEXT, plain_only=True
                )
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            problems.append(
                "[ERROR] submit is required when an input block is present "
                "[json-pointer:/view/submit]"
            )
    meta = view.get("private_metadata")
    if isinstance(meta, str) and len(meta) > MAX_PRIVATE_METADATA:
        problems.append(
            f"[ERROR] must be less than {MAX_PRIVATE_METADATA + 1} characters "
            "[json-pointer:/view/private_metadata]"
        )
    if "blocks" not in view:
        problems.append("[ERROR] missing required field: blocks [json-pointer:/view]")
    else:
        problems += validate_blocks(view["blocks"], max_blocks=MAX_BLOCKS_VIEW, ptr="/view/blocks")
    return problems


# --- the fake ---------------------------------------------------------------------------


class FakeSlack(LoopbackFake):
    """A real HTTP server on 127.0.0.1 that answers Slack Web API calls like Slack does.

    Point ``WebClient(base_url=fake.url)`` (or the bot's ``SLACK_API_URL``) at it. All
    state is guarded by one lock and a condition variable, because the server answers on
    its own threads while the test thread inspects ``calls`` / waits with ``wait_for``.
    """

    def __init__(
        self,
        token: str = "xoxb-test",
        team_id: str = "T0TEAM",
        bot_user_id: str = "UBOT",
        users: dict[str, dict[str, Any]] | None = None,
        rate_limit_per_channel: float | None = None,
        *,
        bot_id: str = "B0BOT",
        team_name: str = "Batchbot Test",
        team_domain: str = "batchbot-test",
        app_id: str = "A0APP",
        channels: dict[str, list[str]] | None = None,
        app_token: str | None = None,
        scopes: tuple[str, ...] | None = None,
    ) -> None:
        """``channels`` maps channel id → member user ids for ``conversations.members``;
        when omitted every channel is treated as containing all ``users`` plus the bot.

        ``app_token`` is the app-level token (``xapp-...``) that ``apps.connections.open``
        accepts; Socket Mode works only once a socket server sets ``socket_url`` (see
        ``tests.fakeslack.socket_mode.FakeSocketMode``)."""
        self.token = token
        self.app_token = app_token
        # The bot token's OAuth scopes, sent as Slack does in `x-oauth-scopes` on every
        # call made with it (batchbot doctor compares them with manifest.yml).
        self.scopes: tuple[str, ...] = scopes if scopes is not None else MANIFEST_SCOPES
        # Hook for the Socket Mode server: returns a fresh one-time ws:// URL per call.
        self.socket_url: Callable[[], str] | None = None
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.app_id = app_id
        self.users: dict[str, dict[str, Any]] = dict(users or {})
        self.channels = channels
        self.rate_limit_per_channel = rate_limit_per_channel
        self.response_delay = 0.0  # seconds each response_url POST takes to answer
        # seconds the response_urls whose name starts with a key take (one slow host among many)
        self.response_delays: dict[str, float] = {}
        # Per-method limits a minute, as Slack's tiers set them (users.info is Tier 4, "100+");
        # a test lowers one to see the bot live with 429s.
        self.per_minute_limits: dict[str, int] = {"users.info": 100}
        self._method_times: dict[str, list[float]] = {}

        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._responses: list[ResponseCall] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._messages: dict[tuple[str, str], JsonDict] = {}
        self._views: dict[str, JsonDict] = {}
        self._files: dict[str, UploadedFile] = {}
        self._post_times: dict[str, list[float]] = {}
        self._ts_counter = itertools.count(0)
        self._id_counter = itertools.count(1)
        self._handlers: dict[str, Callable[[JsonDict], JsonDict]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "conversations.open": self._conversations_open,
            "conversations.members": self._conversations_members,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "apps.connections.open": self._apps_connections_open,
        }

    # --- lifecycle (start, stop, `with`, port: tests/loopback.py) ------------------------

    thread_name = "fakeslack"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>`` without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Web API base URL ending in ``/api/`` — what slack_sdk expects as ``base_url``."""
        return f"{self.base}/api/"

    def response_url(self, name: str) -> str:
        """A response_url whose POSTs are recorded under ``name`` (see ``responses``)."""
        return f"{self.base}/response/{name}"

    # --- test controls -----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        With ``error`` the call answers HTTP 200 ``{"ok": false, "error": error}``; otherwise
        it answers HTTP ``status`` (429 carries ``Retry-After: retry_after``, as Slack's
        rate limiter does; 500/503 mimic Slack's server errors that slack_sdk retries).
        """
        with self._cond:
            self._failures.setdefault(method, []).append(
                _Failure(status=status, retry_after=retry_after, error=error, remaining=times)
            )

    def delay_for(self, name: str) -> float:
        """How long the response_url `name` takes to answer (`response_delays`, else
        `response_delay`)."""
        for prefix, seconds in self.response_delays.items():
            if name.startswith(prefix):
                return seconds
        return self.response_delay

    def reset(self) -> None:
        """Forget recorded calls, stored messages/views/files, failures and rate windows."""
        with self._cond:
            self._calls.clear()
            self._responses.clear()
            self._failures.clear()
            self._messages.clear()
            self._views.clear()
            self._files.clear()
            self._post_times.clear()
            self._method_times.clear()

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every Web API call received, oldest first (refused ones too)."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Snapshot of calls to one method, e.g. ``calls_to("chat.postMessage")``."""
        with self._cond:
            return [c for c in self._calls if c.method == method]

    @property
    def responses(self) -> list[ResponseCall]:
        """Snapshot of all POSTs received on response_urls."""
        with self._cond:
            return list(self._responses)

    @property
    def files(self) -> dict[str, UploadedFile]:
        """Files seen by the upload flow, by file id (``content`` is the uploaded bytes)."""
        with self._cond:
            return dict(self._files)

    def messages(self, channel: str | None = None) -> list[JsonDict]:
        """Messages currently in the fake's history (posted, updated, not deleted)."""
        with self._cond:
            return [
                dict(m) for (ch, _), m in self._messages.items() if channel is None or ch == channel
            ]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` calls to ``method`` arrived; return them.

        Bolt acks first and calls the Web API afterwards on another thread, so tests must
        wait rather than assert immediately. Raises ``TimeoutError`` listing what *did*
        arrive, which is usually the fastest way to see why.
        """
        return self._wait(lambda: self.calls_to(method), method, count, timeout)

    def wait_for_response(
        self, name: str, count: int = 1, timeout: float = 5.0
    ) -> list[ResponseCall]:
        """Block until ``count`` POSTs arrived on ``response_url(name)``; return them."""

        def current() -> list[ResponseCall]:
            return [r for r in self._responses if r.name == name]

        return self._wait(current, f"response_url {name!r}", count, timeout)

    def _wait(
        self, current: Callable[[], list[Any]], what: str, count: int, timeout: float
    ) -> list[Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = current()
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self._calls]
                    raise TimeoutError(
                        f"waited {timeout}s for {count} x {what}, got {len(found)}; "
                        f"calls so far: {seen}"
                    )
                self._cond.wait(left)

    # --- request plumbing (called from server threads) -----------------------------------

    def _next_ts(self) -> str:
        micros = 1_700_000_000_000_100 + next(self._ts_counter) * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._id_counter):08X}"

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def handle_api(
        self, method: str, args: JsonDict, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], JsonDict]:
        """Answer one Web API call: (HTTP status, extra headers, JSON body)."""
        status, extra, body = self._answer(method, args, headers)
        self._record(Call(method, args, headers, time.time(), status, body))
        return status, extra, body

    def _answer(
        self, method: str, args: JsonDict, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], JsonDict]:
        handler = self._handlers.get(method)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method", "req_method": method}
        bearer = _bearer(headers.get("authorization", ""))
        if method in APP_LEVEL_METHODS:
            refusal = self._app_token_refusal(bearer, args)
            if refusal is not None:
                return 200, {}, {"ok": False, "error": refusal}
        else:
            token = bearer or args.get("token")
            if not token:
                return 200, {}, {"ok": False, "error": "not_authed"}
            if token != self.token:
                wrong_kind = self.app_token is not None and token == self.app_token
                error = "not_allowed_token_type" if wrong_kind else "invalid_auth"
                return 200, {}, {"ok": False, "error": error}
        with self._cond:
            failure = self._take_failure(method)
            if failure is not None:
                return failure
            if method == "chat.postMessage" and self._rate_limited(str(args.get("channel", ""))):
                return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
            if method in self.per_minute_limits:
                wait = self._over_minute_limit(method)
                if wait:
                    return 429, {"Retry-After": str(wait)}, {"ok": False, "error": "ratelimited"}
            scopes = (
                {} if method in APP_LEVEL_METHODS else {"x-oauth-scopes": ",".join(self.scopes)}
            )
            try:
                return 200, scopes, handler(args)
            except SlackError as err:
                return err.status, scopes, err.body()

    def _app_token_refusal(self, bearer: str | None, args: JsonDict) -> str | None:
        """Why Slack would refuse an app-level call, or None when the token is accepted.

        Only the configured ``app_token`` in the Authorization header passes; a bot/user
        token is the wrong kind, and a token sent only as a POST argument is refused (the
        method's documentation says so)."""
        if bearer is None:
            return "invalid_auth" if args.get("token") else "not_authed"
        if self.app_token is not None and bearer == self.app_token:
            return None
        if bearer == self.token or bearer.startswith(("xoxb-", "xoxp-")):
            return "not_allowed_token_type"
        return "invalid_auth"

    def _take_failure(self, method: str) -> tuple[int, dict[str, str], JsonDict] | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        if failure.error is not None:
            return 200, {}, {"ok": False, "error": failure.error}
        if failure.status == 429:
            return (
                429,
                {"Retry-After": str(failure.retry_after)},
                {"ok": False, "error": "ratelimited"},
            )
        return failure.status, {}, {"ok": False, "error": "internal_error"}

    def _over_minute_limit(self, method: str) -> int:
        """Slack's tiers: at most N calls of a method in any minute; past it, 429 with the
        whole seconds until the oldest call in the window leaves it (0: allowed, counted)."""
        now = time.monotonic()
        recent = [t for t in self._method_times.get(method, []) if now - t < 60.0]
        if len(recent) >= self.per_minute_limits[method]:
            self._method_times[method] = recent
            return max(1, int(60.0 - (now - recent[0])) + 1)
        recent.append(now)
        self._method_times[method] = recent
        return 0

    def _rate_limited(self, channel: str) -> bool:
        """Sliding one-second window per channel (Slack: ~1 msg/s/channel, short bursts)."""
        rate = self.rate_limit_per_channel
        if rate is None or not channel:
            return False
        window = max(1.0, 1.0 / rate)
        capacity = max(1, int(rate * window))
        now = time.monotonic()
        recent = [t for t in self._post_times.get(channel, []) if now - t < window]
        if len(recent) >= capacity:
            self._post_times[channel] = recent
            return True
        recent.append(now)
        self._post_times[channel] = recent
        return False

    def handle_upload(self, file_id: str, data: bytes) -> tuple[int, bytes]:
        """The upload URL from files.getUploadURLExternal: store the raw bytes."""
        with self._cond:
            f = self._files.get(file_id)
            if f is None:
                return 404, b"file not found"
            f.content = data
            self._cond.notify_all()
            return 200, f"OK - {len(data)}".encode()

    def handle_response_url(self, name: str, body: JsonDict, headers: dict[str, str]) -> None:
        """Record a response_url POST (Bolt's ``respond()``)."""
        with self._cond:
            self._responses.append(ResponseCall(name, body, headers, time.time()))
            self._cond.notify_all()

    # --- method handlers (run with the lock held) ---------------------------------------

    def _auth_test(self, args: JsonDict) -> JsonDict:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "batchbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: JsonDict) -> JsonDict:
        if self.socket_url is None:  # no Socket Mode server attached: the app can't use it
            raise SlackError("access_denied")
        return {"ok": True, "url": self.socket_url()}

    def _check_message_content(self, args: JsonDict, *, require_content: bool = True) -> None:
        """Shared chat.* checks: text length, blocks validity, and 'something to show'."""
        text = args.get("text")
        blocks = args.get("blocks")
        attachments = args.get("attachments")
        if isinstance(blocks, str):  # a form post whose blocks were not valid JSON
            raise SlackError("invalid_blocks_format")
        if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
            raise SlackError("msg_too_long")
        if blocks is not None:
            problems = validate_blocks(blocks, max_blocks=MAX_BLOCKS_MESSAGE)
            if problems:
                raise SlackError("invalid_blocks", problems)
        if require_content and not (text or blocks or attachments):
            raise SlackError("no_text")

    def _message(self, channel: str, ts: str, args: JsonDict) -> JsonDict:
        msg: JsonDict = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": args.get("text") or "",
            "ts": ts,
            "channel": channel,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key) is not None:
                msg[key] = args[key]
        return msg

    def _resolve_channel(self, channel: str) -> str:
        """Posting to a user id lands in the DM with that user, as on Slack."""
        if channel.startswith(("U", "W")):
            self._require_user(channel)
            return f"D{channel}"
        return channel

    def _chat_post_message(self, args: JsonDict) -> JsonDict:
        channel = args.get("channel")
        if not channel:
            raise SlackError("channel_not_found")
        self._check_message_content(args)
        channel = self._resolve_channel(str(channel))
        ts = self._next_ts()
        msg = self._message(channel, ts, args)
        self._messages[(channel, ts)] = msg
        return {"ok": True, "channel": channel, "ts": ts, "message": msg}

    def _chat_update(self, args: JsonDict) -> JsonDict:
        channel, ts = args.get("channel"), args.get("ts")
        if not channel:
            raise SlackError("channel_not_found")
        if not ts or (str(channel), str(ts)) not in self._messages:
            raise SlackError("message_not_found")
        self._check_message_content(args)
        msg = self._messages[(str(channel), str(ts))]
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args and args[key] is not None:
                msg[key] = args[key]
        msg["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"ok": True, "channel": channel, "ts": ts, "text": msg["text"], "message": msg}

    def _chat_post_ephemeral(self, args: JsonDict) -> JsonDict:
        if not args.get("channel"):
            raise SlackError("channel_not_found")
        user = args.get("user")
        if not user:
            raise SlackError("user_not_found")
        if self.users and user not in self.users:
            raise SlackError("user_not_in_channel")
        self._check_message_content(args)
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_delete(self, args: JsonDict) -> JsonDict:
        channel, ts = args.get("channel"), args.get("ts")
        if not channel:
            raise SlackError("channel_not_found")
        if self._messages.pop((str(channel), str(ts)), None) is None:
            raise SlackError("message_not_found")
        return {"ok": True, "channel": channel, "ts": ts}

    def _store_view(self, view: JsonDict, *, view_id: str | None = None, **extra: Any) -> JsonDict:
        view_id = view_id or self._next_id("V")
        stored: JsonDict = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{time.time_ns()}.{self._next_id('h')}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
        }
        for key in ("title", "submit", "close"):
            if key in view:
                stored[key] = view[key]
        stored.update(extra)
        self._views[view_id] = stored
        return stored

    def _checked_view(self, args: JsonDict, *types: str) -> JsonDict:
        view = args.get("view")
        if view is None:
            raise SlackError("invalid_arguments", ["[ERROR] missing required field: view"])
        problems = validate_view(view, expected_types=types)
        if problems:
            raise SlackError("invalid_arguments", problems)
        return view

    def _views_open(self, args: JsonDict) -> JsonDict:
        if not args.get("trigger_id"):
            raise SlackError("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        view = self._checked_view(args, "modal")
        return {"ok": True, "view": self._store_view(view)}

    def _views_push(self, args: JsonDict) -> JsonDict:
        if not args.get("trigger_id"):
            raise SlackError("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        view = self._checked_view(args, "modal")
        return {"ok": True, "view": self._store_view(view)}

    def _views_update(self, args: JsonDict) -> JsonDict:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise SlackError(
                "invalid_arguments", ["[ERROR] either view_id or external_id is required"]
            )
        current = None
        if view_id:
            current = self._views.get(str(view_id))
        else:
            current = next(
                (v for v in self._views.values() if v.get("external_id") == external_id), None
            )
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = self._checked_view(args, "modal", "home")
        stored = self._store_view(view, view_id=current["id"])
        return {"ok": True, "view": stored}

    def _views_publish(self, args: JsonDict) -> JsonDict:
        user_id = args.get("user_id")
        if not user_id:
            raise SlackError("invalid_arguments", ["[ERROR] missing required field: user_id"])
        self._require_user(str(user_id))
        view = self._checked_view(args, "home")
        existing = next(
            (
                vid
                for vid, v in self._views.items()
                if v["type"] == "home" and v.get("user_id") == user_id
            ),
            None,
        )
        if existing and args.get("hash") and args["hash"] != self._views[existing]["hash"]:
            raise SlackError("hash_conflict")
        return {"ok": True, "view": self._store_view(view, view_id=existing, user_id=user_id)}

    def _require_user(self, user_id: str) -> None:
        """Unknown users are refused only when the test configured a user directory."""
        if self.users and user_id not in self.users and user_id != self.bot_user_id:
            raise SlackError("user_not_found")

    def _users_info(self, args: JsonDict) -> JsonDict:
        user_id = args.get("user")
        if user_id == self.bot_user_id:
            return {"ok": True, "user": self._user_object(user_id, {"name": "batchbot"}, bot=True)}
        if not user_id or user_id not in self.users:
            raise SlackError("user_not_found")
        return {"ok": True, "user": self._user_object(str(user_id), self.users[user_id])}

    def _user_object(self, user_id: str, info: dict[str, Any], *, bot: bool = False) -> JsonDict:
        """A user as Slack returns it: `display_name` is empty unless the person set one
        (most never do), `real_name` is on the user and in the profile, both normalized."""
        name = info.get("name", user_id.lower())
        real_name = info.get("real_name", name)
        display_name = info.get("display_name", "")
        tz = info.get("tz", "America/Los_Angeles")
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": bool(info.get("deleted", False)),
            "tz": tz,
            "tz_label": info.get("tz_label", tz),
            "tz_offset": int(info.get("tz_offset", -28800)),
            "is_bot": bot,
            "is_admin": bool(info.get("is_admin", False)),
            "updated": int(info.get("updated", 1_700_000_000)),
            "profile": {
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": display_name,
                "display_name_normalized": display_name,
                "email": info.get("email"),
            },
        }

    def _conversations_open(self, args: JsonDict) -> JsonDict:
        if args.get("channel"):
            return {"ok": True, "channel": {"id": str(args["channel"])}}
        raw = args.get("users")
        users = raw if isinstance(raw, list) else str(raw or "").split(",")
        users = [u.strip() for u in users if u and u.strip()]
        if not users:
            raise SlackError("users_list_not_supplied")
        for u in users:
            self._require_user(u)
        if len(users) == 1:
            return {"ok": True, "channel": {"id": f"D{users[0]}"}}
        return {"ok": True, "channel": {"id": "G" + "".join(sorted(users))}}

    def _conversations_members(self, args: JsonDict) -> JsonDict:
        channel = args.get("channel")
        if not channel:
            raise SlackError("channel_not_found")
        if self.channels is not None:
            if channel not in self.channels:
                raise SlackError("channel_not_found")
            members = list(self.channels[channel])
        else:
            members = [*self.users, self.bot_user_id]
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        page = members[start : start + limit]
        nxt = str(start + limit) if start + limit < len(members) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": nxt}}

    def _files_get_upload_url(self, args: JsonDict) -> JsonDict:
        filename, length = args.get("filename"), args.get("length")
        if not filename or length in (None, ""):
            raise SlackError("invalid_arguments", ["[ERROR] filename and length are required"])
        file_id = self._next_id("F")
        self._files[file_id] = UploadedFile(file_id, str(filename), int(length))
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: JsonDict) -> JsonDict:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments", ["[ERROR] files must be a non-empty array"])
        out: list[JsonDict] = []
        channel = args.get("channel_id") or args.get("channels")
        for spec in files:
            f = self._files.get(str(spec.get("id"))) if isinstance(spec, dict) else None
            if f is None or f.content is None:
                raise SlackError("file_not_found")
            f.title = spec.get("title") or f.filename
            f.channel_id = channel
            f.initial_comment = args.get("initial_comment")
            f.thread_ts = args.get("thread_ts")
            f.completed = True
            out.append(
                {
                    "id": f.id,
                    "name": f.filename,
                    "title": f.title,
                    "size": len(f.content),
                    "user": self.bot_user_id,
                    "url_private": f"{self.base}/files/{f.id}/{f.filename}",
                    "channels": [channel] if channel else [],
                }
            )
        return {"ok": True, "files": out}


def _bearer(value: str) -> str | None:
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _decode_json_args(args: JsonDict) -> JsonDict:
    """slack_sdk form-encodes blocks/view/... as JSON strings; Slack parses them, so do we.

    A value that is not valid JSON is left as a string so handlers can refuse it the way
    Slack does (``invalid_blocks_format`` / ``invalid_arguments``).
    """
    for key in JSON_ARGS:
        value = args.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                args[key] = json.loads(value)
    return args


def _parse_args(query: str, content_type: str, body: bytes) -> JsonDict:
    args: JsonDict = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    ctype = content_type.split(";")[0].strip().lower()
    if body and ctype == "application/json":
        parsed = json.loads(body.decode("utf-8"))
        if isinstance(parsed, dict):
            args.update(parsed)
    elif body:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        args.update({k: v[-1] for k, v in form.items()})
    return _decode_json_args(args)


def _make_handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Routes /api/<method>, /upload/<file_id> and /response/<name> to the fake."""

        server_version = "FakeSlack/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence per-request logging; the recorded calls are the log."""

        def _headers(self) -> dict[str, str]:
            return {k.lower(): v for k, v in self.headers.items()}

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _send_json(self, status: int, payload: JsonDict, extra: dict[str, str]) -> None:
            self._send(
                status, json.dumps(payload).encode(), "application/json; charset=utf-8", extra
            )

        def _route(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            body = self._body()
            if path.startswith("/api/"):
                try:
                    args = _parse_args(parts.query, self.headers.get("Content-Type", ""), body)
                except (ValueError, UnicodeDecodeError):
                    self._send_json(200, {"ok": False, "error": "invalid_json"}, {})
                    return
                status, extra, payload = fake.handle_api(
                    path[len("/api/") :], args, self._headers()
                )
                self._send_json(status, payload, extra)
            elif path.startswith("/upload/") and self.command == "POST":
                status, text = fake.handle_upload(path[len("/upload/") :], body)
                self._send(status, text, "text/plain; charset=utf-8", {})
            elif path.startswith("/response/") and self.command == "POST":
                try:
                    payload = json.loads(body.decode("utf-8") or "{}")
                except (ValueError, UnicodeDecodeError):
                    self._send(400, b"invalid_payload", "text/plain", {})
                    return
                fake.handle_response_url(path[len("/response/") :], payload, self._headers())
                delay = fake.delay_for(path[len("/response/") :])
                if delay:  # a slow response_url (seen at 25 s): the bot waits
                    time.sleep(delay)
                self._send_json(200, {"ok": True}, {})
            else:
                self._send(404, b"not found", "text/plain", {})

        def do_POST(self) -> None:
            self._route()

        def do_GET(self) -> None:
            self._route()

    return Handler


def iter_blocks(calls: list[Call]) -> Iterator[JsonDict]:
    """Every block the bot sent across ``calls`` — handy for "does any block mention X"."""
    for call in calls:
        blocks = call.args.get("blocks")
        if isinstance(blocks, list):
            yield from (b for b in blocks if isinstance(b, dict))
        view = call.args.get("view")
        if isinstance(view, dict) and isinstance(view.get("blocks"), list):
            yield from (b for b in view["blocks"] if isinstance(b, dict))
