"""Owners set from Slack are mentions; the report (also pasted into GitHub) shows names."""

from __future__ import annotations

from bot.report.weekly import owner_label


def test_owner_mention_becomes_the_persons_name() -> None:
    names = {"U0BOB": "Bob Roe"}
    assert owner_label("<@U0BOB>", names.get) == "Bob Roe"  # type: ignore[arg-type]


def test_owner_mention_with_label_uses_the_label() -> None:
    assert owner_label("<@U0BOB|bob>") == "bob"


def test_owner_mention_without_a_directory_stays_readable() -> None:
    assert owner_label("<@U0BOB>") == "@U0BOB"


def test_plain_and_empty_owners() -> None:
    assert (owner_label("Ana"), owner_label("")) == ("Ana", "Unassigned")


def test_owner_kept_as_a_bare_user_id_is_named_too() -> None:
    """`owner=<@U0BOB|bob>` is kept as `U0BOB` (issue 18 item 11): the report still names it."""
    names = {"U0BOB": "Bob Roe"}
    assert owner_label("U0BOB", names.get) == "Bob Roe"  # type: ignore[arg-type]
    assert owner_label("U0BOB") == "@U0BOB"
