"""A thin, safe wrapper around the `git` command for one plan file's repository.

Arguments are always passed as a list (never a shell string built from input), the locale
is fixed so messages can be recognised, and prompts are off so nothing ever waits on stdin.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where git runs: reading the plan (the dashboard) never does
    import subprocess


class GitError(Exception):
    def __init__(self, args: list[str], code: int, output: str) -> None:
        self.code = code
        self.output = output.strip()
        super().__init__(f"git {' '.join(args[:2])} failed ({code}): {self.output[-500:]}")


_BASE_ENV = {"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}


@dataclass(frozen=True)
class GitRepo:
    """A git repository run through the git binary, with per-repository settings."""

    root: Path
    env: tuple[tuple[str, str], ...] = ()  # per-repository settings, e.g. a remote's auth
    # Seconds any one git command may take; None: no limit. A network remote that stops
    # answering mid-fetch would otherwise hold the write path (and every writer behind it).
    timeout: float | None = None

    @staticmethod
    def find(path: Path) -> GitRepo | None:
        """The work tree holding `path`, or None when it is not under git."""
        folder = path if path.is_dir() else path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # a plan about to be created in a new folder
        import subprocess

        try:
            out = subprocess.run(
                ["git", "rev-parse", "--show-toplevel"],
                cwd=folder,
                capture_output=True,
                text=True,
                env={**os.environ, **_BASE_ENV},
                check=False,
            )
        except (FileNotFoundError, NotADirectoryError):
            return None
        if out.returncode != 0:
            return None
        return GitRepo(Path(out.stdout.strip()).resolve())

    def run(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        check: bool = True,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        import subprocess

        full_env = {**os.environ, **_BASE_ENV, **dict(self.env), **(env or {})}
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=self.root,
                capture_output=True,
                text=True,
                env=full_env,
                input=input_text,
                check=False,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired:
            raise GitError(
                list(args), -1, f"timed out after {self.timeout:g} s (the remote stopped answering)"
            ) from None
        if check and proc.returncode != 0:
            raise GitError(list(args), proc.returncode, proc.stderr or proc.stdout)
        return proc

    def git_dir(self) -> Path:
        out = self.run("rev-parse", "--git-dir").stdout.strip()
        path = Path(out)
        return path if path.is_absolute() else (self.root / path).resolve()

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()

    def has_identity(self) -> bool:
        return bool(self.run("config", "--get", "user.email", check=False).stdout.strip())


@dataclass(frozen=True)
class NewCommit:
    """A commit for `write_commits`: files to set (path → text), message, identities."""

    files: dict[str, str]
    message: str
    author: str  # "Name <email>"
    committer: str


def write_commits(
    repo: GitRepo, parent: str, commits: list[NewCommit], when: int
) -> tuple[list[str], dict[str, str]]:
    """Write `commits` as a chain on `parent` (or as a root chain when it is empty) with one
    `git fast-import`: objects only, no branch, index or file moves, which is what lets the
    callers order their steps for crash safety. Returns the commits' shas and the blob shas of
    the last commit's files. One process instead of five per commit.
    """
    if not commits:
        return [], {}
    stream: list[bytes] = [b"reset refs/batchbot/scratch\n"]
    for n, commit in enumerate(commits, start=1):
        message = commit.message.encode()
        base = parent if n == 1 else f":{n - 1}"
        stream += [
            f"commit refs/batchbot/scratch\nmark :{n}\n".encode(),
            f"author {_ident(commit.author)} {when} +0000\n".encode(),
            f"committer {_ident(commit.committer)} {when} +0000\n".encode(),
            f"data {len(message)}\n".encode(),
            message + b"\n",
            f"from {base}\n".encode() if base else b"",
        ]
        for rel, text in commit.files.items():
            data = text.encode()
            stream += [f"M 100644 inline {rel}\ndata {len(data)}\n".encode(), data, b"\n"]
        stream.append(b"\n")
    last = commits[-1]
    stream += [f"get-mark :{n}\n".encode() for n in range(1, len(commits) + 1)]
    stream += [f"ls :{len(commits)} {rel}\n".encode() for rel in last.files]
    stream.append(b"done\n")
    import subprocess  # lazily, as in GitRepo.run: the dashboard path never commits

    proc = subprocess.run(
        ["git", "fast-import", "--quiet", "--done", "--force"],
        cwd=repo.root,
        input=b"".join(stream),
        capture_output=True,
        env={**os.environ, **_BASE_ENV, **dict(repo.env)},
        check=False,
    )
    if proc.returncode != 0:
        raise GitError(["fast-import"], proc.returncode, proc.stderr.decode(errors="replace"))
    lines = proc.stdout.decode().splitlines()
    shas = [line.strip() for line in lines[: len(commits)]]
    listed = lines[len(commits) :]
    if len(listed) != len(last.files):
        raise GitError(["fast-import"], 0, f"unexpected answer: {lines[:5]}")
    blobs = {rel: line.split()[2] for rel, line in zip(last.files, listed, strict=True)}
    return shas, blobs


def _ident(who: str) -> str:
    """`Name <email>` safe inside a fast-import identity line."""
    return " ".join(who.replace("\n", " ").split())
