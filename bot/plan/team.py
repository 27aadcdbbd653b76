"""The team's own settings, kept in the plan file (`[team]` and `[schedule]`), versioned and
editable from Slack by a lead — instead of environment variables that need a redeploy.

One rule decides every value the bot uses (`effective`): what the plan says wins; what it does
not say comes from the environment (BATCHBOT_TEAM, BATCHBOT_EDITORS, …), else the built-in
default. Each value remembers where it came from, so `batchbot doctor` and `/batch settings`
can say so. Pure: plain values in, plain values out (the environment's values arrive as a
`TeamSettings` built by the composition root).

    [team]
    editors = ["U0ANA"]
    leads = ["U0BOB"]
    standup_channel = "C0STANDUP"
    [[team.people]]
    id = "U0ANA"
    name = "Ana"
    github = "ana-gh"
    tz = "Europe/Berlin"
    country = "DE"

    [schedule]
    prompt_time = "09:30"
    report_day = "fri"
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from bot.slackids import user_id_in
from bot.text import clip, is_ascii_number

if TYPE_CHECKING:
    pass

Source = Literal["plan", "environment", "default"]
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
CHANNEL_MENTION = re.compile(r"<#([CGD][A-Z0-9]{2,})(?:\|[^>]*)?>")
REPO = re.compile(r"[\w.-]+/[\w.-]+")


@dataclass(frozen=True)
class Person:
    """One teammate: who is prompted, what they are called, where they sit."""

    id: str
    name: str = ""
    github: str = ""
    tz: str = ""  # overrides the zone of their Slack profile
    country: str = ""  # overrides the team's holiday country


@dataclass(frozen=True)
class Spec:
    """One team/schedule setting: where it lives, its default and how it is checked."""

    key: str  # the name in the plan and in `/batch settings key=value`
    table: Literal["team", "schedule"]
    env: str  # the environment variable that is the default ("" = none)
    kind: str
    help: str
    field: str  # the name of the environment's value on the Settings object ("" = none)


SPECS: tuple[Spec, ...] = (
    Spec("people", "team", "BATCHBOT_TEAM", "people", "who is prompted for a standup", "team"),
    Spec("editors", "team", "BATCHBOT_EDITORS", "users", "who may change the plan", "editors"),
    Spec("leads", "team", "BATCHBOT_LEAD", "users", "who may change these settings", "lead"),
    Spec(
        "standup_channel",
        "team",
        "BATCHBOT_STANDUP_CHANNEL",
        "channel",
        "where the day's standup thread goes",
        "standup_channel",
    ),
    Spec(
        "team_channel",
        "team",
        "BATCHBOT_TEAM_CHANNEL",
        "channel",
        "its members are the team (when no people are listed)",
        "team_channel",
    ),
    Spec(
        "report_channel",
        "team",
        "BATCHBOT_REPORT_CHANNEL",
        "channel",
        "where the weekly report goes",
        "report_channel",
    ),
    Spec(
        "github_repo",
        "team",
        "BATCHBOT_GITHUB_REPO",
        "repo",
        "owner/name the report is published to",
        "github_repo",
    ),
    Spec(
        "github_labels",
        "team",
        "BATCHBOT_GITHUB_REPORT_LABELS",
        "labels",
        "labels of the report issue",
        "github_report_labels",
    ),
    Spec(
        "prompt_time",
        "schedule",
        "BATCHBOT_STANDUP_TIME",
        "time",
        "standup prompt, HH:MM in each person's zone",
        "standup_time",
    ),
    Spec(
        "reminder_hours",
        "schedule",
        "BATCHBOT_REMINDER_HOURS",
        "hours",
        "reminder this many hours after the prompt (0 = none)",
        "reminder_hours",
    ),
    Spec(
        "digest_time",
        "schedule",
        "BATCHBOT_DIGEST_TIME",
        "time",
        "the day's digest, HH:MM",
        "digest_time",
    ),
    Spec("report_day", "schedule", "", "day", "weekday of the weekly report (mon … sun)", ""),
    Spec(
        "report_time",
        "schedule",
        "BATCHBOT_REPORT_TIME",
        "report_time",
        "time of the weekly report, HH:MM",
        "report_time",
    ),
    Spec(
        "holiday_country",
        "schedule",
        "BATCHBOT_HOLIDAY_COUNTRY",
        "country",
        "whose public holidays are days off (US, DE …)",
        "holiday_country",
    ),
    Spec(
        "escalate_days",
        "schedule",
        "BATCHBOT_BLOCKER_ESCALATE_DAYS",
        "count",
        "a blocker open this many days is escalated",
        "blocker_escalate_days",
    ),
    Spec(
        "nudge_time",
        "schedule",
        "BATCHBOT_NUDGE_TIME",
        "time",
        "workdays from this time owners hear of a batch about to slip, HH:MM",
        "nudge_time",
    ),
    Spec(
        "nudge_stall_days",
        "schedule",
        "BATCHBOT_NUDGE_STALL_DAYS",
        "count",
        "an in-progress batch still this many workdays is stalled",
        "nudge_stall_days",
    ),
    Spec(
        "nudge_lead_after_days",
        "schedule",
        "BATCHBOT_NUDGE_LEAD_AFTER_DAYS",
        "count",
        "the lead hears of a nudge left unanswered this many days",
        "nudge_lead_after_days",
    ),
)
SPEC: dict[str, Spec] = {s.key: s for s in SPECS}
TABLES = ("team", "schedule")
PERSON_KEYS = ("id", "name", "github", "tz", "country")
#: the words `/batch settings key=value` takes (people change through `/batch team`).
SETTING_KEYS = tuple(s.key for s in SPECS if s.key != "people")


@dataclass(frozen=True)
class TeamSettings:
    """Every team setting's value as the bot uses it, and where each came from."""

    people: tuple[Person, ...] = ()
    editors: tuple[str, ...] = ()
    leads: tuple[str, ...] = ()
    standup_channel: str | None = None
    team_channel: str | None = None
    report_channel: str | None = None
    github_repo: str | None = None
    github_labels: tuple[str, ...] = ("weekly-report",)
    prompt_time: dt.time = dt.time(9, 30)
    reminder_hours: float = 2
    digest_time: dt.time = dt.time(11, 30)
    report_day: int = 4  # Friday
    report_time: dt.time = dt.time(15, 0)
    holiday_country: str | None = None
    escalate_days: int = 3
    nudge_time: dt.time = dt.time(10, 0)
    nudge_stall_days: int = 5
    nudge_lead_after_days: int = 1
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False, hash=False)

    @property
    def team(self) -> tuple[str, ...]:
        """The Slack ids of the people prompted."""
        return tuple(p.id for p in self.people)

    def person(self, user_id: str) -> Person | None:
        return next((p for p in self.people if p.id == user_id), None)

    def source(self, key: str) -> Source:
        return self.sources.get(key, "default")

    def shown(self, key: str) -> str:
        """A value as a person reads it (and types it back in `/batch settings`)."""
        return show_value(key, getattr(self, key))


