"""Shared fixtures: real git repositories in temp dirs, the shipped plan, the CLI.

Why the repositories are copied: a committed plan repository costs six git processes; it is
built once per test process (xdist worker) and `shutil.copytree`d into each test's tmp_path,
which is a real repository all the same (same objects, same history, same commit ids).

Why the CLI runs in this process by default: a `python -m bot` start costs 0.1–0.5 s of CPU,
and most CLI tests check what a command prints, returns and writes, not the interpreter's
start. `run_cli(..., process=True)` (or BATCHBOT_TEST_CLI=process for every call) runs a real
process, for tests whose subject is the process boundary (signals, start-up imports, `serve`).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

# This shell sets PYTHONDONTWRITEBYTECODE, so every worker rewrote and compiled every test
# module and helper again at each run (collection: 5.3 s of CPU per worker, 2.2 s cached).
# Test processes cache their bytecode (pytest's rewritten modules included); the processes
# the tests start keep the shell's setting and read what pytest_configure compiled.
sys.dont_write_bytecode = False

# Every repository the tests (and the servers they start) create gets no sample hooks,
# description or info/exclude: `git init` and `git clone` copy ~17 such files into each, some
# 9,000 of a run's 65,000 temporary files, each copied and deleted again. GIT_TEMPLATE_DIR is
# git's own switch; the template holds only an empty hooks/ (where fault tests put theirs).
_NO_TEMPLATE = Path(tempfile.gettempdir()) / "batchbot-tests-git-template"
(_NO_TEMPLATE / "hooks").mkdir(parents=True, exist_ok=True)
os.environ.setdefault("GIT_TEMPLATE_DIR", str(_NO_TEMPLATE))

# The suite's one departure from the product's defaults: no burn-up PNG in the weekly report's
# thread (BATCHBOT_REPORT_PNG). Each drawing is a matplotlib child process, ~0.5 s of CPU, and
# a hundred report runs drew one each; the tests of the PNG itself turn it back on
# (`BATCHBOT_REPORT_PNG=true pytest` turns it on everywhere).
SUITE_DEFAULTS = {"BATCHBOT_REPORT_PNG": os.environ.setdefault("BATCHBOT_REPORT_PNG", "false")}


def clean_env() -> dict[str, str]:
    """This environment without any Slack or batchbot setting (each test names its own), plus
    the suite's defaults: what a test hands a server or CLI process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATCHBOT_"))}
    return env | SUITE_DEFAULTS


ROOT = Path(__file__).resolve().parent.parent
SHIPPED_PLAN = ROOT / "plan" / "execution-plan.toml"
OLD_JSON = ROOT / "tests" / "data_old_plan.json"


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return proc.stdout


def without_package(tmp: Path, *names: str) -> str:
    """A PYTHONPATH on which the packages NAMES are absent, as when an optional extra
    (PyGithub, psycopg, matplotlib) is not installed: `import NAME` raises
    ModuleNotFoundError and `importlib.util.find_spec(NAME)` is None (a sitecustomize sets
    their sys.modules entries to None)."""
    folder = tmp / f"without-{'-'.join(names)}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in names)
    )
    return f"{folder}{os.pathsep}{ROOT}"


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Repo Owner")
    git(path, "config", "user.email", "owner@example.com")
    git(path, "config", "commit.gpgsign", "false")
    return path


def pytest_configure(config: pytest.Config) -> None:
    """Compile bot/ once, before any worker starts: this shell sets PYTHONDONTWRITEBYTECODE,
    so without it every `batchbot serve` and `python -m bot` a test starts compiles every
    module it imports from source again (about 0.1 s of CPU per process). Python still reads
    the .pyc files; they are rewritten only for modules that changed."""
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        import compileall

        compileall.compile_dir(ROOT / "bot", quiet=1)
        compileall.compile_dir(ROOT / "tests", quiet=1)  # the helpers, as imported
        _rewrite_tests_once(config)


def _rewrite_tests_once(config: pytest.Config) -> None:
    """Write pytest's assertion-rewritten bytecode of every test module, once, before the
    workers start: in a fresh clone each of the six workers rewrote and compiled all of them
    at the same moment (3.7 s of collection instead of 1.4 s, per worker). Uses pytest's own
    rewriter and cache format; on a pytest whose internals moved, workers rewrite as before."""
    try:
        from _pytest.assertion import rewrite

        state = config.stash[rewrite.assertstate_key]
    except (ImportError, AttributeError, KeyError):
        return
    for source in (ROOT / "tests").rglob("*.py"):
        if not (source.name.startswith("test_") or source.name == "conftest.py"):
            continue
        pyc = rewrite.get_cache_dir(source) / (source.name[:-3] + rewrite.PYC_TAIL)
        if rewrite._read_pyc(source, pyc) is not None:
            continue  # up to date
        with contextlib.suppress(Exception):  # a module that won't compile fails in its test
            rewrite.try_makedirs(pyc.parent)
            source_hash, code = rewrite._rewrite_test(source, config)
            rewrite._write_pyc(state, code, source_hash, pyc)


