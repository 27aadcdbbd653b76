"""A thin, safe wrapper around the `git` command for one plan file's repository.

Arguments are always passed as a list (never a shell string built from input), the locale
is fixed so messages can be recognised, and prompts are off so nothing ever waits on stdin.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
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
# Settings that change where git looks for a repository: with any of them set, ask git.
_DISCOVERY_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
)


#: `git var -l` started ahead of need (`prefetch_identity`): the folder it runs in → process.
_AHEAD: dict[Path, subprocess.Popen[str]] = {}


def prefetch_identity(folder: Path) -> None:
    """Start asking git for this machine's identity now, in the background.

    A CLI change needs it for its commit, but only after ~40 ms of loading the command's
    modules; started first, `git var -l` runs on another core meanwhile, and `identity()`
    finds its answer waiting (one process's wall time less per `batchbot update`). A folder
    that is not a work tree, or no git, simply leaves nothing to find.
    """
    import subprocess

    folder = folder.resolve()
    abandon_prefetched()
    # No such folder (a plan about to be created) or no git: nothing waits, identity() asks.
    with contextlib.suppress(OSError):
        _AHEAD[folder] = subprocess.Popen(
            ["git", "var", "-l"],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **_BASE_ENV},
        )


def abandon_prefetched() -> None:
    """Reap what no command asked for (a refused command, a read), so none outlives it."""
    while _AHEAD:
        _finish(_AHEAD.popitem()[1], None)


def _finish(proc: subprocess.Popen[str], timeout: float | None) -> str | None:
    import subprocess

    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    return out


@dataclass(frozen=True)
class GitRepo:
    """A git repository run through the git binary, with per-repository settings."""

    root: Path
    env: tuple[tuple[str, str], ...] = ()  # per-repository settings, e.g. a remote's auth
    # Seconds any one git command may take; None: no limit. A network remote that stops
    # answering mid-fetch would otherwise hold the write path (and every writer behind it).
    timeout: float | None = None
    # The git dir when `find` read it from `.git` itself; None: ask git (`git_dir`).
    gitdir: Path | None = field(default=None, compare=False)

    @staticmethod
    def find(path: Path) -> GitRepo | None:
        """The work tree holding `path`, or None when it is not under git.

        A plain work tree (a `.git` folder, or the `.git` file of a linked worktree) owned by
        this user is found by reading the folders, as git would: every process saved counts,
        since an update is timed against a tool that runs none. Anything less plain (git
        settings in the environment, a filesystem boundary, core.worktree, another owner, whose
        repository git may refuse as dubious) is left to `git rev-parse`.
        """
        folder = path if path.is_dir() else path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # a plan about to be created in a new folder
        found = _find_plain(folder)
        if found is not None:
            return found
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
        if self.gitdir is not None:
            return self.gitdir
        out = self.run("rev-parse", "--git-dir").stdout.strip()
        path = Path(out)
        return path if path.is_absolute() else (self.root / path).resolve()

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()

    def has_identity(self) -> bool:
        return bool(self.identity().email)

    def identity(self) -> Identity:
        """user.name, user.email and the committer git would record, from one `git var -l`
        (it lists the configuration, then the idents) instead of three processes — the one
        `prefetch_identity` started for this repository, when there is one."""
        listing = self._prefetched_identity()
        if listing is None:
            listing = self.run("var", "-l", check=False).stdout
        values: dict[str, str] = {}
        for line in listing.splitlines():
            key, sep, value = line.partition("=")
            if sep and key in ("user.name", "user.email", "GIT_COMMITTER_IDENT"):
                values[key] = value.strip()  # the last one wins, as for `git config --get`
        committer = values.get("GIT_COMMITTER_IDENT", "").rsplit(" ", 2)[0]
        if committer.startswith("<"):  # no name: `git var GIT_COMMITTER_IDENT` refuses it
            committer = ""
        return Identity(values.get("user.name", ""), values.get("user.email", ""), committer)

    def _prefetched_identity(self) -> str | None:
        if self.env:  # a remote's own settings: ask with them
            return None
        for folder in list(_AHEAD):
            if folder == self.root or self.root in folder.parents:
                return _finish(_AHEAD.pop(folder), self.timeout)
        return None

    def symbolic_head(self) -> str:
        """The branch HEAD is on (`refs/heads/main`), "" on a detached HEAD. Read from the
        HEAD file where `find` knew the git dir (what `git symbolic-ref -q HEAD` answers,
        without a process); anything unusual is asked of git."""
        if self.gitdir is not None:
            try:
                text = (self.gitdir / "HEAD").read_text(encoding="utf-8").strip()
            except (OSError, UnicodeError):
                text = ""
            if text.startswith("ref: refs/") and not text.endswith("/.invalid"):  # reftable
                return text.removeprefix("ref: ").strip()
            if len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text):
                return ""
        return self.run("symbolic-ref", "-q", "HEAD", check=False).stdout.strip()


@dataclass(frozen=True)
class Identity:
    """Who git says commits here: user.name and user.email ("" when unset) and the committer
    as `Name <email>` ("" when git could not tell)."""

    name: str
    email: str
    committer: str


def _find_plain(folder: Path) -> GitRepo | None:
    """The repository above `folder` when it is a plain one this user owns; None: ask git."""
    if any(os.environ.get(name) for name in _DISCOVERY_ENV):
        return None
    try:
        here = folder.resolve()  # git works in the real path, as --show-toplevel answers
        device = here.stat().st_dev
        for top in (here, *here.parents):
            if top.stat().st_dev != device:
                return None  # git stops at a filesystem boundary
            dotgit = top / ".git"
            if dotgit.is_dir():
                gitdir = dotgit
            elif dotgit.is_file():
                line = dotgit.read_text(encoding="utf-8").strip()
                if not line.startswith("gitdir:"):
                    return None
                gitdir = (top / line.removeprefix("gitdir:").strip()).resolve()
            elif (top / "HEAD").is_file() and (top / "objects").is_dir():
                return None  # inside a git dir or a bare repository
            else:
                continue
            uid = os.geteuid()
            if top.stat().st_uid != uid or gitdir.stat().st_uid != uid:
                return None  # safe.directory decides: git's to answer
            if not (gitdir / "HEAD").is_file() or _unusual_config(gitdir):
                return None
            return GitRepo(top, gitdir=gitdir.resolve())
    except (OSError, UnicodeError):
        return None
    return None


def _unusual_config(gitdir: Path) -> bool:
    """core.worktree or core.bare in the repository's configuration: the work tree is not the
    folder above `.git`, so git must say where it is."""
    common = gitdir
    if (gitdir / "commondir").is_file():
        common = (gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip()).resolve()
    for config in (common / "config", gitdir / "config.worktree"):
        try:
            text = config.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        for line in text.splitlines():
            key, _, value = line.strip().partition("=")
            key = key.strip().lower()
            if key == "worktree" or (
                key == "bare" and value.strip().lower() not in ("false", "no", "off", "0")
            ):
                return True
    return False


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
