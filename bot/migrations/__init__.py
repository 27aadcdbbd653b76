"""The database schema's history as Alembic revisions (`versions/`), run by `bot.db` at start.

Why Alembic: the programs change moved primary keys (a column joins the key of standups,
claims and day threads), which SQLite can only do by copying a table; Alembic's batch mode
does that copy, and its revision graph replaces the hand-kept list of schema versions.

Adding a change: write `versions/NNNN_what.py` with `revision`, `down_revision` (the newest
one now) and `upgrade()` using `alembic.op`; update the tables in `bot/db.py` to match
(tests/test_migrations.py checks that a database built by the revisions equals them).
"""
