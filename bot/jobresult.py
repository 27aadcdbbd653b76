"""What a scheduled job did, in one line a person can read (CLI, shell, logs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class JobResult:
    job: str
    summary: str
    sent: int = 0
    skipped: int = 0
    failed: int = 0
