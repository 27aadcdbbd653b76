"""Two programs, each with its own GitHub: the real `batchbot jobs` process (run twice, and
twice at once against one database) posts each program's Friday report once, archives it in
its own folder and publishes it once — to its own repository, or, when both share one, as
its own issue told apart by the program's marker and label. Real parts: the fake Slack and
the fake GitHub on loopback (slack_sdk and PyGithub over HTTP), real git, real SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import clean_env, committed_repo, git
from tests.e2e.test_slack_e2e import SECRET, SHIPPED_PLAN, TOKEN, USERS, running, start_bot
from tests.fakegithub import FakeGitHub
from tests.fakeslack import FORM, FakeSlack, interactive_body, post_signed
from tests.github_week import TOKEN as GH_TOKEN
from tests.serveproc import Started, run_batchbot, start_batchbot

pytestmark = pytest.mark.e2e

AT = "2026-12-04T15:00:00+00:00"
WEEK = "2026-W49"
FIRST_REPO = "acme/shop"
BETA_REPO = "acme/beta"


def beta_team(repo: str, labels: str = "") -> str:
    return f"""
[team]
editors = ["U0BOB"]
leads = ["U0BOB"]
report_channel = "C0BETAREP"
github_repo = "{repo}"
{labels}
"""


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, team_id="T0TEAM", users=USERS) as f:
        yield f


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub({GH_TOKEN: {"issues:write"}}) as gh:
        gh.add_repo(FIRST_REPO)
        gh.add_repo(BETA_REPO)
        yield gh


def two_programs(tmp: Path, beta: str) -> Path:
    repo = committed_repo(tmp / "repo")
    shipped = (repo / "plan" / "execution-plan.toml").read_text()
    (repo / "plan" / "beta.toml").write_text(
        shipped.replace('name = "', 'name = "Beta: ', 1) + beta
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "the beta program")
    return repo


def cli_env(
    repo: Path, slack: FakeSlack, github: FakeGitHub, tmp: Path, **extra: str
) -> dict[str, str]:
    env = clean_env()
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": slack.url,
            "EXECUTION_PLAN_PATH": str(repo / "plan" / "execution-plan.toml"),
            "DATABASE_URL": f"sqlite:///{tmp / 'jobs.db'}",
            "BATCHBOT_REPORT_CHANNEL": "C0ALPHAREP",
            "BATCHBOT_GITHUB_TOKEN": GH_TOKEN,
            "BATCHBOT_GITHUB_REPO": FIRST_REPO,  # the first program's default only
            "BATCHBOT_GITHUB_API_URL": github.url,
            "BATCHBOT_GITHUB_AUTOPUBLISH": "true",
            **extra,
        }
    )
    return env


def jobs(
    repo: Path, slack: FakeSlack, github: FakeGitHub, tmp: Path, *args: str, **extra: str
) -> Started:
    return start_batchbot(["jobs", *args], cwd=tmp, env=cli_env(repo, slack, github, tmp, **extra))


def finish(proc: Started) -> tuple[int, str]:
    done = proc.finish(timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.returncode, done.stdout


def friday(repo: Path, slack: FakeSlack, github: FakeGitHub, tmp: Path, **extra: str) -> str:
    return finish(jobs(repo, slack, github, tmp, "run", "weekly-report", "--at", AT, **extra))[1]


def report_posts(slack: FakeSlack) -> list[str]:
    return sorted(
        c.args["channel"]
        for c in slack.calls_to("chat.postMessage")
        if c.args["channel"].endswith("REP")
    )


def issues(github: FakeGitHub, repo: str, program: str = "") -> list[dict[str, Any]]:
    # the first program's marker as it always was; a further program's names it
    mark = f"<!-- batchbot:weekly-report:{program + ':' if program else ''}{WEEK} -->"
    return [i for i in github.issues_in(repo) if i["body"].rstrip().endswith(mark)]


def test_each_program_publishes_its_report_to_its_own_repository_once_across_a_restart(
    tmp_path: Path, slack: FakeSlack, github: FakeGitHub
) -> None:
    repo = two_programs(tmp_path, beta_team(BETA_REPO))
    first = friday(repo, slack, github, tmp_path, BATCHBOT_REPORT_PNG="true")
    again = friday(repo, slack, github, tmp_path)  # a restart: a new process, same database
    assert report_posts(slack) == ["C0ALPHAREP", "C0BETAREP"]
    assert again.count("already posted") == 2 and "nothing posted" in again, again
    assert len(issues(github, FIRST_REPO)) == 1, first
    assert issues(github, FIRST_REPO, "beta") == []
    [beta] = issues(github, BETA_REPO, "beta")
    assert issues(github, BETA_REPO) == []
    assert beta["title"].startswith("Weekly Progress Report - beta - ")
    assert "Beta: " in beta["body"]
    assert len(github.calls_to("POST", r"/issues$")) == 2
    # every team's report is out before the slow part, the PNG charts, is drawn
    pngs = [c for c in slack.calls_to("files.getUploadURLExternal") if ".png" in str(c.args)]
    posted = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"].endswith("REP")]
    assert len(pngs) == 2 and max(c.time for c in posted) <= min(c.time for c in pngs)
    files = git(repo, "ls-files", "plan/reports").split()
    assert files == [f"plan/reports/{WEEK}.md", f"plan/reports/beta/{WEEK}.md"]


def test_two_programs_sharing_a_repository_get_one_issue_each_with_their_own_label(
    tmp_path: Path, slack: FakeSlack, github: FakeGitHub
) -> None:
    repo = two_programs(tmp_path, beta_team(FIRST_REPO, 'github_labels = ["beta-report"]'))
    friday(repo, slack, github, tmp_path)
    friday(repo, slack, github, tmp_path)
    [first] = issues(github, FIRST_REPO)
    [beta] = issues(github, FIRST_REPO, "beta")
    assert first["number"] != beta["number"]
    assert list(beta["labels"]) == ["beta-report"]
    assert list(first["labels"]) == ["weekly-report"]
    assert len(github.calls_to("POST", r"/issues$")) == 2


def test_two_instances_running_the_friday_job_at_once_still_post_and_publish_once_each(
    tmp_path: Path, slack: FakeSlack, github: FakeGitHub
) -> None:
    repo = two_programs(tmp_path, beta_team(FIRST_REPO, 'github_labels = ["beta-report"]'))
    finish(jobs(repo, slack, github, tmp_path, "list"))  # the database exists before the race
    racing = [jobs(repo, slack, github, tmp_path, "run", "weekly-report", "--at", AT)]
    racing.append(jobs(repo, slack, github, tmp_path, "run", "weekly-report", "--at", AT))
    outs = [finish(p)[1] for p in racing]
    assert report_posts(slack) == ["C0ALPHAREP", "C0BETAREP"], outs
    assert len(issues(github, FIRST_REPO)) == 1, outs
    assert len(issues(github, FIRST_REPO, "beta")) == 1, outs
    assert len(github.calls_to("POST", r"/issues$")) == 2


def test_a_program_without_a_repository_is_posted_but_not_published(
    tmp_path: Path, slack: FakeSlack, github: FakeGitHub
) -> None:
    repo = two_programs(tmp_path, beta_team(BETA_REPO).replace(f'github_repo = "{BETA_REPO}"', ""))
    out = friday(repo, slack, github, tmp_path)
    assert report_posts(slack) == ["C0ALPHAREP", "C0BETAREP"]
    assert len(issues(github, FIRST_REPO)) == 1
    assert issues(github, FIRST_REPO, "beta") == [] and issues(github, BETA_REPO, "beta") == []
    beta_post = next(
        c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "C0BETAREP"
    )
    assert "report_publish" not in str(beta_post.args["blocks"])  # no Publish button
    assert "beta: " in out and "metrics not collected" not in out.split("beta: ")[1], out
    listed = finish(jobs(repo, slack, github, tmp_path, "list"))[1]
    assert f"execution-plan: report to C0ALPHAREP; published to {FIRST_REPO}" in listed, listed
    assert "beta: report to C0BETAREP; not published: its plan names no GitHub repository" in (
        listed
    )
    checked = run_batchbot(["doctor"], cwd=tmp_path, env=cli_env(repo, slack, github, tmp_path))
    assert "beta's reports are posted but not published" in checked.stdout, checked.stdout


OLD_BLOCKER = """
[[blockers]]
batch = "batch-1"
text = "{text}"
raised = 2026-11-30
"""


def test_escalation_and_risk_review_reach_each_programs_own_leads_once(
    tmp_path: Path, slack: FakeSlack, github: FakeGitHub
) -> None:
    repo = two_programs(tmp_path, beta_team(BETA_REPO) + OLD_BLOCKER.format(text="Beta vendor"))
    first = repo / "plan" / "execution-plan.toml"
    first.write_text(first.read_text() + OLD_BLOCKER.format(text="Alpha vendor"))
    git(repo, "commit", "-qam", "a blocker in each program")
    env = {"BATCHBOT_ADMINS": "U0ALICE", "BATCHBOT_LEAD": "U0EVE"}

    def run(job: str, at: str) -> str:
        return finish(jobs(repo, slack, github, tmp_path, "run", job, "--at", at, **env))[1]

    def told() -> list[tuple[str, str]]:
        opened = [c.args["users"] for c in slack.calls_to("conversations.open")]
        texts = [c.args["text"] for c in slack.calls_to("chat.postMessage")]
        return sorted(zip(opened, texts, strict=True))

    run("blocker-escalation", "2026-12-04T12:00:00+00:00")
    again = run("blocker-escalation", "2026-12-04T12:15:00+00:00")
    escalated = told()
    assert [who for who, _ in escalated] == ["U0ALICE", "U0BOB"], again
    assert "Alpha vendor" in escalated[0][1] and "Beta vendor" in escalated[1][1]
    run("risk-review", "2026-12-04T15:00:00+00:00")
    run("risk-review", "2026-12-04T15:30:00+00:00")
    reviews = told()[2:]
    assert [who for who, _ in reviews] == ["U0BOB", "U0EVE"], told()


def click(url: str, slack: FakeSlack, action_id: str, post: Any, user: str) -> int:
    """A click on a draft's button, with the value the draft itself carries."""
    [actions] = [b for b in post.args["blocks"] if b.get("block_id") == "report_actions"]
    [button] = [e for e in actions["elements"] if e["action_id"] == action_id]
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM"},
        "user": {"id": user, "name": user.lower()},
        "api_app_id": "A0APP",
        "trigger_id": f"trig-{action_id}",
        "container": {
            "type": "message",
            "channel_id": post.response["channel"],
            "message_ts": post.response["ts"],
        },
        "channel": {"id": post.response["channel"]},
        "message": {"ts": post.response["ts"], "text": post.args["text"], "blocks": []},
        "response_url": slack.response_url(action_id),
        "actions": [{"action_id": action_id, "type": "button", "value": button["value"]}],
    }
    status, _, _ = post_signed(url, interactive_body(payload), SECRET, FORM)
    return status


