"""The plan's tip as the last instance to push it wrote it (version 4).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_tips",
        sa.Column("plan", sa.String(500), primary_key=True),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.Column("pushed_at", UTCDateTime, nullable=False),
    )
