"""Standup trends and export, over a real SQLite database and a real git plan: four weeks in
which Ana answers every day and Ben drifts away while batch 2 keeps blocking him."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from bot.commands import Command, Context, handle
from bot.db import Database
from bot.plan.store import Actor, PlanStore
from bot.plan.team import Person, TeamSettings
from bot.render.markdown import render
from tests.test_weekly_report import Clock, at

ANA, BEN = "UANA00001", "UBEN00001"
NAMES = {ANA: "ana", BEN: "ben"}


@pytest.fixture
def ctx(plan_file: Path, tmp_path: Path) -> Context:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    monday = dt.date(2026, 11, 16)  # W47; today is Fri 11 Dec (W50)
    for week in range(4):
        for day in range(5):
            d = monday + dt.timedelta(weeks=week, days=day)
            when = dt.datetime.combine(d, dt.time(9), dt.UTC)
            db.save_standup(ANA, "ana", d, "Reviewed PRs. Next the OWASP list.", when, "dm")
            if week < 2 or day == 0:
                text = "Blocked on batch-2: staging DB access. Next I chase ops."
                db.save_standup(BEN, "ben", d, text, when, "dm")
    clock = Clock(at(11, 12))
    return Context(
        store=PlanStore(plan_file, clock=clock),
        clock=clock,
        standups_between=lambda s, e: db.standups_between(s, e),
        team_defaults=TeamSettings(people=(Person(ANA), Person(BEN))),
        name_of=lambda uid: NAMES.get(uid, uid),
    )


def say(ctx: Context, text: str, origin: str = "cli") -> tuple[int, str]:
    reply = handle(Command.from_text(Actor("Lea"), text, origin), ctx)  # type: ignore[arg-type]
    return reply.exit_code, render(reply)


def test_participation_over_weeks_with_a_sparkline_and_the_drift_flagged(ctx: Context) -> None:
    code, text = say(ctx, "/batch standups")
    assert code == 0, text
    lines = text.splitlines()
    assert lines[0] == "Standups, W47–W50 (4 weeks)"
    assert lines[1] == "ana: ████ 20 of 20 days (100%)"
    assert lines[2] == "ben: ██▂▂ 12 of 20 days (60%) ↓ answering less lately"
    assert (
        "Infrastructure (batch-2): named in 12 blocked standups — W47 5, W48 5, W49 1, W50 1"
        in text
    )


def test_one_person_or_one_batch_and_the_weeks_asked_for(ctx: Context) -> None:
    code, text = say(ctx, f"/batch standups <@{BEN}|ben> weeks=2")
    assert code == 0 and text.splitlines()[:2] == [
        "Standups of ben, W49–W50 (2 weeks)",
        "ben: ▂▂ 2 of 10 days (20%)",
    ], text
    code, text = say(ctx, "/batch standups batch-3")
    assert code == 0 and "Security (batch-3): named in 0 blocked standups" in text, text


def test_bad_words_get_one_line_saying_what_is_allowed(ctx: Context) -> None:
    for words, says in (
        ("weeks=0", "weeks must be a whole number from 1 to 26"),
        ("weeks=²", "weeks must be a whole number"),
        ("nobody", "neither a person"),
        ("export", "export needs --since"),
        ("export --since 2026-02-30", "not a day in the calendar"),
        ("export --since 2026-12-01 --until 2026-11-01", "is before --since"),
        ("export --since 2026-12-01 --format xls", "--format must be csv or md"),
    ):
        code, text = say(ctx, f"/batch standups {words}")
        assert code != 0 and says in text, (words, text)
    code, text = say(ctx, "/batch standups export --since 2026-12-01", origin="slack")
    assert code != 0 and "run it on the command line" in text


def test_the_export_is_csv_or_a_markdown_table_of_every_standup_since_a_day(
    ctx: Context,
) -> None:
    code, text = say(ctx, "/batch standups export --since 2026-12-07 --format csv")
    assert code == 0, text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6  # Ana Mon–Fri, Ben Monday
    ben = [r for r in rows if r["user_id"] == BEN]
    assert ben == [
        {
            "date": "2026-12-07",
            "week": "2026-W50",
            "person": "ben",
            "user_id": BEN,
            "blocker": "yes",
            "batches": "batch-2",
            "text": "Blocked on batch-2: staging DB access. Next I chase ops.",
        }
    ]
    code, md = say(ctx, "/batch standups export since=2026-12-07 until=2026-12-07 format=md")
    assert code == 0 and md.splitlines()[0] == "| date | person | blocker | batches | standup |"
    assert len(md.splitlines()) == 4


def test_in_slack_the_trend_is_a_native_table_with_the_text_as_fallback(ctx: Context) -> None:
    from bot.render.blocks import render as kit
    from tests.fakeslack import validate_blocks

    reply = handle(Command.from_text(Actor("Lea"), "/batch standups", "slack"), ctx)
    text, blocks = kit(reply)
    assert "ben: ██▂▂ 12 of 20 days (60%)" in text
    [table] = [b for b in blocks if b["type"] == "table"]
    assert blocks[-1] is table  # Slack shows a table at the bottom of the message anyway
    rows = [[c["text"] for c in row] for row in table["rows"]]
    assert rows[0] == ["person", "trend", "W47", "W48", "W49", "W50", "answered", " "]
    assert rows[2] == ["ben", "██▂▂", "5/5", "5/5", "1/5", "1/5", "60%", "↓"]
    assert validate_blocks(blocks, max_blocks=50) == []


def test_the_weekly_report_adds_a_four_week_sparkline_to_each_person_with_history(
    ctx: Context,
) -> None:
    from bot.render.report_markdown import to_markdown
    from bot.report.weekly import collect_week, report_for
    from tests.test_weekly_report import section_lines

    store, clock = ctx.store, ctx.clock
    data = collect_week(store, store.load(), None, clock())
    assert ctx.standups_between is not None
    md = to_markdown(
        report_for(data, clock(), standups_between=ctx.standups_between, team=(ANA, BEN))
    )
    assert section_lines(md, "Standup Participation") == [
        "- ana: 5 of 5 days · last 4 weeks ████",
        "- ben: 1 of 5 days · last 4 weeks ██▂▂",
    ]


def test_the_csv_export_never_hands_a_spreadsheet_a_formula(ctx: Context, tmp_path: Path) -> None:
    """Anyone types standups (and their Slack name); the export is opened in a spreadsheet, where
    a cell starting with =, +, - or @ would run. Such cells start with ' and keep their words."""
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    when = dt.datetime(2026, 12, 9, 9, tzinfo=dt.UTC)
    day = dt.date(2026, 12, 9)
    db.save_standup(
        "UEVE00001", "=cmd|' /C calc'!A0", day, '=HYPERLINK("http://x","y") done.', when, "dm"
    )
    db.save_standup("UFAY00001", "fay", day, "+SUM(1) shipped. Next more.", when, "dm")
    db.save_standup("UGUS00001", "gus", day, "-2 bugs today. @here next.", when, "dm")
    db.save_standup("UHAL00001", "hal", day, "@channel review. Then tests.", when, "dm")
    code, text = say(ctx, "/batch standups export --since 2026-12-09 --until 2026-12-09")
    assert code == 0, text
    rows = {r["user_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["UEVE00001"]["person"] == "'=cmd|' /C calc'!A0"
    assert rows["UEVE00001"]["text"] == '\'=HYPERLINK("http://x","y") done.'
    assert rows["UFAY00001"]["text"] == "'+SUM(1) shipped. Next more."
    assert rows["UGUS00001"]["text"] == "'-2 bugs today. @here next."
    assert rows["UHAL00001"]["text"] == "'@channel review. Then tests."
    assert rows[ANA]["text"] == "Reviewed PRs. Next the OWASP list."  # plain text untouched


def test_a_bad_export_shows_the_exports_usage_not_the_trends(ctx: Context) -> None:
    code, text = say(ctx, "/batch standups export --since 2026-12-10 --until 2026-12-01")
    assert code == 2
    assert text.splitlines()[-1].startswith("usage: batchbot standups export --since YYYY-MM-DD")
    code, text = say(ctx, "/batch standups weeks=99")
    assert text.splitlines()[-1] == "usage: batchbot standups [@person|batch-id] [weeks=4]"
