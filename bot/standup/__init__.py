"""Standups: collecting short daily updates and checking they stay short.

Only pure logic lives here; posting to Slack and scheduling prompts belong to the edge.
"""

from bot.standup.sentences import (
    MAX_CHARS,
    MAX_SENTENCES,
    MIN_SENTENCES,
    StandupCheck,
    check_standup,
    count_sentences,
)

__all__ = [
    "MAX_CHARS",
    "MAX_SENTENCES",
    "MIN_SENTENCES",
    "StandupCheck",
    "check_standup",
    "count_sentences",
]
