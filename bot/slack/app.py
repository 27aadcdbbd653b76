"""Builds the Bolt app: a retrying Web API client, workspace check, and the listeners by kind.

Listeners stay thin: they acknowledge first (Slack allows 3 s), turn the request into a
`Command`, call the shared command path and render the Reply as Block Kit.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.commands import Command, handle
from bot.plan.edits import UsageError
from bot.plan.store import Actor
from bot.render import blocks as kit
from bot.replies import Reply, error
from bot.runtime import Runtime
from bot.slack.messenger import SlackMessenger, make_client

log = logging.getLogger("batchbot.slack")


@dataclass
class Edge:
    """What every listener shares: the runtime, our workspace, and a pool for slow follow-ups."""

    rt: Runtime
    team_id: str
    bot_user_id: str
    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="batchbot-bg")
    )
    home_viewers: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def actor(self, user_id: str, user_name: str | None) -> Actor:
        name = user_name or self.rt.standups.display_name(user_id)
        return Actor(name or user_id, slack_id=user_id)

    def respond(self, response_url: str | None, reply: Reply) -> None:
        """Post a reply to a command's response_url, with the same retries as the Web API."""
        if not response_url:
            return
        text, blocks = kit.render(reply)
        payload: dict[str, Any] = {
            "text": text,
            "blocks": blocks,
            "response_type": "in_channel" if reply.visibility == "channel" else "ephemeral",
            "replace_original": False,
        }
        hook = WebhookClient(
            response_url,
            timeout=10,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=2),
                RateLimitErrorRetryHandler(max_retry_count=3),
                ServerErrorRetryHandler(max_retry_count=2),
            ],
        )
        try:
            resp = hook.send_dict(payload)
            if resp.status_code != 200:
                log.error("response_url answered %s: %s", resp.status_code, resp.body[:200])
        except OSError as exc:
            log.error("could not post to response_url: %s", type(exc).__name__)

    def run(self, cmd: Command) -> Reply:
        try:
            return handle(cmd, self.rt.ctx)
        except Exception:  # the user gets a line; the log gets the details
            log.exception("command failed: %s", cmd.words[:2])
            return error(
                "something went wrong on our side; the plan was not changed",
                "the bot's log has the details",
            )

    def tell(self, reply: Reply) -> None:
        """Send the DMs a reply asks for (a new blocker's batch owner), off the request thread."""
        if reply.notices:
            self.pool.submit(self._tell, reply)

    def _tell(self, reply: Reply) -> None:
        for notice in reply.notices:
            try:
                self.rt.messenger.dm(notice.user_id, kit.esc(notice.text))
            except Exception as exc:
                log.error("could not DM %s: %s", notice.user_id, exc)

    def after_change(self) -> None:
        """Refresh every App Home that has been opened, off the request thread."""
        self.pool.submit(self._refresh_homes)

    def _refresh_homes(self) -> None:
        with self._lock:
            viewers = list(self.home_viewers)
        for user in viewers:
            self.publish_home(user)

    def publish_home(self, user_id: str) -> None:
        try:
            plan = self.rt.store.load()
            view = kit.home_view(plan, today=self.rt.ctx.clock().date())
        except Exception as exc:  # an invalid plan still gets a Home tab saying so
            view = {"type": "home", "blocks": [kit.section(f":warning: {kit.esc(str(exc))}")]}
        try:
            self.rt.messenger.client.views_publish(user_id=user_id, view=view)  # type: ignore[attr-defined]
            with self._lock:
                self.home_viewers.add(user_id)
        except Exception as exc:
            log.error("views.publish for %s failed: %s", user_id, exc)


def command_from(edge: Edge, body: dict[str, Any]) -> Command | Reply:
    actor = edge.actor(body.get("user_id", ""), body.get("user_name"))
    try:
        return Command.from_text(actor, body.get("text", ""), "slack", body.get("channel_id"))
    except UsageError as exc:
        return error(str(exc), "usage: /batch help", code=2)


def build_app(rt: Runtime, *, socket_mode: bool = False) -> tuple[App, Edge]:
    settings = rt.settings
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    messenger = rt.messenger
    if isinstance(messenger, SlackMessenger):
        client, auth = messenger.client, messenger.identity()  # one auth.test for both
    else:
        client = make_client(token, settings.slack_api_url)
        auth = dict(client.auth_test().data)  # type: ignore[arg-type]
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    app = App(
        client=client,
        signing_secret=secret,
        token_verification_enabled=False,  # we just called auth.test ourselves
        request_verification_enabled=not socket_mode,
        logger=logging.getLogger("batchbot.bolt"),
        # Bolt's default pool has 5 workers; a listener waiting on git held one, so acks of
        # other requests queued behind commits. Size it with the server's threads.
        listener_executor=ThreadPoolExecutor(
            max(16, 2 * settings.server_threads), thread_name_prefix="batchbot-listener"
        ),
    )
    edge = Edge(rt, auth["team_id"], auth.get("user_id", ""))

    @app.middleware
    def only_our_workspace(body: dict[str, Any], context: Any, next: Any) -> Any:
        team = context.team_id or body.get("team_id") or (body.get("team") or {}).get("id")
        if team and team != edge.team_id:
            log.warning(
                "refused a request from workspace %s (this bot serves %s)", team, edge.team_id
            )
            text = "batchbot serves one workspace; requests from others are refused."
            return BoltResponse(
                status=200,
                body=json.dumps({"response_type": "ephemeral", "text": text}),
                headers={"content-type": "application/json"},
            )
        return next()

    from bot.slack.listeners import actions, commands, events, lead, views

    commands.register(app, edge)
    events.register(app, edge)
    actions.register(app, edge)
    views.register(app, edge)
    lead.register(app, edge)
    return app, edge
