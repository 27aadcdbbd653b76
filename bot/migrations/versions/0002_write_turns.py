"""The write-turn queue that keeps several instances from racing their pushes (version 2).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "write_turns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
