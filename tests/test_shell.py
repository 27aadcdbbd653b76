"""`batchbot shell`: the same handlers as Slack, in a terminal, with piped input too."""

from __future__ import annotations

from tests.conftest import SHIPPED_PLAN, run_cli


def test_piped_status_in_demo_shows_the_plan() -> None:
    result = run_cli("shell", "--demo", stdin="/batch status\n")
    assert result.returncode == 0, result.stderr
    assert "> /batch status" in result.stdout
    assert "🔴 Critical Blockers (batch-1) · P0 · ░░░░░░░░░░ 0%" in result.stdout


def test_demo_changes_a_throwaway_copy_and_never_the_real_plan() -> None:
    before = SHIPPED_PLAN.read_bytes()
    script = (
        "\n".join(
            [
                "/batch update batch-1 status=in-progress progress=40",
                "/batch history batch-1",
                "/batch status batch-1",
            ]
        )
        + "\n"
    )
    result = run_cli("shell", "--demo", stdin=script)
    assert result.returncode == 0, result.stderr
    assert "status not-started → in-progress, progress 0 → 40" in result.stdout
    assert "commit " in result.stdout
    assert "Progress: ▓▓▓▓░░░░░░ 40%" in result.stdout
    assert SHIPPED_PLAN.read_bytes() == before


def test_shell_errors_are_one_line_and_the_session_goes_on() -> None:
    result = run_cli(
        "shell", "--demo", stdin="/batch update batch-1 stauts=done\n/batch validate\n"
    )
    assert "Error: unknown key 'stauts' (did you mean status?)" in result.stdout
    assert "Plan is valid" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_shell_runs_the_standup_loop_and_the_friday_job() -> None:
    script = (
        "\n".join(
            [
                "/jobs run standup-prompts --at 2026-11-26T09:31:00+00:00",
                "/jobs run standup-prompts --at 2026-11-26T09:32:00+00:00",
                "/batch standup Fixed the CI cache. Next I review the OWASP list.",
                "/batch standup Too short",
                "/jobs run weekly-report --at 2026-11-27T15:00:00+00:00",
                "/jobs run weekly-report --at 2026-11-27T15:05:00+00:00",
                "/jobs list",
            ]
        )
        + "\n"
    )
    result = run_cli("shell", "--demo", stdin=script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert out.count("[dm → ULOCALUSER]") == 1  # the second tick sends nothing twice
    assert "[thread reply → #standup]" in out and "Fixed the CI cache." in out
    assert "Standup not saved" in out and "Too short" in out
    assert "DRAFT: Weekly Progress Report - Week 1" in out
    assert "already posted" in out
    assert "weekly-report      next:" in out


def test_the_leads_words_work_in_the_shell_and_the_owners_dm_is_printed() -> None:
    script = (
        "\n".join(
            [
                "/batch update batch-1 owner=U0BOB0001",
                "/batch goal add Close the OWASP list batch=batch-1",
                "/batch goals next",
                "/batch blocker add batch-1 Waiting on the audit vendor resolution=Escalate",
                "/batch blockers",
                "/batch risk add Vendor delay probability=high impact=medium mitigation=Backup",
                "/batch risk update 6 impact=high",
                "/batch risks",
                "/jobs run blocker-escalation",
            ]
        )
        + "\n"
    )
    result = run_cli("shell", "--demo", stdin=script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Goal #1 set for " in out and "#1 ⬜ Close the OWASP list (batch-1)" in out
    assert "Blocker #1 on batch-1: Waiting on the audit vendor" in out
    assert "→ DM to U0BOB0001: New blocker #1 on Critical Blockers (batch-1)" in out
    assert "#1 batch-1: Waiting on the audit vendor — Escalate (no owner, 0 days)" in out
    assert "Risk #6 added: Vendor delay" in out and "Risk #6 updated" in out
    assert "#6 Vendor delay — High probability / High impact" in out
    assert "blocker-escalation:" in out
    assert "Error" not in out and "Traceback" not in out + result.stderr
