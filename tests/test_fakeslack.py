"""Specs for the fake Slack server, driven through the real slack_sdk / slack_bolt clients.

If these pass, the fake both speaks the wire protocol slack_sdk uses and refuses what Slack
refuses — the two properties that make the bot's e2e tests trustworthy.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond, Say
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

try:  # importable both with and without a tests/__init__.py
    from tests.fakeslack import (
        FORM,
        JSON,
        FakeSlack,
        event_body,
        interactive_body,
        post_signed,
        sign,
        slash_command_body,
    )
except ImportError:  # pragma: no cover - depends on how pytest put tests/ on sys.path
    from fakeslack import (  # type: ignore[no-redef]
        FORM,
        JSON,
        FakeSlack,
        event_body,
        interactive_body,
        post_signed,
        sign,
        slash_command_body,
    )

TOKEN = "xoxb-test"
SECRET = "s3cr3t-signing"
USERS = {
    "U1": {"name": "alice", "real_name": "Alice A", "tz": "America/New_York", "tz_offset": -18000},
    "U2": {"name": "bob", "real_name": "Bob B", "tz": "Europe/Berlin", "tz_offset": 3600},
}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk honours HTTP(S)_PROXY but not NO_PROXY; a proxy would eat 127.0.0.1 calls."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(users=USERS) as f:
        yield f


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.url)


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str, action_id: str = "a") -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id}


def modal(blocks: list[dict[str, Any]], title: str = "Plan") -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": blocks}


def slack_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> dict[str, Any]:
    return dict(excinfo.value.response.data)  # type: ignore[arg-type]


# --- basics ------------------------------------------------------------------------------


def test_url_is_a_web_api_base_ending_in_api_slash(fake: FakeSlack) -> None:
    assert fake.url.startswith("http://127.0.0.1:")
    assert fake.url.endswith("/api/")
    assert fake.response_url("x") == f"http://127.0.0.1:{fake.port}/response/x"


def test_start_and_stop_free_the_port_and_are_idempotent() -> None:
    f = FakeSlack().start()
    assert f.start() is f
    WebClient(token=TOKEN, base_url=f.url).auth_test()
    f.stop()
    f.stop()
    with pytest.raises(RuntimeError):
        _ = f.url


def test_auth_test_reports_team_and_bot_identity(client: WebClient) -> None:
    resp = client.auth_test()
    assert resp["ok"] is True
    assert (resp["team_id"], resp["user_id"], resp["bot_id"]) == ("T0TEAM", "UBOT", "B0BOT")
    assert resp["url"].startswith("https://")
    assert resp["team"]


def test_post_message_is_recorded_with_bearer_token_and_decoded_blocks(
    fake: FakeSlack, client: WebClient
) -> None:
    resp = client.chat_postMessage(channel="C1", text="hi", blocks=[section("*hi*")])
    assert resp["channel"] == "C1"
    assert resp["message"]["text"] == "hi"
    assert resp["message"]["blocks"] == [section("*hi*")]
    (call,) = fake.calls_to("chat.postMessage")
    assert call.ok
    assert call.args["channel"] == "C1"
    assert call.args["blocks"][0]["text"]["text"] == "*hi*"
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert fake.messages("C1")[0]["ts"] == resp["ts"]


def test_form_encoded_blocks_string_is_parsed_like_slack_does(
    fake: FakeSlack, client: WebClient
) -> None:
    resp = client.api_call(
        "chat.postMessage",
        params={"channel": "C1", "blocks": json.dumps([section("form")])},
    )
    assert resp["ok"]
    (call,) = fake.calls_to("chat.postMessage")
    assert call.args["blocks"] == [section("form")]
    assert call.headers["content-type"] == FORM


def test_message_ts_are_unique_and_increasing(client: WebClient) -> None:
    tss = [client.chat_postMessage(channel="C1", text=str(i))["ts"] for i in range(3)]
    assert tss[0] == "1700000000.000100"
    assert tss == sorted(tss, key=float)
    assert len(set(tss)) == 3


def test_unknown_method_is_refused(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.fly")
    assert slack_error(exc)["error"] == "unknown_method"


# --- auth --------------------------------------------------------------------------------


def test_call_without_token_is_not_authed(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        WebClient(base_url=fake.url).chat_postMessage(channel="C1", text="x")
    assert slack_error(exc)["error"] == "not_authed"


def test_call_with_wrong_token_is_invalid_auth(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        WebClient(token="xoxb-nope", base_url=fake.url).auth_test()
    assert slack_error(exc)["error"] == "invalid_auth"
    assert not fake.calls[0].ok


# --- argument checks ---------------------------------------------------------------------


def test_post_message_without_channel_is_channel_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.postMessage", json={"text": "x"})
    assert slack_error(exc)["error"] == "channel_not_found"


def test_post_message_without_text_or_blocks_is_no_text(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.postMessage", json={"channel": "C1"})
    assert slack_error(exc)["error"] == "no_text"


def test_post_message_text_over_40000_chars_is_msg_too_long(client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="x" * 40_000)
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="x" * 40_001)
    assert slack_error(exc)["error"] == "msg_too_long"


def test_post_message_with_malformed_blocks_json_is_invalid_blocks_format(
    client: WebClient,
) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.postMessage", params={"channel": "C1", "blocks": "[{oops"})
    assert slack_error(exc)["error"] == "invalid_blocks_format"


def test_post_message_accepts_exactly_50_blocks(client: WebClient) -> None:
    assert client.chat_postMessage(channel="C1", text="t", blocks=[section("s")] * 50)["ok"]


BLOCK_LIMIT_CASES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "more_than_50_blocks": ([section("s")] * 51, "/blocks]"),
    "section_text_over_3000": ([section("x" * 3001)], "/blocks/0/text/text]"),
    "more_than_10_section_fields": (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
        "/blocks/0/fields]",
    ),
    "section_field_over_2000": (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
        "/blocks/0/fields/0/text]",
    ),
    "header_over_150": (
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        "/blocks/0/text/text]",
    ),
    "button_text_over_75": (
        [{"type": "actions", "elements": [button("b" * 76)]}],
        "/blocks/0/elements/0/text/text]",
    ),
    "block_id_over_255": ([section("s", block_id="b" * 256)], "/blocks/0/block_id]"),
    "more_than_10_context_elements": (
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
        "/blocks/0/elements]",
    ),
    "more_than_25_actions_elements": (
        [{"type": "actions", "elements": [button(f"b{i}", f"a{i}") for i in range(26)]}],
        "/blocks/0/elements]",
    ),
    "text_object_without_type": (
        [{"type": "section", "text": {"text": "no type"}}],
        "/blocks/0/text]",
    ),
    "unknown_block_type": ([{"type": "carousel"}], "/blocks/0/type]"),
    "header_with_mrkdwn": (
        [{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}],
        "/blocks/0/text/type]",
    ),
}


@pytest.mark.parametrize("case", sorted(BLOCK_LIMIT_CASES))
def test_post_message_refuses_blocks_beyond_block_kit_limits(client: WebClient, case: str) -> None:
    blocks, pointer = BLOCK_LIMIT_CASES[case]
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    data = slack_error(exc)
    assert data["error"] == "invalid_blocks"
    messages = data["response_metadata"]["messages"]
    assert any(m.startswith("[ERROR]") and m.endswith(pointer) for m in messages), messages


def test_post_message_refuses_more_than_50_blocks(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="t", blocks=[section("s")] * 51)
    data = slack_error(exc)
    assert data["error"] == "invalid_blocks"
    assert data["response_metadata"]["messages"] == [
        "[ERROR] must be less than 51 items [json-pointer:/blocks]"
    ]


def test_chat_update_validates_blocks_and_needs_an_existing_message(client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="v1")["ts"]
    resp = client.chat_update(channel="C1", ts=ts, text="v2")
    assert resp["message"]["text"] == "v2"
    with pytest.raises(SlackApiError) as exc:
        client.chat_update(channel="C1", ts=ts, text="v3", blocks=[section("x" * 3001)])
    assert slack_error(exc)["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as exc:
        client.chat_update(channel="C1", ts="1.000000", text="nope")
    assert slack_error(exc)["error"] == "message_not_found"


def test_chat_delete_removes_the_message_once(client: WebClient, fake: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C1", text="bye")["ts"]
    assert client.chat_delete(channel="C1", ts=ts)["ts"] == ts
    assert fake.messages("C1") == []
    with pytest.raises(SlackApiError) as exc:
        client.chat_delete(channel="C1", ts=ts)
    assert slack_error(exc)["error"] == "message_not_found"


def test_post_ephemeral_returns_message_ts_and_needs_a_known_user(client: WebClient) -> None:
    assert client.chat_postEphemeral(channel="C1", user="U1", text="psst")["message_ts"]
    with pytest.raises(SlackApiError) as exc:
        client.chat_postEphemeral(channel="C1", user="U404", text="psst")
    assert slack_error(exc)["error"] == "user_not_in_channel"


# --- views -------------------------------------------------------------------------------


def test_views_open_push_update_publish_return_views_with_ids(client: WebClient) -> None:
    opened = client.views_open(trigger_id="t1", view=modal([section("a")]))["view"]
    assert opened["id"].startswith("V")
    pushed = client.views_push(trigger_id="t2", view=modal([section("b")]))["view"]
    assert pushed["id"].startswith("V") and pushed["id"] != opened["id"]
    updated = client.views_update(view_id=opened["id"], view=modal([section("c")]))["view"]
    assert updated["id"] == opened["id"]
    assert updated["blocks"] == [section("c")]
    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("h")]})
    assert home["view"]["id"].startswith("V") and home["view"]["type"] == "home"


def test_views_update_with_stale_hash_is_hash_conflict(client: WebClient) -> None:
    opened = client.views_open(trigger_id="t", view=modal([section("a")]))["view"]
    client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal([section("b")]))
    with pytest.raises(SlackApiError) as exc:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal([]))
    assert slack_error(exc)["error"] == "hash_conflict"


def test_views_update_of_unknown_view_is_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.views_update(view_id="V404", view=modal([section("a")]))
    assert slack_error(exc)["error"] == "not_found"


def test_modal_accepts_100_blocks_but_refuses_101(client: WebClient) -> None:
    assert client.views_open(trigger_id="t", view=modal([section("s")] * 100))["ok"]
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id="t", view=modal([section("s")] * 101))
    data = slack_error(exc)
    # Slack reports view schema failures as invalid_arguments, not invalid_blocks.
    assert data["error"] == "invalid_arguments"
    assert data["response_metadata"]["messages"] == [
        "[ERROR] must be less than 101 items [json-pointer:/view/blocks]"
    ]


def test_home_tab_refuses_more_than_100_blocks(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("s")] * 101})
    assert slack_error(exc)["error"] == "invalid_arguments"


def test_modal_title_over_24_chars_is_invalid_arguments(client: WebClient) -> None:
    client.views_open(trigger_id="t", view=modal([section("s")], title="t" * 24))
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id="t", view=modal([section("s")], title="t" * 25))
    data = slack_error(exc)
    assert data["error"] == "invalid_arguments"
    assert "json-pointer:/view/title/text" in data["response_metadata"]["messages"][0]


def test_views_open_without_trigger_id_is_invalid_arguments(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("views.open", json={"view": modal([section("s")])})
    assert slack_error(exc)["error"] == "invalid_arguments"


# --- users & conversations ---------------------------------------------------------------


def test_users_info_returns_configured_user_with_timezone(client: WebClient) -> None:
    user = client.users_info(user="U1")["user"]
    assert (user["id"], user["name"], user["real_name"]) == ("U1", "alice", "Alice A")
    assert (user["tz"], user["tz_offset"]) == ("America/New_York", -18000)
    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="U404")
    assert slack_error(exc)["error"] == "user_not_found"


def test_users_info_profile_reads_like_slacks(fake: FakeSlack, client: WebClient) -> None:
    fake.users["U9"] = {"name": "bo", "real_name": "Bo Berg", "display_name": "bobo"}
    profile = client.users_info(user="U1")["user"]["profile"]
    assert (profile["display_name"], profile["display_name_normalized"]) == ("", "")
    assert (profile["real_name"], profile["real_name_normalized"]) == ("Alice A", "Alice A")
    assert client.users_info(user="U9")["user"]["profile"]["display_name"] == "bobo"


def test_users_info_past_its_tier_answers_429_with_retry_after(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.per_minute_limits["users.info"] = 3
    for _ in range(3):
        assert client.users_info(user="U1")["ok"]
    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="U1")
    assert exc.value.response.status_code == 429
    assert slack_error(exc)["error"] == "ratelimited"
    assert 1 <= int(exc.value.response.headers["Retry-After"]) <= 61


def test_conversations_open_returns_dm_channel_for_user(client: WebClient) -> None:
    assert client.conversations_open(users="U2")["channel"]["id"] == "DU2"


def test_conversations_members_paginates_with_cursor() -> None:
    with FakeSlack(channels={"C1": ["U1", "U2", "U3"]}) as f:
        c = WebClient(token=TOKEN, base_url=f.url)
        first = c.conversations_members(channel="C1", limit=2)
        assert first["members"] == ["U1", "U2"]
        cursor = first["response_metadata"]["next_cursor"]
        rest = c.conversations_members(channel="C1", limit=2, cursor=cursor)
        assert rest["members"] == ["U3"]
        assert rest["response_metadata"]["next_cursor"] == ""
        with pytest.raises(SlackApiError) as exc:
            c.conversations_members(channel="C404")
        assert slack_error(exc)["error"] == "channel_not_found"


# --- failures, retries and rate limits ---------------------------------------------------


def test_rate_limited_call_is_retried_after_retry_after_by_slack_sdk(
    fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=slept.append))
    client = WebClient(
        token=TOKEN, base_url=fake.url, retry_handlers=[RateLimitErrorRetryHandler(2)]
    )
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    resp = client.chat_postMessage(channel="C1", text="eventually")
    assert resp["ok"]
    calls = fake.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].response["error"] == "ratelimited"
    assert len(slept) == 1 and 1 <= slept[0] < 2  # honoured Retry-After: 1


def test_rate_limit_without_retry_handler_surfaces_429_with_retry_after(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.fail_next("users.info", status=429, retry_after=7, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as exc:
            client.users_info(user="U1")
        assert exc.value.response.status_code == 429
        assert exc.value.response.headers["Retry-After"] in ("7", ["7"])
    assert client.users_info(user="U1")["ok"]


def test_server_error_is_retried_by_server_error_retry_handler(fake: FakeSlack) -> None:
    handler = ServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.0)
    )
    client = WebClient(token=TOKEN, base_url=fake.url, retry_handlers=[handler])
    fake.fail_next("auth.test", status=503)
    assert client.auth_test()["ok"]
    assert [c.status for c in fake.calls_to("auth.test")] == [503, 200]


def test_fail_next_with_error_answers_ok_false(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="x")
    assert slack_error(exc)["error"] == "channel_not_found"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


def test_rate_limit_per_channel_refuses_bursts_in_the_same_channel_only() -> None:
    with FakeSlack(rate_limit_per_channel=1) as f:
        c = WebClient(token=TOKEN, base_url=f.url)
        c.chat_postMessage(channel="C1", text="1")
        c.chat_postMessage(channel="C2", text="other channel is fine")
        with pytest.raises(SlackApiError) as exc:
            c.chat_postMessage(channel="C1", text="2")
        assert exc.value.response.status_code == 429
        assert exc.value.response.headers["Retry-After"] in ("1", ["1"])


# --- files -------------------------------------------------------------------------------


def test_files_upload_v2_works_end_to_end(fake: FakeSlack, client: WebClient) -> None:
    resp = client.files_upload_v2(
        channel="C1", content="week 12 report", filename="report.md", title="Report"
    )
    assert resp["file"]["title"] == "Report"
    methods = [c.method for c in fake.calls]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    (stored,) = fake.files.values()
    assert stored.content == b"week 12 report"
    assert (stored.channel_id, stored.completed) == ("C1", True)


def test_complete_upload_without_uploaded_bytes_is_refused(client: WebClient) -> None:
    file_id = client.files_getUploadURLExternal(filename="a.txt", length=3)["file_id"]
    with pytest.raises(SlackApiError) as exc:
        client.files_completeUploadExternal(files=[{"id": file_id, "title": "a"}])
    assert slack_error(exc)["error"] == "file_not_found"


# --- response_url and waiting ------------------------------------------------------------


def test_response_url_posts_are_recorded(fake: FakeSlack) -> None:
    resp = WebhookClient(fake.response_url("cmd1")).send(text="done", response_type="ephemeral")
    assert resp.status_code == 200
    (posted,) = fake.wait_for_response("cmd1")
    assert posted.body["text"] == "done"
    assert fake.responses == [posted]


def test_wait_for_blocks_until_an_asynchronous_call_arrives(
    fake: FakeSlack, client: WebClient
) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="late"))
    timer.start()
    try:
        (call,) = fake.wait_for("chat.postMessage", timeout=3)
    finally:
        timer.join()
    assert call.args["text"] == "late"


def test_wait_for_times_out_with_what_did_arrive(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(TimeoutError, match=r"auth\.test"):
        fake.wait_for("chat.postMessage", timeout=0.05)


def test_reset_forgets_calls_and_failures(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("auth.test", error="fatal_error")
    client.chat_postMessage(channel="C1", text="x")
    fake.reset()
    assert fake.calls == [] and fake.messages() == []
    assert client.auth_test()["ok"]


# --- signing and a real Bolt app ---------------------------------------------------------


def test_signature_verifies_with_slack_sdk_signature_verifier() -> None:
    body = slash_command_body(text="status")
    ts = int(time.time())
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(body, ts, sign(SECRET, body, ts))
    assert not verifier.is_valid(body, ts, sign("other", body, ts))


def test_slash_command_body_has_every_field_slack_sends() -> None:
    fields = parse_qs(slash_command_body(text="plan show", response_url="http://r").decode())
    assert set(fields) >= {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    }
    assert fields["command"] == ["/batch"] and fields["text"] == ["plan show"]


def test_event_body_is_an_event_callback_envelope() -> None:
    env = json.loads(event_body({"type": "app_mention", "text": "hi"}))
    assert env["type"] == "event_callback"
    assert env["event"]["type"] == "app_mention"
    assert env["event_id"].startswith("Ev") and isinstance(env["event_time"], int)
    assert env["authorizations"][0]["user_id"] == "UBOT"


class _BoltServer:
    """Serves a Bolt App over real HTTP so post_signed exercises Bolt's signature check."""

    def __init__(self, app: App) -> None:
        bolt = app

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                headers = {k.lower(): [v] for k, v in self.headers.items()}
                resp = bolt.dispatch(BoltRequest(body=body, headers=headers))
                out = (resp.body or "").encode()
                self.send_response(resp.status)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/slack/events"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def bolt_url(fake: FakeSlack) -> Iterator[str]:
    app = App(signing_secret=SECRET, client=WebClient(token=TOKEN, base_url=fake.url))

    @app.command("/batch")
    def batch(ack: Ack, respond: Respond, say: Say, command: dict[str, Any]) -> None:
        ack()
        respond(f"got {command['text']}")
        say("posted to channel")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"], view={"type": "home", "blocks": [section("home")]}
        )

    @app.action("approve")
    def approve(ack: Ack, respond: Respond) -> None:
        ack()
        respond("approved")

    server = _BoltServer(app)
    yield server.url
    server.close()


