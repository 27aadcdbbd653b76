"""The README's install and deploy guides, run as written, so they cannot rot.

Every fenced block tagged ```` ```bash test ```` in README.md is run by bash (`set -eo
pipefail`) exactly as printed, with only these replaced: the git host batchbot is cloned from
and the plan repository's URL (local bare repositories stand in for them), the token (a
dummy), and, in the systemd guide, the two install folders (`/opt/batchbot/venv` → a virtual
environment here, `/srv/batchbot` → a temporary folder). Each block starts where the guide
says: in the folder where *Install it* ran, with its virtual environment active.

What no test can run here (the Heroku CLI and account, `systemctl` without systemd as PID 1)
is left in untagged blocks; for Heroku, the test builds the folder `batchbot init` made the
way the Python buildpack does — the version from `.python-version`, `pip install -r
requirements.txt`, the `Procfile`'s `web:` line with `$PORT`, no `.git` in the slug — and
waits for `/healthz`, against the fake Slack.

The install block clones the repository's committed HEAD, as a new user would: run it after
committing what you want tested.

pip runs offline, from a wheelhouse made once per session (`wheelhouse`): the wheels of the
packages this test run already has installed (batchbot's dependencies, repacked from this
virtual environment) plus setuptools for the build. The commands stay as printed; pip reads
PIP_NO_INDEX and PIP_FIND_LINKS from the environment, as it would from a pip.conf. Searching
the package index for ~45 packages cost about half of the guide's 18 s of CPU; batchbot itself
is still built from the cloned source, twice, as the guides say.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fakeslack import FakeSlack

README = ROOT / "README.md"
TAGGED = re.compile(r"^```bash test\n(.*?)^```", re.M | re.S)
TOKEN = "xoxb-guide-token"


def tagged_blocks() -> list[str]:
    return TAGGED.findall(README.read_text(encoding="utf-8"))


def block(first_words: str) -> str:
    """The tagged block whose first command starts with `first_words`."""
    found = [b for b in tagged_blocks() if b.lstrip().startswith(first_words)]
    assert len(found) == 1, (
        f"README.md has {len(found)} `bash test` blocks starting {first_words!r}"
    )
    return found[0]


def substitute(code: str, replace: Mapping[str, str]) -> str:
    for old, new in replace.items():
        assert old in code, f"the guide no longer says {old!r}; update tests/test_guides.py"
        code = code.replace(old, new)
    return code


def clean_env(home: Path) -> dict[str, str]:
    """A new user's shell: none of this test run's settings, venv or git identity."""
    venv_bin = str(Path(sys.executable).parent)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BATCHBOT_", "GIT_", "PYTHON"))
        and k not in ("DATABASE_URL", "EXECUTION_PLAN_PATH", "VIRTUAL_ENV", "PORT")
    }
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != venv_bin)
    env["HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    return env


def with_venv(env: Mapping[str, str], venv: Path) -> dict[str, str]:
    """What `. .venv/bin/activate` leaves behind for the next block."""
    return {**env, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}"}


def run(code: str, cwd: Path, env: Mapping[str, str], timeout: float = 600) -> str:
    proc = subprocess.run(
        ["bash", "-c", "set -eo pipefail\n" + code],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{code}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def _closure(name: str, extras: set[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions `name[extras]` needs, by normalised name (batchbot
    itself included); empty when one is missing here."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, metadata.Distribution] = {}
    todo = [(name, extras)]
    while todo:
        wanted, wanted_extras = todo.pop()
        try:
            dist = metadata.distribution(wanted)
        except metadata.PackageNotFoundError:
            return {}
        found[canonicalize_name(wanted)] = dist
        for line in dist.requires or []:
            req = Requirement(line)
            envs = [{"extra": e} for e in wanted_extras] or [{"extra": ""}]
            if req.marker is not None and not any(req.marker.evaluate(e) for e in envs):
                continue
            if canonicalize_name(req.name) not in found:
                todo.append((req.name, set(req.extras)))
    return found


def _repack(dist: metadata.Distribution, into: Path) -> None:
    """An installed distribution back into a wheel (stored, not compressed: built for one
    install on this machine). pip writes its own RECORD, INSTALLER and scripts."""
    files = dist.files or []
    info = next(p for p in files if p.name == "WHEEL" and p.parent.name.endswith(".dist-info"))
    lines = dist.locate_file(info).read_text().splitlines()
    tags = [x.split(":", 1)[1].strip().split("-") for x in lines if x.startswith("Tag:")]
    tag = "-".join(".".join(dict.fromkeys(t[i] for t in tags)) for i in range(3))
    stem = f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}"
    skip = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    names = []
    with zipfile.ZipFile(into / f"{stem}-{tag}.whl", "w", zipfile.ZIP_STORED) as whl:
        for path in files:
            parts = path.parts
            if parts[0] == ".." or "__pycache__" in parts or path.suffix == ".pyc":
                continue
            if parts[0] == info.parent.name and path.name in skip:
                continue
            whl.write(Path(str(dist.locate_file(path))), str(path))
            names.append(str(path))
        record = f"{info.parent.name}/RECORD"
        whl.writestr(record, "".join(f"{n},,\n" for n in [*names, record]))


def _extras_the_guides_install() -> set[str]:
    """Every extra a tested block or `batchbot init`'s requirements.txt names (`github` came
    in with the lean install: a wheelhouse without PyGithub failed the Heroku guide in CI)."""
    from bot.starter import PINNED_EXTRAS

    named = [PINNED_EXTRAS, *tagged_blocks()]
    return {e for text in named for m in EXTRAS.finditer(text) for e in m[1].split(",")}


EXTRAS = re.compile(r"batchbot\[([\w,]+)\]")


@pytest.fixture(scope="session")
def pip_offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """What pip needs to install the guides' requirements without an index (see above);
    {} (pip as configured) when this environment lacks one of them."""
    needed = _closure("batchbot", _extras_the_guides_install())
    needed.pop("batchbot", None)
    if not needed:
        yield {}
        return
    house = tmp_path_factory.mktemp("wheelhouse")
    try:
        for dist in needed.values():
            _repack(dist, house)
    except (OSError, StopIteration, KeyError):  # installed without a RECORD or WHEEL file
        yield {}
        return
    build = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(house)]
        + tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"],
        capture_output=True,
        text=True,
    )
    yield {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(house)} if build.returncode == 0 else {}


def test_the_readme_never_tells_people_to_pip_install_batchbot_from_the_index() -> None:
    text = README.read_text(encoding="utf-8")
    from_index = re.compile(r"pip install ['\"]?batchbot(\[[\w,]+\])?['\"]?(?!\S| @)")
    said = [x for x in text.splitlines() if from_index.search(x) and "finds nothing" not in x]
    assert said == []


def test_the_guides_have_their_tested_blocks() -> None:
    firsts = sorted(b.split()[0] for b in tagged_blocks())
    assert firsts == ["/opt/batchbot/venv/bin/batchbot", "batchbot", "git"], firsts


def test_the_systemd_guide_runs_as_written(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here (apt-get install systemd)")
    venv = Path(sys.executable).parent.parent  # this test run's own install of batchbot
    srv = tmp_path / "srv"
    srv.mkdir()
    code = substitute(
        block("/opt/batchbot/venv/bin/batchbot init"),
        {"/opt/batchbot/venv": str(venv), "/srv/batchbot": str(srv)},
    )
    env = clean_env(tmp_path / "home")
    run(code, tmp_path, env)
    unit = (srv / "plan" / "deploy" / "batchbot.service").read_text()
    assert f"WorkingDirectory={srv / 'plan'}\n" in unit
    assert f"ExecStart={venv / 'bin' / 'batchbot'} serve\n" in unit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(port: int, proc: subprocess.Popen[str], log: Path) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return dict(json.loads(r.read()))
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(
                    f"the dyno exited {proc.returncode}:\n{log.read_text()}"
                ) from None
            if time.monotonic() > deadline:
                raise AssertionError(f"no /healthz within 60 s:\n{log.read_text()}") from None
            time.sleep(0.2)


@pytest.mark.e2e
def test_install_then_the_heroku_guide_as_written_gives_a_dyno_that_starts(
    tmp_path: Path, pip_offline: dict[str, str]
) -> None:
    host = tmp_path / "host"
    hosted = host / "batchbot.git"  # where the team hosts batchbot
    delivery = host / "delivery.git"  # the team's plan repository, new and empty
    subprocess.run(["git", "clone", "-q", "--bare", str(ROOT), str(hosted)], check=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(delivery)], check=True)
    env = {**clean_env(tmp_path / "home"), **pip_offline}
    work = tmp_path / "work"
    work.mkdir()

    # *Install it*, as written.
    install = substitute(block("git clone"), {"https://YOUR-GIT-HOST/batchbot.git": str(hosted)})
    shown = run(install, work, env)
    assert "| Batch |" in shown and "overdue" not in shown
    env = with_venv(env, work / ".venv")

    # *Deploy → Heroku*: the app's folder, and the plan repository's first commit.
    heroku = substitute(
        block("batchbot init my-bot"),
        {"https://github.com/acme/delivery.git": str(delivery), "github_pat_…": "github_pat_x"},
    )
    run(heroku, work, env)
    app = work / "my-bot"
    seeded = subprocess.run(
        ["git", "--git-dir", str(delivery), "ls-tree", "-r", "--name-only", "main"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert seeded.stdout.split() == ["plan/execution-plan.toml"]

    # What `git push heroku main` builds: no .git in the slug.
    slug = tmp_path / "slug"
    shutil.copytree(app, slug, ignore=shutil.ignore_patterns(".git"))
    version = (slug / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.\d+", version) and version >= "3.11"
    run("pip install -q -r requirements.txt", slug, env)
    (web,) = [
        x[4:].strip() for x in (slug / "Procfile").read_text().splitlines() if x[:4] == "web:"
    ]
    port = free_port()
    with FakeSlack(token=TOKEN, team_id="T0GUIDE") as fake:
        dyno = {
            **env,
            "PORT": str(port),
            "BATCHBOT_HOST": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'dyno.db'}",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": "guide-secret",
            "SLACK_API_URL": fake.url,
            "BATCHBOT_GIT_URL": str(delivery),
            "BATCHBOT_GIT_TOKEN": "github_pat_x",
            "BATCHBOT_WORKDIR": str(tmp_path / "dyno-cache"),
            "BATCHBOT_SCHEDULER": "false",
        }
        log = tmp_path / "dyno.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                ["bash", "-c", f"exec {web}"],
                cwd=slug,
                env=dyno,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        try:
            health = wait_healthy(port, proc, log)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    assert health["ok"] is True and health["team"] == "T0GUIDE", health
    assert health.get("plan_sha"), health
    assert proc.returncode == 0, log.read_text()
