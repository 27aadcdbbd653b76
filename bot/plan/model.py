"""The delivery plan as data: batches, metrics, targets and risks.

Field names are the old tool's camelCase names (`targetDate`, `ciPassRate`) everywhere — in
TOML, in JSON and in `update key=val` — so a team never has to learn two spellings.

The records are frozen stdlib dataclasses whose constraints are `annotated_types` metadata.
pydantic v2 validates them (it reads those constraints and `__pydantic_config__`), but is
imported only when a plan is actually validated: importing pydantic costs more than the whole
`batchbot dashboard` budget, and a plan already validated is read without it (see codec).

Validation is split in two on purpose: pydantic checks each record's shape and ranges, and
`check_batches` checks what only the whole plan can tell (duplicate ids, blockers, cycles).
Both report *every* problem with where it is, instead of stopping at the first one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

if TYPE_CHECKING:  # bound at run time by _constraint_names(), when pydantic needs them
    from annotated_types import Ge, Le, MaxLen, MinLen

    # Loaded where a plan has goals or tracked blockers (plan_from_trusted, parse_plan).
    from bot.plan.register import Blocker, Goal

from bot.plan.calendar import Calendar, calendar_from_trusted, calendar_problems
from bot.plan.links import BatchLink, link_problems
from bot.plan.values import MAX_DATE, MIN_DATE, date_problem, looks_like_date, value_problems
from bot.slackids import is_user_id

STATUSES: tuple[str, ...] = ("not-started", "queued", "in-progress", "blocked", "done")
PRIORITIES: tuple[str, ...] = ("P0", "P1", "P2", "P3")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

Status = Literal["not-started", "queued", "in-progress", "blocked", "done"]
Priority = Literal["P0", "P1", "P2", "P3"]
Level = Literal["Low", "Medium", "High", "Critical"]
if TYPE_CHECKING:
    Percent = Annotated[float, Ge(0), Le(100)]
    Count = Annotated[int, Ge(0)]
    Minutes = Annotated[float, Ge(0)]


def _constraint_names() -> None:
    """Bind the names the field annotations use, just before pydantic resolves them.

    The annotations are strings (`from __future__ import annotations`) that only pydantic
    evaluates, so annotated_types (whose dataclasses take longer to import than the whole
    dashboard takes to print) is imported only on the path that validates a plan.
    """
    if "Percent" in globals():
        return
    from annotated_types import Ge, Le, MaxLen, MinLen

    from bot.plan import calendar, links, register  # their annotations use the same names

    for module in (calendar, register, links):
        vars(module).update(MaxLen=MaxLen, MinLen=MinLen, Ge=Ge)
    globals().update(
        Ge=Ge,
        Le=Le,
        MaxLen=MaxLen,
        MinLen=MinLen,
        Percent=Annotated[float, Ge(0), Le(100)],
        Count=Annotated[int, Ge(0)],
        Minutes=Annotated[float, Ge(0)],
        Goal=register.Goal,
        Blocker=register.Blocker,
    )


@dataclass(frozen=True)
class Batch:
    """One batch of the plan, frozen so a read plan can be shared between threads."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    id: Annotated[str, MinLen(1), MaxLen(64)]
    name: Annotated[str, MinLen(1), MaxLen(200)]
    priority: Priority = "P2"
    status: Status = "not-started"
    progress: Annotated[int, Ge(0), Le(100)] = 0
    targetDate: Annotated[str, MaxLen(100)] = ""
    owner: Annotated[str, MaxLen(100)] = ""
    blockers: tuple[str, ...] = ()
    notes: Annotated[str, MaxLen(2000)] = ""


@dataclass(frozen=True)
class Metrics:
    """Program-wide measures; None means not measured, never zero."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    # None means "not measured": shown as such, never as 0 and never as a win.
    prsMerged: Count | None = None
    ciPassRate: Percent | None = None
    coverage: Percent | None = None
    productionIncidents: Count | None = None
    deploymentMinutes: Minutes | None = None
    ciFlakeRate: Percent | None = None
    workflowMinutes: Minutes | None = None
    openCriticalVulns: Count | None = None


@dataclass(frozen=True)
class Measurement:
    """Where a metric's value came from and when (`[measured.prsMerged]` in the plan).

    Written by `metrics collect`; a metric without one was typed by a person.
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    source: Annotated[str, MinLen(1), MaxLen(500)]
    at: dt.datetime


GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


