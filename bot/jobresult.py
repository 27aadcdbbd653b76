"""What a scheduled job reports back: one small value shared by every job.

The scheduler logs it, ``batchbot jobs run …`` prints it, tests assert on it. Standup
prompts, reminders and the weekly report all return the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["JobResult"]


@dataclass(frozen=True)
class JobResult:
    """``summary`` is one human line; the counts are for logs, exit codes and tests."""

    job: str
    summary: str
    sent: int = 0
    skipped: int = 0
    failed: int = 0

    @property
    def ok(self) -> bool:
        """False when any delivery failed (it will be retried on the next tick)."""
        return self.failed == 0