def defaults_from(settings: Any) -> TeamSettings:
    """The environment's team settings (read off the Settings object by field name), each
    marked "environment" when its variable is set and "default" when the built-in value
    stands: what a plan without `[team]`/`[schedule]` keeps using exactly as before."""
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    given: set[str] = set(getattr(settings, "model_fields_set", ()))
    for spec in SPECS:
        if not spec.field or not hasattr(settings, spec.field):
            continue
        value = getattr(settings, spec.field)
        values[spec.key] = tuple(Person(u) for u in value) if spec.key == "people" else value
        sources[spec.key] = "environment" if spec.field in given else "default"
    return TeamSettings(**values, sources=sources)


def effective(plan_values: Mapping[str, Any], defaults: TeamSettings) -> TeamSettings:
    """THE rule: a value the plan sets wins; everything else is the environment's (or the
    built-in default, as `defaults` already records)."""
    known = {k: v for k, v in plan_values.items() if k in SPEC}
    if not known:
        return defaults
    sources: dict[str, Source] = {**defaults.sources, **dict.fromkeys(known, "plan")}
    return replace(defaults, **known, sources=sources)


def shadowed(plan_values: Mapping[str, Any], defaults: TeamSettings) -> list[str]:
    """Keys the plan sets while the environment also sets them (the environment is ignored)."""
    return [k for k in plan_values if k in SPEC and defaults.source(k) == "environment"]


# -- values ------------------------------------------------------------------------------


