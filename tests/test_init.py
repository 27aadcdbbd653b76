"""`batchbot init` gives someone who ran `pip install batchbot` a folder that works at once."""

from __future__ import annotations

from pathlib import Path

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
