"""Settings: one object, built once at start from the environment (and `.env`), passed down.

Secrets live only in the environment and are `SecretStr`, so they never print in a repr or a
log line. Everything is checked at once: a bad start lists every missing or malformed setting.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.redact import cleartext_refusal
from bot.slackids import is_user_id

if TYPE_CHECKING:
    from bot.plan.team import TeamSettings

CsvList = Annotated[tuple[str, ...], NoDecode]


def _csv(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def _clock_time(value: Any, name: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(value))
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"{name} must be HH:MM (24-hour), got {value!r}")
    return dt.time(int(m.group(1)), int(m.group(2)))


DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,  # code (shell --demo, tests) may pass field names
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    execution_plan_path: Path = Path("plan/execution-plan.toml")
    port: int = Field(default=3000, ge=1, le=65535)
    host: str = Field(default="0.0.0.0", validation_alias="BATCHBOT_HOST")
    server_threads: int = Field(default=8, ge=1, le=64, validation_alias="BATCHBOT_THREADS")

    editors: CsvList = Field(default=(), validation_alias="BATCHBOT_EDITORS")
    admins: CsvList = Field(default=(), validation_alias="BATCHBOT_ADMINS")
    git_push: bool = Field(default=False, validation_alias="BATCHBOT_GIT_PUSH")
    git_remote: str = Field(default="origin", validation_alias="BATCHBOT_GIT_REMOTE")
    # Remote mode: the plan lives in the team's repository; the bot's clone is only a cache.
    #: Let a token travel over plain http:// to a host other than this machine (bot/redact.py).
    #: Declared before the URLs and tokens: their checks read it.
    allow_insecure_http: bool = Field(
        default=False, validation_alias="BATCHBOT_ALLOW_INSECURE_HTTP"
    )
    git_url: str | None = Field(default=None, validation_alias="BATCHBOT_GIT_URL")
    git_branch: str | None = Field(default=None, validation_alias="BATCHBOT_GIT_BRANCH")
    plan_file: str = Field(
        default="plan/execution-plan.toml", validation_alias="BATCHBOT_PLAN_FILE"
    )
    git_token: SecretStr | None = Field(default=None, validation_alias="BATCHBOT_GIT_TOKEN")
    workdir: Path | None = Field(default=None, validation_alias="BATCHBOT_WORKDIR")
    sync_seconds: float = Field(
        default=30, ge=0.1, le=24 * 3600, validation_alias="BATCHBOT_SYNC_SECONDS"
    )
    github_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="BATCHBOT_GITHUB_WEBHOOK_SECRET"
    )
    #: Commands waiting for a worker before new ones are answered "busy": sized so that a
    #: burst any team can make (1,000 commands at once) is absorbed; see README, Load.
    queue_size: int = Field(default=5000, ge=1, le=100_000, validation_alias="BATCHBOT_QUEUE_SIZE")
    #: Threads that run commands (parse, git, render). Few: the work is CPU under one GIL,
    #: and every extra runnable thread makes the acknowledgements wait longer for it.
    work_threads: int = Field(default=8, ge=1, le=64, validation_alias="BATCHBOT_WORK_THREADS")
    #: From SIGTERM to exit, at most: acknowledged commands finish first, replies get what is
    #: left, and what was not sent by then is logged. Hosts kill at 30 s (Heroku, Kubernetes).
    shutdown_seconds: float = Field(
        default=10, ge=1, le=300, validation_alias="BATCHBOT_SHUTDOWN_SECONDS"
    )

    database_url: str = "sqlite:///batchbot.db"
    team: CsvList = Field(default=(), validation_alias="BATCHBOT_TEAM")
    team_channel: str | None = Field(default=None, validation_alias="BATCHBOT_TEAM_CHANNEL")
    standup_channel: str | None = Field(default=None, validation_alias="BATCHBOT_STANDUP_CHANNEL")
    report_channel: str | None = Field(default=None, validation_alias="BATCHBOT_REPORT_CHANNEL")
    timezone: str = Field(default="UTC", validation_alias="BATCHBOT_TIMEZONE")
    standup_time: dt.time = Field(default=dt.time(9, 30), validation_alias="BATCHBOT_STANDUP_TIME")
    report_time: dt.time = Field(default=dt.time(15, 0), validation_alias="BATCHBOT_REPORT_TIME")
    workdays: CsvList = Field(
        default=("mon", "tue", "wed", "thu", "fri"), validation_alias="BATCHBOT_WORKDAYS"
    )
    holidays: CsvList = Field(default=(), validation_alias="BATCHBOT_HOLIDAYS")
    holiday_country: str | None = Field(default=None, validation_alias="BATCHBOT_HOLIDAY_COUNTRY")
    digest_time: dt.time = Field(default=dt.time(11, 30), validation_alias="BATCHBOT_DIGEST_TIME")
    reminder_hours: float = Field(
        default=2, ge=0, le=12, validation_alias="BATCHBOT_REMINDER_HOURS"
    )
    prompt_grace_minutes: int = Field(
        default=120, ge=0, le=24 * 60, validation_alias="BATCHBOT_PROMPT_GRACE_MINUTES"
    )
    report_grace_hours: float = Field(
        default=21, ge=0, le=72, validation_alias="BATCHBOT_REPORT_GRACE_HOURS"
    )
    demo_every_weeks: int = Field(
        default=0, ge=0, le=8, validation_alias="BATCHBOT_DEMO_EVERY_WEEKS"
    )
    retro_monthly: bool = Field(default=False, validation_alias="BATCHBOT_RETRO_MONTHLY")
    scheduler: bool = Field(default=True, validation_alias="BATCHBOT_SCHEDULER")
    # The lead's week: who gets the Friday risk review, when an open blocker is escalated.
    lead: CsvList = Field(default=(), validation_alias="BATCHBOT_LEAD")
    blocker_escalate_days: int = Field(
        default=3, ge=1, le=90, validation_alias="BATCHBOT_BLOCKER_ESCALATE_DAYS"
    )
    # Nudges before a slip (bot/report/nudge_job.py): when the daily job speaks, after how many
    # workdays without a move a batch counts as stalled, and how long before the lead hears.
    nudge_time: dt.time = Field(default=dt.time(10, 0), validation_alias="BATCHBOT_NUDGE_TIME")
    nudge_stall_days: int = Field(
        default=5, ge=1, le=60, validation_alias="BATCHBOT_NUDGE_STALL_DAYS"
    )
    nudge_lead_after_days: int = Field(
        default=1, ge=1, le=30, validation_alias="BATCHBOT_NUDGE_LEAD_AFTER_DAYS"
    )
    log_level: str = Field(default="INFO", validation_alias="BATCHBOT_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field(
        default="text", validation_alias="BATCHBOT_LOG_FORMAT"
    )

    # GitHub (issue 10): metrics collection and the weekly report issue; see bot/github/.
    github_token: SecretStr | None = Field(default=None, validation_alias="BATCHBOT_GITHUB_TOKEN")
    github_app_id: str | None = Field(default=None, validation_alias="BATCHBOT_GITHUB_APP_ID")
    github_private_key: SecretStr | None = Field(
        default=None, validation_alias="BATCHBOT_GITHUB_PRIVATE_KEY"
    )
    github_repo: str | None = Field(default=None, validation_alias="BATCHBOT_GITHUB_REPO")
    github_api_url: str = Field(
        default="https://api.github.com", validation_alias="BATCHBOT_GITHUB_API_URL"
    )
    github_ci_workflow: str | None = Field(
        default=None, validation_alias="BATCHBOT_GITHUB_CI_WORKFLOW"
    )
    github_deploy_workflow: str | None = Field(
        default=None, validation_alias="BATCHBOT_GITHUB_DEPLOY_WORKFLOW"
    )
    github_incident_label: str = Field(
        default="incident", min_length=1, validation_alias="BATCHBOT_GITHUB_INCIDENT_LABEL"
    )
    github_report_labels: CsvList = Field(
        default=("weekly-report",), validation_alias="BATCHBOT_GITHUB_REPORT_LABELS"
    )
    github_autopublish: bool = Field(default=False, validation_alias="BATCHBOT_GITHUB_AUTOPUBLISH")
    # The burn-up PNG in the weekly report's thread (with the `charts` extra installed): off
    # leaves Slack's own chart block, the one in every draft, and spares each Friday a
    # matplotlib child process (~0.5 s of CPU, ~100 MB while it draws).
    report_png: bool = Field(default=True, validation_alias="BATCHBOT_REPORT_PNG")
    github_deadline: float = Field(
        default=60.0, gt=0, le=3600, validation_alias="BATCHBOT_GITHUB_DEADLINE"
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: Any) -> Any:
        """`BATCHBOT_GITHUB_REPO=` (a line of `.env.example` uncommented, a variable exported
        empty) means "not set": the default applies, as if the line were not there.
        (tests/test_settings.py)"""
        if isinstance(values, dict):
            return {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}
        return values

    @field_validator("git_token")
    @classmethod
    def _git_token_not_in_the_clear(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        url = info.data.get("git_url")
        why = value and cleartext_refusal(url, "BATCHBOT_GIT_URL", _allowed(info))
        if why:
            raise ValueError(why)  # on the token: doctor drops it and checks the rest
        return value

    @field_validator("github_repo")
    @classmethod
    def _github_repo(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", value.strip()):
            raise ValueError(f"{value!r} is not owner/name (like acme/shop)")
        return value.strip() if value else None

    @field_validator("github_api_url")
    @classmethod
    def _github_api_url(cls, value: str, info: ValidationInfo) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("must be an http(s) URL (like https://api.github.com)")
        secret = info.data.get("github_token") or info.data.get("github_private_key")
        why = secret and cleartext_refusal(value, "this URL", _allowed(info))
        if why:
            raise ValueError(why)
        return value.rstrip("/")

    @field_validator("github_report_labels", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> tuple[str, ...]:
        return _csv(value)

    @field_validator("editors", "admins", "team", "workdays", "holidays", "lead", mode="before")
    @classmethod
    def _split(cls, value: Any) -> tuple[str, ...]:
        return _csv(value)

    @field_validator("editors", "admins", "team", "lead")
    @classmethod
    def _user_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not is_user_id(item):
                raise ValueError(f"{item!r} is not a Slack user id (like U012ABCDEF)")
        return value

    @field_validator("workdays")
    @classmethod
    def _days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        days = tuple(v[:3].lower() for v in value)
        bad = [v for v in days if v not in DAY_NAMES]
        if bad or not days:
            raise ValueError(f"workdays must be day names from {', '.join(DAY_NAMES)}")
        return days

    @field_validator("holidays")
    @classmethod
    def _dates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                dt.date.fromisoformat(item)
            except ValueError:
                raise ValueError(f"holiday {item!r} is not a YYYY-MM-DD date") from None
        return value

    @field_validator("holiday_country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> str | None:
        code = str(value or "").strip().upper()
        if not code:
            return None
        from bot.people.public_holidays import known_country

        if not known_country(code):
            raise ValueError(f"{code!r} is not a country code the holidays library knows (US, DE…)")
        return code

    @field_validator("digest_time", mode="before")
    @classmethod
    def _digest_time(cls, value: Any) -> dt.time:
        return _clock_time(value, "BATCHBOT_DIGEST_TIME")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (like Europe/Berlin)") from None
        return value

    @field_validator("nudge_time", mode="before")
    @classmethod
    def _nudge_time(cls, value: Any) -> dt.time:
        return _clock_time(value, "BATCHBOT_NUDGE_TIME")

    @field_validator("standup_time", mode="before")
    @classmethod
    def _standup_time(cls, value: Any) -> dt.time:
        return _clock_time(value, "BATCHBOT_STANDUP_TIME")

    @field_validator("report_time", mode="before")
    @classmethod
    def _report_time(cls, value: Any) -> dt.time:
        when = _clock_time(value, "BATCHBOT_REPORT_TIME")
        if 1 <= when.hour <= 3:
            raise ValueError(
                "BATCHBOT_REPORT_TIME must not fall in 01:00–03:59: clocks jump there when "
                "daylight saving time changes, so the report could be skipped or doubled"
            )
        return when

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("SLACK_API_URL must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    # -- derived -----------------------------------------------------------------------------
    @field_validator("git_url", "git_branch", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip() or None  # a value pasted with a newline or spaces around it
        return value

    @field_validator("git_url")
    @classmethod
    def _url_without_secrets(cls, value: str | None) -> str | None:
        # git would keep `https://user:secret@host/…` in the clone's .git/config, on disk.
        if value is not None and re.match(r"^[a-zA-Z][\w+.-]*://[^/@\s]*:[^/@\s]*@", value):
            raise ValueError(
                "BATCHBOT_GIT_URL must not carry a password or token (git would write it to "
                "disk); put the token in BATCHBOT_GIT_TOKEN and use https://host/owner/repo.git"
            )
        if value is not None and value.startswith("-"):
            # git reads a leading dash as an option: `--upload-pack=…` would run a command.
            raise ValueError(
                f"BATCHBOT_GIT_URL {value!r} starts with '-'; give a URL or a path "
                "(https://host/owner/repo.git, git@host:owner/repo.git, /srv/plan.git)"
            )
        return value

    @field_validator("git_remote")
    @classmethod
    def _remote_name(cls, value: str) -> str:
        value = value.strip()
        if not value or value.startswith("-"):
            raise ValueError(
                f"BATCHBOT_GIT_REMOTE {value!r} is not a remote name or URL (e.g. origin)"
            )
        return value

    @field_validator("git_branch")
    @classmethod
    def _branch_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.removeprefix("refs/heads/")
        if (
            re.search(r"[\s~^:?*\[\\]|\.\.|@\{|//", value)
            or value.startswith(("-", "/", "."))
            or value.endswith(("/", ".", ".lock"))
        ):
            raise ValueError(f"BATCHBOT_GIT_BRANCH {value!r} is not a git branch name (e.g. main)")
        return value

    @property
    def remote_mode(self) -> bool:
        return self.git_url is not None

    @property
    def remote_workdir(self) -> Path:
        """BATCHBOT_WORKDIR, else a cache folder per remote URL (so two remotes never mix)."""
        if self.workdir is not None:
            return self.workdir
        import hashlib
        import os

        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        digest = hashlib.sha256((self.git_url or "").encode()).hexdigest()[:12]
        return base / "batchbot" / "remote" / digest

    @property
    def plan_path_ignored(self) -> bool:
        """EXECUTION_PLAN_PATH was set but remote mode ignores it (warned at start)."""
        return self.remote_mode and "execution_plan_path" in self.model_fields_set

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def workday_numbers(self) -> tuple[int, ...]:
        return tuple(sorted(DAY_NAMES.index(d) for d in self.workdays))

    @property
    def holiday_dates(self) -> frozenset[dt.date]:
        return frozenset(dt.date.fromisoformat(h) for h in self.holidays)

    def missing_for_serving(self, socket_mode: bool) -> list[str]:
        need = ["SLACK_BOT_TOKEN"] + (
            ["SLACK_APP_TOKEN"] if socket_mode else ["SLACK_SIGNING_SECRET"]
        )
        values = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "SLACK_APP_TOKEN": self.slack_app_token,
        }
        problems = [f"{name} is not set" for name in need if not values[name]]
        token = self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""
        if token and not token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token (starts with xoxb-)")
        app = self.slack_app_token.get_secret_value() if self.slack_app_token else ""
        if socket_mode and app and not app.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN must be an app-level token (starts with xapp-)")
        return problems


def _allowed(info: ValidationInfo) -> bool:
    return bool(info.data.get("allow_insecure_http"))


class SettingsError(Exception):
    """Every problem with the settings, one per line, naming the environment variable."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