# The longest tests (tens of seconds each, measured with --durations), started first: xdist's
# worksteal gives each worker half the list and lets an idle one take from the other's tail,
# so a long test left to the end would keep one core busy while the other waits.
LONG_FIRST = (
    "tests/test_guides.py::test_install_then_the_heroku_guide",
    "tests/faults/test_ack_faults.py::test_acks_stay_fast_while_response_urls",
    "tests/faults/test_every_request_answered.py::test_sigterm_with_slow_replies_pending",
    "tests/e2e/test_remote_e2e.py::test_kill_9_during_a_push",
    "tests/e2e/test_slack_e2e.py::test_standups_that_cannot_be_stored",
    "tests/faults/test_every_request_answered.py::test_a_burst_of_a_thousand_commands",
    "tests/faults/test_read_fuzz.py::test_a_plan_that_validates_can_be_read",
    "tests/e2e/test_remote_e2e.py::test_forty_updates_over_two_instances",
    "tests/faults/test_http_fuzz.py::test_any_signed_slash_command_gets",
    "tests/test_standup_db_locked.py::test_a_dm_answer_with_the_database_locked",
    "tests/faults/test_command_fuzz.py::test_any_command_is_answered",
    "tests/test_github_metrics.py::test_a_slow_github_stops_at_the_deadline",
)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: three workers per core (at most eight more than the cores, for memory: a
    worker and its fork server are ~250 MB). Much of the suite waits (on a server's answer, a
    slow fake, a grace period, a child process), and the other workers run meanwhile. Two
    cores, quiet machine, same code: two workers per core 88-93 s (25 s of the cores idle),
    three 81-83 s (6 s idle), four 86 s; one per core had left 131 s idle earlier today."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    return min(3 * cores, cores + 8)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long tests first (dealt round-robin, one at the head of each worker's share, longest
    first), then the ones that start servers (e2e), then the rest; stable, so a module's tests
    stay together within each group."""

    def rank(item: pytest.Item) -> tuple[int, int]:
        for i, long in enumerate(LONG_FIRST):
            if item.nodeid.startswith(long):
                return 0, i
        return (1 if item.get_closest_marker("e2e") else 2), 0

    items.sort(key=rank)
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers < 2:
        return
    long = [item for item in items if rank(item)[0] == 0]
    rest = iter(items[len(long) :])
    dealt: list[pytest.Item] = []
    left = len(items)
    for worker in range(workers):  # xdist sends worker i the i-th contiguous share
        share = left // (workers - worker)
        left -= share
        mine = long[worker::workers]
        dealt += mine + list(itertools.islice(rest, max(0, share - len(mine))))
    items[:] = dealt + list(rest)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk honours HTTP(S)_PROXY and ignores NO_PROXY: loopback tests must not proxy."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


INITIAL_DATE = "2026-11-01T09:00:00+00:00"
_TEMPLATES: dict[tuple[str, str, str | None], Path] = {}


def committed_repo(
    dest: Path,
    plan_source: Path = SHIPPED_PLAN,
    message: str = "Initial plan",
    date: str | None = INITIAL_DATE,
) -> Path:
    """`dest`: a git repo whose one commit holds `plan_source` at plan/execution-plan.toml.

    Built once per test process for each (plan, message, date) and copied: the copy is the
    same repository (same commit ids) at a new path, at the price of a directory copy.
    """
    key = (str(plan_source), message, date)
    template = _TEMPLATES.get(key)
    if template is None or not template.exists():
        template = Path(tempfile.mkdtemp(prefix="batchbot-template-")) / "repo"
        init_repo(template)
        (template / "plan").mkdir()
        shutil.copy(plan_source, template / "plan" / "execution-plan.toml")
        git(template, "add", ".")
        dates = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None
        git(template, "commit", "-q", "-m", message, env=dates)
        _TEMPLATES[key] = template
    shutil.copytree(template, dest, symlinks=True)
    return dest


@pytest.fixture(scope="session", autouse=True)
def _drop_repo_templates() -> Iterator[None]:
    yield
    for template in _TEMPLATES.values():
        shutil.rmtree(template.parent, ignore_errors=True)


@pytest.fixture
def plan_repo(tmp_path: Path) -> Iterator[Path]:
    """A git repo holding a committed copy of the shipped plan at plan/execution-plan.toml."""
    yield committed_repo(tmp_path / "repo")


@pytest.fixture
def plan_file(plan_repo: Path) -> Path:
    return plan_repo / "plan" / "execution-plan.toml"


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
    process: bool = False,
    replace_env: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `batchbot ARGS` as a user's shell would: same environment (the test's plus `env`,
    without EXECUTION_PLAN_PATH), folder, stdin; stdout, stderr and the exit code back.

    In this process unless `process=True` (or BATCHBOT_TEST_CLI=process): `serve` (it installs
    signal handlers and runs until stopped) always gets a real process. `replace_env=True`:
    `env` is the whole environment instead of additions to this one.
    """
    full_env = {k: v for k, v in os.environ.items() if k != "EXECUTION_PLAN_PATH"}
    full_env.update(env or {})
    if replace_env:  # `env` is the whole environment, as subprocess.run(env=...) takes it
        full_env = dict(env or {})
    serving = "serve" in args and not {"-h", "--help"} & set(args)
    if process or serving or os.environ.get("BATCHBOT_TEST_CLI") == "process":
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=cwd or ROOT,
            capture_output=True,
            text=True,
            env=full_env,
            input=stdin,
            timeout=timeout,
        )
    return _run_cli_here(list(args), cwd or ROOT, full_env, stdin)


def _run_cli_here(
    args: list[str], cwd: Path, env: dict[str, str], stdin: str | None
) -> subprocess.CompletedProcess[str]:
    """`bot.cli.main(args)` with the process's environment, folder and streams swapped for the
    call and put back after (logging too: `jobs` points the root logger at its stderr)."""
    from bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    saved_levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    os.environ.clear()
    os.environ.update(env)
    try:
        os.chdir(cwd)
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            _swap_stdin(io.StringIO(stdin or "")),
        ):
            try:
                code = main(args)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:  # what a process would print before dying with 1
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        root.handlers[:], _ = saved_root
        root.setLevel(saved_root[1])
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
    return subprocess.CompletedProcess(["batchbot", *args], code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _swap_stdin(stream: io.StringIO) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = stream
    try:
        yield
    finally:
        sys.stdin = saved