@dataclass(frozen=True)
class Targets:
    """Monitoring targets from the program's plan; each metric is marked against these."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    ciPassRateMin: Percent = 95
    coverageMin: Percent = 80
    productionIncidentsMax: Count = 0
    deploymentMinutesMax: Minutes = 30
    ciFlakeRateMax: Percent = 5
    workflowMinutesMax: Minutes = 5
    openCriticalVulnsMax: Count = 0


@dataclass(frozen=True)
class Risk:
    """One risk in the register, checked like every other plan value."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    risk: Annotated[str, MinLen(1), MaxLen(300)]
    probability: Level
    impact: Level
    mitigation: Annotated[str, MaxLen(1000)] = ""
    # The register's bookkeeping (written only when set, so older files read and round-trip
    # unchanged): who owns it, open/closed, and when someone last confirmed it is accurate.
    owner: Annotated[str, MaxLen(100)] = ""
    status: Literal["open", "closed"] = "open"
    reviewed: dt.date | None = None


@dataclass(frozen=True)
class Program:
    """The program's name and calendar, which week numbers are counted from."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    name: Annotated[str, MaxLen(200)] = "Delivery program"
    start: dt.date | None = None


def field_names(record: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(record))


def as_dict(record: Any, *, drop_none: bool = False) -> dict[str, Any]:
    """A record's fields in declaration order (shallow: nested values are kept as they are)."""
    values = {f.name: getattr(record, f.name) for f in fields(record)}
    return {k: v for k, v in values.items() if v is not None} if drop_none else values


