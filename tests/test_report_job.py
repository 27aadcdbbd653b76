"""The Friday job end to end: real git repo, real SQLite file, real slack_sdk against the fake.

Nothing is mocked: the fake Slack Web API runs on loopback and enforces Block Kit limits; a
tiny Messenger adapter (below) puts slack_sdk's WebClient behind the Messenger protocol; the
claims live in a SQLite file shared by threads and processes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.db import Database
from bot.messenger import MessengerError, Posted, UserInfo
from bot.plan import codec
from bot.plan.model import Batch, Plan
from bot.plan.store import PlanStore
from bot.report.cadence import run_cadence
from bot.report.job import (
    JOB,
    archive_path,
    due_fire_time,
    local_at,
    next_fire_time,
    run_weekly_report,
)
from bot.settings import Settings, SettingsError, load_settings
from tests.conftest import git
from tests.fakeslack import FakeSlack, validate_blocks
from tests.serveproc import warm_context
from tests.test_weekly_report import BEN, STANDUPS, Clock, at, change, script_fortnight

TOKEN = "xoxb-test"
REPORT = "CREPORT"
TEAM = "CTEAM"
ADMIN = "UADMIN"
BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_1500 = at(4, 15)  # Week 2's Friday, 2026-12-04 15:00 Europe/Berlin


# --------------------------------------------------------------------------- plumbing


def make_client(url: str) -> WebClient:
    client = WebClient(token=TOKEN, base_url=url, timeout=5)
    fast = FixedValueRetryIntervalCalculator(0.005)
    client.retry_handlers = [
        ServerErrorRetryHandler(max_retry_count=9, interval_calculator=fast),
        RateLimitErrorRetryHandler(max_retry_count=2),
    ]
    return client


class WebMessenger:
    """The Messenger protocol over a real WebClient; failures after retries → MessengerError."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except SlackApiError as exc:
            raise MessengerError(f"Slack call failed: {exc.response.get('error')}") from None

    def post(self, channel, text, blocks=None, thread_ts=None):  # type: ignore[no-untyped-def]
        resp = self._call(
            self.client.chat_postMessage,
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
        )
        return Posted(resp["channel"], resp["ts"])

    def update(self, channel, ts, text, blocks=None):  # type: ignore[no-untyped-def]
        self._call(self.client.chat_update, channel=channel, ts=ts, text=text, blocks=blocks)

    def dm(self, user_id, text, blocks=None):  # type: ignore[no-untyped-def]
        opened = self._call(self.client.conversations_open, users=user_id)
        return self.post(opened["channel"]["id"], text, blocks)

    def upload(self, channel, filename, content, title, comment=None, thread_ts=None):  # type: ignore[no-untyped-def]
        self._call(
            self.client.files_upload_v2,
            channel=channel,
            filename=filename,
            content=content,
            title=title,
            initial_comment=comment,
            thread_ts=thread_ts,
        )

    def user_info(self, user_id):  # type: ignore[no-untyped-def]
        return UserInfo(user_id, user_id, user_id, "UTC")

    def channel_members(self, channel):  # type: ignore[no-untyped-def]
        return []


@dataclass
class StandupsStub:
    records: list[Any] = field(default_factory=lambda: list(STANDUPS))

    def standups_between(self, start: dt.date, end: dt.date) -> list[Any]:
        return [s for s in self.records if start <= s.local_date <= end]


@dataclass
class Rt:
    """The parts of bot.runtime.Runtime the jobs use."""

    settings: Settings
    store: PlanStore
    clock: Any
    messenger: Any
    db: Database
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("batchbot.test"))
    owner: str = "test-1"
    standups: Any = None


def settings(**extra: Any) -> Settings:
    values: dict[str, Any] = {
        "BATCHBOT_REPORT_CHANNEL": REPORT,
        "BATCHBOT_TIMEZONE": "Europe/Berlin",
        "BATCHBOT_ADMINS": ADMIN,
        "BATCHBOT_TEAM": "UANA,UBEN",
        "_env_file": None,
    }
    values.update(extra)
    return Settings(**values)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    users = {
        ADMIN: {"name": "admin", "real_name": "Ada Admin", "tz": "Europe/Berlin"},
        "UANA": {"name": "ana", "real_name": "Ana", "tz": "Europe/Berlin"},
    }
    with FakeSlack(token=TOKEN, users=users) as f:
        yield f


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "batchbot.db"


