"""Issue 12 items 10 and 2 (the edge-of-the-core half): values the plan must not take.

- `status=done` with a progress other than 100 is refused (done means 100 %; `status=done`
  alone still sets progress to 100);
- integers beyond 64 bits, numbers beyond 2**53, nan and inf are refused when typed and
  reported when found in a hand-edited file (other TOML readers reject such files);
- control characters are refused in every value (only newlines and tabs, in notes) when typed,
  and reported when found in a hand-edited file;
- an empty plan file is not valid;
- a symlinked plan file is written through the link, which stays a link.
Through the real CLI (a new process each time) on a real git repository.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.commands import Command, Context, handle
from bot.plan.store import Actor, PlanStore
from tests.conftest import git, run_cli
from tests.fakeslack import interactive_body
from tests.faults.conftest import TEAM, EdgeUnderTest


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD").strip())


def refused(plan_file: Path, *args: str) -> str:
    """Run the CLI; assert it refused with exit 1, one short message, and changed nothing."""
    repo = plan_file.parent.parent
    before, count = plan_file.read_bytes(), commits(repo)
    result = run_cli("--plan", str(plan_file), *args)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2, result.stderr
    assert plan_file.read_bytes() == before
    assert commits(repo) == count
    return result.stderr


def test_done_with_progress_below_100_is_refused(plan_file: Path) -> None:
    err = refused(plan_file, "update", "batch-2", "status=done", "progress=50")
    assert "done" in err and "100" in err


def test_done_alone_still_sets_progress_to_100(plan_file: Path) -> None:
    result = run_cli("--plan", str(plan_file), "update", "batch-2", "status=done")
    assert result.returncode == 0, result.stderr
    batch = tomllib.loads(plan_file.read_text())["batches"][1]
    assert (batch["status"], batch["progress"]) == ("done", 100)


def test_done_with_progress_100_is_accepted(plan_file: Path) -> None:
    result = run_cli("--plan", str(plan_file), "update", "batch-2", "status=done", "progress=100")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "pair",
    [
        "prsMerged=99999999999999999999999",
        "prsMerged=9223372036854775808",
        f"productionIncidents={'9' * 5000}",
        "deploymentMinutes=1e308",
        "deploymentMinutes=1e309",
        "workflowMinutes=1e16",
        "deploymentMinutes=nan",
        "deploymentMinutes=inf",
        "deploymentMinutes=-inf",
        "ciPassRate=nan",
    ],
)
def test_numbers_no_toml_reader_can_hold_are_refused(plan_file: Path, pair: str) -> None:
    err = refused(plan_file, "metrics", pair)
    assert pair.split("=")[0] in err


def test_the_largest_64_bit_count_is_accepted(plan_file: Path) -> None:
    result = run_cli("--plan", str(plan_file), "metrics", "prsMerged=9223372036854775807")
    assert result.returncode == 0, result.stderr


def write_plan(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


ONE_BATCH = '[[batches]]\nid = "batch-1"\nname = "{name}"\n\n[metrics]\n{metrics}\n'


@pytest.mark.parametrize(
    ("metrics", "where"),
    [
        ("prsMerged = 99999999999999999999999", "metrics.prsMerged"),
        ("deploymentMinutes = nan", "metrics.deploymentMinutes"),
        ("deploymentMinutes = inf", "metrics.deploymentMinutes"),
        ("deploymentMinutes = 1e308", "metrics.deploymentMinutes"),
    ],
)
def test_hand_edited_numbers_out_of_range_are_reported(
    tmp_path: Path, metrics: str, where: str
) -> None:
    path = write_plan(tmp_path, ONE_BATCH.format(name="A", metrics=metrics))
    result = run_cli("--plan", str(path), "validate")
    assert result.returncode == 1
    assert where in result.stdout + result.stderr


@pytest.mark.parametrize("text", ["", "\n", "# nothing yet\n", '[program]\nname = "X"\n'])
def test_a_plan_without_batches_is_not_valid(tmp_path: Path, text: str) -> None:
    result = run_cli("--plan", str(write_plan(tmp_path, text)), "validate")
    assert result.returncode == 1, result.stdout
    assert "no batches" in result.stdout + result.stderr
    assert "Plan is valid" not in result.stdout


@pytest.mark.parametrize(
    "pair",
    [
        "name=Sec\x1eurity",
        "name=tab\there",
        "name=two\nlines",
        "owner=An\x1fa",
        "targetDate=\x1b[31mWeek 3",
        "notes=bell\x07",
        "notes=del\x7f",
        "notes=c1\x85here",
        "notes=cr\rhere",
    ],
)
def test_control_characters_are_refused_in_values(plan_file: Path, pair: str) -> None:
    err = refused(plan_file, "update", "batch-3", pair)
    assert "control character" in err


def test_newlines_and_tabs_are_fine_in_notes(plan_file: Path) -> None:
    result = run_cli("--plan", str(plan_file), "update", "batch-3", "notes=one\n\ttwo")
    assert result.returncode == 0, result.stderr
    assert tomllib.loads(plan_file.read_text())["batches"][2]["notes"] == "one\n\ttwo"
    history = run_cli("--plan", str(plan_file), "history")
    assert history.returncode == 0 and "Traceback" not in history.stderr


def test_a_nul_byte_is_refused_on_the_command_path(plan_file: Path) -> None:
    """argv cannot carry NUL; Slack text and the shell can."""
    repo = plan_file.parent.parent
    before, count = plan_file.read_bytes(), commits(repo)
    ctx = Context(
        store=PlanStore(plan_file), clock=lambda: dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    )
    for text in (
        "update batch-3 name=a\x00b",
        "update batch-3 notes=a\x00b",
        "metrics coverage=1\x00",
    ):
        reply = handle(Command.from_text(Actor("Ana", slack_id="U0ANA"), text, "slack"), ctx)
        assert not reply.ok, text
    assert plan_file.read_bytes() == before and commits(repo) == count


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Sec\\u001eurity"), ("notes", "nul\\u0000"), ("owner", "a\\tb")],
)
def test_hand_edited_control_characters_are_reported(
    tmp_path: Path, field: str, value: str
) -> None:
    text = f'[[batches]]\nid = "batch-1"\nname = "A"\n{field} = "{value}"\n'
    if field == "name":
        text = f'[[batches]]\nid = "batch-1"\nname = "{value}"\n'
    result = run_cli("--plan", str(write_plan(tmp_path, text)), "validate")
    assert result.returncode == 1, result.stdout
    out = result.stdout + result.stderr
    assert f"batch-1.{field}" in out and "control character" in out


def test_a_symlinked_plan_is_written_through_the_link(plan_file: Path) -> None:
    repo = plan_file.parent.parent
    link = repo / "current-plan.toml"
    os.symlink(os.path.relpath(plan_file, link.parent), link)
    git(repo, "add", "current-plan.toml")
    git(repo, "commit", "-qm", "link")
    count = commits(repo)
    result = run_cli("--plan", str(link), "update", "batch-2", "progress=15")
    assert result.returncode == 0, result.stderr
    assert link.is_symlink(), "the link was replaced by a regular file"
    assert tomllib.loads(plan_file.read_text())["batches"][1]["progress"] == 15
    assert commits(repo) == count + 1
    assert git(repo, "status", "--porcelain").strip() == ""


def _update_form(edge: EdgeUnderTest, batch: str, status: str, progress: str) -> dict[str, Any]:
    key = edge.key()
    state = {
        "status": {"value": {"type": "static_select", "selected_option": {"value": status}}},
        "progress": {"value": {"type": "plain_text_input", "value": progress}},
    }
    meta = {"response_url": edge.fake.response_url(key), "channel": "C0PLAN", "batch": batch}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": "U0ALICE", "name": "alice"},
        "api_app_id": "A0APP",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "batch_update",
            "private_metadata": json.dumps(meta),
            "state": {"values": state},
        },
    }
    status_code, out = edge.post(interactive_body(payload))
    assert status_code == 200
    return {"ack": json.loads(out) if out.strip() else {}, "key": key}


def test_update_form_marking_done_with_the_shown_progress_sets_100(
    slack_edge: EdgeUnderTest,
) -> None:
    current = tomllib.loads(slack_edge.plan.read_text())["batches"][3]
    answer = _update_form(slack_edge, current["id"], "done", str(current["progress"]))
    assert answer["ack"] == {}
    slack_edge.answer(answer["key"])
    batch = tomllib.loads(slack_edge.plan.read_text())["batches"][3]
    assert (batch["status"], batch["progress"]) == ("done", 100)


def test_update_form_marking_done_at_a_typed_50_is_refused_on_the_field(
    slack_edge: EdgeUnderTest,
) -> None:
    current = tomllib.loads(slack_edge.plan.read_text())["batches"][4]
    assert current["progress"] != 50
    before = slack_edge.commits()
    answer = _update_form(slack_edge, current["id"], "done", "50")
    assert answer["ack"]["response_action"] == "errors"
    assert "done means 100" in answer["ack"]["errors"]["progress"]
    assert slack_edge.commits() == before


@pytest.mark.parametrize(
    "text",
    [
        "goal add Sec\x1eurity review",
        "blocker add batch-1 waiting\x07 on infra",
        "blocker add batch-1 waiting resolution=ask\x1bops",
        "risk add Ri\x1fsk probability=low impact=low mitigation=watch",
        "risk add Risk probability=low impact=low mitigation=watch\x00it",
        "holiday add 2026-12-24 Christmas\x1e Eve",
        "timeoff from 2026-12-01 until 2026-12-02 note\x1b",
    ],
)
def test_every_command_that_writes_refuses_control_characters(plan_file: Path, text: str) -> None:
    """Every edit, not only `update`: no command may save a value that makes the plan invalid
    for the next reader (refused, nothing written; or written without the character)."""
    from bot.plan.values import value_problems

    repo = plan_file.parent.parent
    before, count = plan_file.read_bytes(), commits(repo)
    ctx = Context(
        store=PlanStore(plan_file), clock=lambda: dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    )
    reply = handle(Command.from_text(Actor("Ana", slack_id="U0ANA"), text, "slack"), ctx)
    if not reply.ok:
        assert plan_file.read_bytes() == before and commits(repo) == count, text
    assert value_problems(tomllib.loads(plan_file.read_text())) == [], text
