"""Fake Slack for tests: a real-HTTP Web API stand-in plus Slack-exact request signing.

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

__all__ = [
    "FORM",
    "JSON",
    "Call",
    "FakeSlack",
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
