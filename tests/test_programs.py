"""Specs for programs: several plan files served by one deployment, each with its own team,
and the one routing rule that picks the program of a `/batch` line (real git repository,
real stores, the composition root)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from bot.commands import Command, handle
from bot.commands.programs import dispatch, index_of, route
from bot.messenger import ConsoleMessenger
from bot.plan.store import Actor
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from tests.conftest import git, run_cli

ANA = Actor("Ana", slack_id="U0ANA")
BOB = Actor("Bob", slack_id="U0BOB")
EVE = Actor("Eve", slack_id="U0EVE")
BETA = """
[team]
editors = ["U0BOB", "U0EVE"]
standup_channel = "C0BETA"
"""


def two_programs(plan_file: Path, tmp: Path) -> Runtime:
    beta = plan_file.with_name("beta.toml")
    beta.write_text(plan_file.read_text().replace('name = "', 'name = "Beta ', 1) + BETA)
    git(plan_file.parent.parent, "add", ".")
    git(plan_file.parent.parent, "commit", "-qm", "beta")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        execution_plan_path=plan_file,
        database_url=f"sqlite:///{tmp / 'b.db'}",
        editors="U0ANA,U0EVE",
        standup_channel="C0FIRST",
    )
    return build_runtime(
        settings,
        ConsoleMessenger(out=io.StringIO()),
        clock=lambda: dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC),
    )


def run(rt: Runtime, actor: Actor, text: str, channel: str = "C0OTHER") -> object:
    cmd = Command.from_text(actor, text, "slack", channel)
    return dispatch(cmd, rt.programs, rt.default_program, handle)


def test_one_plan_file_is_one_program_as_before(plan_file: Path, tmp_path: Path) -> None:
    rt = build_runtime(
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            execution_plan_path=plan_file,
            database_url=f"sqlite:///{tmp_path / 'b.db'}",
        ),
        ConsoleMessenger(out=io.StringIO()),
    )
    assert list(rt.programs) == ["execution-plan"]
    cmd = Command.from_text(ANA, "beta status", "slack", "C0X")
    assert route(cmd, rt.programs, rt.default_program) == ("execution-plan", cmd)


def test_routing_by_name_channel_and_membership(plan_file: Path, tmp_path: Path) -> None:
    rt = two_programs(plan_file, tmp_path)
    assert list(rt.programs) == ["execution-plan", "beta"]
    named = Command.from_text(ANA, "beta status", "slack", "C0FIRST")
    assert route(named, rt.programs, "execution-plan")[0] == "beta"
    assert route(named, rt.programs, "execution-plan")[1].words == ("status",)
    in_beta = Command.from_text(EVE, "status", "slack", "C0BETA")
    assert route(in_beta, rt.programs, "execution-plan")[0] == "beta"
    bob_dm = Command.from_text(BOB, "status", "slack", "D0BOB")
    assert route(bob_dm, rt.programs, "execution-plan")[0] == "beta"
    eve_dm = Command.from_text(EVE, "status", "slack", "D0EVE")
    assert route(eve_dm, rt.programs, "execution-plan")[0] is None


def test_a_program_named_like_a_command_leaves_the_command_to_everyone(
    plan_file: Path, tmp_path: Path
) -> None:
    """A team calls its plan `plan/team.toml`: `/batch team` and `/batch team add @dan` must
    stay the command they were; the program is named by a command after it."""
    team = plan_file.with_name("team.toml")
    team.write_text(plan_file.read_text().replace('name = "', 'name = "Team ', 1) + BETA)
    git(plan_file.parent.parent, "add", ".")
    git(plan_file.parent.parent, "commit", "-qm", "a program named team")
    rt = two_programs(plan_file, tmp_path)
    assert list(rt.programs) == ["execution-plan", "beta", "team"]

    def routed(text: str) -> tuple[str | None, tuple[str, ...]]:
        pid, cmd = route(Command.from_text(ANA, text, "slack", "C0FIRST"), rt.programs, "x")
        return pid, cmd.words

    assert routed("team") == ("execution-plan", ("team",))
    assert routed("team add <@U0DAN> role=editor") == (
        "execution-plan",
        ("team", "add", "<@U0DAN>", "role=editor"),
    )
    assert routed("TEAM status") == ("team", ("status",))
    assert routed("team team") == ("team", ("team",))
    assert routed("team help") == ("team", ("help",))
    assert routed("beta team") == ("beta", ("team",))


def test_the_shell_keeps_its_program_for_a_command_that_is_also_a_programs_name(
    plan_file: Path, tmp_path: Path
) -> None:
    team = plan_file.with_name("status.toml")
    team.write_text(plan_file.read_text().replace('name = "', 'name = "Status ', 1))
    git(plan_file.parent.parent, "add", ".")
    git(plan_file.parent.parent, "commit", "-qm", "a program named status")
    two_programs(plan_file, tmp_path)
    lines = "/batch use beta\n/batch status\n"
    shell = run_cli("--plan", str(plan_file), "shell", stdin=lines, cwd=tmp_path)
    assert shell.returncode == 0, shell.stderr
    answer = shell.stdout.split("> /batch status", 1)[1]
    assert "Beta " in answer and "Status " not in answer, shell.stdout


def test_editor_leftovers_links_and_untypable_names_are_not_programs(
    plan_file: Path, tmp_path: Path
) -> None:
    """Emacs' lock `.#beta.toml` (a dangling link) became a program whose every job warned;
    `my plan.toml` one nobody could name. Neither is served, nor a link, nor a second
    `BETA.toml` beside `beta.toml` (one id, one program)."""
    folder = plan_file.parent
    (folder / ".#beta.toml").symlink_to("root@host.1234:1700000000")
    (folder / "my plan.toml").write_text(plan_file.read_text())
    (folder / "link.toml").symlink_to(plan_file)
    (folder / "BETA.toml").write_text(plan_file.read_text())
    rt = two_programs(plan_file, tmp_path)
    assert list(rt.programs) == ["execution-plan", "beta"]
    assert rt.programs["beta"].store.path.name == "beta.toml"
    refused = run_cli("--plan", str(plan_file), "--program", "link", "status")
    assert refused.returncode == 2 and "not a program" in refused.stderr


def test_a_person_in_two_programs_is_asked_which_and_replies_name_the_program(
    plan_file: Path, tmp_path: Path
) -> None:
    rt = two_programs(plan_file, tmp_path)
    asked = run(rt, EVE, "settings", "D0EVE")
    assert not asked.ok  # type: ignore[attr-defined]
    assert "which program? you are in execution-plan, beta" in asked.view.message  # type: ignore[attr-defined]
    shown = run(rt, EVE, "beta settings", "D0EVE")
    assert shown.view.title == "[beta] Team settings"  # type: ignore[attr-defined]


def test_an_editor_of_one_program_is_nobody_in_the_other(plan_file: Path, tmp_path: Path) -> None:
    rt = two_programs(plan_file, tmp_path)
    before = plan_file.with_name("beta.toml").read_text()
    refused = run(rt, ANA, "beta update batch-1 progress=30")
    assert not refused.ok and "not allowed" in refused.view.message  # type: ignore[attr-defined]
    assert plan_file.with_name("beta.toml").read_text() == before
    assert run(rt, BOB, "beta update batch-1 progress=30").ok  # type: ignore[attr-defined]
    assert "progress = 30" in plan_file.with_name("beta.toml").read_text()
    assert "progress = 30" not in plan_file.read_text()
    assert not run(rt, BOB, "update batch-1 progress=40", "C0FIRST").ok  # type: ignore[attr-defined]


def test_cli_program_option_acts_on_that_plan_file(plan_file: Path, tmp_path: Path) -> None:
    two_programs(plan_file, tmp_path)
    shown = run_cli("--plan", str(plan_file), "--program", "beta", "status", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Beta " in shown.stdout
    env = run_cli(
        "--plan", str(plan_file), "status", cwd=tmp_path, env={"BATCHBOT_PROGRAM": "beta"}
    )
    assert "Beta " in env.stdout
    unknown = run_cli("--plan", str(plan_file), "--program", "gamma", "status", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "no program 'gamma'" in unknown.stderr and "beta" in unknown.stderr


def test_routing_reads_no_plan_again_while_no_plan_file_changed(
    plan_file: Path, tmp_path: Path
) -> None:
    """The routing index is built once and kept: the same object answers every line until a
    plan file changes (then the next line sees the change — no expiry to wait for)."""
    rt = two_programs(plan_file, tmp_path)
    first = index_of(rt.programs)
    run(rt, EVE, "beta status", "C0BETA")
    run(rt, ANA, "status", "D0ANA")
    assert index_of(rt.programs) is first
    assert first.by_channel["C0BETA"] == ("beta",)
    assert first.by_person["U0EVE"] == ("execution-plan", "beta")


def test_a_settings_change_routes_the_very_next_line(plan_file: Path, tmp_path: Path) -> None:
    rt = two_programs(plan_file, tmp_path)
    moved = Command.from_text(ANA, "status", "slack", "C0NEWBETA")
    assert route(moved, rt.programs, rt.default_program)[0] == "execution-plan"
    assert run(rt, EVE, "beta settings standup_channel=C0NEWBETA").ok  # type: ignore[attr-defined]
    assert route(moved, rt.programs, rt.default_program)[0] == "beta"  # read-your-write


def test_a_plan_file_changed_by_another_process_is_seen_by_the_next_line(
    plan_file: Path, tmp_path: Path
) -> None:
    rt = two_programs(plan_file, tmp_path)
    in_zeta = Command.from_text(ANA, "status", "slack", "C0ZETA")
    assert route(in_zeta, rt.programs, rt.default_program)[0] == "execution-plan"
    beta = plan_file.with_name("beta.toml")
    with beta.open("r+") as f:  # written in place (same file, same size), as an editor may
        text = f.read().replace('"C0BETA"', '"C0ZETA"')
        f.seek(0)
        f.write(text)
    assert route(in_zeta, rt.programs, rt.default_program)[0] == "beta"
