"""Keep the server's folders out of what Slack shows.

Errors name files so a person can act (`plan/execution-plan.toml is not valid`), but in a
workspace the server's layout (`/srv/app/releases/42/…`, a home folder, a temp dir) is noise
at best and a map for an attacker at worst. The CLI and the shell run on the person's own
machine and keep full paths; the Slack edge passes every error text through `public_text`:
a path inside the plan's git repository becomes relative to it, any other absolute path
shrinks to its file name.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from bot.replies import ChangeView, ErrorView, Reply

# An absolute path of two or more parts, not inside a URL (`https://host/a/b`), a date
# (`2026/11/26`) or a word (`and/or`); `/batch help` (one part) is left alone.
_ABSOLUTE = re.compile(r"(?<![\w.~:/-])/(?:[^\s/'\"`:,;()<>|]+/)+([^\s/'\"`:,;()<>|]+)")


@dataclasses.dataclass(frozen=True)
class PathScrubber:
    """Rewrites text for Slack; `roots` are folders whose paths are shown relative to them."""

    roots: tuple[str, ...]

    @staticmethod
    def for_plan(plan_path: Path, repo_root: Path | None) -> PathScrubber:
        folder = repo_root if repo_root is not None else plan_path.parent
        roots = {str(folder), str(folder.resolve())}
        return PathScrubber(tuple(sorted(roots, key=len, reverse=True)))

    def text(self, text: str) -> str:
        for root in self.roots:
            if root and root != "/":
                text = text.replace(root.rstrip("/") + "/", "")
        return _ABSOLUTE.sub(lambda m: m.group(1), text)

    def reply(self, reply: Reply) -> Reply:
        """The same reply with error texts and change warnings scrubbed."""
        view = reply.view
        if isinstance(view, ErrorView):
            view = ErrorView(self.text(view.message), self.text(view.hint))
        elif isinstance(view, ChangeView) and view.warning:
            view = dataclasses.replace(view, warning=self.text(view.warning))
        else:
            return reply
        return dataclasses.replace(reply, view=view)