def parse_value(key: str, raw: Any, *, trusted: bool = False) -> Any:
    """A setting from TOML or from typed text, checked; ValueError says what is allowed.

    `trusted`: the data passed this check before (codec's cache), so the costly lookups
    (the holidays library's countries, the zone database) are skipped."""
    kind = SPEC[key].kind
    if kind == "people":
        items = raw if isinstance(raw, list | tuple) else _words(raw)
        return tuple(parse_person(p, trusted=trusted) for p in items)
    if kind == "users":
        ids = []
        for item in raw if isinstance(raw, list | tuple) else _words(raw):
            found = user_id_in(str(item))
            if found is None:
                raise ValueError(f"{_q(item)} is not a Slack user (like @ana or U012ABCDEF)")
            ids.append(found)
        return tuple(dict.fromkeys(ids))
    if kind == "channel":
        return parse_channel(raw)
    if kind == "repo":
        text = str(raw).strip()
        owner, _, name = text.partition("/")
        if not REPO.fullmatch(text) or len(owner) > 39 or len(name) > 100:
            raise ValueError(f"{_q(text)} is not owner/name (like acme/shop)")
        return text
    if kind == "labels":
        # Commas (or lines) separate labels; a space does not: GitHub's own labels have them
        # ("good first issue"), and `weekly report` was saved as two labels.
        parts = raw if isinstance(raw, list | tuple) else re.split(r"[,\n]", str(raw))
        labels = tuple(dict.fromkeys(" ".join(str(x).split()) for x in parts if str(x).strip()))
        if not labels or any(len(x) > 50 for x in labels) or len(", ".join(labels)) > 200:
            raise ValueError(
                "give one or more label names (at most 50 characters each, 200 in all)"
            )
        return labels
    if kind in ("time", "report_time"):
        return parse_clock(raw, report=kind == "report_time")
    if kind == "hours":
        number = _number(raw)
        if not 0 <= number <= 12:
            raise ValueError(f"must be hours from 0 to 12 (got {_q(raw)})")
        return number
    if kind == "count":
        number = _number(raw)
        if number != int(number) or not 1 <= number <= 90:
            raise ValueError(f"must be a whole number of days from 1 to 90 (got {_q(raw)})")
        return int(number)
    if kind == "day":
        day = str(raw).strip().lower()[:3]
        if day not in DAY_NAMES:
            raise ValueError(f"{_q(raw)} is not a weekday; use one of {', '.join(DAY_NAMES)}")
        return DAY_NAMES.index(day)
    if kind == "country":
        return str(raw).strip().upper() if trusted else parse_country(raw)
    raise ValueError(f"unknown kind {kind}")  # pragma: no cover - SPECS lists every kind


def _q(value: Any) -> str:
    """A value quoted in a refusal, cut to a readable length (a pasted 4,000 characters
    must not come back as a 4,000-character answer)."""
    return repr(clip(value, 60)) if isinstance(value, str) else repr(value)


def _words(raw: Any) -> list[str]:
    return [w for w in re.split(r"[,\s]+", str(raw).strip()) if w]


def _number(raw: Any) -> float:
    """ASCII digits only, the rule of every number typed to the bot (bot.text): float()
    also reads `٢` (saved as 2 while the lead typed something else), `1_000` and `inf`."""
    if isinstance(raw, bool) or (isinstance(raw, str) and not is_ascii_number(raw.strip())):
        raise ValueError(f"must be a number in digits 0-9 (got {_q(raw)})")
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number (got {_q(raw)})") from None


def parse_clock(raw: Any, *, report: bool = False) -> dt.time:
    if isinstance(raw, dt.time):
        when = raw.replace(second=0, microsecond=0)
    else:
        m = re.fullmatch(r"\s*([0-9]{1,2}):([0-9]{2})\s*", str(raw))  # \d is also ٠٨
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ValueError(f"must be a time HH:MM, 24-hour (got {_q(raw)})")
        when = dt.time(int(m.group(1)), int(m.group(2)))
    if report and 1 <= when.hour <= 3:
        raise ValueError(
            "must not fall in 01:00–03:59: clocks jump there when daylight saving time "
            "changes, so the report could be skipped or doubled"
        )
    return when


def parse_channel(raw: Any) -> str:
    text = str(raw).strip()
    m = CHANNEL_MENTION.fullmatch(text)
    if m:
        return m.group(1)
    if CHANNEL_ID.fullmatch(text):
        return text
    raise ValueError(
        f"{_q(text)} is not a Slack channel; mention it (#channel, sent as <#C…>) or give its id "
        "(C012ABCDEF)"
    )


def parse_country(raw: Any) -> str:
    code = str(raw).strip().upper()
    from bot.people.public_holidays import known_country  # reads the registry, imports nothing

    if not known_country(code):
        raise ValueError(f"{_q(code)} is not a country code the holidays library knows (US, DE…)")
    return code