@dataclass(frozen=True)
class Plan:
    """The whole plan, frozen: edits build a new Plan, so readers never see a half-edit."""

    program: Program = Program()
    batches: tuple[Batch, ...] = ()
    metrics: Metrics = Metrics()
    targets: Targets = Targets()
    risks: tuple[Risk, ...] = ()
    goals: tuple[Goal, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    calendar: Calendar = Calendar()  # noqa: RUF009 (frozen: one shared empty value is safe)
    #: Slack user id → GitHub login (`[people]`), for @-mentions in the GitHub report issue.
    people: dict[str, str] = field(default_factory=dict, hash=False)
    #: metric name → where its current value came from (`[measured.NAME]`).
    measured: dict[str, Measurement] = field(default_factory=dict, hash=False)
    #: the team's own settings (`[team]`, `[schedule]`): only the keys the plan sets
    #: (bot/plan/team.py; `effective` fills the rest from the environment).
    team: dict[str, Any] = field(default_factory=dict, hash=False)
    #: batch id → its GitHub work and the last measurement of it (`[links.ID]`).
    links: dict[str, BatchLink] = field(default_factory=dict, hash=False)

    def batch(self, batch_id: str) -> Batch | None:
        for b in self.batches:
            if b.id == batch_id:
                return b
        return None

    def ids(self) -> list[str]:
        return [b.id for b in self.batches]

    def overall_progress(self) -> int:
        """The program's progress: the mean of every batch's progress, rounded."""
        if not self.batches:
            return 0
        return round(sum(b.progress for b in self.batches) / len(self.batches))

    def current_batch(self) -> Batch | None:
        """The batch the team is on: the first not done, preferring one already in progress."""
        open_batches = [b for b in self.batches if b.status != "done"]
        for b in open_batches:
            if b.status == "in-progress":
                return b
        return open_batches[0] if open_batches else None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a plan, with where it is (`batch-3.progress`)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class PlanInvalid(Exception):
    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        head = f"{source} is not a valid plan" if source else "The plan is not valid"
        super().__init__(head + ":\n" + "\n".join(f"- {p}" for p in problems))


def _describe(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "literal_error":
        allowed = err.get("ctx", {}).get("expected", "")
        return f"{value!r} is not allowed; use one of {allowed.replace(' or ', ', ')}"
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        return "is not a known field"
    if kind == "missing":
        return "is required"
    msg = str(err.get("msg", "is invalid"))
    msg = msg[0].lower() + msg[1:] if msg else msg
    if kind in {"dict_type", "model_type"}:
        return msg
    return f"{msg} (got {value!r})"


def _loc(prefix: str, loc: tuple[Any, ...]) -> str:
    parts = [prefix] if prefix else []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts)


_ADAPTERS: dict[type, Any] = {}


def _collect(model: type, data: Any, where: str, problems: list[Problem]) -> Any:
    from pydantic import TypeAdapter, ValidationError

    _constraint_names()
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    if not isinstance(data, dict):
        problems.append(Problem(where, "must be a table/object"))
        return None
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(Problem(_loc(where, tuple(err["loc"])), _describe(dict(err))))
        return None


def parse_plan(data: Any, source: str = "") -> Plan:
    """Validate raw plan data (from TOML or JSON) and report every problem at once."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise PlanInvalid([Problem("", "the plan must be a table/object")], source)
    known = (
        "program",
        "batches",
        "metrics",
        "targets",
        "risks",
        "goals",
        "blockers",
        "calendar",
        "people",
        "measured",
        "team",
        "schedule",
        "links",
    )
    for key in data:
        if key not in known:
            problems.append(Problem(str(key), f"is not a known section; use {', '.join(known)}"))
    raw_batches = data.get("batches", [])
    batches: list[Batch] = []
    links: list[Link] = []  # id + blockers of every batch, valid or not, for whole-plan rules
    if not isinstance(raw_batches, list):
        problems.append(Problem("batches", "must be a list of batches"))
        raw_batches = []
    for i, raw in enumerate(raw_batches):
        label = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        where = label or f"batches[{i}]"
        if isinstance(raw, dict) and isinstance(raw.get("blockers"), list):
            raw = {**raw, "blockers": tuple(raw["blockers"])}
        if isinstance(raw, dict) and "progress" in raw and type(raw["progress"]) is not int:
            # "40" or 40.5 in the file is a mistake to report, not to coerce
            problems.append(
                Problem(
                    f"{where}.progress", f"must be a whole number 0–100 (got {raw['progress']!r})"
                )
            )
            raw = {k: v for k, v in raw.items() if k != "progress"}
        batch = _collect(Batch, raw, where, problems)
        if batch is not None:
            batches.append(batch)
            links.append(Link(batch.id, batch.blockers))
        elif label is not None:
            blockers = raw.get("blockers", ()) if isinstance(raw, dict) else ()
            ok = isinstance(blockers, tuple | list) and all(isinstance(x, str) for x in blockers)
            links.append(Link(label, tuple(blockers) if ok else ()))
    program = _collect(Program, data.get("program", {}), "program", problems)
    metrics = _collect(Metrics, data.get("metrics", {}), "metrics", problems)
    targets = _collect(Targets, data.get("targets", {}), "targets", problems)
    risks: list[Risk] = []
    raw_risks = data.get("risks", [])
    if not isinstance(raw_risks, list):
        problems.append(Problem("risks", "must be a list of risks"))
        raw_risks = []
    for i, raw in enumerate(raw_risks):
        risk = _collect(Risk, raw, f"risks[{i}]", problems)
        if risk is not None:
            risks.append(risk)
    from bot.plan.register import Blocker, Goal, check_registers
    from bot.plan.team import parse_tables

    goals: list[Goal] = _collect_list(Goal, data, "goals", "goals", problems)
    tracked: list[Blocker] = _collect_list(Blocker, data, "blockers", "tracked blockers", problems)
    ids = {link.id for link in links}
    problems.extend(Problem(w, m) for w, m in check_registers(goals, tracked, ids))
    people = _people(data.get("people", {}), problems)
    measured: dict[str, Measurement] = {}
    raw_measured = data.get("measured", {})
    if not isinstance(raw_measured, dict):
        problems.append(Problem("measured", "must be a table of metric name → source"))
        raw_measured = {}
    for name, raw in raw_measured.items():
        if name not in field_names(Metrics):
            hint = did_you_mean(str(name), field_names(Metrics))
            problems.append(Problem(f"measured.{name}", f"is not a metric{hint}"))
            continue
        found = _collect(Measurement, raw, f"measured.{name}", problems)
        if found is not None:
            measured[name] = found
    problems.extend(check_batches(links))
    batch_links: dict[str, BatchLink] = {}
    raw_links = data.get("links", {})
    if not isinstance(raw_links, dict):
        problems.append(Problem("links", "must be a table of batch id → milestone or label"))
        raw_links = {}
    for bid, raw in raw_links.items():
        found = _collect(BatchLink, raw, f"links.{bid}", problems)
        if found is not None:
            batch_links[str(bid)] = found
    problems.extend(Problem(w, m) for w, m in link_problems(batch_links, ids))
    reported = {p.where for p in problems}  # pydantic may have named the same value already
    problems.extend(Problem(w, m) for w, m in value_problems(data) if w not in reported)
    if not raw_batches:
        problems.append(Problem("batches", "the plan has no batches; add a [[batches]] table"))
    calendar = _collect(Calendar, data.get("calendar", {}), "calendar", problems)
    if calendar is not None:
        problems.extend(Problem(where, message) for where, message in calendar_problems(calendar))
    team, team_problems = parse_tables(data)
    problems.extend(Problem(where, message) for where, message in team_problems)
    problems.extend(_date_problems(program, batches, risks, goals, tracked, calendar, measured))
    if problems:
        raise PlanInvalid(problems, source)
    return Plan(
        program=program,
        batches=tuple(batches),
        metrics=metrics,
        targets=targets,
        risks=tuple(risks),
        goals=tuple(goals),
        blockers=tuple(tracked),
        calendar=calendar,
        people=people,
        measured=measured,
        team=team,
        links=batch_links,
    )


def _date_problems(
    program: Program | None,
    batches: Sequence[Batch],
    risks: Sequence[Risk],
    goals: Sequence[Goal],
    tracked: Sequence[Blocker],
    calendar: Calendar | None,
    measured: dict[str, Measurement],
) -> list[Problem]:
    """Every date of the plan within `values.MIN_DATE`–`MAX_DATE` (a batch's targetDate when
    written as a date too), so that nothing that reads a valid plan can overflow."""
    found: list[tuple[str, Any]] = []
    if program is not None:
        found.append(("program.start", program.start))
    for b in batches:
        if looks_like_date(b.targetDate):
            # free text that only looks like a date (2026-02-30) is kept, as before: never a due day
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(b.targetDate.strip())
                found.append((f"{b.id}.targetDate", day))
    for i, r in enumerate(risks):
        found.append((f"risks[{i}].reviewed", r.reviewed))
    for i, g in enumerate(goals):
        found += [(f"goals[{i}].setOn", g.setOn), (f"goals[{i}].closedOn", g.closedOn)]
        year = g.week[:4]
        if year.isascii() and year.isdigit() and not MIN_DATE.year <= int(year) <= MAX_DATE.year:
            found.append((f"goals[{i}].week", dt.date(max(1, int(year)), 1, 1)))
    for i, t in enumerate(tracked):
        found += [(f"blockers[{i}].{k}", getattr(t, k)) for k in ("raised", "resolvedOn", "due")]
    if calendar is not None:
        found += [(f"calendar.holidays[{i}].day", h.day) for i, h in enumerate(calendar.holidays)]
        for i, off in enumerate(calendar.timeoff):
            found += [(f"calendar.timeoff[{i}].{k}", getattr(off, k)) for k in ("start", "end")]
    found += [(f"measured.{name}.at", m.at) for name, m in measured.items()]
    problems = []
    for where, day in found:
        if isinstance(day, dt.date):
            problem = date_problem(day)
            if problem:
                problems.append(Problem(where, problem))
    return problems


def _collect_list(
    model: type, data: dict[str, Any], key: str, what: str, problems: list[Problem]
) -> list[Any]:
    raw_items = data.get(key, [])
    if not isinstance(raw_items, list):
        problems.append(Problem(key, f"must be a list of {what}"))
        return []
    out = []
    for i, raw in enumerate(raw_items):
        item = _collect(model, raw, f"{key}[{i}]", problems)
        if item is not None:
            out.append(item)
    return out


def _dates(record: dict[str, Any], *names: str) -> dict[str, Any]:
    """ISO strings → dates (JSON has no date type; TOML already gives dates)."""
    return {
        k: dt.date.fromisoformat(v) if k in names and isinstance(v, str) else v
        for k, v in record.items()
    }


def _people(raw: Any, problems: list[Problem]) -> dict[str, str]:
    """`[people]`: `U012ABCDEF = "octocat"` — a Slack user id and that person's GitHub login."""
    if not isinstance(raw, dict):
        problems.append(Problem("people", "must be a table of Slack user id = GitHub login"))
        return {}
    people: dict[str, str] = {}
    for key, login in raw.items():
        if not is_user_id(str(key)):
            problems.append(Problem(f"people.{key}", "is not a Slack user id (like U012ABCDEF)"))
        elif not isinstance(login, str) or not GITHUB_LOGIN.match(login.removeprefix("@")):
            problems.append(Problem(f"people.{key}", f"{login!r} is not a GitHub login"))
        else:
            people[str(key)] = login.removeprefix("@")
    return people


def _trusted_link(raw: dict[str, Any]) -> BatchLink:
    at = raw.get("at")
    return BatchLink(
        milestone=raw.get("milestone", ""),
        label=raw.get("label", ""),
        done=raw.get("done"),
        total=raw.get("total"),
        at=dt.datetime.fromisoformat(at) if isinstance(at, str) else at,
    )


def legacy_placeholders_removed(data: Any) -> Any:
    """The old tool's JSON plan with its placeholder metrics taken out.

    batchTracker.js seeded every metric with 0 and had no "not measured"; a 0 that no
    `measured` entry dates is that placeholder, not a measurement (it made "Mean time to
    deploy on target: 0 min" a win). It reads as not measured; other figures are kept."""
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        return data
    raw = data.get("measured")
    dated: dict[str, Any] = raw if isinstance(raw, dict) else {}
    metrics = {
        k: v
        for k, v in data["metrics"].items()
        if not (type(v) in (int, float) and v == 0 and k not in dated)
    }
    return {**data, "metrics": metrics}


def plan_from_trusted(data: dict[str, Any]) -> Plan:
    """Build a Plan from data already validated once (same bytes), without pydantic.

    Only codec's validated-content cache calls this: the bytes' hash proved that
    `parse_plan` accepted exactly this data before, so checking it again would only cost time.
    """
    program = dict(data.get("program", {}))
    # The modules of goals and blockers, and of the team's settings (~4 ms of import between
    # them), load only for a plan that has them: most dashboards print a plan without.
    if data.get("goals") or data.get("blockers"):
        from bot.plan.register import Blocker, Goal
    team: dict[str, Any] = {}
    if "team" in data or "schedule" in data:
        from bot.plan.team import tables_from_trusted

        team = tables_from_trusted(data)
    if isinstance(program.get("start"), str):
        program["start"] = dt.date.fromisoformat(program["start"])
    return Plan(
        program=Program(**program),
        batches=tuple(
            Batch(**{**b, "blockers": tuple(b.get("blockers", ()))})
            for b in data.get("batches", [])
        ),
        metrics=Metrics(**data.get("metrics", {})),
        targets=Targets(**data.get("targets", {})),
        risks=tuple(Risk(**_dates(r, "reviewed")) for r in data.get("risks", [])),
        goals=tuple(Goal(**_dates(g, "setOn", "closedOn")) for g in data.get("goals") or ()),
        blockers=tuple(
            Blocker(**_dates(b, "raised", "resolvedOn", "due")) for b in data.get("blockers") or ()
        ),
        calendar=calendar_from_trusted(data.get("calendar", {})),
        people=dict(data.get("people", {})),
        measured={
            name: Measurement(
                m["source"],
                dt.datetime.fromisoformat(m["at"]) if isinstance(m["at"], str) else m["at"],
            )
            for name, m in data.get("measured", {}).items()
        },
        team=team,
        links={bid: _trusted_link(raw) for bid, raw in data.get("links", {}).items()},
    )


@dataclass(frozen=True)
class Link:
    """A batch and its blockers only, enough to check the graph has no cycles."""

    id: str
    blockers: tuple[str, ...]


def check_batches(batches: Sequence[Batch | Link]) -> list[Problem]:
    """Whole-plan rules: unique ids, blockers that name another existing batch, no cycles."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for b in batches:
        if not ID_PATTERN.match(b.id):
            problems.append(
                Problem(
                    b.id,
                    "a batch id starts with a letter or digit and holds only letters, "
                    "digits, '.', '_' and '-'",
                )
            )
        if b.id in seen:
            problems.append(Problem(b.id, "duplicate batch id"))
        seen.add(b.id)
    for b in batches:
        for blocker in b.blockers:
            if blocker == b.id:
                problems.append(Problem(f"{b.id}.blockers", "a batch cannot block itself"))
            elif blocker not in seen:
                hint = did_you_mean(blocker, sorted(seen))
                problems.append(Problem(f"{b.id}.blockers", f"{blocker!r} is not a batch id{hint}"))
    cycle = find_cycle(batches)
    if cycle:
        problems.append(Problem(f"{cycle[0]}.blockers", "dependency cycle: " + " → ".join(cycle)))
    return problems


def find_cycle(batches: Sequence[Batch | Link]) -> list[str] | None:
    """Return one blocker cycle as a path (a → b → a), or None. Iterative: 1,000s of batches."""
    graph = {b.id: [x for x in b.blockers if x != b.id] for b in batches}
    color: dict[str, int] = {}
    for root in graph:
        if color.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, idx = stack.pop()
            if idx == 0:
                color[node] = 1
                path.append(node)
            edges = graph.get(node, [])
            if idx < len(edges):
                stack.append((node, idx + 1))
                nxt = edges[idx]
                if nxt not in graph:
                    continue
                state = color.get(nxt, 0)
                if state == 1:
                    return [*path[path.index(nxt) :], nxt]
                if state == 0:
                    stack.append((nxt, 0))
            else:
                color[node] = 2
                path.pop()
    return None


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    import difflib

    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""
