"""Alembic's entry point: runs the revisions on the connection `bot.db` hands over (inside
its own transaction and schema lock), never on a URL of its own."""

from __future__ import annotations

from alembic import context

from bot.db import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite changes keys by copying the table; batch mode does that
)
with context.begin_transaction():
    context.run_migrations()
