"""Sentence counting for standups: the tricky forms people really type in Slack.

Each case is (text, expected sentence count). Cases are realistic updates, so a
regression shows up as "this real update is now refused".
"""

from __future__ import annotations

import pytest

from bot.standup.sentences import (
    MAX_CHARS,
    MAX_SENTENCES,
    MIN_SENTENCES,
    StandupCheck,
    check_standup,
    count_sentences,
)

CASES: list[tuple[str, str, int]] = [
    # --- plain ---
    ("one sentence", "Finished the importer.", 1),
    ("two sentences", "Finished the importer. Today I start on the exporter.", 2),
    ("three sentences", "Fixed the login bug. Reviewing PR 42 today. No blockers.", 3),
    (
        "four sentences",
        "Fixed the login bug. Reviewed two PRs. Paired with Ana. No blockers today.",
        4,
    ),
    ("no final period", "Shipped the CSV export. Next up is the PDF report", 2),
    ("lowercase sloppy", "fixed the flaky test. working on the cache now. no blockers", 3),
    ("question and exclamation", "Release is out! Can someone review #123? Thanks", 3),
    ("interrobang run", "Staging is down again?! Investigating with ops.", 2),
    # --- abbreviations ---
    (
        "e.g. and i.e.",
        "Added retries to the clients, e.g. Slack and GitHub. Tomorrow the rest, i.e. Jira.",
        2,
    ),
    ("etc. mid sentence", "Cleaned up logs, metrics etc. and moved on to alerts. Done soon.", 2),
    ("etc. ends sentence", "Updated deps, lockfile etc. Then the CI went green.", 2),
    ("vs. and approx.", "Compared Redis vs. Postgres for locks. Took approx. 3 hours.", 2),
    ("titles", "Met Dr. Lee and Mr. Patel about the audit. Next step is the report.", 2),
    ("incl. and No.", "Fixed all bugs incl. No. 17 from the list. Tests pass.", 2),
    ("a.m. ends", "Deployed at 9 a.m. Then I watched the dashboards.", 2),
    # --- numbers and names with dots ---
    ("versions", "Upgraded to Python 3.11 and ruff v0.6.2. Tests are green on v1.2.3.", 2),
    ("decimals", "Error rate fell from 2.5% to 0.3% after the fix. Monitoring today.", 2),
    ("file names", "Refactored app.py and utils/db.py. Next is config.toml.", 2),
    # --- links, e-mails, mentions ---
    (
        "bare url with query",
        "Wrote the spec at https://x.y/z?a=b.c&d=e. Please review by Friday.",
        2,
    ),
    (
        "slack link",
        "Opened <https://github.com/acme/app/pull/42?x=1.2|PR 42. fix> for the crash. Waiting.",
        2,
    ),
    ("email", "Mailed ana.lopez@example.co.uk about the contract. No reply yet.", 2),
    ("mention and channel", "Synced with <@U123ABC> in <#C42|ops.team>. All good.", 2),
    ("inline code", "Renamed `cfg.load()` to `config.read()`. Callers updated.", 2),
    # --- ellipses, emoji, quotes ---
    ("ellipsis inside", "The migration was slow... but it finished. Moving on to docs.", 2),
    ("unicode ellipsis inside", "Tried three fixes… none worked yet. Asking for help.", 2),
    ("ellipsis ends", "Waiting on the vendor... Meanwhile I wrote tests.", 2),
    ("emoji code after period", "Shipped the release. :tada: Now on support duty. :coffee:", 2),
    ("unicode emoji", "Shipped the release 🎉. Now on support duty ☕", 2),
    ("closing quote", 'Ana said "ship it." So we shipped. Now watching errors.', 3),
    ("closing bracket", "Fixed the bug (finally!) in the parser. Next: tests (the slow ones.)", 2),
    ("exclamation inside quote", 'Ops yelled "stop!" and we rolled back. Fixed now.', 2),
    ("emoji starts next line", "Worked on #123\n:tada: shipped it", 2),
    # --- line breaks and bullets ---
    ("lines without punctuation", "Finished the importer\nToday the exporter\nNo blockers", 3),
    (
        "wrapped line continues",
        "Finished the importer and\nstarted on the exporter. No blockers.",
        2,
    ),
    ("next line continues", "Finished the importer\nand started on the exporter.\nNo blockers", 2),
    ("bullets", "- fixed login\n- reviewed PR 42\n- no blockers", 3),
    ("header and bullets", "Yesterday:\n- fixed login\n- reviewed PR 42", 2),
    ("numbered list", "1. fixed login\n2. reviewed PR 42", 2),
    ("blank line paragraphs", "Done with the importer\n\nstarting the exporter", 2),
    ("header with text", "Yesterday: shipped the importer.\nToday: the exporter.", 2),
    ("trailing whitespace and emoji", "  Done with X.  Starting Y. :rocket:  \n\n", 2),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_count_sentences(text: str, expected: int) -> None:
    assert count_sentences(text) == expected


def test_there_are_enough_realistic_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize(
    ("text", "ok", "sentences", "reason"),
    [
        ("Fixed the login bug. Reviewing PR 42 today.", True, 2, ""),
        ("Fixed the login bug. Reviewing PR 42 today. No blockers.", True, 3, ""),
        (
            "Fixed the login bug.",
            False,
            1,
            "That's 1 sentence; a standup is 2–3 sentences.",
        ),
        (
            "Fixed it. Reviewed it. Paired. No blockers.",
            False,
            4,
            "That's 4 sentences; a standup is 2–3 sentences.",
        ),
    ],
    ids=["two-ok", "three-ok", "one-refused", "four-refused"],
)
def test_check_standup_counts(text: str, ok: bool, sentences: int, reason: str) -> None:
    assert check_standup(text) == StandupCheck(ok=ok, sentences=sentences, reason=reason)


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_blank_update_is_refused_with_its_own_reason(text: str) -> None:
    result = check_standup(text)
    assert not result.ok
    assert result.sentences == 0
    assert result.reason.startswith("That's empty")


def test_too_long_update_is_refused_with_the_length() -> None:
    text = "Worked on the importer. " + "x" * 1180
    result = check_standup(text)
    assert not result.ok
    assert result.reason == f"That's {len(text.strip()):,} characters; the limit is 1,000."
    assert "1,2" in result.reason


def test_exactly_the_limit_is_accepted() -> None:
    head = "Worked on the importer. Now the exporter"
    text = head + "r" * (MAX_CHARS - len(head) - 1) + "."
    assert len(text) == MAX_CHARS
    assert check_standup(text).ok


def test_reason_is_one_line_and_empty_when_ok() -> None:
    assert check_standup("A. B.").reason == ""
    for text in ["", "One.", "A. B. C. D.", "x. " * 400]:
        reason = check_standup(text).reason
        assert reason and "\n" not in reason


def test_constants_match_the_rule() -> None:
    assert (MIN_SENTENCES, MAX_SENTENCES, MAX_CHARS) == (2, 3, 1000)
