"""Size of an install, measured as a new user makes one.

Why: what `pip install` pulls in is paid on every laptop, image and dyno, and a dependency
nobody uses is still downloaded, unpacked and byte-compiled (issue 20: a plain install
≤ 130 MB).

What it does, in a temp folder: `git clone` of this repository's committed HEAD (what a new
user gets, nothing uncommitted), `python3 -m venv`, `pip install ./clone[EXTRAS]`, then
`du -sb` of the whole venv (pip and setuptools included: they come with every venv) and
each installed distribution's size from its RECORD, biggest first.

    python bench/bench_install.py                       # the plain install
    python bench/bench_install.py --extras postgres,github   # what `batchbot init` pins
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_MB = 130.0

# Run inside the new venv: (size in bytes, name) of every distribution, from its RECORD.
SIZES = """
import importlib.metadata as md, os
for d in md.distributions():
    size = 0
    for f in d.files or []:
        try:
            size += os.path.getsize(f.locate())
        except OSError:
            pass
    print(size, d.metadata["Name"])
"""


def du(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--extras", default="", help="comma-separated extras, e.g. postgres,github")
    ap.add_argument("--python", default="python3", help="the interpreter that makes the venv")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-install-"))
    try:
        clone, venv = tmp / "batchbot", tmp / "venv"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        head = subprocess.run(
            ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        subprocess.run([args.python, "-m", "venv", str(venv)], check=True)
        empty = du(venv)
        target = f"{clone}[{args.extras}]" if args.extras else str(clone)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        started = time.monotonic()
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "--no-cache-dir", target],
            check=True,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        took = time.monotonic() - started
        total = du(venv)
        rows = subprocess.run(
            [str(venv / "bin" / "python"), "-c", SIZES],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp,  # not a checkout: its batchbot.egg-info would be listed too
        ).stdout.splitlines()
        sizes = sorted(((int(s), n) for s, n in (r.split(" ", 1) for r in rows)), reverse=True)
        shown = f"pip install ./batchbot{f'[{args.extras}]' if args.extras else ''}"
        print(f"{shown} (commit {head}), fresh venv of {args.python}: {took:.0f} s")
        for size, name in sizes:
            print(f"  {size / 1e6:7.2f} MB  {name}")
        plain = "" if args.extras else f" (goal <= {GOAL_MB:.0f} MB: "
        plain += "" if args.extras else ("ok)" if total / 1e6 <= GOAL_MB else "MISSED)")
        print(
            f"venv total (du -sb): {total / 1e6:.1f} MB{plain}, {len(sizes)} distributions; "
            f"the empty venv (pip, setuptools) is {empty / 1e6:.1f} MB of it"
        )
        return 0 if args.extras or total / 1e6 <= GOAL_MB else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
