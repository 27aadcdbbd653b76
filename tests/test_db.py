"""Specification of the database layer, run on SQLite and on PostgreSQL.

Every test that takes ``database`` or ``db_url`` runs twice (see tests/conftest_db.py);
the PostgreSQL run skips unless BATCHBOT_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import bot.db as db_module
from bot.db import (
    SCHEMA_VERSION,
    ClaimRecord,
    Database,
    SchemaTooNewError,
    StandupRecord,
    normalize_url,
)
from tests import legacy_db_v4 as legacy
from tests.conftest_db import database_fixture, db_url_fixture  # noqa: F401
from tests.serveproc import warm_context

HEAD = "0005"

MONDAY = date(2024, 5, 6)
NOW = datetime(2024, 5, 6, 7, 30, tzinfo=UTC)
BERLIN_SUMMER = timezone(timedelta(hours=2))


def alembic_revision(db: Database) -> str:
    with db.engine.connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def stamped_version(db: Database) -> int:
    """The schema version written in the database itself (what a newer release would read)."""
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT version FROM schema_version")).scalar_one())


def _save(db: Database, user_id: str, day: date, text_: str = "Did A. Doing B.") -> StandupRecord:
    record, _ = db.save_standup(user_id, user_id.lower(), day, text_, NOW, "dm")
    return record


# ----------------------------------------------------------------------------- schema


def test_schema_is_created_at_the_current_version(database: Database) -> None:
    assert stamped_version(database) == SCHEMA_VERSION == 5
    assert alembic_revision(database) == HEAD


def test_opening_an_existing_database_again_changes_nothing(database: Database) -> None:
    _save(database, "U1", MONDAY)
    with Database(database.url) as again:
        assert stamped_version(again) == SCHEMA_VERSION
        assert again.get_standup("U1", MONDAY) is not None


def test_the_head_revision_the_code_knows_is_alembics_head() -> None:
    """bot/db.py names the newest revision so an up-to-date start needs no Alembic; a new
    revision file without that constant moved would make every start think it is behind."""
    from alembic.script import ScriptDirectory

    from bot.db import HEAD_REVISION, _config

    assert ScriptDirectory.from_config(_config()).get_current_head() == HEAD_REVISION == HEAD


def test_opening_an_up_to_date_database_does_not_load_alembic(tmp_path: Path) -> None:
    """Alembic and Mako are ~10 MB of a server's memory; only a migration needs them."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    Database(url).close()  # created (and migrated) here
    probe = (
        "import sys; from bot.db import Database; Database(sys.argv[1]).close(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, url],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout
    assert out.strip() == "[]"


def test_the_revisions_build_exactly_the_tables_the_code_uses(database: Database) -> None:
    """A database made by running every Alembic revision equals bot/db.py's tables (so a
    change to one without the other fails here, on both backends)."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    database.close()
    engine = create_engine(normalize_url(database.url))
    with engine.begin() as conn:  # an empty database, replayed revision by revision
        conn.execute(text("DROP TABLE alembic_version"))
        for table in reversed(db_module.metadata.sorted_tables):
            conn.execute(text(f"DROP TABLE {table.name}"))
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", "bot:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db_module.metadata)
    engine.dispose()
    assert [d for d in diff if not _harmless(d)] == []


def _harmless(diff: Any) -> bool:
    """The bookkeeping tables: Alembic's own, and the old release's version guard (written
    by bot.db after the revisions, not by one)."""
    return (diff[0], diff[1].name) in {
        ("remove_table", "alembic_version"),
        ("add_table", "schema_version"),
    }


def test_a_schema_newer_than_the_code_is_refused(database: Database) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNewError, match="9999"):
        Database(database.url)


def test_a_legacy_schema_newer_than_the_code_is_refused(db_url: str) -> None:
    legacy.Database(db_url).close()
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = 7"))
    engine.dispose()
    with pytest.raises(SchemaTooNewError, match="version 7"):
        Database(db_url)


def test_the_previous_release_refuses_a_database_this_release_upgraded(db_url: str) -> None:
    """An old instance left running (or rolled back to) must not write rows without their
    program: it stops at start with its own "schema too new" message."""
    Database(db_url).close()
    with pytest.raises(legacy.SchemaTooNewError, match="version 5, this code knows 4"):
        legacy.Database(db_url)


def test_a_database_of_the_previous_release_upgrades_with_nothing_lost(db_url: str) -> None:
    """The upgrade path: every kind of row the last release (schema version 3, its own
    code) wrote is still there, read the same way, and the once-only claims still hold."""
    old = legacy.Database(db_url)
    old.save_standup("U1", "ana", MONDAY, "Did A. Doing B.", NOW, "dm")
    old.set_standup_post("U1", MONDAY, "C0STAND", "111.222")
    old.save_standup("U2", "bo", MONDAY + timedelta(days=1), "Did C. Doing D.", NOW, "modal")
    assert old.claim("weekly-report", "2024-05-10T15:00:00+00:00", NOW, NOW, "old:1")
    old.finish("weekly-report", "2024-05-10T15:00:00+00:00", "done", "posted")
    old.add_skip("U2", MONDAY, MONDAY + timedelta(days=2), NOW)
    old.upsert_user("U1", "ana", "Ana Lima", "Europe/Lisbon", NOW, "ana.l")
    old.set_day_thread(MONDAY, "C0STAND", "100.000")
    turn = old.queue_turn("old:1", NOW + timedelta(minutes=1))
    old.close()

    with Database(db_url) as new:
        assert stamped_version(new) == SCHEMA_VERSION and alembic_revision(new) == HEAD
        first = new.get_standup("U1", MONDAY)
        assert first is not None
        assert (first.text, first.channel, first.ts, first.source) == (
            "Did A. Doing B.",
            "C0STAND",
            "111.222",
            "dm",
        )
        assert [r.user_id for r in new.standups_between(MONDAY, MONDAY + timedelta(days=6))] == [
            "U1",
            "U2",
        ]
        claim = new.get_claim("weekly-report", "2024-05-10T15:00:00+00:00")
        assert claim is not None and (claim.status, claim.detail) == ("done", "posted")
        assert not new.claim("weekly-report", "2024-05-10T15:00:00+00:00", NOW, NOW, "new:1")
        assert new.away_users(MONDAY + timedelta(days=1)) == {"U2"}
        assert new.away_users(MONDAY + timedelta(days=1), program="beta") == {"U2"}
        user = new.get_user("U1")
        assert user is not None and user.shown_name == "ana.l"
        assert new.get_day_thread(MONDAY, "C0STAND") == "100.000"
        assert new.turns_ahead(turn + 1, NOW) == 1
        # The program now joins the keys: a second program runs its own once-only job.
        assert new.claim("weekly-report", "2024-05-10T15:00:00+00:00", NOW, NOW, "n", "beta")
        new.save_standup("U1", "ana", MONDAY, "Beta work. More beta.", NOW, "dm", "beta")
        kept = new.get_standup("U1", MONDAY)
        assert kept is not None and kept.text == "Did A. Doing B."


def test_a_version_1_database_of_an_older_release_upgrades(db_url: str) -> None:
    legacy.Database(db_url).close()
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:  # what release 1 had: no write turns, display names, tips
        conn.execute(text("DROP TABLE write_turns"))
        conn.execute(text("DROP TABLE plan_tips"))
        conn.execute(text("ALTER TABLE users DROP COLUMN display_name"))
        conn.execute(text("UPDATE schema_version SET version = 1"))
    engine.dispose()
    with Database(db_url) as upgraded:
        assert alembic_revision(upgraded) == HEAD
        turn = upgraded.queue_turn("a:1", NOW + timedelta(minutes=1))
        assert upgraded.turns_ahead(turn, NOW) == 0
        upgraded.upsert_user("U1", "ana", "Ana Lima", "Europe/Lisbon", NOW, "ana.l")
        upgraded.set_plan_tip("origin main plan.toml", "a" * 40, NOW)
        assert upgraded.plan_tip("origin main plan.toml") == "a" * 40


def _start_and_claim(url: str, barrier: Any, results: Any, owner: str) -> None:
    """Child process: open the database at the same moment as the others, then claim."""
    barrier.wait(timeout=60)
    db = Database(url)
    try:
        results.put((owner, db.claim("startup", "k", NOW, NOW, owner)))
    finally:
        db.close()


def _claim_only(url: str, barrier: Any, results: Any, owner: str) -> None:
    """Child process: with the schema already there, race the others for one key."""
    db = Database(url)
    try:
        barrier.wait(timeout=60)
        results.put((owner, db.claim("report", "2024-W19", NOW, NOW, owner)))
    finally:
        db.close()


def _race(url: str, target: Callable[..., None], processes: int) -> list[bool]:
    ctx = warm_context()
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    children = [
        ctx.Process(target=target, args=(url, barrier, results, f"pid-{i}"))
        for i in range(processes)
    ]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=120)[1] for _ in children]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    return outcomes


def test_processes_starting_at_once_create_the_schema_once(db_url: str) -> None:
    outcomes = _race(db_url, _start_and_claim, processes=6)
    assert sorted(outcomes) == [False] * 5 + [True]
    with Database(db_url) as db:
        assert stamped_version(db) == SCHEMA_VERSION


def test_sqlite_connection_is_tuned_for_concurrency(tmp_path: Path) -> None:
    with Database(f"sqlite:///{tmp_path / 'b.db'}") as db, db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # Short, so a person waiting on a locked file hears "not saved, try again" promptly.
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_postgres_urls_are_pinned_to_psycopg3(given: str, expected: str) -> None:
    assert normalize_url(given).render_as_string(hide_password=False) == expected


# ----------------------------------------------------------------------------- standups


def test_first_submission_is_stored_and_not_a_replacement(database: Database) -> None:
    record, replaced = database.save_standup("U1", "ana", MONDAY, "Did A. Doing B.", NOW, "modal")
    assert not replaced
    assert record == StandupRecord("U1", "ana", MONDAY, "Did A. Doing B.", NOW, "modal")
    assert database.get_standup("U1", MONDAY) == record


def test_resubmission_replaces_text_but_keeps_post(database: Database) -> None:
    database.save_standup("U1", "ana", MONDAY, "Did A. Doing B.", NOW, "dm")
    assert database.set_standup_post("U1", MONDAY, "C-standup", "1715000000.000100")
    later = NOW + timedelta(hours=2)
    record, replaced = database.save_standup("U1", "ana", MONDAY, "Did A. Doing C.", later, "slash")
    assert replaced
    assert record.text == "Did A. Doing C."
    assert record.submitted_at == later
    assert record.source == "slash"
    assert (record.channel, record.ts) == ("C-standup", "1715000000.000100")
    assert database.get_standup("U1", MONDAY) == record


def test_one_update_per_person_per_day(database: Database) -> None:
    _save(database, "U1", MONDAY)
    _save(database, "U1", MONDAY, "Other. Text.")
    _save(database, "U2", MONDAY)
    _save(database, "U1", MONDAY + timedelta(days=1))
    assert len(database.standups_between(MONDAY, MONDAY + timedelta(days=6))) == 3


def test_missing_standup_is_none(database: Database) -> None:
    assert database.get_standup("U1", MONDAY) is None
    assert not database.set_standup_post("U1", MONDAY, "C1", "1.0")


def test_unknown_source_is_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="source"):
        database.save_standup("U1", "ana", MONDAY, "A. B.", NOW, "email")  # type: ignore[arg-type]


def test_week_query_is_inclusive_and_ordered_by_date_then_person(database: Database) -> None:
    for offset in (5, 0, 4, -1, 2):
        for user in ("U2", "U1"):
            _save(database, user, MONDAY + timedelta(days=offset))
    week = database.standups_between(MONDAY, MONDAY + timedelta(days=4))
    assert [(r.local_date, r.user_id) for r in week] == [
        (MONDAY + timedelta(days=d), u) for d in (0, 2, 4) for u in ("U1", "U2")
    ]
    mine = database.standups_between(MONDAY, MONDAY + timedelta(days=4), user_id="U2")
    assert [r.user_id for r in mine] == ["U2"] * 3


def test_standup_dates_lists_a_persons_history_newest_first(database: Database) -> None:
    for offset in range(10):
        _save(database, "U1", MONDAY + timedelta(days=offset))
    _save(database, "U2", MONDAY + timedelta(days=20))
    assert database.standup_dates("U1", limit=3) == [
        MONDAY + timedelta(days=9),
        MONDAY + timedelta(days=8),
        MONDAY + timedelta(days=7),
    ]
    assert database.standup_dates("nobody", limit=3) == []


def test_weekly_query_uses_the_date_index(tmp_path: Path) -> None:
    with Database(f"sqlite:///{tmp_path / 'q.db'}") as db, db.engine.connect() as conn:
        plan = " ".join(
            str(row[-1])
            for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT * FROM standups "
                "WHERE local_date BETWEEN '2024-05-06' AND '2024-05-10' "
                "ORDER BY local_date, user_id"
            )
        )
    assert "ix_standups_local_date_user" in plan
    assert "TEMP B-TREE" not in plan


# ----------------------------------------------------------------------------- datetimes


def test_datetimes_come_back_as_aware_utc(database: Database) -> None:
    local = datetime(2024, 5, 6, 9, 15, 30, 123456, tzinfo=BERLIN_SUMMER)
    database.save_standup("U1", "ana", MONDAY, "A. B.", local, "dm")
    database.claim("j", "k", fire_time=local, now=local, owner="p")
    user = database.upsert_user("U1", "ana", "Ana L", "Europe/Berlin", local)
    for value in (
        database.get_standup("U1", MONDAY).submitted_at,  # type: ignore[union-attr]
        database.get_claim("j", "k").fire_time,  # type: ignore[union-attr]
        database.get_claim("j", "k").claimed_at,  # type: ignore[union-attr]
        database.get_user("U1").fetched_at,  # type: ignore[union-attr]
        user.fetched_at,
    ):
        assert value == local
        assert value.tzinfo is UTC
        assert value.hour == 7


def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive"):
        database.save_standup("U1", "ana", MONDAY, "A. B.", datetime(2024, 5, 6, 9), "dm")
    assert database.get_standup("U1", MONDAY) is None


# ----------------------------------------------------------------------------- claims


def test_claim_is_taken_once(database: Database) -> None:
    assert database.claim("weekly-report", "2024-W19", NOW, NOW, "host-a:1")
    assert not database.claim("weekly-report", "2024-W19", NOW, NOW, "host-b:2")
    assert database.claim("weekly-report", "2024-W20", NOW, NOW, "host-b:2")
    assert database.claim("other-job", "2024-W19", NOW, NOW, "host-b:2")
    claim = database.get_claim("weekly-report", "2024-W19")
    assert claim == ClaimRecord("weekly-report", "2024-W19", NOW, NOW, "host-a:1", "claimed", "")


def test_claim_is_taken_once_across_threads(database: Database) -> None:
    threads = 8
    barrier = threading.Barrier(threads)
    results: list[bool] = []
    lock = threading.Lock()

    def worker(owner: str) -> None:
        barrier.wait(timeout=30)
        won = database.claim("standup-post", "C1:2024-05-06", NOW, NOW, owner)
        with lock:
            results.append(won)

    pool = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert sorted(results) == [False] * (threads - 1) + [True]


def test_claim_is_taken_once_across_processes(database: Database) -> None:
    outcomes = _race(str(database.url.render_as_string(hide_password=False)), _claim_only, 4)
    assert sorted(outcomes) == [False, False, False, True]
    claim = database.get_claim("report", "2024-W19")
    assert claim is not None and claim.claimed_by.startswith("pid-")


def test_finish_records_how_the_work_ended(database: Database) -> None:
    database.claim("weekly-report", "2024-W19", NOW, NOW, "p")
    assert database.finish("weekly-report", "2024-W19", "failed", "channel_not_found")
    claim = database.get_claim("weekly-report", "2024-W19")
    assert claim is not None
    assert (claim.status, claim.detail) == ("failed", "channel_not_found")
    assert not database.finish("weekly-report", "never-claimed", "done")
    with pytest.raises(ValueError, match="status"):
        database.finish("weekly-report", "2024-W19", "exploded")  # type: ignore[arg-type]


def test_release_lets_the_work_run_again(database: Database) -> None:
    database.claim("weekly-report", "2024-W19", NOW, NOW, "p1")
    assert database.release("weekly-report", "2024-W19")
    assert database.get_claim("weekly-report", "2024-W19") is None
    assert database.claim("weekly-report", "2024-W19", NOW, NOW, "p2")
    assert not database.release("weekly-report", "nothing-here")


# ----------------------------------------------------------------------------- skips


def test_away_covers_the_whole_range_inclusive(database: Database) -> None:
    skip = database.add_skip("U1", MONDAY, MONDAY + timedelta(days=4), NOW)
    assert skip.covers(MONDAY) and skip.covers(MONDAY + timedelta(days=4))
    assert "U1" not in database.away_users(MONDAY - timedelta(days=1))
    assert "U1" in database.away_users(MONDAY)
    assert "U1" in database.away_users(MONDAY + timedelta(days=4))
    assert "U1" not in database.away_users(MONDAY + timedelta(days=5))
    assert database.away_users(MONDAY + timedelta(days=2)) == {"U1"}


def test_skips_of_several_people_and_ranges_are_told_apart(database: Database) -> None:
    database.add_skip("U1", date(2024, 8, 1), date(2024, 8, 14), NOW)
    database.add_skip("U1", date(2024, 5, 10), date(2024, 5, 10), NOW)
    database.add_skip("U2", date(2024, 1, 1), date(2024, 1, 2), NOW)
    assert database.away_users(date(2024, 5, 10)) == {"U1"}
    assert database.away_users(date(2024, 8, 14)) == {"U1"}
    assert database.away_users(date(2024, 1, 2)) == {"U2"}
    assert database.away_users(date(2024, 6, 1)) == set()


def test_a_skip_that_ends_before_it_starts_is_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="before"):
        database.add_skip("U1", MONDAY, MONDAY - timedelta(days=1), NOW)


# ----------------------------------------------------------------------------- users


def test_user_profile_cache_is_upserted(database: Database) -> None:
    assert database.get_user("U1") is None
    database.upsert_user("U1", "ana", "Ana López", "Europe/Madrid", NOW)
    later = NOW + timedelta(days=1)
    updated = database.upsert_user("U1", "ana.l", "Ana López", "America/Bogota", later)
    assert database.get_user("U1") == updated
    assert (updated.name, updated.tz, updated.fetched_at) == ("ana.l", "America/Bogota", later)


# ----------------------------------------------------------------------------- day threads


def test_day_thread_is_remembered_per_day_and_channel(database: Database) -> None:
    assert database.get_day_thread(MONDAY, "C1") is None
    database.set_day_thread(MONDAY, "C1", "1715000000.000100")
    database.set_day_thread(MONDAY, "C2", "1715000000.000200")
    assert database.get_day_thread(MONDAY, "C1") == "1715000000.000100"
    assert database.get_day_thread(MONDAY + timedelta(days=1), "C1") is None
    database.set_day_thread(MONDAY, "C1", "1715000999.000100")
    assert database.get_day_thread(MONDAY, "C1") == "1715000999.000100"
    assert database.get_day_thread(MONDAY, "C2") == "1715000000.000200"


# ----------------------------------------------------------------------------- restart


def test_restart_loses_nothing(database: Database) -> None:
    record, _ = database.save_standup("U1", "ana", MONDAY, "A. B.", NOW, "shell")
    database.set_standup_post("U1", MONDAY, "C1", "1.1")
    database.claim("weekly-report", "2024-W19", NOW, NOW, "p1")
    database.finish("weekly-report", "2024-W19", "done", "posted")
    database.add_skip("U1", MONDAY, MONDAY, NOW)
    user = database.upsert_user("U1", "ana", "Ana", "Europe/Berlin", NOW)
    database.set_day_thread(MONDAY, "C1", "2.2")
    claim = database.get_claim("weekly-report", "2024-W19")
    url = database.url
    database.close()

    with Database(url) as reopened:
        assert reopened.get_standup("U1", MONDAY) == StandupRecord(
            "U1", "ana", MONDAY, "A. B.", NOW, "shell", "C1", "1.1"
        )
        assert record.submitted_at == NOW
        assert reopened.get_claim("weekly-report", "2024-W19") == claim
        assert claim is not None and claim.status == "done"
        assert reopened.away_users(MONDAY) == {"U1"}
        assert reopened.get_user("U1") == user
        assert reopened.get_day_thread(MONDAY, "C1") == "2.2"
        assert not reopened.claim("weekly-report", "2024-W19", NOW, NOW, "p2")


# -- write turns ------------------------------------------------------------------

LATER = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_write_turns_are_served_in_the_order_they_were_queued(database: Database) -> None:
    first = database.queue_turn("a:1", LATER)
    second = database.queue_turn("b:2", LATER)
    third = database.queue_turn("a:1", LATER)
    assert [database.turns_ahead(t, NOW) for t in (first, second, third)] == [0, 1, 2]
    database.end_turn(first, NOW)
    assert [database.turns_ahead(t, NOW) for t in (second, third)] == [0, 1]


def test_an_expired_write_turn_holds_nobody_up_and_is_swept(database: Database) -> None:
    dead = database.queue_turn("killed:9", NOW)  # its lease ends at NOW
    alive = database.queue_turn("b:2", LATER)
    assert database.turns_ahead(alive, NOW) == 0
    assert database.renew_turn(dead, LATER)  # still there until someone sweeps
    database.renew_turn(dead, NOW)
    database.end_turn(alive, NOW)
    assert not database.renew_turn(dead, LATER), "ending a turn sweeps the expired ones"


def test_a_sqlite_file_replaced_under_a_running_process_refuses_every_statement(
    tmp_path: Path,
) -> None:
    """Issue 19 item 7: writes went on into the replaced file's inode, lost at the restart."""
    from bot.db import DatabaseGone

    path = tmp_path / "bot.db"
    db = Database(f"sqlite:///{path}")
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    db.save_standup("U1", "Ann", date(2026, 12, 1), "Did a thing.", now, "dm")
    assert db.gone() is None
    other = tmp_path / "other.db"
    Database(f"sqlite:///{other}").close()
    other.replace(path)
    assert "was replaced" in (db.gone() or "")
    with pytest.raises(DatabaseGone, match="restart batchbot"):
        db.save_standup("U1", "Ann", date(2026, 12, 2), "Did another.", now, "dm")
    with pytest.raises(DatabaseGone):
        db.get_standup("U1", date(2026, 12, 1))
    db.close()
