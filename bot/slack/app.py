"""Builds the Bolt app: a retrying Web API client, the workspace check, and the listeners.

Listeners are registered with `process_before_response=True`: each runs on the request thread,
hands its slow part to the edge's queues and acknowledges at once (see `bot/slack/edge.py`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App, BoltResponse

from bot.runtime import Runtime
from bot.slack.edge import Edge, WorkQueue
from bot.slack.messenger import SlackMessenger, make_client
from bot.slack.outbox import Outbox

log = logging.getLogger("batchbot.slack")


def _client_token_note(record: logging.LogRecord) -> bool:
    """Drop Bolt's "As you gave `client` as well, `token` will be unused" at every start.

    We pass only `client` (it carries the retry handlers and SLACK_API_URL); Bolt reads
    SLACK_BOT_TOKEN from the environment by itself and warns that the token it found there
    goes unused — it is the same token the client holds, so the line says nothing true.
    """
    from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

    return record.getMessage() != warning_client_prioritized_and_token_skipped()


def build_app(rt: Runtime, *, socket_mode: bool = False) -> tuple[App, Edge]:
    settings = rt.settings
    messenger = rt.messenger
    if isinstance(messenger, SlackMessenger):
        slack = messenger
    else:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
        slack = SlackMessenger(make_client(token, settings.slack_api_url))
    auth = slack.identity()  # one auth.test for the messenger and the app
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    bolt_log = logging.getLogger("batchbot.bolt")
    bolt_log.addFilter(_client_token_note)
    app = App(
        client=slack.client,
        signing_secret=secret,
        token_verification_enabled=False,  # we just called auth.test ourselves
        request_verification_enabled=not socket_mode,
        process_before_response=True,  # listeners only queue work; see bot/slack/edge.py
        logger=bolt_log,
        # Named, or Bolt names the app after its caller's file through inspect.stack(), which
        # reads the source of every frame: ~60 ms of each start's CPU, for a name in its logs.
        name="batchbot",
    )
    workers = settings.work_threads
    edge = Edge(
        rt,
        slack,
        auth["team_id"],
        auth.get("user_id", ""),
        # one command at a time while a burst arrives: acks first (see WorkQueue)
        work=WorkQueue("work", workers, settings.queue_size, burst_workers=1),
        outbox=Outbox(slack.client.token or "", slack.client.base_url),
    )

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

    from bot.slack.listeners import actions, commands, events, home, lead, nudges, views

    commands.register(app, edge)
    events.register(app, edge)
    actions.register(app, edge)
    views.register(app, edge)
    lead.register(app, edge)
    nudges.register(app, edge)
    home.register(app, edge)
    return app, edge
