"""The weekly report archive (`plan/reports/<week>.md`): read from git objects, written only
as a regular file inside the reports folder.

The plan repository is edited by people, so a file there may be a symbolic link: a teammate
pushes `plan/reports/2026-W49.md -> /srv/app/.env` and reading through the working tree would
publish the secret as the GitHub issue; `plan/reports/2026-W47.md -> ../execution-plan.toml`
and writing through it would replace the plan with a report (issue 18 item 1). So:

- reading takes the committed blob (`git ls-tree` for its mode, `git cat-file` for its
  bytes), never the file on disk; a link (mode 120000) or anything that is not a regular file
  is refused;
- writing refuses a name outside `plan/reports/`, a link already committed at that name, and
  a link anywhere on the way in the working tree; the working-tree copy is written through
  directory descriptors with `O_NOFOLLOW`, so no link is ever followed.

Both stores (local `PlanStore`, `RemotePlanStore`) and `report publish` use these functions.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.plan.gitrepo import GitRepo

REPORTS = "plan/reports"
_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,80}\.md$")
#: a program's own folder (`plan/reports/<program>/`): several plan files, one archive each.
_PROGRAM = re.compile(r"^[0-9a-z][0-9a-z_-]{0,63}$")
_REGULAR = ("100644", "100755")


class ArchiveRefused(Exception):
    """A report archive path or entry batchbot will not read or write; one line for people."""


def check_path(rel: str) -> str:
    """`rel` when it names a file directly in `plan/reports/` or in one program's folder
    there (`plan/reports/beta/`); ArchiveRefused otherwise."""
    folder, _, name = rel.rpartition("/")
    parent, _, program = folder.rpartition("/")
    in_program = parent == REPORTS and _PROGRAM.match(program) is not None
    if (folder != REPORTS and not in_program) or not _NAME.match(name) or ".." in name:
        raise ArchiveRefused(
            f"{rel!r} is not a report archive: batchbot reads and writes only {REPORTS}/<name>.md"
        )
    return rel


def _entries(repo: GitRepo, rev: str, rel: str) -> dict[str, tuple[str, str]]:
    """path → (mode, object) for `rel` and each folder on its way, as committed at `rev`."""
    proc = repo.run("ls-tree", "-r", "-t", "-z", rev, "--", rel, check=False)
    out: dict[str, tuple[str, str]] = {}
    if proc.returncode != 0:
        return out
    for record in proc.stdout.split("\0"):
        if "\t" not in record:
            continue
        meta, path = record.split("\t", 1)
        mode, _kind, sha = meta.split()
        out[path] = (mode, sha)
    return out


def _refuse_link(rel: str, where: str) -> ArchiveRefused:
    return ArchiveRefused(
        f"{rel} is a symbolic link {where}; batchbot reads and writes report archives only as "
        "regular files (replace the link with the file, or delete it)"
    )


def _check_committed(repo: GitRepo, rev: str, rel: str) -> dict[str, tuple[str, str]]:
    """The entries on the way to `rel`; ArchiveRefused when any of them is not plain."""
    entries = _entries(repo, rev, rel)
    parts = rel.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        if prefix in entries:
            continue
        # Absent from the recursive listing: missing, or a non-folder git did not descend.
        proc = repo.run("ls-tree", "-z", rev, "--", prefix, check=False)
        record = proc.stdout.split("\0")[0] if proc.returncode == 0 else ""
        if record and "\t" in record:
            mode = record.split()[0]
            raise (
                _refuse_link(prefix, "in git")
                if mode == "120000"
                else ArchiveRefused(
                    f"{prefix} is not a folder in git; report archives live in {REPORTS}/"
                )
            )
        break  # missing: nothing deeper exists either
    leaf = entries.get(rel)
    if leaf is not None and leaf[0] not in _REGULAR:
        if leaf[0] == "120000":
            raise _refuse_link(rel, "in git")
        raise ArchiveRefused(f"{rel} is not a regular file in git")
    return entries


def read_committed(repo: GitRepo, rev: str, rel: str) -> str | None:
    """The archive's text as committed at `rev`; None when there is none. Never the disk."""
    check_path(rel)
    leaf = _check_committed(repo, rev, rel).get(rel)
    if leaf is None:
        return None
    try:
        proc = repo.run("cat-file", "blob", leaf[1], check=False)
    except UnicodeDecodeError:  # git's output is decoded as UTF-8: a Latin-1 or binary file
        raise _not_text(rel) from None
    return proc.stdout if proc.returncode == 0 else None


def _not_text(rel: str) -> ArchiveRefused:
    return ArchiveRefused(
        f"{rel} is not UTF-8 text; save it as UTF-8 (or delete it) and commit that"
    )


def check_write(repo: GitRepo | None, rev: str | None, rel: str) -> None:
    """ArchiveRefused unless `rel` may be (re)written as a regular file on top of `rev`."""
    check_path(rel)
    if repo is not None and rev:
        _check_committed(repo, rev, rel)


def _open_folder(root: Path, parts: list[str], *, create: bool) -> int | None:
    """A descriptor of root/parts… reached without following any link (None: missing)."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for depth, part in enumerate(parts, start=1):
            where = "/".join(parts[:depth])
            try:
                nxt = os.open(part, flags, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    os.close(fd)
                    return None
                os.mkdir(part, 0o755, dir_fd=fd)
                nxt = os.open(part, flags, dir_fd=fd)
            except OSError as exc:  # ELOOP / ENOTDIR: a link, or a file where a folder goes
                if _is_link(fd, part):
                    raise _refuse_link(where, "on disk") from None
                raise ArchiveRefused(f"{where} is not a folder ({exc.strerror})") from None
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


def _is_link(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return False


def read_disk(root: Path, rel: str) -> str | None:
    """An archive not under git (a plan outside any repository): the file, never a link."""
    folder, _, name = check_path(rel).rpartition("/")
    fd = _open_folder(root, folder.split("/"), create=False)
    if fd is None:
        return None
    try:
        try:
            file_fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if _is_link(fd, name):
                raise _refuse_link(rel, "on disk") from None
            raise ArchiveRefused(f"{rel} could not be read ({exc.strerror})") from None
        with os.fdopen(file_fd, encoding="utf-8") as fh:
            try:
                return fh.read()
            except UnicodeDecodeError:
                raise _not_text(rel) from None
    finally:
        os.close(fd)


def write_disk(root: Path, rel: str, text: str) -> None:
    """Replace root/rel with `text` whole (temp file, fsync, rename); never through a link."""
    folder, _, name = check_path(rel).rpartition("/")
    fd = _open_folder(root, folder.split("/"), create=True)
    assert fd is not None
    try:
        if _is_link(fd, name):
            raise _refuse_link(rel, "on disk")
        tmp = f".{name}.{os.getpid()}.tmp"
        file_fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=fd
        )
        try:
            with os.fdopen(file_fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)  # replaces the entry itself
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=fd)
            raise
        os.fsync(fd)
    finally:
        os.close(fd)
