"""SIGTERM over Socket Mode stops at once: slack_sdk's built-in client is closed without the
wait of up to 3 s its reader's blocking `recv()` used to cost every stop (and every Socket
Mode test's teardown)."""

from __future__ import annotations

import time

from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient

from bot.slack.server import close_socket_mode
from tests.fakeslack import FakeSlack, FakeSocketMode

APP_TOKEN = "xapp-1-A0APP-1-closesecret"


def test_closing_socket_mode_does_not_wait_for_the_readers_receive_timeout() -> None:
    with (
        FakeSlack(token="xoxb-close", team_id="T0TEAM", app_token=APP_TOKEN) as fake,
        FakeSocketMode(fake) as sm,
    ):
        client = SocketModeClient(APP_TOKEN, web_client=WebClient(base_url=fake.url))
        client.connect()
        sm.wait_connected()
        time.sleep(0.2)  # the reader now sits in recv(), holding the lock close() needs
        started = time.monotonic()
        close_socket_mode(client)
        took = time.monotonic() - started
        deadline = time.monotonic() + 5
        while sm.connections and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sm.connections == []  # the socket really is closed
        assert not client.current_session_runner.is_alive()
        assert took < 1.5, f"close took {took:.2f} s (slack_sdk's recv timeout is 3 s)"
