"""Which files in the plan's folder are programs (`plan/<program>.toml`, the id being the name).

One rule for local and remote mode and for `--program`: a program's name can be typed as the
first word of `/batch <program> …`, so it is letters, digits, `-`, `_` and `.`, starting with
a letter or digit. That leaves out what editors and tools leave beside a file — Emacs' lock
`.#beta.toml` (a dangling symlink), `.beta.toml.swp`-like dotfiles — and a name with a space,
which no one could type. A symlink is never a program: the plan folder is the team's, and a
link could point anywhere on the machine.
"""

from __future__ import annotations

import re
from pathlib import Path

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def is_program_name(name: str) -> bool:
    """`beta` (the id, without `.toml`) is a name a person can type."""
    return NAME.fullmatch(name) is not None


def is_program_file(path: Path) -> bool:
    """A regular `*.toml` file (not a link) whose name is a program's."""
    return (
        path.suffix.lower() == ".toml"
        and is_program_name(path.stem)
        and not path.is_symlink()
        and path.is_file()
    )


def program_id(path: Path) -> str:
    """A program's id is its plan file's name: `plan/beta.toml` → `beta`."""
    return path.stem.lower()


def other_plan_files(path: Path) -> list[Path]:
    """The other programs: every program file next to the first plan file
    (`plan/<program>.toml`), one per id. A JSON plan (the old tool's layout) stays the only
    program."""
    if path.suffix.lower() != ".toml" or not path.parent.is_dir():
        return []
    first, seen = path.resolve(), {program_id(path)}
    found = []
    # `beta.toml` before `BETA.toml`: the file named as the id is the program, the other none
    in_order = sorted(
        path.parent.glob("*.toml"), key=lambda p: (p.stem.lower(), p.stem != p.stem.lower(), p.stem)
    )
    for candidate in in_order:
        pid = program_id(candidate)
        if candidate.resolve() == first or pid in seen or not is_program_file(candidate):
            continue
        seen.add(pid)
        found.append(candidate)
    return found


def skipped_files(folder: Path) -> list[Path]:
    """`*.toml` files in `folder` that are not programs (for doctor to name), dotfiles aside."""
    return sorted(
        p for p in folder.glob("*.toml") if not p.name.startswith(".") and not is_program_file(p)
    )
