"""Logging for the long-running edges (`serve`, `jobs`): one handler on stderr, tokens masked.

`BATCHBOT_LOG_FORMAT=json` writes one JSON object per line (time, level, logger, message, and
`exc` when there is a traceback) for hosts that index logs; the default is one readable line.
Either way anything that looks like a token (`bot/redact.py`) is masked, in the message and
in tracebacks.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Literal

from bot.redact import mask_tokens

LogFormat = Literal["text", "json"]


class TokenFilter(logging.Filter):
    """Belt and braces: mask anything token-shaped (Slack, GitHub, auth headers) in any record."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        masked = mask_tokens(msg)
        if masked != msg:
            record.msg = masked
            record.args = ()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return mask_tokens(super().format(record))  # tracebacks too


class JsonFormatter(logging.Formatter):
    """One JSON object per line: {"time", "level", "logger", "message"[, "exc"]}."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return mask_tokens(json.dumps(entry, ensure_ascii=False))


def setup_logging(level: str, fmt: LogFormat = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(TokenFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)
