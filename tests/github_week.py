"""A scripted busy week on the fake GitHub, shared by the tests and bench/bench_github.py.

The team is in Europe/Berlin; the report week runs from Monday 23 Nov 2026 00:00 Berlin
(Sunday 23:00 UTC) to the collection instant, Friday 27 Nov 15:00 Berlin. Each count below
is chosen by hand so the expected numbers are arithmetic, not a second implementation.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.fakegithub import FakeGitHub

REPO = "acme/shop"
TOKEN = "ghp_test_token"
BERLIN = ZoneInfo("Europe/Berlin")
WEEK_START = dt.datetime(2026, 11, 23, 0, 0, tzinfo=BERLIN)  # Sun 22 Nov 23:00 UTC
AT = dt.datetime(2026, 11, 27, 15, 0, tzinfo=BERLIN)

# What the scripted week must give, worked out by hand:
# ciPassRate: main, completed, not cancelled/skipped: 240 + 2 re-run successes + 40 failures
#             = 282 counted, 242 succeeded → 85.8
# ciFlakeRate: commits: 240 main-pass + 32 main-fail-only + 15 cancelled + 5 skipped
#              + 60 feature + 2 re-run = 354 (the 8 other failures re-test m0..m7, the 3
#              in-progress runs are not finished); flaky: those 8 + the 2 re-runs → 2.8
# workflowMinutes: successful runs: 120×3 min, 120×5, 2×6, 50×10 → median 5
# deploymentMinutes: successes this week 8, 9, 10, 12, 14, 20, 30 → median 12
EXPECTED = {
    "prsMerged": 14,
    "ciPassRate": 85.8,
    "ciFlakeRate": 2.8,
    "workflowMinutes": 5,
    "deploymentMinutes": 12,
    "productionIncidents": 3,
    "openCriticalVulns": 10,
}


def script_week(fake: FakeGitHub, start: dt.datetime = WEEK_START) -> None:
    """The busy week from `start` (a Monday 00:00 in Berlin), giving EXPECTED at +4 d 15 h."""
    fake.add_repo(REPO)
    t0 = start.astimezone(dt.UTC)
    step = dt.timedelta(minutes=12)

    def at(i: int) -> dt.datetime:
        return t0 + dt.timedelta(minutes=5) + i * step

    n = 0
    for i in range(240):  # main, success; the first ones are Sunday evening in UTC
        fake.add_run(REPO, "ci.yml", created=at(n), sha=f"m{i:039d}", minutes=3 if i % 2 else 5)
        n += 1
    for i in range(40):  # main, failure; 8 re-test commits that also passed (flaky)
        sha = f"m{i:039d}" if i < 8 else f"x{i:039d}"
        fake.add_run(REPO, "ci.yml", created=at(n), sha=sha, conclusion="failure")
        n += 1
    for i in range(15):
        fake.add_run(REPO, "ci.yml", created=at(n), sha=f"c{i:039d}", conclusion="cancelled")
        n += 1
    for i in range(5):
        fake.add_run(REPO, "ci.yml", created=at(n), sha=f"s{i:039d}", conclusion="skipped")
        n += 1
    for i in range(60):  # a feature branch: not in the pass rate, in flakiness and minutes
        fake.add_run(
            REPO,
            "ci.yml",
            created=at(n),
            sha=f"f{i:039d}",
            branch="feature",
            conclusion="success" if i < 50 else "failure",
            minutes=10,
        )
        n += 1
    for i in range(2):  # failed, re-run, passed: same run id, attempt 2
        fake.add_run(
            REPO, "ci.yml", created=at(n), sha=f"r{i:039d}", attempts=("failure",), minutes=6
        )
        n += 1
    for i in range(3):
        fake.add_run(
            REPO, "ci.yml", created=at(n), sha=f"p{i:039d}", status="in_progress", conclusion=None
        )
        n += 1
    for i in range(20):  # last week: outside the window
        fake.add_run(
            REPO,
            "ci.yml",
            created=t0 - dt.timedelta(hours=2, minutes=i),
            sha=f"o{i:039d}",
            conclusion="failure",
        )

    for i, minutes in enumerate((10, 12, 14, 20, 8, 9, 30)):
        fake.add_run(REPO, "deploy.yml", created=at(10 + 40 * i), minutes=minutes)
    for i in range(2):
        fake.add_run(REPO, "deploy.yml", created=at(20 + i), conclusion="failure", minutes=1)
    fake.add_run(REPO, "deploy.yml", created=t0 - dt.timedelta(days=2), minutes=100)

    for i in range(12):
        fake.add_issue(REPO, pull=True, created=t0, merged=t0 + dt.timedelta(hours=3 + 7 * i))
    for i in range(2):  # opened last week, merged this week: counted
        fake.add_issue(
            REPO,
            pull=True,
            created=t0 - dt.timedelta(days=5),
            merged=t0 + dt.timedelta(hours=30 + i),
        )
    for i in range(5):  # merged Sunday 23:30 Berlin: last week
        fake.add_issue(
            REPO,
            pull=True,
            created=t0 - dt.timedelta(days=3),
            merged=t0 - dt.timedelta(minutes=30 + i),
        )
    for _ in range(3):
        fake.add_issue(REPO, pull=True, created=t0 + dt.timedelta(hours=5))  # still open

    for i in range(3):
        fake.add_issue(
            REPO, labels=("incident",), created=t0 + dt.timedelta(hours=10 + i), title="Outage"
        )
    fake.add_issue(REPO, labels=("incident",), created=t0 - dt.timedelta(hours=1))
    for _ in range(2):  # pull requests carrying the label are not incidents
        fake.add_issue(REPO, labels=("incident",), created=t0 + dt.timedelta(hours=9), pull=True)
    fake.add_issue(REPO, labels=("bug",), created=t0 + dt.timedelta(hours=9))

    counts = {("critical", "open"): 4, ("high", "open"): 6, ("medium", "open"): 5}
    counts |= {("low", "open"): 7, ("critical", "dismissed"): 2, ("high", "fixed"): 3}
    for (severity, state), count in counts.items():
        for _ in range(count):
            fake.add_alert(REPO, severity, state=state, created=t0 - dt.timedelta(days=30))
