"""What a lead of a second program sees of their own program (not of the first one): the jobs'
times, the names their plan gives, the day thread's title, the "Track it" button. Real parts:
the composition root, two plan files in one git repository, SQLite, the fake Slack on loopback
(the deployment of tests/test_standup_programs.py: beta prompts at 08:00 and digests at 10:00,
the first program at 09:30 and 11:30)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.jobs import next_runs
from tests.fakeslack import FakeSlack
from tests.test_standup_programs import MONDAY, at, fake, two_programs

__all__ = ["fake"]


def test_jobs_list_shows_each_programs_own_times_named_by_program(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    two = two_programs(plan_file, tmp_path, fake)
    rows = next_runs(two.rt, at(MONDAY, "07:00"))
    prompts = {note.split(":")[0]: when for name, when, note in rows if name == "standup-prompts"}
    assert prompts == {"execution-plan": at(MONDAY, "09:30"), "beta": at(MONDAY, "08:00")}
    digests = {note.split(":")[0]: when for name, when, note in rows if name == "standup-digest"}
    assert digests == {"execution-plan": at(MONDAY, "11:30"), "beta": at(MONDAY, "10:00")}
    reminders = [note for name, _, note in rows if name == "standup-reminders"]
    assert [n.split(":")[0] for n in reminders] == ["execution-plan", "beta"]
    for job in ("weekly-report", "risk-review", "blocker-escalation", "nudges"):
        assert [n.split(":")[0] for name, _, n in rows if name == job] == [
            "execution-plan",
            "beta",
        ], job
    assert [name for name, _, _ in rows].count("cadence-reminders") == 1
    assert isinstance(rows[0][1], dt.datetime)


ZED = """
[[team.people]]
id = "U0ZED"
name = "Zed from beta"
"""


def test_a_name_given_only_in_betas_plan_is_used_everywhere(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    """Slack does not know U0ZED (an external contractor): the name beta's plan gives is shown."""
    two = two_programs(plan_file, tmp_path, fake, beta_extra=ZED)
    assert two.rt.names.name("U0ZED") == "Zed from beta"
    assert two.rt.ctx.names.name("U0ZED") == "Zed from beta"


def test_each_programs_day_thread_and_digest_name_the_program(
    plan_file: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    """Two programs may share one standup channel: "Daily standup — Mon 7 Dec" twice would
    not say which thread is whose."""
    two = two_programs(plan_file, tmp_path, fake)
    two.clock["now"] = at(MONDAY, "09:40")
    assert two.answer("U0EVE", "Shipped the importer. Next the export.").ok
    parents = {
        channel: [str(m["text"]) for m in fake.messages(channel) if not m.get("thread_ts")]
        for channel in ("C0ALPHA", "C0BETA")
    }
    assert parents == {
        "C0ALPHA": ["Daily standup — execution-plan — Mon 7 Dec"],
        "C0BETA": ["Daily standup — beta — Mon 7 Dec"],
    }
    two.job("standup-digest", at(MONDAY, "12:00"))
    digests = [t for t in two.thread_texts("C0BETA") if t.startswith("Standup digest")]
    assert digests and digests[0].startswith("Standup digest beta Mon 7 Dec:"), digests
    alpha = [t for t in two.thread_texts("C0ALPHA") if t.startswith("Standup digest")]
    assert alpha and alpha[0].startswith("Standup digest execution-plan Mon 7 Dec:"), alpha


def test_track_it_names_each_program_a_standup_went_to_and_reads_old_buttons() -> None:
    from bot.render.lead_blocks import track_it_block, track_of

    text = 'Blocked on "staging" access. Next ops.'
    [one] = track_it_block(text)["elements"]
    assert (one["text"]["text"], track_of(one["value"])) == ("Track it", ("", text))
    both = track_it_block(text, ["execution-plan", "beta"])["elements"]
    assert [b["text"]["text"] for b in both] == ["Track it in execution-plan", "Track it in beta"]
    assert [track_of(b["value"]) for b in both] == [("execution-plan", text), ("beta", text)]
    assert track_of("{not json") == ("", "{not json")  # an old button: the text alone


def test_a_nudges_update_and_mark_done_buttons_carry_its_program() -> None:
    from bot.report.nudge_job import nudge_blocks
    from bot.report.nudges import Nudge

    def values(nudge: Nudge, program: str) -> list[str]:
        _, blocks = nudge_blocks(nudge, program=program)
        return [e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]]

    late = Nudge("late", "beta/late:batch-2", "batch-2", "U0BOB", "Late", "why")
    assert values(late, "beta")[0] == "beta:batch-2"
    assert values(late, "")[0] == "batch-2"  # the default program's, as before programs