def parse_zone(raw: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = str(raw).strip()
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{_q(text)} is not an IANA time zone (like Europe/Berlin)") from None
    return text


def parse_person(raw: Any, *, trusted: bool = False) -> Person:
    """A person from `[[team.people]]` (a table) or a bare Slack id / mention."""
    if not isinstance(raw, Mapping):
        found = user_id_in(str(raw))
        if found is None:
            raise ValueError(f"{_q(raw)} is not a Slack user id (like U012ABCDEF)")
        return Person(found)
    unknown = [k for k in raw if k not in PERSON_KEYS]
    if unknown:
        raise ValueError(f"{_q(unknown[0])} is not a person's field; use {', '.join(PERSON_KEYS)}")
    user = user_id_in(str(raw.get("id", "")))
    if user is None:
        raise ValueError(f"id {_q(raw.get('id'))} is not a Slack user id (like U012ABCDEF)")
    name = str(raw.get("name", "")).strip()
    if len(name) > 100 or any(ord(c) < 32 for c in name):
        raise ValueError("a name is one line of at most 100 characters")
    github = str(raw.get("github", "")).strip().removeprefix("@")
    if github and not GITHUB_LOGIN.match(github):
        raise ValueError(f"{_q(github)} is not a GitHub login")
    tz = str(raw.get("tz", "")).strip()
    country = str(raw.get("country", "")).strip().upper()
    if not trusted:
        tz = parse_zone(tz) if tz else ""
        country = parse_country(country) if country else ""
    return Person(user, name, github, tz, country)


def show_value(key: str, value: Any) -> str:
    """Plain text (replies are literal text; an edge may turn ids into names)."""
    if value is None or value == ():
        return "—"
    kind = SPEC[key].kind
    if kind == "people":
        return ", ".join(p.id for p in value)
    if kind == "users":
        return ", ".join(value)
    if kind in ("time", "report_time"):
        return f"{value:%H:%M}"
    if kind == "day":
        return DAY_NAMES[int(value)]
    if kind == "labels":
        return ", ".join(value)
    if kind == "hours":
        return f"{value:g}"
    return str(value)


def _plain(key: str, value: Any) -> Any:
    """A value as the plan file holds it (TOML-friendly, human-readable)."""
    kind = SPEC[key].kind
    if kind == "people":
        return [{k: getattr(p, k) for k in PERSON_KEYS if getattr(p, k)} for p in value]
    if kind in ("users", "labels"):
        return list(value)
    if kind in ("time", "report_time"):
        return f"{value:%H:%M}"
    if kind == "day":
        return DAY_NAMES[int(value)]
    if kind == "hours":
        return int(value) if float(value).is_integer() else value
    return value


# -- the plan's tables -------------------------------------------------------------------


def parse_tables(
    data: Mapping[str, Any], *, trusted: bool = False
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """`[team]` and `[schedule]` from raw plan data: the values set, and every problem as
    (where, message)."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for table in TABLES:
        raw = data.get(table)
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            problems.append((table, "must be a table"))
            continue
        for key, item in raw.items():
            spec = SPEC.get(str(key))
            if spec is None or spec.table != table:
                keys = [s.key for s in SPECS if s.table == table]
                hint = _did_you_mean(str(key), keys)
                problems.append((f"{table}.{key}", f"is not a known setting{hint}"))
                continue
            try:
                values[spec.key] = parse_value(spec.key, item, trusted=trusted)
            except ValueError as exc:
                problems.append((f"{table}.{key}", str(exc)))
    people = values.get("people", ())
    ids = [p.id for p in people]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(("team.people", f"{dup} is listed twice"))
    return values, problems


def tables_from_trusted(data: Mapping[str, Any]) -> dict[str, Any]:
    """The values from data validated once before (see codec's cache): parse again, cheaply."""
    values, _ = parse_tables(data, trusted=True)
    return values


def table_data(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`{"team": {...}, "schedule": {...}}` in a fixed order, only the tables in use."""
    out: dict[str, dict[str, Any]] = {}
    for spec in SPECS:
        if spec.key in values:
            out.setdefault(spec.table, {})[spec.key] = _plain(spec.key, values[spec.key])
    return {t: out[t] for t in TABLES if t in out}


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    import difflib

    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else f"; use {', '.join(choices)}"
