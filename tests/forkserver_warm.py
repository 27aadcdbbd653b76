"""Imported once in each test worker's fork server (tests/serveproc.py), never by a test:
every module a forked `batchbot` might load, then the heap frozen.

Why all of bot/: a server forked with only its start-up modules imported still loaded ~80
more (listeners, renderers, jobs) on the way to /healthz, ~65 ms of each start's ~290 ms of
CPU. Why `gc.freeze()`: the server's own `gc.collect(); gc.freeze()` at start (bot.slack.server
`_settle`) would otherwise walk every object the fork server imported, in every child.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import pkgutil

import bot

for _module in pkgutil.walk_packages(bot.__path__, "bot."):
    if _module.name.startswith("bot.migrations.") or _module.name.endswith("__main__"):
        continue  # Alembic runs the migrations from their files; __main__ runs the CLI
    with contextlib.suppress(Exception):  # an optional extra not here: loaded when used
        importlib.import_module(_module.name)
for _name in ("alembic.command", "alembic.runtime.migration", "slack_sdk.socket_mode.builtin"):
    importlib.import_module(_name)

gc.collect()
gc.freeze()
