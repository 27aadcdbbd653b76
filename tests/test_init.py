"""`batchbot init` gives someone who ran `pip install batchbot` a folder that works at once."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings
from tests.conftest import ROOT, git, run_cli


def test_init_writes_the_starter_files_and_commits_them(tmp_path: Path) -> None:
    team = tmp_path / "team"
    result = run_cli("init", str(team), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("plan/execution-plan.toml", "manifest.yml", ".env.example", ".gitignore"):
        assert (team / name).is_file(), name
    assert git(team, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(team, "status", "--porcelain") == ""
    assert ".env" in (team / ".gitignore").read_text().split()


def test_an_initialised_folder_runs_the_dashboard_and_commits_updates(tmp_path: Path) -> None:
    team = tmp_path / "team"
    assert run_cli("init", str(team), cwd=tmp_path).returncode == 0
    shown = run_cli("dashboard", cwd=team)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("| Batch | Priority | Status |")
    changed = run_cli("update", "batch-1", "progress=5", "--author", "Ana <ana@x.io>", cwd=team)
    assert changed.returncode == 0, changed.stderr
    assert git(team, "rev-list", "--count", "HEAD").strip() == "2"


def test_init_never_overwrites_a_file(tmp_path: Path) -> None:
    (tmp_path / "manifest.yml").write_text("mine\n")
    result = run_cli("init", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: {Path('.') / 'manifest.yml'} already exists; nothing was written"
    )
    assert (tmp_path / "manifest.yml").read_text() == "mine\n"
    assert not (tmp_path / "plan").exists()
    assert not (tmp_path / ".git").exists()


def test_packaged_starter_files_are_the_repositorys_own() -> None:
    data = ROOT / "bot" / "data"
    assert (data / "manifest.yml").read_bytes() == (ROOT / "manifest.yml").read_bytes()
    assert (data / "env.example").read_bytes() == (ROOT / ".env.example").read_bytes()


def test_env_example_names_every_setting() -> None:
    text = (ROOT / ".env.example").read_text()
    for name, field in Settings.model_fields.items():
        env = field.validation_alias if isinstance(field.validation_alias, str) else name.upper()
        assert f"# {env}=" in text, f"{env} is not in .env.example"


# --------------------------------------------------------------------------- issue 20


def test_init_writes_what_the_deploy_guides_need(tmp_path: Path) -> None:
    team = tmp_path / "team"
    # A real process: what it pins is the installed package's record (direct_url.json), which
    # a test process, with the checkout's own batchbot.egg-info on its path, does not see.
    result = run_cli(
        "init", str(team), "--http", "--url", "https://bot.example.com", cwd=tmp_path, process=True
    )
    assert result.returncode == 0, result.stderr
    reqs = [x for x in (team / "requirements.txt").read_text().splitlines() if x[:1] != "#"]
    assert len(reqs) == 1 and reqs[0].startswith("batchbot[postgres,github] @ ")
    assert re.fullmatch(r"3\.\d+\n", (team / ".python-version").read_text())
    assert (team / "Procfile").read_text() == "web: batchbot serve\n"
    assert git(team, "status", "--porcelain") == ""  # all of it committed


def test_the_systemd_unit_is_one_systemd_accepts(tmp_path: Path) -> None:
    team = tmp_path / "team"
    assert run_cli("init", str(team), "--socket-mode", cwd=tmp_path).returncode == 0
    unit = team / "deploy" / "batchbot.service"
    lines = unit.read_text().splitlines()
    settings = [x for x in lines if "=" in x and not x.startswith("#")]
    # systemd has no end-of-line comments: `EnvironmentFile=/etc/batchbot.env  # …` would
    # name a file with that literal name.
    assert not [x for x in settings if re.search(r"\s[#;]", x)], settings
    keys = {x.split("=", 1)[0]: x.split("=", 1)[1] for x in settings}
    assert keys["WorkingDirectory"] == str(team.resolve())
    assert keys["StateDirectory"] == "batchbot"
    assert keys["EnvironmentFile"] == "/etc/batchbot.env"
    assert keys["Wants"] == keys["After"] == "network-online.target"
    assert keys["User"] and keys["User"] != "root"
    assert keys["ExecStart"].endswith(" serve --socket-mode")
    assert "sqlite:////var/lib/batchbot/" in keys["Environment"]
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here (apt-get install systemd)")
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    if "Failed to initialize manager" in verified.stderr:
        pytest.skip(f"systemd-analyze cannot run in this container: {verified.stderr.strip()}")
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == "", verified.stderr


def manifest(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "manifest.yml").read_text())


def request_urls(data: dict[str, Any]) -> list[str | None]:
    s = data["settings"]
    return [
        s.get("event_subscriptions", {}).get("request_url"),
        s.get("interactivity", {}).get("request_url"),
        *(c.get("url") for c in data["features"]["slash_commands"]),
    ]


def test_an_http_manifest_sends_every_request_to_the_bots_url(tmp_path: Path) -> None:
    team = tmp_path / "team"
    result = run_cli("init", str(team), "--url", "https://bot.example.com/", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = manifest(team)
    assert data["settings"]["socket_mode_enabled"] is False
    assert request_urls(data) == ["https://bot.example.com/slack/events"] * 3
    assert "HTTP" in result.stdout


def test_a_socket_mode_manifest_has_socket_mode_on_and_no_request_urls(tmp_path: Path) -> None:
    team = tmp_path / "team"
    result = run_cli("init", str(team), "--socket-mode", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = manifest(team)
    assert data["settings"]["socket_mode_enabled"] is True
    assert request_urls(data) == [None, None, None]
    assert (team / "Procfile").read_text() == "web: batchbot serve --socket-mode\n"
    assert "Socket Mode" in result.stdout


def test_without_a_mode_and_without_a_terminal_init_says_which_mode_it_chose(
    tmp_path: Path,
) -> None:
    result = run_cli("init", str(tmp_path / "team"), cwd=tmp_path, stdin="")
    assert result.returncode == 0, result.stderr
    assert "for Socket Mode" in result.stdout and "--http" in result.stdout


def test_a_url_that_is_not_one_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "team"), "--url", "bot.example.com", cwd=tmp_path)
    assert result.returncode == 1
    assert "--url 'bot.example.com' is not the bot's public base URL" in result.stderr
    assert not (tmp_path / "team").exists()


def test_the_starter_plan_starts_today_so_nothing_is_overdue(tmp_path: Path) -> None:
    team = tmp_path / "team"
    assert run_cli("init", str(team), "--socket-mode", cwd=tmp_path).returncode == 0
    plan = tomllib.loads((team / "plan" / "execution-plan.toml").read_text())
    assert plan["program"]["start"] == dt.date.today()
    shown = run_cli("dashboard", cwd=team)
    assert shown.returncode == 0 and "overdue" not in shown.stdout


def test_requirements_pin_the_source_given(tmp_path: Path) -> None:
    team = tmp_path / "team"
    source = "git+https://git.example.com/acme/batchbot.git@v0.1.0"
    result = run_cli("init", str(team), "--socket-mode", "--source", source, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"batchbot[postgres,github] @ {source}\n" in (team / "requirements.txt").read_text()
    refused = run_cli("init", str(tmp_path / "x"), "--source", "-e .", cwd=tmp_path)
    assert refused.returncode == 1 and "--source" in refused.stderr


def test_a_git_checkout_with_a_remote_is_pinned_by_its_url_and_commit(tmp_path: Path) -> None:
    from bot.starter import _pip_git_url

    assert _pip_git_url("git@github.com:acme/batchbot.git") == (
        "git+ssh://git@github.com/acme/batchbot.git"
    )
    assert _pip_git_url("https://github.com/acme/batchbot.git") == (
        "git+https://github.com/acme/batchbot.git"
    )
    local = _pip_git_url(str(tmp_path))
    assert local == f"git+file://localhost{tmp_path.resolve().as_posix()}"
    from packaging.requirements import Requirement

    Requirement(f"batchbot[postgres,github] @ {local}@abc123")  # pip accepts it


def test_on_a_terminal_init_asks_the_mode_and_the_url(tmp_path: Path) -> None:
    from tests.terminal import Terminal

    tty = Terminal(tmp_path, "init", "team")
    tty.until(b"[socket/http]")
    tty.type(b"http\n")
    tty.until(b"public URL")
    tty.type(b"https://bot.example.org\n")
    tty.until(b"first commit")
    code, seen = tty.finish()
    assert code == 0, seen
    data = manifest(tmp_path / "team")
    assert data["settings"]["socket_mode_enabled"] is False
    assert request_urls(data) == ["https://bot.example.org/slack/events"] * 3