def test_signed_slash_command_reaches_bolt_and_replies_through_the_fake(
    fake: FakeSlack, bolt_url: str
) -> None:
    assert fake.calls_to("auth.test"), "Bolt verifies its token against the fake at startup"
    body = slash_command_body(text="status", response_url=fake.response_url("cmd"))
    status, _, _ = post_signed(bolt_url, body, SECRET, FORM)
    assert status == 200
    assert fake.wait_for_response("cmd")[0].body["text"] == "got status"
    (post,) = fake.wait_for("chat.postMessage")
    assert post.args["channel"] == "C0CHAN" and post.ok


def test_signed_block_action_reaches_bolt(fake: FakeSlack, bolt_url: str) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM"},
        "user": {"id": "U1"},
        "api_app_id": "A0APP",
        "channel": {"id": "C0CHAN"},
        "response_url": fake.response_url("act"),
        "trigger_id": "1.2.3",
        "actions": [{"type": "button", "action_id": "approve", "block_id": "b", "value": "1"}],
    }
    status, _, _ = post_signed(bolt_url, interactive_body(payload), SECRET, FORM)
    assert status == 200
    assert fake.wait_for_response("act")[0].body["text"] == "approved"


def test_forged_signature_is_rejected_by_bolt(bolt_url: str) -> None:
    status, _, _ = post_signed(bolt_url, slash_command_body(), SECRET, FORM, signature="v0=bad")
    assert status == 401


