"""Layers a test enforces: what a module may import from where it sits, read from the source.

Every `import` in every module under `bot/` is read with `ast` — at module level, inside
functions, and under `if TYPE_CHECKING:` — and checked against the layer map below. A
newcomer reads LAYERS to learn what a module may import; this test says where a change
breaks it, one line per import: `module:line imports X (layer Y may not)`.

TYPE_CHECKING imports: a first-party module may be imported there for type names (nothing
runs, no start-up cost), but a forbidden third-party library may not (a core that names
`sqlalchemy` or `slack_sdk` types is coupled to them).

Cycles count every import: module level, inside functions and under TYPE_CHECKING. A cycle
hidden in a function or a type-only import still ties two modules together (neither can be
understood, tested or moved without the other), and it is how cycles came back unnoticed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

SLACK_AND_SERVER = ("slack_bolt", "slack_sdk", "waitress")
EDGES = (
    "bot.cli",
    "bot.shell",
    "bot.jobs",
    "bot.runtime",
    "bot.slack",
    "bot.__main__",
    "bot.doctor",
)

# layer → what no module in it may import (a name forbids itself and everything below it).
RULES: dict[str, tuple[str, ...]] = {
    # The plan, the /batch grammar, report building, rendering, replies, standup rules: plain
    # values in, plain values out. Nothing from Slack, the scheduler, the database, settings,
    # nor anything above it (the edges and the composition root).
    "core": (
        *SLACK_AND_SERVER,
        "apscheduler",
        "sqlalchemy",
        "pydantic_settings",
        "bot.db",
        "bot.settings",
        *EDGES,
    ),
    # Things with side effects the core is handed (database, console messenger, settings,
    # logging, the .env reader, `init`, the webhook signature check): no Slack, no scheduler,
    # no edges.
    "adapters": (*SLACK_AND_SERVER, "apscheduler", *EDGES),
    # Work that ties core and adapters together (standup prompts and answers, the Friday job):
    # no Slack, no scheduler, no edges; settings arrive as values, and the /batch grammar
    # (bot.commands) sits above them and calls them through a Protocol, not the reverse.
    "services": (*SLACK_AND_SERVER, "apscheduler", "bot.commands", "bot.settings", *EDGES),
    # The edges and the composition root: anything, as long as there is no cycle.
    "edges": (),
}

# module (or package prefix) → layer; the longest matching name wins.
LAYERS: dict[str, str] = {
    "bot": "core",  # bot/__init__.py, and any module not named below: the strictest layer
    "bot.plan": "core",
    "bot.commands": "core",
    "bot.report": "core",  # report building
    "bot.render": "core",
    "bot.replies": "core",
    "bot.jobresult": "core",
    "bot.standup.sentences": "core",
    "bot.standup.schedule": "core",
    "bot.standup": "services",
    "bot.people": "core",  # the Names port and the text rules: plain values
    "bot.people.directory": "services",  # the users cache and the chat system's lookup
    "bot.people.offline": "services",  # the CLI's names: the cache (no Slack), the plan's list
    "bot.report.job": "services",
    "bot.report.cadence": "services",
    "bot.report.lead_jobs": "services",
    "bot.db": "adapters",
    "bot.migrations": "adapters",
    "bot.messenger": "adapters",
    "bot.settings": "adapters",
    "bot.logs": "adapters",
    "bot.localenv": "adapters",
    "bot.starter": "adapters",
    "bot.webhook": "adapters",
    "bot.writeturns": "adapters",  # the write-turn queue in the shared database
    "bot.github": "adapters",  # PyGithub; its service joins the client to the claims
    "bot.cli": "edges",
    "bot.__main__": "edges",
    "bot.shell": "edges",
    "bot.jobs": "edges",
    "bot.runtime": "edges",
    "bot.slack": "edges",
    "bot.doctor": "edges",  # `batchbot doctor` asks git, the database and Slack directly
}

# Known violations in code being rewritten elsewhere, each with its reason. Shrink it: an
# entry that is no longer needed fails the test, so it cannot outlive its reason.
ALLOWED: dict[tuple[str, str], str] = {}

# Known import cycles being broken elsewhere, each with its reason; the same rule: an entry
# no longer needed fails the test.
ALLOWED_CYCLES: dict[tuple[str, ...], str] = {}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (or the package a name was taken from)
    line: int
    runs_at_import: bool  # module level and not under TYPE_CHECKING
    type_only: bool  # under `if TYPE_CHECKING:`


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(
    module: str, source: str, known: Iterable[str] = (), is_package: bool = False
) -> list[Import]:
    """Every import in `source`, resolved to module names (relative ones included)."""
    known = set(known)
    found: list[Import] = []

    def visit(node: ast.AST, top: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit_stmt(stmt, top, True)
                for stmt in child.orelse:
                    visit_stmt(stmt, top, type_only)
                continue
            visit_stmt(child, top, type_only)

    def visit_stmt(node: ast.AST, top: bool, type_only: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno, top, type_only)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}".strip(".")
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                add(sub if sub in known else base, node.lineno, top, type_only)
        else:
            inner = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(node, top and not inner, type_only)

    def add(target: str, line: int, top: bool, type_only: bool) -> None:
        found.append(Import(module, target, line, top and not type_only, type_only))

    visit(ast.parse(source), True, False)
    return found


def layer_of(module: str) -> str:
    best = max((name for name in LAYERS if _covers(name, module)), key=len)
    return LAYERS[best]


def _covers(forbidden: str, target: str) -> bool:
    return target == forbidden or target.startswith(forbidden + ".")


def violations(sources: Mapping[str, str], packages: Iterable[str] = ()) -> list[str]:
    """`module:line imports X (layer Y may not)` for every import a layer forbids."""
    known = set(sources)
    packages = set(packages)
    problems: list[str] = []
    for module, source in sorted(sources.items()):
        layer = layer_of(module)
        for imp in imports_of(module, source, known, module in packages):
            for forbidden in RULES[layer]:
                if not _covers(forbidden, imp.target) or _covers(forbidden, module):
                    continue
                if imp.type_only and forbidden.startswith("bot"):
                    continue  # type names from a first-party module: allowed (see above)
                if (module, forbidden) in ALLOWED:
                    continue
                problems.append(f"{module}:{imp.line} imports {imp.target} (layer {layer} may not)")
    return problems


def cycles(sources: Mapping[str, str], packages: Iterable[str] = ()) -> list[list[str]]:
    """Import cycles among first-party modules, counting every import (module level, in a
    function, under TYPE_CHECKING)."""
    known = set(sources)
    packages = set(packages)
    graph: dict[str, set[str]] = {m: set() for m in sources}
    for module, source in sources.items():
        for imp in imports_of(module, source, known, module in packages):
            if imp.target in known and imp.target != module:
                graph[module].add(imp.target)
    # Tarjan's strongly connected components.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def _bot_sources() -> tuple[dict[str, str], set[str]]:
    sources: dict[str, str] = {}
    packages: set[str] = set()
    for path in sorted((ROOT / "bot").rglob("*.py")):
        name = module_name(path, ROOT)
        sources[name] = path.read_text(encoding="utf-8")
        if path.name == "__init__.py":
            packages.add(name)
    return sources, packages


# -- the specs ---------------------------------------------------------------------------------


def test_every_import_in_bot_keeps_to_its_layer() -> None:
    sources, packages = _bot_sources()
    problems = violations(sources, packages)
    assert not problems, "imports across layers:\n" + "\n".join(problems)


def test_no_import_cycles_between_modules() -> None:
    sources, packages = _bot_sources()
    found = [c for c in cycles(sources, packages) if tuple(c) not in ALLOWED_CYCLES]
    assert not found, "import cycles:\n" + "\n".join(" → ".join(c) for c in found)


def test_every_allowed_cycle_is_still_there() -> None:
    sources, packages = _bot_sources()
    stale = sorted(set(ALLOWED_CYCLES) - {tuple(c) for c in cycles(sources, packages)})
    assert not stale, f"these cycles are gone; delete them from ALLOWED_CYCLES: {stale}"


def test_every_allowed_exception_is_still_needed() -> None:
    sources, packages = _bot_sources()
    still = set()
    for module, source in sources.items():
        for imp in imports_of(module, source, set(sources), module in packages):
            for key in ALLOWED:
                if key[0] == module and _covers(key[1], imp.target):
                    still.add(key)
    stale = sorted(set(ALLOWED) - still)
    assert not stale, f"these no longer happen; delete them from ALLOWED: {stale}"


def test_a_forbidden_import_inside_a_function_is_found() -> None:
    source = "import datetime\n\ndef f():\n    import sqlalchemy\n    from bot.slack import app\n"
    assert violations({"bot.commands.fake": source}) == [
        "bot.commands.fake:4 imports sqlalchemy (layer core may not)",
        "bot.commands.fake:5 imports bot.slack (layer core may not)",
    ]


def test_type_checking_allows_first_party_type_names_but_not_forbidden_libraries() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from bot.db import StandupRecord\n"
        "    from slack_sdk import WebClient\n"
    )
    assert violations({"bot.render.fake": source}) == [
        "bot.render.fake:4 imports slack_sdk (layer core may not)"
    ]


def test_settings_and_database_are_forbidden_in_the_core_at_any_depth() -> None:
    source = "class A:\n    def m(self):\n        import bot.settings\n        import bot.db.x\n"
    assert violations({"bot.plan.fake": source}) == [
        "bot.plan.fake:3 imports bot.settings (layer core may not)",
        "bot.plan.fake:4 imports bot.db.x (layer core may not)",
    ]


def test_a_module_not_in_the_map_is_held_to_the_core_rules() -> None:
    assert violations({"bot.newthing": "import apscheduler\n"}) == [
        "bot.newthing:1 imports apscheduler (layer core may not)"
    ]


def test_a_cycle_is_found_at_module_level() -> None:
    sources = {
        "bot.a": "import bot.b\n",
        "bot.b": "from bot import c\n",
        "bot.c": "from bot.a import thing\n",
    }
    assert cycles(sources, packages={"bot"}) == [["bot.a", "bot.b", "bot.c"]]


def test_a_cycle_through_a_function_or_type_checking_import_is_found_too() -> None:
    sources = {
        "bot.d": "import bot.e\n",
        "bot.e": "def f():\n    import bot.d\n",
        "bot.f": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.g import G\n",
        "bot.g": "import bot.f\n",
        "bot.h": "import bot.i\n",
        "bot.i": "import datetime\n",
    }
    assert cycles(sources, packages={"bot"}) == [["bot.d", "bot.e"], ["bot.f", "bot.g"]]


def test_relative_imports_are_resolved() -> None:
    source = "from ..db import Database\nfrom . import model\n"
    imps = imports_of("bot.plan.store", source, {"bot.plan.model"})
    assert [i.target for i in imps] == ["bot.db", "bot.plan.model"]


STORE_MODULES = {
    f"bot.plan.{name}"
    for name in ("store", "remote", "writequeue", "clone", "worktree", "history", "commits")
}


def test_the_plan_stores_are_in_no_cycle_even_through_lazy_or_type_checking_imports() -> None:
    """A cycle is a cycle whether Python meets it at import time or later (issue 20): for the
    plan's stores every import counts — in functions and under TYPE_CHECKING too (it was
    `plan/store ↔ plan/writequeue`)."""
    sources, packages = _bot_sources()
    plan = {m: s for m, s in sources.items() if m.startswith("bot.plan")}
    known = set(plan)
    every = {
        m: "".join(
            f"import {i.target}\n"
            for i in imports_of(m, s, known, m in packages)
            if i.target in known and i.target != m
        )
        for m, s in plan.items()
    }
    found = [c for c in cycles(every, packages) if STORE_MODULES & set(c)]
    assert not found, "import cycles in bot.plan:\n" + "\n".join(" → ".join(c) for c in found)
