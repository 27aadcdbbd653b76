"""Write turns: instances sharing one database take turns at writing the plan, first come first
served; a turn left behind by a dead process, or a database that is gone, only slows writes."""

from __future__ import annotations

import datetime as dt
import threading
import time

from bot.db import Database
from bot.writeturns import DatabaseTurns
from tests.conftest_db import database_fixture, db_url_fixture  # noqa: F401


def test_a_second_taker_waits_until_the_first_turn_ends(database: Database) -> None:
    a, b = DatabaseTurns(database, "a:1"), DatabaseTurns(database, "b:2")
    end_a = a.take()
    got_b = threading.Event()

    def take_b() -> None:
        b.take()()
        got_b.set()

    thread = threading.Thread(target=take_b)
    thread.start()
    assert not got_b.wait(0.3), "b went ahead while a held the turn"
    end_a()
    assert got_b.wait(5)
    thread.join()


def test_turns_are_first_come_first_served(database: Database) -> None:
    holder = DatabaseTurns(database, "h:0")
    end = holder.take()
    order: list[int] = []
    threads = []
    for n in range(4):
        turns = DatabaseTurns(database, f"w:{n}")

        def wait_turn(turns: DatabaseTurns = turns, n: int = n) -> None:
            end_mine = turns.take()
            order.append(n)
            end_mine()

        thread = threading.Thread(target=wait_turn)
        thread.start()
        threads.append(thread)
        time.sleep(0.1)  # queued one after the other
    end()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3]


def test_a_turn_left_by_a_dead_process_expires_after_its_lease(database: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    database.queue_turn("killed:9", now + dt.timedelta(seconds=0.5))  # never ended
    started = time.monotonic()
    DatabaseTurns(database, "b:2").take()()
    assert 0.3 < time.monotonic() - started < 5


def test_a_turn_never_waits_longer_than_max_wait(database: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    database.queue_turn("stuck:1", now + dt.timedelta(hours=1))
    started = time.monotonic()
    DatabaseTurns(database, "b:2", max_wait=0.3).take()()
    assert time.monotonic() - started < 3


def test_a_long_wait_renews_the_waiting_turn(database: Database) -> None:
    a, b = DatabaseTurns(database, "a:1"), DatabaseTurns(database, "b:2", lease=0.6)
    end_a = a.take()
    thread = threading.Thread(target=lambda: b.take()())
    thread.start()
    time.sleep(1.0)  # longer than b's lease: b's turn must still be queued, not expired
    assert database.turns_ahead(10**9, dt.datetime.now(dt.UTC)) == 2
    end_a()
    thread.join(5)
    assert not thread.is_alive()


def test_a_database_that_is_gone_lets_writes_through(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE write_turns")
    started = time.monotonic()
    DatabaseTurns(db, "a:1").take()()  # no table: degrade to racing, at once
    assert time.monotonic() - started < 1
    db.close()


def test_a_turn_held_longer_than_its_lease_is_kept_by_its_holder(database: Database) -> None:
    a, b = DatabaseTurns(database, "a:1", lease=0.6), DatabaseTurns(database, "b:2", lease=0.6)
    end_a = a.take()
    got_b = threading.Event()
    thread = threading.Thread(target=lambda: (b.take()(), got_b.set()))
    thread.start()
    assert not got_b.wait(1.5), "b went ahead while a still held (and renewed) its turn"
    end_a()
    assert got_b.wait(5)
    thread.join(5)
