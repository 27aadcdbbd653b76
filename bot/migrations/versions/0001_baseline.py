"""The tables as first released (schema version 1 of the hand-kept scheme).

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "standups",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("submitted_at", UTCDateTime, nullable=False),
        sa.Column("channel", sa.String(64)),
        sa.Column("ts", sa.String(64)),
        sa.Column("source", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "local_date", name="pk_standups"),
        sa.CheckConstraint(
            "source IN ('dm', 'modal', 'slash', 'shell')", name="ck_standups_source"
        ),
    )
    op.create_index("ix_standups_local_date_user", "standups", ["local_date", "user_id"])
    op.create_table(
        "claims",
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fire_time", UTCDateTime, nullable=False),
        sa.Column("claimed_at", UTCDateTime, nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="claimed"),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("job", "key", name="pk_claims"),
        sa.CheckConstraint("status IN ('claimed', 'done', 'failed')", name="ck_claims_status"),
    )
    op.create_index("ix_claims_job_fire_time", "claims", ["job", "fire_time"])
    op.create_table(
        "standup_skips",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("start_date <= end_date", name="ck_standup_skips_range"),
    )
    op.create_index("ix_standup_skips_user", "standup_skips", ["user_id", "start_date"])
    op.create_table(
        "users",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("real_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("fetched_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "day_threads",
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("local_date", "channel", name="pk_day_threads"),
    )
