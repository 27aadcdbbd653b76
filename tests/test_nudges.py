"""Nudges before a slip, as a scripted fortnight: a real git plan with an injected clock, the
daily job against the fake Slack Web API, the owner's buttons as database claims.

Week 2 of the program (start Mon 23 Nov 2026). Batch 2 ("Week 3–4") is due Fri 18 Dec; it
moved 0 → 10 on Mon 30 Nov and → 15 on Thu 3 Dec: at that pace it finishes Sun 27 Dec,
Week 5, a week late — while its due day is still ahead. Batch 3 went to 30 % on Mon 30 Nov
and then sat still. A blocker on batch 2 was to be resolved by Thu 3 Dec.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.commands import Context
from bot.db import Database
from bot.plan.store import PlanStore
from bot.render.report_markdown import to_markdown
from bot.report.nudge_job import acknowledge, run_nudges, snooze
from bot.report.nudges import find_nudges, last_moves, workdays_between
from bot.report.schedule import progress_samples
from bot.report.weekly import collect_week, report_for
from tests.fakeslack import FakeSlack, validate_blocks
from tests.test_blockers_risks import LEAD, say
from tests.test_report_job import ADMIN, TOKEN, Rt, WebMessenger, make_client, settings
from tests.test_weekly_report import Clock, at, section_lines

BEN = "UBEN00001"
CAT = "UCAT00001"


@pytest.fixture
def fake() -> FakeSlack:
    users = {
        u: {"name": u.lower(), "real_name": u, "tz": "Europe/Berlin"}
        for u in (ADMIN, "ULEAD0001", BEN, CAT)
    }
    with FakeSlack(token=TOKEN, users=users) as f:
        yield f  # type: ignore[misc]


@pytest.fixture
def world(plan_file: Path) -> tuple[PlanStore, Clock, Context]:
    clock = Clock(at(30, 9, month=11))
    store = PlanStore(plan_file, clock=clock)
    ctx = Context(store=store, clock=clock)
    say(ctx, f"/batch update batch-2 owner=<@{BEN}|ben> status=in-progress progress=10")
    say(ctx, f"/batch update batch-3 owner=<@{CAT}> status=in-progress progress=30")
    clock.now = at(1, 9)
    say(ctx, "/batch blocker add batch-2 Staging DB access resolution=Ask ops due=2026-12-03")
    clock.now = at(3, 9)
    say(ctx, "/batch update batch-2 progress=15")
    return store, clock, ctx


def runtime(store: PlanStore, clock: Clock, fake: FakeSlack, db: Path, **extra: str) -> Rt:
    return Rt(
        settings=settings(BATCHBOT_LEAD="ULEAD0001", **extra),
        store=store,
        clock=clock,
        messenger=WebMessenger(make_client(fake.url)),
        db=Database(f"sqlite:///{db}"),
    )


def dms(fake: FakeSlack) -> list[tuple[str, str]]:
    """(who, text) of every DM, in order; `who` from the conversations.open before it."""
    opened = [c.args["users"] for c in fake.calls_to("conversations.open") if c.ok]
    posts = [c.args for c in fake.calls_to("chat.postMessage") if c.ok]
    return list(zip(opened, [p["text"] for p in posts], strict=True))


def run(rt: Rt, clock: Clock, when: dt.datetime) -> tuple[int, int]:
    clock.now = when
    result = run_nudges(rt, when)
    assert not result.failed, result.summary
    return result.sent, result.skipped


def test_workdays_between_counts_only_workdays_after_the_start() -> None:
    mon = dt.date(2026, 11, 30)
    assert workdays_between(mon, mon, range(5)) == 0
    assert workdays_between(mon, dt.date(2026, 12, 4), range(5)) == 4  # Tue–Fri
    assert workdays_between(mon, dt.date(2026, 12, 7), range(5)) == 5  # + Mon
    assert workdays_between(dt.date(2026, 12, 4), dt.date(2026, 12, 6), range(5)) == 0


def test_the_rules_find_a_late_forecast_a_stalled_batch_and_a_blocker_past_due(
    world: tuple[PlanStore, Clock, Context],
) -> None:
    store, _, _ = world
    history = store.history(limit=0, diff_by_hand=False)
    found = find_nudges(
        store.load(), progress_samples(history), last_moves(history), dt.date(2026, 12, 7)
    )
    assert [(n.kind, n.batch) for n in found] == [
        ("late", "batch-2"),
        ("stalled", "batch-3"),
        ("blocker", "batch-2"),
    ]
    late, stalled, blocker = found
    assert late.key == "late:batch-2:2026-12-18"
    assert late.headline == "Infrastructure is due Fri 18 Dec and looks late"
    assert late.detail == "15% done, 15 points a week; at this pace: Week 8, 4 weeks late"
    assert stalled.headline.endswith("has not moved for 5 workdays")
    assert blocker.headline.startswith("Blocker #1 on Infrastructure was to be resolved by Thu 03")
    # Friday: batch 3 has been still for four workdays only.
    friday = find_nudges(
        store.load(), progress_samples(history), last_moves(history), dt.date(2026, 12, 4)
    )
    assert [n.kind for n in friday] == ["late", "blocker"]


def test_no_nudge_once_the_due_day_has_passed_or_the_batch_is_done(
    world: tuple[PlanStore, Clock, Context],
) -> None:
    store, clock, ctx = world
    history = store.history(limit=0, diff_by_hand=False)
    after_due = find_nudges(
        store.load(), progress_samples(history), {}, dt.date(2026, 12, 21)
    )  # overdue: the ⏰ mark speaks, not a nudge
    assert [(n.kind, n.batch) for n in after_due] == [("late", "batch-3"), ("blocker", "batch-2")]
    clock.now = at(4, 9)
    say(ctx, "/batch blocker resolve 1 ops granted it")
    say(ctx, "/batch update batch-2 status=done")
    history = store.history(limit=0, diff_by_hand=False)
    plan = store.load()
    found = find_nudges(plan, progress_samples(history), {}, dt.date(2026, 12, 7))
    assert found == []


def test_owners_are_nudged_once_each_and_the_lead_a_workday_later(
    world: tuple[PlanStore, Clock, Context], fake: FakeSlack, tmp_path: Path
) -> None:
    store, clock, _ = world
    rt = runtime(store, clock, fake, tmp_path / "db.sqlite")
    assert run(rt, clock, at(4, 9, 30))[0] == 0  # before 10:00
    assert run(rt, clock, at(4, 10))[0] == 2  # Ben: batch 2 late, its blocker past due
    assert run(rt, clock, at(4, 10, 15))[0] == 0  # once each
    assert run(rt, clock, at(5, 10))[0] == 0  # Saturday
    # A restart (a new runtime on the same database) and a second instance say nothing new.
    again = runtime(store, clock, fake, tmp_path / "db.sqlite")
    assert run(again, clock, at(4, 11))[0] == 0
    # Monday: batch 3 stalled (Cat); Ben said nothing, so the lead hears of both of his.
    assert run(rt, clock, at(7, 10))[0] == 3
    assert run(again, clock, at(7, 10, 5))[0] == 0
    sent = dms(fake)
    assert [who for who, _ in sent[:2]] == [BEN, BEN]
    assert sorted(who for who, _ in sent[2:]) == [CAT, "ULEAD0001", "ULEAD0001"]
    assert sent[0][1].startswith("Infrastructure is due Fri 18 Dec and looks late")
    assert "Blocker #1 on Infrastructure" in sent[1][1]
    assert any(who == CAT and "has not moved for 5 workdays" in text for who, text in sent)
    posts = [c.args for c in fake.calls_to("chat.postMessage") if c.ok]
    assert validate_blocks(posts[0]["blocks"], max_blocks=50) == []
    labels = [e["text"]["text"] for e in posts[0]["blocks"][-1]["elements"]]
    assert labels == ["Update", "On track", "Snooze 3 days"]
    assert (
        sum("has neither updated it nor said it is on track" in str(p["blocks"]) for p in posts)
        == 2
    )


def test_on_track_keeps_the_lead_out_and_snooze_postpones_one_more_nudge(
    world: tuple[PlanStore, Clock, Context], fake: FakeSlack, tmp_path: Path
) -> None:
    store, clock, _ = world
    rt = runtime(store, clock, fake, tmp_path / "db.sqlite")
    assert run(rt, clock, at(4, 10))[0] == 2
    acknowledge(rt, "late:batch-2:2026-12-18", BEN, at(4, 11))
    blocker_key = "blocker:1:batch-2:2026-12-01:2026-12-03"
    assert "Snoozed until Mon 07 Dec" in snooze(rt, blocker_key, BEN, at(4, 11))
    assert run(rt, clock, at(7, 9, 59))[0] == 0
    # Monday 10:00: the snooze ended and the blocker is still open → Ben once more; the stalled
    # batch 3 → Cat. The lead hears of neither of Ben's (on track; just re-nudged).
    assert run(rt, clock, at(7, 10))[0] == 2
    assert sorted(who for who, _ in dms(fake)[2:]) == [BEN, CAT]
    assert run(rt, clock, at(7, 11))[0] == 0


def test_a_batch_without_an_owner_in_slack_goes_to_the_lead(
    world: tuple[PlanStore, Clock, Context], fake: FakeSlack, tmp_path: Path
) -> None:
    store, clock, ctx = world
    say(ctx, "/batch update batch-2 owner=Platform team", actor=LEAD)
    rt = runtime(store, clock, fake, tmp_path / "db.sqlite")
    assert run(rt, clock, at(4, 10))[0] == 2
    assert {who for who, _ in dms(fake)} == {"ULEAD0001"}
    posts = [c.args for c in fake.calls_to("chat.postMessage") if c.ok]
    assert "no owner in Slack" in str(posts[0]["blocks"])


def test_thresholds_are_settings(
    world: tuple[PlanStore, Clock, Context], fake: FakeSlack, tmp_path: Path
) -> None:
    store, clock, _ = world
    rt = runtime(
        store, clock, fake, tmp_path / "db.sqlite",
        BATCHBOT_NUDGE_STALL_DAYS="3", BATCHBOT_NUDGE_TIME="08:00",
    )  # fmt: skip
    assert run(rt, clock, at(4, 8))[0] == 3  # batch 3 still for 4 workdays ≥ 3


def test_a_blocker_due_day_must_be_a_real_day_not_in_the_past(
    world: tuple[PlanStore, Clock, Context],
) -> None:
    store, _, ctx = world
    before = store.load()
    for bad, says in (
        ("due=2026-02-30", "not a day in the calendar"),
        ("due=next week", "due must be a date like 2026-12-18"),
        ("due=２０２６-12-20", "due must be a date like 2026-12-18"),
        ("due=2026-12-01", "already past"),
    ):
        code, text, _ = say(ctx, f"/batch blocker add batch-2 Vendor {bad}")
        assert code != 0 and says in text, text
    assert store.load() == before


def test_the_friday_report_lists_at_risk_batches_by_the_nudges_own_rule(
    world: tuple[PlanStore, Clock, Context],
) -> None:
    store, clock, _ = world
    clock.now = at(4, 15)
    data = collect_week(store, store.load(), "Week 2", clock())
    names = {BEN: "ben"}
    report = report_for(data, clock(), standups_between=None, name_of=lambda u: names.get(u, u))
    md = to_markdown(report)
    assert section_lines(md, "At risk") == [
        "- Infrastructure: at this pace: Week 5, 1 week late (15% now, due Week 3–4) — ben"
    ]
    # A report with nothing at risk has no such section (the Schedule speaks for the rest).
    clock.now = at(27, 15, month=11)
    quiet = collect_week(store, store.load(), "Week 1", clock())
    assert "At risk" not in to_markdown(report_for(quiet, clock(), standups_between=None))


def test_a_named_program_scopes_its_keys_so_programs_sharing_a_database_each_hear_once(
    world: tuple[PlanStore, Clock, Context], fake: FakeSlack, tmp_path: Path
) -> None:
    from bot.report.nudge_job import scoped

    store, clock, _ = world
    rt = runtime(store, clock, fake, tmp_path / "db.sqlite")
    assert scoped(rt, "late:batch-2:2026-12-18") == "late:batch-2:2026-12-18"  # the default plan
    other = PlanStore(store.path.with_name("payments.toml"), clock=clock)
    rt_other = runtime(other, clock, fake, tmp_path / "db.sqlite")
    assert scoped(rt_other, "late:batch-2:2026-12-18") == "payments/late:batch-2:2026-12-18"


def test_a_slip_with_nobody_to_tell_is_named_not_reported_as_nothing_to_nudge(
    plan_file: Path, fake: FakeSlack, tmp_path: Path
) -> None:
    """A new team: owners typed as names, no lead, no admins. The job must not say "nothing new
    to nudge about" while a batch has stalled; it names it and says who is missing."""
    clock = Clock(at(30, 9, month=11))
    store = PlanStore(plan_file, clock=clock)
    say(
        Context(store=store, clock=clock),
        "/batch update batch-3 owner=ana status=in-progress progress=30",
    )
    rt = Rt(
        settings=settings(BATCHBOT_ADMINS="", BATCHBOT_TEAM=""),
        store=store,
        clock=clock,
        messenger=WebMessenger(make_client(fake.url)),
        db=Database(f"sqlite:///{tmp_path / 'db.sqlite'}"),
    )
    clock.now = at(7, 10)
    result = run_nudges(rt, clock.now)
    assert result.sent == 0 and dms(fake) == []
    assert "nothing new to nudge about" not in result.summary
    assert "nobody to tell about stalled batch-3" in result.summary, result.summary
    assert "BATCHBOT_LEAD" in result.summary


def test_a_run_before_the_nudge_time_says_the_time_on_the_teams_clock(
    world: tuple[PlanStore, Clock, Context], fake: FakeSlack, tmp_path: Path
) -> None:
    """`--at 2026-12-07T10:00:00+01:00` in a UTC team is 09:00 there: the skip says so (and how
    to run anyway), instead of a bare "nudges go out at 10:00" that reads like a contradiction."""
    store, clock, _ = world
    rt = runtime(store, clock, fake, tmp_path / "db.sqlite", BATCHBOT_TIMEZONE="UTC")
    at_ten_berlin = dt.datetime(2026, 12, 7, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    result = run_nudges(rt, at_ten_berlin)
    assert result.sent == 0
    assert result.summary == (
        "nudges go out at 10:00 UTC; it is Mon 07 Dec 09:00 UTC (--force runs them now)"
    )
    sunday = run_nudges(rt, dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC))
    assert "not a workday; it is Sun 06 Dec 12:00 UTC" in sunday.summary