def test_a_programs_draft_buttons_edit_and_publish_that_programs_report(
    tmp_path: Path, slack: FakeSlack, github: FakeGitHub
) -> None:
    shipped = SHIPPED_PLAN.read_text()
    beta = shipped.replace('name = "', 'name = "Beta: ', 1) + beta_team(BETA_REPO)
    env = cli_env(tmp_path, slack, github, tmp_path, BATCHBOT_GITHUB_AUTOPUBLISH="false")
    served = {k: v for k, v in env.items() if k.startswith("BATCHBOT_")}
    served["DATABASE_URL"] = env["DATABASE_URL"]
    with running(
        start_bot(tmp_path, slack, extra_env=served, extra_files={"plan/beta.toml": beta})
    ) as bot:
        env["EXECUTION_PLAN_PATH"] = str(bot.plan)
        job = run_batchbot(["jobs", "run", "weekly-report", "--at", AT], cwd=tmp_path, env=env)
        assert job.returncode == 0, job.stdout + job.stderr
        [post] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "C0BETAREP"]

        assert click(bot.url, slack, "report_edit", post, "U0BOB") == 200
        (opened,) = slack.wait_for("views.open", timeout=20)
        view = opened.args["view"]
        first = next(b for b in view["blocks"] if b["type"] == "input")
        assert "Beta: " in first["element"]["initial_value"]  # beta's archive, not the first's
        edited = first["element"]["initial_value"] + "\n\nEdited for beta."
        state = {first["block_id"]: {"text": {"type": "plain_text_input", "value": edited}}}
        submit = {
            "type": "view_submission",
            "team": {"id": "T0TEAM"},
            "user": {"id": "U0BOB", "name": "bob"},
            "api_app_id": "A0APP",
            "view": {**view, "state": {"values": state}},
        }
        status, _, _ = post_signed(bot.url, interactive_body(submit), SECRET, FORM)
        assert status == 200
        slack.wait_for("chat.postMessage", 3, timeout=20)  # the "saved" note in beta's thread
        assert "Edited for beta." in (bot.repo / "plan/reports/beta" / f"{WEEK}.md").read_text()

        assert click(bot.url, slack, "report_publish", post, "U0BOB") == 200
        slack.wait_for_response("report_publish", timeout=20)
        [issue] = issues(github, BETA_REPO, "beta")
        assert "Edited for beta." in issue["body"]
        assert issues(github, FIRST_REPO) == [] and issues(github, FIRST_REPO, "beta") == []


