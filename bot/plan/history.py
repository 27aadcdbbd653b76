"""Reading the plan's past from git: who changed what (`history`), the plan as it stood on a
day (`plan_at`). Shared by both stores; each says which revision is the plan's (`_head`: HEAD
in a work tree, the fetched tip in remote mode) and where the file sits in it (`_rel`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from bot.plan import codec
from bot.plan.commits import TRAILER, HistoryEntry, diff_plans, parse_trailers
from bot.plan.edits import Change
from bot.plan.model import Plan, PlanInvalid

if TYPE_CHECKING:
    from bot.plan.gitrepo import GitRepo


#: What each hand-edited commit changed, by (git dir, plan file, commit). A commit never
#: changes, so its diff is worked out once per process: `/batch status <batch>` reads the
#: whole log, and diffing every hand edit again (two `git show` and two plan parses each) made
#: a burst of status lines spawn git processes that starved the acks.
_DIFFS: dict[tuple[str, str, str], tuple[Change, ...]] = {}
_DIFFS_MAX = 4096


class PlanHistory:
    """The plan's history, read from the git log of the plan file."""

    path: Path

    @property
    def repo(self) -> GitRepo | None:
        raise NotImplementedError

    def _rel(self, repo: GitRepo) -> str:
        """The plan file's path inside its repository."""
        return repo.relative(self.path)

    def _head(self) -> str:
        """The revision whose history is the plan's (the remote store reads its fetched tip)."""
        return "HEAD"

    def history(
        self,
        batch_id: str | None = None,
        *,
        limit: int = 20,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        diff_by_hand: bool = True,
    ) -> list[HistoryEntry]:
        """Changes from the git log, newest first; hand edits are diffed to show what changed.

        `diff_by_hand=False` lists hand edits without their changes: diffing one means parsing
        the plan twice (≈ 0.4 s each for 1,000 batches), too dear for a year of history read
        only for the pace of progress (forecasts, the burn-up chart)."""
        repo = self.repo
        if repo is None:
            return []
        rel = self._rel(repo)
        # NUL separates fields and records: git never stores NUL in a commit message, while any
        # other control character can reach one (a value typed with \x1e broke the old parser).
        args = ["log", "-z", "--format=%H%x00%cI%x00%an%x00%ae%x00%s%x00%B"]
        if since:
            args.append(f"--since={since.astimezone(dt.UTC).isoformat()}")
        if until:
            args.append(f"--until={until.astimezone(dt.UTC).isoformat()}")
        if batch_id is None and limit:
            args.append(f"-n{limit}")
        proc = repo.run(*args, self._head(), "--", rel, check=False)
        if proc.returncode != 0:
            return []
        entries: list[HistoryEntry] = []
        fields = proc.stdout.split("\x00")
        for at in range(0, len(fields) - 5, 6):
            sha, when, name, email, subject, body = fields[at : at + 6]
            sha = sha.strip("\n")
            changes = parse_trailers(body)
            by_hand = not changes and TRAILER.strip() not in body
            if by_hand and diff_by_hand:
                changes = self._diff_commit(repo, rel, sha)
            if batch_id is not None and not any(c.target == batch_id for c in changes):
                continue
            if batch_id is not None:
                changes = [c for c in changes if c.target == batch_id]
            entries.append(
                HistoryEntry(
                    sha, dt.datetime.fromisoformat(when), name, email, subject, changes, by_hand
                )
            )
            if limit and len(entries) >= limit:
                break
        return entries

    def _diff_commit(self, repo: GitRepo, rel: str, sha: str) -> list[Change]:
        key = (str(repo.root), rel, sha)
        known = _DIFFS.get(key)  # one dict operation each: atomic, no lock to import
        if known is not None:
            return list(known)
        new = self._plan_at(repo, rel, sha)
        old = self._plan_at(repo, rel, f"{sha}~1")
        changes = diff_plans(old, new) if new is not None else []
        if len(_DIFFS) >= _DIFFS_MAX:
            _DIFFS.clear()  # bounded; rebuilt from git on demand
        _DIFFS[key] = tuple(changes)
        return changes

    def _plan_at(self, repo: GitRepo, rel: str, rev: str) -> Plan | None:
        proc = repo.run("show", f"{rev}:{rel}", check=False)
        if proc.returncode != 0:
            return None
        try:
            return codec.loads(proc.stdout, f"{rev}:{rel}", codec.is_json(self.path))
        except PlanInvalid:
            return None

    def plan_at(self, when: dt.datetime) -> Plan | None:
        """The plan as committed at `when` (None before the file existed)."""
        repo = self.repo
        if repo is None:
            return None
        rel = self._rel(repo)
        stamp = when.astimezone(dt.UTC).isoformat()
        sha = repo.run("rev-list", "-1", f"--before={stamp}", self._head(), "--", rel, check=False)
        if sha.returncode != 0 or not sha.stdout.strip():
            return None
        return self._plan_at(repo, rel, sha.stdout.strip())


__all__ = ["PlanHistory"]
