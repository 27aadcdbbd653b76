"""Turn a Slack HTTP body into the dict Bolt's listeners match on — for every body Slack sends.

Why this exists: Bolt (1.x, `slack_bolt.request.internals.parse_body`) decides a form body is an
interaction when the *substring* ``payload`` occurs anywhere in the raw body, then reads the
``payload`` field — which a slash command does not have — and hands the listeners ``{}``.
So ``/batch payload``, a note mentioning "payload", a user or channel named ``payload-team``
were answered 404 "unhandled request" and silently dropped (found by the fuzzer in
tests/faults/test_http_fuzz.py). Bolt also JSON-decodes any form body that starts with ``{``.

Here the body is parsed by what it is: JSON when the content type says so, otherwise form
fields; the form is an interaction only when it *has a field* named ``payload`` and is not a
slash command. Bolt's request is then given that dict, so its matching, context building and
signature check (which still reads the raw body) all see the right thing.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.context import BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context

from bot.slack.verify import WsgiApp, signed_only

if TYPE_CHECKING:
    from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest

    from bot.settings import Settings

log = logging.getLogger("batchbot.slack")

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class BodyError(ValueError):
    """The body is not a form or JSON object Slack would send (answered 400, one log line)."""


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise BodyError(f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise BodyError(f"{what} is not a JSON object")
    return data


def parse_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """The fields of a Slack request body; raises BodyError for a body Slack never sends."""
    if not raw:
        return {}
    media = _media_type(content_type)
    if media == JSON or (media != FORM and raw.lstrip().startswith("{")):
        return _json_object(raw, "the JSON body")
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in fields and "command" not in fields:  # an interaction: payload=<json>
        return _json_object(fields["payload"], "the payload field")
    return fields


class SlackBody(BoltRequest):
    """A BoltRequest whose parsed body (and context) come from `parse_body`, not Bolt's guess.

    The raw body is kept as is: Bolt's signature check runs on it."""

    def __init__(
        self,
        *,
        body: str | dict[str, Any],
        query: Any = None,
        headers: Any = None,
        context: Any = None,
        mode: str = "http",
    ) -> None:
        # Bolt would parse (and possibly raise on) the raw body here: give it nothing to parse.
        http = mode == "http" and isinstance(body, str)
        super().__init__(
            body="" if http else body, query=query, headers=headers, context=context, mode=mode
        )
        if http:
            assert isinstance(body, str)
            self.raw_body = body
            self.body = parse_body(body, self.content_type)
            self.context = build_context(BoltContext(context or {}), self.body)

    def to_copyable(self) -> BoltRequest:
        return SlackBody(
            body=self.raw_body if self.mode == "http" else self.body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
            mode=self.mode,
        )


class SlackHttpHandler(SlackRequestHandler):
    """Bolt's WSGI adapter with our body parsing; an unparseable body is a 400, not a 500."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        try:
            bolt_request = SlackBody(
                body=request.get_body(),
                query=request.query_string,
                headers=request.get_headers(),
            )
        except (BodyError, UnicodeDecodeError) as exc:
            log.warning("refused a Slack request: %s", exc)
            return BoltResponse(status=400, body="Bad Request")
        return self.app.dispatch(bolt_request)


def slack_http_handler(app: App, settings: Settings) -> WsgiApp:
    """The WSGI app `batchbot serve` mounts at /slack/events: the signature is checked on the
    raw bytes first (bot/slack/verify.py), then the body is parsed as above."""
    secret = settings.slack_signing_secret
    return signed_only(SlackHttpHandler(app), secret.get_secret_value() if secret else "")