def test_the_cli_program_option_publishes_as_that_program_of_the_deployment(
    tmp_path: Path, slack: FakeSlack, github: FakeGitHub
) -> None:
    """`--program beta` is beta as the deployment knows it (its claims, marker, repository),
    not a first program of its own that would take the first program's issue or claim."""
    repo = two_programs(tmp_path, beta_team(FIRST_REPO, 'github_labels = ["beta-report"]'))
    env = cli_env(repo, slack, github, tmp_path, BATCHBOT_GITHUB_AUTOPUBLISH="false")

    def batchbot(*args: str) -> str:
        done = run_batchbot(list(args), cwd=tmp_path, env=env, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    only_beta = batchbot("--program", "beta", "jobs", "run", "weekly-report", "--at", AT)
    assert report_posts(slack) == ["C0BETAREP"], only_beta
    batchbot("jobs", "run", "weekly-report", "--at", AT)  # the first program's is still due
    assert report_posts(slack) == ["C0ALPHAREP", "C0BETAREP"]
    batchbot("--program", "beta", "report", "publish", "--week", WEEK)
    assert issues(github, FIRST_REPO) == []  # beta's publish is not the first program's
    [beta] = issues(github, FIRST_REPO, "beta")
    said = batchbot("report", "publish", "--week", WEEK)
    [first] = issues(github, FIRST_REPO)
    assert first["number"] != beta["number"] and "published" in said
