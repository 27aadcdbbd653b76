"""What every end-to-end module shares: the fake Slack Web API the real `batchbot serve` talks
to, for the test workspace and its people. A module that needs another workspace or other
people (Socket Mode's app token, people in UTC) defines its own `fake`, which wins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_slack_e2e import TOKEN, USERS
from tests.fakeslack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, team_id="T0TEAM", users=USERS) as f:
        yield f
