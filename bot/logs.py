"""Logging for the long-running edges (`serve`, `jobs`): one handler on stderr, tokens masked.

`BATCHBOT_LOG_FORMAT=json` writes one JSON object per line (time, level, logger, message, and
`exc` when there is a traceback) for hosts that index logs; the default is one readable line.
Either way anything that looks like a Slack token is masked, in the message and in tracebacks.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from typing import Literal

LogFormat = Literal["text", "json"]

_TOKEN = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
_MASK = "xox…[redacted]"


def mask_tokens(text: str) -> str:
    return _TOKEN.sub(_MASK, text)


class TokenFilter(logging.Filter):
    """Belt and braces: mask anything that looks like a Slack token in any log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if _TOKEN.search(msg):
            record.msg = mask_tokens(msg)
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
