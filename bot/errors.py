"""Errors every layer may name without importing the layer that raises them.

The database raises ``StorageUnavailable`` when it cannot be written right now (a locked
SQLite file, a dropped PostgreSQL connection); the command path turns it into "not saved,
try again" without importing ``bot.db``.
"""

from __future__ import annotations


class StorageUnavailable(RuntimeError):
    """A store could not be read or written just now; nothing was saved. Worth a retry."""
