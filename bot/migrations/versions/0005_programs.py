"""Standups, claims, skips, day threads and write turns gain the program.

One deployment serves several plan files (programs). The program joins the key where the
same thing happens once per program — a day's standup thread, a once-only job run (two
programs post two Friday reports), a stored answer. Rows written before keep working: they
belong to program "" (the deployment's only program until a second one exists), and a skip
of program "" applies to the person everywhere.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

KEYS = {
    "standups": ("pk_standups", ["program", "user_id", "local_date"]),
    "claims": ("pk_claims", ["program", "job", "key"]),
    "day_threads": ("pk_day_threads", ["program", "local_date", "channel"]),
}


def _program() -> sa.Column[str]:
    return sa.Column("program", sa.String(100), nullable=False, server_default="")


def upgrade() -> None:
    for table, (name, columns) in KEYS.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(_program())
            batch.drop_constraint(name, type_="primary")
            batch.create_primary_key(name, columns)
    for table in ("standup_skips", "write_turns"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(_program())