@pytest.fixture
def scripted(plan_file: Path) -> tuple[PlanStore, Clock]:
    return script_fortnight(plan_file)


def runtime(
    plan_file: Path,
    fake: FakeSlack,
    db_path: Path,
    clock: Clock,
    owner: str = "test-1",
    **extra: Any,
) -> Rt:
    return Rt(
        settings=settings(**extra),
        store=PlanStore(plan_file, clock=clock),
        clock=clock,
        messenger=WebMessenger(make_client(fake.url)),
        db=Database(f"sqlite:///{db_path}"),
        owner=owner,
        standups=StandupsStub(),
    )


def posts(fake: FakeSlack, channel: str = REPORT) -> list[Any]:
    return [c for c in fake.calls_to("chat.postMessage") if c.ok and c.args["channel"] == channel]


def run(rt: Rt, when: dt.datetime, force: bool = False):  # type: ignore[no-untyped-def]
    rt.clock.now = when
    return run_weekly_report(rt, when, force=force)


def assert_real_chart(png: bytes) -> None:
    """A decodable PNG of the chart's size with more than a blank background in it."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1000, 550)
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50  # lines, text and anti-aliasing, not one flat colour


# --------------------------------------------------------------------------- once


def test_friday_1500_posts_the_draft_once_and_a_second_run_says_so(
    scripted: tuple[PlanStore, Clock], plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    _, clock = scripted
    rt = runtime(plan_file, fake, db_path, clock, BATCHBOT_REPORT_PNG=True)
    first = run(rt, FRIDAY_1500)
    assert (first.sent, first.skipped, first.failed) == (1, 0, 0), first.summary
    [post] = posts(fake)
    blocks = post.args["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "📝 DRAFT · Weekly Progress Report - Week 2"
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "Critical Blockers (batch-1) — finished by Ana on Tue 01 Dec" in text
    assert "20% → 60%" in text
    assert "DRAFT" in post.args["text"]
    # The full markdown, attached in the draft's thread, ready for a GitHub issue.
    [upload] = [f for f in fake.files.values() if f.completed and f.filename.endswith(".md")]
    assert upload.filename == "weekly-report-2026-W49.md"
    assert upload.thread_ts == post.response["ts"]
    # The same burn-up chart as /batch chart, a real PNG, in the same thread.
    [chart] = [f for f in fake.files.values() if f.completed and f.filename.endswith(".png")]
    assert chart.filename == "burnup-2026-W49.png"
    assert chart.thread_ts == post.response["ts"]
    assert_real_chart(chart.content or b"")
    markdown = (upload.content or b"").decode()
    assert markdown.startswith("## Weekly Progress Report - Week 2\n")
    assert "- [ ] Infrastructure - Ben - 60% complete (20% → 60% this week)" in markdown
    claim = rt.db.get_claim(JOB, FRIDAY_1500.isoformat())
    assert claim is not None and claim.status == "done"
    assert f"posted to {REPORT} ts={post.response['ts']}" in claim.detail

    second = run(rt, at(4, 15, 5))
    assert (second.sent, second.skipped) == (0, 1)
    assert "already posted for Week 2" in second.summary
    assert "--force" in second.summary
    assert len(posts(fake)) == 1


def test_with_the_png_off_the_draft_keeps_slacks_own_chart_and_attaches_no_file(
    scripted: tuple[PlanStore, Clock], plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    _, clock = scripted
    result = run(runtime(plan_file, fake, db_path, clock, BATCHBOT_REPORT_PNG=False), FRIDAY_1500)
    assert result.sent == 1, result.summary
    assert "chart" not in result.summary  # neither "chart attached" nor a problem
    [post] = posts(fake)
    assert any(b["type"] == "data_visualization" for b in post.args["blocks"])
    uploaded = [f.filename for f in fake.files.values() if f.completed]
    assert uploaded == ["weekly-report-2026-W49.md"]


def test_a_restart_at_1700_posts_that_fridays_draft_once(
    scripted: tuple[PlanStore, Clock], plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    _, clock = scripted
    # The bot was down at 15:00; it starts at 17:00 and computes the due run itself.
    late = run(runtime(plan_file, fake, db_path, clock), at(4, 17))
    assert late.sent == 1, late.summary
    # And restarts again: new process state, same database.
    again = run(runtime(plan_file, fake, db_path, clock, owner="test-2"), at(4, 17, 1))
    assert again.sent == 0 and "already posted" in again.summary
    assert len(posts(fake)) == 1


def test_saturday_morning_is_still_inside_the_default_grace_window(
    scripted: tuple[PlanStore, Clock], plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    _, clock = scripted
    result = run(runtime(plan_file, fake, db_path, clock), at(5, 11, 59))
    assert result.sent == 1, result.summary
    assert posts(fake)[0].args["blocks"][0]["text"]["text"].endswith("Week 2")


def test_a_restart_on_sunday_does_not_post_and_says_why_in_the_log(
    scripted: tuple[PlanStore, Clock],
    plan_file: Path,
    fake: FakeSlack,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, clock = scripted
    rt = runtime(plan_file, fake, db_path, clock)
    with caplog.at_level(logging.INFO, logger="batchbot.test"):
        result = run(rt, at(6, 10))
    assert (result.sent, result.skipped) == (0, 1)
    assert "outside the grace window" in result.summary
    assert "outside the grace window" in caplog.text
    assert "Fri 04 Dec 2026 15:00" in caplog.text and "--force" in caplog.text
    assert fake.calls_to("chat.postMessage") == []
    assert rt.db.get_claim(JOB, FRIDAY_1500.isoformat()) is None


def test_force_posts_again_even_after_a_post(
    scripted: tuple[PlanStore, Clock], plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    _, clock = scripted
    rt = runtime(plan_file, fake, db_path, clock)
    assert run(rt, FRIDAY_1500).sent == 1
    assert run(rt, at(4, 16)).sent == 0
    forced = run(rt, at(4, 16, 30), force=True)
    assert forced.sent == 1, forced.summary
    assert len(posts(fake)) == 2
    # --force also posts outside the grace window (a forgotten week, by hand).
    assert run(rt, at(7, 9), force=True).sent == 1


def test_two_threads_with_their_own_database_objects_post_once(
    scripted: tuple[PlanStore, Clock], plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    _, clock = scripted
    clock.now = FRIDAY_1500
    runtimes = [runtime(plan_file, fake, db_path, clock, owner=f"thread-{i}") for i in range(4)]
    barrier = threading.Barrier(len(runtimes))
    results: list[Any] = []

    def go(rt: Rt) -> None:
        barrier.wait()
        results.append(run_weekly_report(rt, FRIDAY_1500))

    threads = [threading.Thread(target=go, args=(rt,)) for rt in runtimes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.sent for r in results) == [0, 0, 0, 1]
    assert len(posts(fake)) == 1


def _process_main(
    plan_file: str, db_url: str, api_url: str, owner: str, barrier: Any, out: Any
) -> None:
    when = FRIDAY_1500
    clock = Clock(when)
    rt = Rt(
        settings=settings(),
        store=PlanStore(plan_file, clock=clock),
        clock=clock,
        messenger=WebMessenger(make_client(api_url)),
        db=Database(db_url),
        owner=owner,
        standups=StandupsStub(),
    )
    barrier.wait()
    result = run_weekly_report(rt, when)
    out.put((owner, result.sent, result.skipped, result.summary))


def test_two_processes_on_one_sqlite_file_post_once(
    scripted: tuple[PlanStore, Clock], plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    mp = warm_context()
    barrier = mp.Barrier(2)
    out = mp.Queue()
    url = f"sqlite:///{db_path}"
    Database(url).close()  # schema first, so both processes race on the claim, not on DDL
    procs = [
        mp.Process(
            target=_process_main,
            args=(str(plan_file), url, fake.url, f"proc-{i}", barrier, out),
        )
        for i in range(2)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert sorted(r[1] for r in results) == [0, 1], results
    assert len(posts(fake)) == 1
    loser = next(r for r in results if r[1] == 0)
    assert "already posted" in loser[3] or "claimed" in loser[3]


# --------------------------------------------------------------------------- archive


def test_the_markdown_is_committed_to_the_plan_repo_as_the_iso_week(
    scripted: tuple[PlanStore, Clock],
    plan_repo: Path,
    plan_file: Path,
    fake: FakeSlack,
    db_path: Path,
) -> None:
    _, clock = scripted
    assert archive_path(FRIDAY_1500) == "plan/reports/2026-W49.md"
    run(runtime(plan_file, fake, db_path, clock), FRIDAY_1500)
    log = git(plan_repo, "log", "--format=%an|%s", "--", "plan/reports/2026-W49.md")
    assert log.strip() == "batchbot|Weekly report Week 2 (2026-W49): archive the Friday draft"
    committed = git(plan_repo, "show", "HEAD:plan/reports/2026-W49.md")
    [upload] = [f for f in fake.files.values() if f.completed and f.filename.endswith(".md")]
    assert committed == (upload.content or b"").decode()
    # The archive carries a Mermaid gantt of the batches, which GitHub renders.
    gantt = committed[committed.index("```mermaid") :]
    assert gantt.splitlines()[:2] == ["```mermaid", "gantt"]
    assert "    Critical Blockers :done, batch_1, 2026-11-23, 2026-12-04" in gantt
    assert "    Infrastructure :active, batch_2, 2026-12-07, 2026-12-18" in gantt
    assert "    Security :batch_3, 2026-12-21, 2027-01-01" in gantt
    # The commit holds the report alone, and the work tree is clean.
    files = git(plan_repo, "show", "--name-only", "--format=", "HEAD").split()
    assert files == ["plan/reports/2026-W49.md"]
    assert git(plan_repo, "status", "--porcelain") == ""


# --------------------------------------------------------------------------- limits


def big_plan(n: int) -> Plan:
    base = codec.read(Path(__file__).resolve().parent.parent / "plan" / "execution-plan.toml")
    batches = []
    for i in range(1, n + 1):
        status = ("done", "in-progress", "queued", "blocked")[i % 4]
        batches.append(
            Batch(
                id=f"batch-{i}",
                name=f"Workstream {i} <!channel> & friends " + "x" * 60,
                status=status,
                progress=100 if status == "done" else (i * 7) % 100,
                targetDate=f"Week {i % 12 + 1}–{i % 12 + 2}",
                owner=f"Owner {i % 17}",
                blockers=(f"batch-{i - 1}",) if i > 1 and status != "done" else (),
                notes="long note " * 40,
            )
        )
    return dataclasses.replace(base, batches=tuple(batches))


def test_a_1000_batch_plan_still_posts_within_block_kit_limits(
    plan_repo: Path, plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    plan_file.write_text(codec.dumps(big_plan(1000), as_json=False), encoding="utf-8")
    git(plan_repo, "commit", "-qam", "1,000 batches")
    clock = Clock(FRIDAY_1500)
    rt = runtime(plan_file, fake, db_path, clock)
    result = run(rt, FRIDAY_1500)
    assert result.sent == 1, result.summary
    [post] = fake.calls_to("chat.postMessage")
    assert post.ok, post.response
    blocks = post.args["blocks"]
    assert validate_blocks(blocks, max_blocks=50) == []
    assert len(blocks) <= 50
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections)
    assert any("more — see the attached markdown" in s for s in sections)
    assert "<!channel>" not in str(blocks) and "&lt;!channel&gt;" in str(blocks)
    [upload] = [f for f in fake.files.values() if f.completed and f.filename.endswith(".md")]
    assert (upload.content or b"").decode().count("- [ ] Workstream") == 500


# --------------------------------------------------------------------------- failure


def test_a_web_api_failure_is_logged_told_to_the_admin_and_retried_later(
    scripted: tuple[PlanStore, Clock],
    plan_file: Path,
    fake: FakeSlack,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, clock = scripted
    rt = runtime(plan_file, fake, db_path, clock)
    fake.fail_next("chat.postMessage", status=500, times=10)  # slack_sdk retries 9 times
    with caplog.at_level(logging.INFO, logger="batchbot.test"):
        failed = run(rt, FRIDAY_1500)
    assert (failed.sent, failed.failed) == (0, 1)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and "FAILED" in errors[0].getMessage()
    assert "internal_error" in errors[0].getMessage()
    [dm] = [c for c in fake.calls_to("chat.postMessage") if c.ok]
    assert dm.args["channel"] == f"D{ADMIN}"
    assert "could not be posted" in dm.args["text"] and "Week 2" in dm.args["text"]
    assert rt.db.get_claim(JOB, FRIDAY_1500.isoformat()) is None  # released: retry allowed
    assert not [f for f in fake.files.values() if f.completed]

    # The next scheduler tick inside the grace window retries, and posts once.
    retried = run(rt, at(4, 15, 10))
    assert retried.sent == 1, retried.summary
    assert len(posts(fake)) == 1
    assert run(rt, at(4, 15, 20)).sent == 0


def test_no_report_channel_means_no_post_and_a_clear_reason(
    scripted: tuple[PlanStore, Clock], plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    _, clock = scripted
    rt = runtime(plan_file, fake, db_path, clock, BATCHBOT_REPORT_CHANNEL=None)
    result = run(rt, FRIDAY_1500)
    assert result.sent == 0 and "BATCHBOT_REPORT_CHANNEL" in result.summary
    assert rt.db.get_claim(JOB, FRIDAY_1500.isoformat()) is None


# --------------------------------------------------------------------------- time


def test_due_fire_time_is_the_latest_friday_report_time() -> None:
    t = dt.time(15)
    assert due_fire_time(at(4, 15), t, BERLIN) == at(4, 15)
    assert due_fire_time(at(4, 14, 59), t, BERLIN) == at(27, 15, month=11)
    assert due_fire_time(at(6, 23), t, BERLIN) == at(4, 15)
    assert due_fire_time(at(4, 16).astimezone(dt.UTC), t, BERLIN) == at(4, 15)
    assert next_fire_time(at(4, 15), t, BERLIN) == at(11, 15)
    assert next_fire_time(at(4, 14), t, BERLIN) == at(4, 15)
    with pytest.raises(ValueError, match="naive"):
        due_fire_time(dt.datetime(2026, 12, 4, 15), t, BERLIN)


@pytest.mark.parametrize(
    ("zone", "friday"),
    [
        ("Asia/Jerusalem", dt.date(2026, 3, 27)),  # 02:00 → 03:00 on Friday 27 Mar 2026
        ("Africa/Cairo", dt.date(2026, 4, 24)),  # 00:00 → 01:00 on Friday 24 Apr 2026
    ],
)
def test_fire_time_is_1500_local_on_both_sides_of_a_friday_dst_change(
    zone: str, friday: dt.date
) -> None:
    tz = ZoneInfo(zone)
    before = dt.datetime.combine(friday, dt.time(0), tzinfo=tz) - dt.timedelta(hours=2)
    after = dt.datetime.combine(friday, dt.time(23), tzinfo=tz)
    assert before.utcoffset() != after.utcoffset()  # the zone really changes that Friday
    fire_after = due_fire_time(after, dt.time(15), tz)
    fire_before = due_fire_time(before, dt.time(15), tz)
    assert fire_after.date() == friday and fire_before.date() == friday - dt.timedelta(days=7)
    for fire in (fire_after, fire_before):
        local = fire.astimezone(tz)
        assert (local.hour, local.minute, local.weekday()) == (15, 0, 4)
    # A week apart in wall time, not in UTC: the change moved the instant by an hour.
    assert fire_after.astimezone(dt.UTC) - fire_before.astimezone(dt.UTC) == dt.timedelta(
        days=7, hours=-1
    )
    # Seen from the scheduler's side (UTC instants), the Friday's run is due at local 15:00.
    assert next_fire_time(fire_before, dt.time(15), tz) == fire_after


def test_a_nonexistent_local_time_moves_forward() -> None:
    cairo = ZoneInfo("Africa/Cairo")  # Friday 2026-04-24: 00:00 jumps to 01:00
    moved = local_at(dt.date(2026, 4, 24), dt.time(0, 30), cairo)
    assert (moved.hour, moved.minute) == (1, 30)
    assert moved.utcoffset() == dt.timedelta(hours=3)
    assert due_fire_time(moved, dt.time(0, 30), cairo) == moved


def test_a_report_time_in_the_dst_hours_is_refused_with_a_clear_message() -> None:
    with pytest.raises(SettingsError, match="01:00–03:59"):
        load_settings(BATCHBOT_REPORT_TIME="02:30", _env_file=None)


def test_the_job_in_a_zone_that_changes_on_friday_posts_at_local_1500(
    plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    tz = ZoneInfo("Asia/Jerusalem")
    fire = dt.datetime(2026, 3, 27, 15, tzinfo=tz)
    clock = Clock(fire)
    rt = runtime(plan_file, fake, db_path, clock, BATCHBOT_TIMEZONE="Asia/Jerusalem")
    assert run(rt, fire - dt.timedelta(minutes=1)).sent == 0  # last week's, long past
    assert run(rt, fire).sent == 1
    claim = rt.db.get_claim(JOB, fire.isoformat())
    assert claim is not None and claim.fire_time == dt.datetime(2026, 3, 27, 12, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- cadence


def test_demo_and_retro_reminders_post_once_each(
    plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    clock = Clock(at(3, 10))
    rt = runtime(
        plan_file,
        fake,
        db_path,
        clock,
        BATCHBOT_DEMO_EVERY_WEEKS="2",
        BATCHBOT_RETRO_MONTHLY="true",
        BATCHBOT_TEAM_CHANNEL=TEAM,
    )
    # Thursday of Week 2, 10:00: the bi-weekly demo.
    demo = run_cadence(rt, at(3, 10, 5))
    assert demo.sent == 1, demo.summary
    assert run_cadence(rt, at(3, 11)).sent == 0
    [msg] = posts(fake, TEAM)
    assert "Demo day" in msg.args["text"] and "Week 1–2" in msg.args["text"]
    # Week 3's Thursday has no demo; Friday 25 Dec is December's last Friday: the retro.
    assert run_cadence(rt, at(10, 10, 5)).sent == 0
    retro = run_cadence(rt, at(25, 11))
    assert retro.sent == 1, retro.summary
    assert run_cadence(rt, at(25, 12)).sent == 0
    texts = [c.args["text"] for c in posts(fake, TEAM)]
    assert len(texts) == 2 and "Monthly retrospective" in texts[1] and "December" in texts[1]
    # Late by more than the reminder's window: not posted at all.
    assert run_cadence(rt, at(17, 18)).sent == 0


def test_cadence_is_off_by_default(plan_file: Path, fake: FakeSlack, db_path: Path) -> None:
    rt = runtime(plan_file, fake, db_path, Clock(at(3, 10)))
    result = run_cadence(rt, at(3, 10))
    assert result.sent == 0 and "no cadence reminders" in result.summary


def test_the_archive_path_uses_the_iso_year_across_new_year() -> None:
    # Friday 1 Jan 2027 belongs to ISO week 53 of 2026.
    assert archive_path(dt.datetime(2027, 1, 1, 15, tzinfo=BERLIN)) == "plan/reports/2026-W53.md"


def test_git_sees_one_commit_per_archived_week(
    scripted: tuple[PlanStore, Clock],
    plan_repo: Path,
    plan_file: Path,
    fake: FakeSlack,
    db_path: Path,
) -> None:
    _, clock = scripted
    rt = runtime(plan_file, fake, db_path, clock)
    run(rt, FRIDAY_1500)
    run(rt, at(4, 16), force=True)  # same content: no second commit
    run(rt, at(11, 15))
    out = subprocess.run(
        ["git", "log", "--format=%s", "--", "plan/reports"],
        cwd=plan_repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert [line.split(":")[0] for line in out] == [
        "Weekly report Week 3 (2026-W50)",
        "Weekly report Week 2 (2026-W49)",
    ]


def test_jobs_run_at_a_past_instant_reports_the_plan_as_it_stood_then(
    scripted: tuple[PlanStore, Clock], plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    store, clock = scripted
    change(store, clock, at(8, 9), BEN, "batch-2", status="done")  # Week 3, after the Friday
    clock.now = at(9, 12)  # the wall clock; `jobs run weekly-report --at 2026-12-04T15:00`
    rt = runtime(plan_file, fake, db_path, clock)
    result = run_weekly_report(rt, FRIDAY_1500)
    assert result.sent == 1, result.summary
    [upload] = [f for f in fake.files.values() if f.completed and f.filename.endswith(".md")]
    markdown = (upload.content or b"").decode()
    assert "- [ ] Infrastructure - Ben - 60% complete (20% → 60% this week)" in markdown
    assert "Infrastructure (batch-2)" not in markdown


def test_the_draft_shows_every_template_heading_in_order(
    scripted: tuple[PlanStore, Clock], plan_file: Path, fake: FakeSlack, db_path: Path
) -> None:
    _, clock = scripted
    run(runtime(plan_file, fake, db_path, clock), FRIDAY_1500)
    [post] = posts(fake)
    texts = [b["text"]["text"] for b in post.args["blocks"] if b["type"] == "section"]
    assert texts[0].startswith("*🎯 Current Batch:* Infrastructure\n*Overall Progress:* 52%")
    heads = [t.split("\n")[0] for t in texts[1:]]
    assert heads == [
        "*✅ Completed This Week*",
        "*🚧 In Progress*",
        "*⚠️ Blockers*",
        "*📊 Metrics This Week*",
        "*📅 Next Week Goals*",
        "*⏰ Schedule*",
        "*🆘 Help Needed*",
        "*🎉 Wins*",
        "*👥 Standup Participation*",
        "*🧭 Risks to Review*",
    ]
    assert "• Test coverage: 72% (target ≥ 80%) ⚠️" in texts[4]
