"""Fake Slack for tests: a real-HTTP Web API stand-in, Slack-exact request signing and a
loopback Socket Mode server.

Slack is unreachable from the test machines; this package is the single allowed stand-in.
"""

from .server import (
    Call,
    FakeSlack,
    ResponseCall,
    SlackError,
    UploadedFile,
    iter_blocks,
    validate_blocks,
    validate_view,
)
from .signing import (
    FORM,
    JSON,
    event_body,
    interactive_body,
    post_signed,
    sign,
    signed_headers,
    slash_command_body,
    url_verification_body,
)
from .socket_mode import Ack, FakeSocketMode

__all__ = [
    "FORM",
    "JSON",
    "Ack",
    "Call",
    "FakeSlack",
    "FakeSocketMode",
    "ResponseCall",
    "SlackError",
    "UploadedFile",
    "event_body",
    "interactive_body",
    "iter_blocks",
    "post_signed",
    "sign",
    "signed_headers",
    "slash_command_body",
    "url_verification_body",
    "validate_blocks",
    "validate_view",
]
