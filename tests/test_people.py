"""The people directory against the fake Slack over HTTP and a real database: every id a
reply shows becomes a name, from the cache when it is fresh, through users.info when not, and
never by sleeping through a rate limit."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.db import Database
from bot.messenger import RateLimited, UserInfo
from bot.people.directory import Directory
from bot.people.names import UNKNOWN, FixedNames, humanize, people_in, person_name
from bot.slack.messenger import CallBudget, SlackMessenger, make_client
from tests.conftest import ROOT, run_cli
from tests.conftest_db import database_fixture, db_url_fixture  # noqa: F401
from tests.fakeslack.server import FakeSlack

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
USERS = {
    "UANA": {"name": "ana", "real_name": "Ana Lima", "display_name": "ana.l"},
    "UBOB": {"name": "bob", "real_name": "Bob Berg"},  # no display name, like most people
    "UCY": {"name": "cy", "real_name": ""},
}


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(name="fake")
def fake_fixture() -> Iterator[FakeSlack]:
    with FakeSlack(users={k: dict(v) for k, v in USERS.items()}) as fake:
        yield fake


def slack(fake: FakeSlack, budget: CallBudget | None = None) -> SlackMessenger:
    return SlackMessenger(make_client(fake.token, fake.url), budget)


def directory(db: Database, fake: FakeSlack, clock: Clock, **kw: object) -> Directory:
    return Directory(db=db, clock=clock, lookup=slack(fake, **kw).user_info)  # type: ignore[arg-type]


def test_a_person_never_seen_is_named_in_slacks_order(database: Database, fake: FakeSlack) -> None:
    names = directory(database, fake, Clock())
    assert names.names(["UANA", "UBOB", "UCY"]) == {
        "UANA": "ana.l",
        "UBOB": "Bob Berg",
        "UCY": "cy",
    }
    assert len(fake.calls_to("users.info")) == 3


def test_a_cached_name_is_served_for_a_day_then_looked_up_again(
    database: Database, fake: FakeSlack
) -> None:
    clock = Clock()
    names = directory(database, fake, clock)
    assert names.name("UBOB") == "Bob Berg"
    fake.users["UBOB"]["display_name"] = "bobby"
    clock.now = NOW + timedelta(hours=23)
    assert names.name("UBOB") == "Bob Berg"  # fresh: no call
    assert len(fake.calls_to("users.info")) == 1
    clock.now = NOW + timedelta(hours=24, seconds=1)
    assert names.name("UBOB") == "bobby"
    assert len(fake.calls_to("users.info")) == 2


def test_a_user_change_replaces_the_name_at_once_without_a_lookup(
    database: Database, fake: FakeSlack
) -> None:
    names = directory(database, fake, Clock())
    assert names.name("UANA") == "ana.l"
    names.remember(UserInfo("UANA", "ana", "Ana Lima", "Europe/Lisbon", display_name="Ana"))
    assert names.name("UANA") == "Ana"
    assert len(fake.calls_to("users.info")) == 1
    other = directory(database, fake, Clock())  # a second instance shares the cache
    assert other.name("UANA") == "Ana"
    assert len(fake.calls_to("users.info")) == 1


def test_a_429_serves_the_stale_name_without_waiting_and_pauses_lookups(
    database: Database, fake: FakeSlack
) -> None:
    clock, seconds = Clock(), [0.0]
    budget = CallBudget(per_minute=90, burst=30, clock=lambda: seconds[0])
    names = directory(database, fake, clock, budget=budget)
    assert names.name("UBOB") == "Bob Berg"
    clock.now = NOW + timedelta(days=2)  # stale now
    fake.fail_next("users.info", status=429, retry_after=30)
    started = time.monotonic()
    assert names.names(["UBOB", "UANA"]) == {"UBOB": "Bob Berg", "UANA": UNKNOWN}
    assert time.monotonic() - started < 2, "a name is never worth sleeping through Retry-After"
    assert [c.status for c in fake.calls_to("users.info")] == [200, 429]  # UANA not even asked
    clock.now += timedelta(seconds=31)
    seconds[0] += 31
    assert names.name("UANA") == "ana.l"


def test_an_unknown_user_is_named_neutrally_and_not_asked_again_that_day(
    database: Database, fake: FakeSlack
) -> None:
    names = directory(database, fake, Clock())
    assert names.name("UGONE") == UNKNOWN
    assert names.name("UGONE") == UNKNOWN
    assert len(fake.calls_to("users.info")) == 1


def test_lookups_stay_within_the_budget_and_the_rest_are_named_later(
    database: Database, fake: FakeSlack
) -> None:
    for i in range(12):
        fake.users[f"UP{i:02d}"] = {"name": f"p{i}", "real_name": f"Person {i}"}
    clock = Clock()
    names = directory(database, fake, clock, budget=CallBudget(per_minute=60, burst=5))
    got = names.names([f"UP{i:02d}" for i in range(12)])
    assert [got[f"UP{i:02d}"] for i in range(5)] == [f"Person {i}" for i in range(5)]
    assert set(list(got.values())[5:]) == {UNKNOWN}
    assert len(fake.calls_to("users.info")) == 5, "never more calls than the budget allows"


def test_concurrent_replies_ask_slack_about_one_person_once(
    database: Database, fake: FakeSlack
) -> None:
    names = directory(database, fake, Clock())
    gate = threading.Barrier(8)
    results: list[str] = []

    def ask() -> None:
        gate.wait()
        results.append(names.name("UANA"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["ana.l"] * 8
    assert len(fake.calls_to("users.info")) == 1


def test_the_plans_people_name_whom_neither_cache_nor_slack_knows(database: Database) -> None:
    names = Directory(db=database, clock=Clock(), lookup=None, given=lambda: {"UANA": "Ana P"})
    assert names.names(["UANA", "UBOB"]) == {"UANA": "Ana P", "UBOB": UNKNOWN}


def test_the_cli_reads_the_cache_and_never_slack(database: Database, fake: FakeSlack) -> None:
    directory(database, fake, Clock()).name("UBOB")
    offline = Directory(db=database, clock=Clock(NOW + timedelta(days=9)), lookup=None)
    assert offline.names(["UBOB", "UANA"]) == {"UBOB": "Bob Berg", "UANA": UNKNOWN}


def test_the_slack_adapter_tells_not_found_from_rate_limited(fake: FakeSlack) -> None:
    messenger = slack(fake)
    assert messenger.user_info("UGONE") is None
    fake.fail_next("users.info", status=429, retry_after=12)
    with pytest.raises(RateLimited) as exc:
        messenger.user_info("UANA")
    assert exc.value.retry_after == 12
    with pytest.raises(RateLimited):  # paused: not even sent
        messenger.user_info("UANA")
    assert len(fake.calls_to("users.info")) == 2


def test_mentions_in_text_become_names() -> None:
    names = FixedNames({"UBOB": "Bob Berg"})
    assert person_name("<@UBOB|bob>", names.name) == "Bob Berg"
    assert person_name("UBOB", names.name) == "Bob Berg"
    assert person_name("<@UNEW|newbie>", names.name) == "newbie"  # Slack's label, if nothing else
    assert person_name("<@UNEW>", names.name) == UNKNOWN
    assert person_name("Legal team", names.name) == "Legal team"
    assert person_name("", names.name) == "Unassigned"
    assert humanize("ask <@UBOB> or <@UNEW|nia>", names.name) == "ask Bob Berg or nia"
    assert people_in(["<@UBOB|bob>", "UANA", "x <@UCY> y", "Legal"]) == {"UBOB", "UANA", "UCY"}


# --- the command line: names without Slack ---------------------------------------------------


def _plan_owned_by_omar(plan_file: Path, people: str = "") -> None:
    text = plan_file.read_text().replace('owner = ""', 'owner = "U0OMAR"', 1)
    team = f"[team]\npeople = [{people}]\n\n" if people else ""
    plan_file.write_text(text.replace("[[batches]]", team + "[[batches]]", 1))


def test_the_cli_names_an_owner_from_the_plans_people(plan_file: Path, tmp_path: Path) -> None:
    _plan_owned_by_omar(plan_file, '{id = "U0OMAR", name = "Omar from the plan"}')
    out = run_cli("status", "--plan", str(plan_file), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Omar from the plan" in out.stdout and "U0OMAR" not in out.stdout


def test_the_cli_names_an_owner_from_the_bots_cache(plan_file: Path, tmp_path: Path) -> None:
    _plan_owned_by_omar(plan_file)
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    with Database(url) as db:
        db.upsert_user("U0OMAR", "omar", "Omar Out", "UTC", NOW, "omar.o")
    out = run_cli("status", "--plan", str(plan_file), cwd=tmp_path, env={"DATABASE_URL": url})
    assert "omar.o" in out.stdout and "U0OMAR" not in out.stdout
    alone = run_cli("status", "--plan", str(plan_file), cwd=tmp_path, env={"DATABASE_URL": ""})
    assert "unknown user" in alone.stdout and "U0OMAR" not in alone.stdout
    assert not (tmp_path / "batchbot.db").exists(), "reading names never creates a database"


# ----------------------------------------------------------------------------- public holidays


def test_the_country_codes_known_are_the_holidays_librarys_own() -> None:
    """The registry is read as data (bot/people/public_holidays.py); a library release that
    moves it must fail here, not refuse a valid country on a team's server."""
    import holidays

    from bot.people.public_holidays import _codes, known_country

    assert _codes() == frozenset(holidays.list_supported_countries())
    assert known_country("DE") and known_country("UK") and not known_country("XX")


def test_public_holidays_are_the_librarys_dates() -> None:
    import holidays

    from bot.people.public_holidays import country_holidays

    assert country_holidays("DE", 2026) == dict(holidays.country_holidays("DE", years=2026))


def test_a_country_set_never_loads_the_holidays_library_into_the_process(tmp_path: Path) -> None:
    """Any question to `holidays` about one country imports all of them (~11 MB a server
    holds for good); the settings check and a year's holidays leave it out of the process."""
    probe = (
        "import datetime, sys\n"
        "from bot.settings import load_settings\n"
        "from bot.standup.days import country_holidays\n"
        "from bot.plan.team import parse_country\n"
        "s = load_settings(_env_file=None)\n"
        "assert parse_country('us') == 'US'\n"
        "day = country_holidays(s.holiday_country, 2026).get(datetime.date(2026, 12, 25))\n"
        "print(s.holiday_country, day, 'holidays' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATCHBOT_", "SLACK_"))}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**env, "BATCHBOT_HOLIDAY_COUNTRY": "de"},
        cwd=ROOT,
        check=True,
    )
    assert done.stdout.split("\n")[0] == "DE Christmas Day False", done.stderr