def test_ten_minute_old_timestamp_is_rejected_by_bolt(bolt_url: str) -> None:
    old = int(time.time()) - 600
    status, _, _ = post_signed(bolt_url, slash_command_body(), SECRET, FORM, timestamp=old)
    assert status == 401


def test_signed_event_callback_reaches_bolt_and_publishes_home(
    fake: FakeSlack, bolt_url: str
) -> None:
    body = event_body({"type": "app_home_opened", "user": "U1", "tab": "home"})
    status, _, _ = post_signed(bolt_url, body, SECRET, JSON)
    assert status == 200
    (publish,) = fake.wait_for("views.publish")
    assert publish.args["user_id"] == "U1" and publish.ok


def test_table_blocks_follow_slacks_limits() -> None:
    from tests.fakeslack import validate_blocks

    cell = {"type": "raw_text", "text": "x"}
    table = {"type": "table", "rows": [[cell, cell]]}
    assert validate_blocks([table], max_blocks=50) == []
    assert any(
        "only_one_table_allowed" in p for p in validate_blocks([table, table], max_blocks=50)
    )
    empty = {"type": "table", "rows": [[{"type": "raw_text", "text": ""}]]}
    assert any("invalid table cell" in p for p in validate_blocks([empty], max_blocks=50))
    wide = {"type": "table", "rows": [[cell] * 21]}
    assert any("1 to 20 cells" in p for p in validate_blocks([wide], max_blocks=50))
    long = {"type": "table", "rows": [[cell]] * 101}
    assert any("less than 101" in p for p in validate_blocks([long], max_blocks=50))
