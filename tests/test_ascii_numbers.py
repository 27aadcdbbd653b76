"""Issue 18 item 10: numbers are ASCII digits, everywhere a person types one.

`str.isdigit()` is true for `²`, which `int()` then refuses (a traceback on the CLI,
"something went wrong" in Slack); `int()` reads `١` as 1, which the bot echoed back as
"Goal #١". Every record number and every numeric value is refused in one line unless it is
written with 0-9.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli

ODD_DIGITS = ["²", "١", "٣", "①", "１"]  # superscript, Arabic-Indic, circled, fullwidth


def _cli(plan_file: Path, *words: str) -> tuple[int, str, str]:
    done = run_cli("--plan", str(plan_file), *words, cwd=plan_file.parent)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    "words",
    [
        ("goal", "done"),
        ("goal", "drop"),
        ("blocker", "resolve"),
        ("risk", "close"),
        ("risk", "reviewed"),
        ("risk", "update"),
    ],
)
@pytest.mark.parametrize("digit", ["²", "١"])
def test_record_words_refuse_non_ascii_digits_in_one_line(
    plan_file: Path, words: tuple[str, ...], digit: str
) -> None:
    assert _cli(plan_file, "goal", "add", "Ship", "it")[0] == 0
    assert _cli(plan_file, "blocker", "add", "batch-1", "No", "access")[0] == 0
    before = plan_file.read_bytes()
    extra = ("owner=ana",) if words == ("risk", "update") else ()
    code, out, err = _cli(plan_file, *words, digit, *extra)
    assert code != 0
    assert "Traceback" not in out + err
    assert f"#{digit}" not in out + err  # never "Goal #١"
    message = (out + err).strip()
    assert len(message.splitlines()) <= 2, message
    assert "digits 0-9" in message
    assert plan_file.read_bytes() == before


@pytest.mark.parametrize("digit", ODD_DIGITS)
def test_update_and_metrics_refuse_non_ascii_digits(plan_file: Path, digit: str) -> None:
    before = plan_file.read_bytes()
    for words in (
        ("update", "batch-1", f"progress={digit}"),
        ("update", "batch-1", f"progress=1{digit}"),
        ("metrics", f"prsMerged={digit}"),
        ("metrics", f"coverage={digit}0"),
    ):
        code, out, err = _cli(plan_file, *words)
        assert code != 0, words
        assert "Traceback" not in out + err
        assert len((out + err).strip().splitlines()) <= 2
    assert plan_file.read_bytes() == before


def test_ascii_record_numbers_still_work_with_or_without_hash(plan_file: Path) -> None:
    assert _cli(plan_file, "goal", "add", "Ship", "it")[0] == 0
    assert _cli(plan_file, "goal", "add", "Ship", "more")[0] == 0
    code, out, _ = _cli(plan_file, "goal", "done", "#2")
    assert code == 0 and "Goal #2 done" in out
    code, out, _ = _cli(plan_file, "goal", "drop", "01")
    assert code == 0 and "Goal #1 dropped" in out
