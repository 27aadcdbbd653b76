"""The environment as the CLI and the shell see it: the process environment over `.env`.

`Settings` (pydantic-settings) reads `.env` itself, but the dashboard path must not import
pydantic-settings (it costs more than the dashboard). So the few values that path needs — the
plan path, push, the remote — are read here with the same rules pydantic-settings applies:
python-dotenv parses `.env` in the current folder (comments, quotes, `export`, `${VAR}`),
names match case-insensitively, and a variable set in the environment wins over the file.
python-dotenv is imported only when a `.env` file exists.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_PLAN = "plan/execution-plan.toml"
ENV_FILE = ".env"


class EnvFileError(ValueError):
    """`.env` cannot be read as settings: not UTF-8 text (Windows editors save UTF-16), or
    not readable. The message says which and what to do."""


def env_file_problem(exc: UnicodeDecodeError | OSError, path: str = ENV_FILE) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"{path} is not UTF-8 text (byte {exc.start + 1} cannot be read); save it as UTF-8 "
            "with one NAME=value per line"
        )
    return f"{path} cannot be read: {exc.strerror or exc}"


def environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Upper-cased names → values: `.env` first, then the process environment over it.
    EnvFileError when `.env` is there but cannot be read."""
    merged: dict[str, str] = {}
    if os.path.isfile(ENV_FILE):
        from dotenv import dotenv_values

        try:
            values = dotenv_values(ENV_FILE, encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            raise EnvFileError(env_file_problem(exc)) from None
        for name, value in values.items():
            if value is not None:
                merged[name.upper()] = value
    for name, value in (os.environ if environ is None else environ).items():
        merged[name.upper()] = value
    return merged


def plan_path(plan: str | None, env: Mapping[str, str]) -> Path:
    """`--plan`, else EXECUTION_PLAN_PATH, else the default — the order the README promises."""
    return Path(plan or env.get("EXECUTION_PLAN_PATH") or DEFAULT_PLAN)


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")