_ENV_NAMES = {
    name: (field.validation_alias if isinstance(field.validation_alias, str) else name.upper())
    for name, field in Settings.model_fields.items()
}

_FIELD_NAMES = {env.upper(): name for name, env in _ENV_NAMES.items()}


def _problems(exc: ValidationError) -> tuple[list[str], set[str]]:
    """('ENV_NAME: what is wrong' lines, the fields they are about)."""
    lines: list[str] = []
    fields: set[str] = set()
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        field = _FIELD_NAMES.get(field.upper(), field)  # errors name the alias when there is one
        fields.add(field)
        env = _ENV_NAMES.get(field, field.upper())
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{env}: {msg}")
    return lines, fields


def load_settings(**overrides: Any) -> Settings:
    from bot.localenv import env_file_problem

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines, _ = _problems(exc)
    except (UnicodeDecodeError, OSError) as exc:  # .env in UTF-16, a folder named .env, …
        lines = [env_file_problem(exc)]
    raise SettingsError(
        "batchbot cannot start; fix these settings:\n" + "\n".join(f"- {x}" for x in lines),
        lines,
    )


def team_defaults(settings: Settings) -> TeamSettings:
    """The environment's team settings: the defaults under the plan's `[team]`/`[schedule]`
    (the one merge rule is `bot.plan.team.effective`)."""
    from bot.plan.team import defaults_from

    return defaults_from(settings)


def load_settings_leniently(**overrides: Any) -> tuple[Settings, list[str]]:
    """Settings with every invalid value replaced by its default, and what was wrong.

    For `batchbot doctor`, which reports a bad setting and still checks everything else
    (git, the plan, the database, Slack, GitHub) instead of stopping at the first problem.
    """
    from bot.localenv import env_file_problem

    problems: list[str] = []
    for _ in range(3):  # a default never fails validation; the loop is only a bound
        try:
            return Settings(**overrides), problems
        except (UnicodeDecodeError, OSError) as exc:  # .env unreadable: the environment only
            problems.append(env_file_problem(exc))
            overrides["_env_file"] = None
        except ValidationError as exc:
            lines, fields = _problems(exc)
            problems += lines
            for field in fields:
                if field in Settings.model_fields:
                    # by its environment name: that is the key the value arrived under
                    overrides[_ENV_NAMES[field]] = Settings.model_fields[field].get_default()
    return Settings(**overrides), problems
