"""The delivery plan as data: batches, metrics, targets and risks.

Field names are the old tool's camelCase names (`targetDate`, `ciPassRate`) everywhere — in
TOML, in JSON and in `update key=val` — so a team never has to learn two spellings.
Validation is split in two on purpose: pydantic checks each record's shape and ranges, and
`check_plan` checks what only the whole plan can tell (duplicate ids, blockers, cycles). Both
report *every* problem with where it is, instead of stopping at the first one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

STATUSES: tuple[str, ...] = ("not-started", "queued", "in-progress", "blocked", "done")
PRIORITIES: tuple[str, ...] = ("P0", "P1", "P2", "P3")
LEVELS: tuple[str, ...] = ("Low", "Medium", "High", "Critical")

Status = Literal["not-started", "queued", "in-progress", "blocked", "done"]
Priority = Literal["P0", "P1", "P2", "P3"]
Level = Literal["Low", "Medium", "High", "Critical"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)


class Batch(_Record):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str = Field(min_length=1, max_length=200)
    priority: Priority = "P2"
    status: Status = "not-started"
    progress: int = Field(default=0, ge=0, le=100, strict=True)
    targetDate: str = Field(default="", max_length=100)
    owner: str = Field(default="", max_length=100)
    blockers: tuple[str, ...] = ()
    notes: str = Field(default="", max_length=2000)


class Metrics(_Record):
    prsMerged: int = Field(default=0, ge=0)
    ciPassRate: float = Field(default=0, ge=0, le=100)
    coverage: float = Field(default=0, ge=0, le=100)
    productionIncidents: int = Field(default=0, ge=0)
    deploymentMinutes: float = Field(default=0, ge=0)
    # Monitoring figures the team may also track; None means "not measured yet".
    ciFlakeRate: float | None = Field(default=None, ge=0, le=100)
    workflowMinutes: float | None = Field(default=None, ge=0)
    openCriticalVulns: int | None = Field(default=None, ge=0)


class Targets(_Record):
    """Monitoring targets from the program's plan; each metric is marked against these."""

    ciPassRateMin: float = Field(default=95, ge=0, le=100)
    coverageMin: float = Field(default=80, ge=0, le=100)
    productionIncidentsMax: int = Field(default=0, ge=0)
    deploymentMinutesMax: float = Field(default=30, ge=0)
    ciFlakeRateMax: float = Field(default=5, ge=0, le=100)
    workflowMinutesMax: float = Field(default=5, ge=0)
    openCriticalVulnsMax: int = Field(default=0, ge=0)


class Risk(_Record):
    risk: str = Field(min_length=1, max_length=300)
    probability: Level
    impact: Level
    mitigation: str = Field(default="", max_length=1000)


class Program(_Record):
    name: str = Field(default="Delivery program", max_length=200)
    start: dt.date | None = None


class Plan(_Record):
    program: Program = Program()
    batches: tuple[Batch, ...] = ()
    metrics: Metrics = Metrics()
    targets: Targets = Targets()
    risks: tuple[Risk, ...] = ()

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

    def week_number(self, day: dt.date) -> int | None:
        """Week N of the program (week 1 starts on the program's start date)."""
        if self.program.start is None:
            return None
        return (day - self.program.start).days // 7 + 1

    def week_start(self, week: int) -> dt.date | None:
        if self.program.start is None:
            return None
        return self.program.start + dt.timedelta(days=7 * (week - 1))


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
    if kind == "extra_forbidden":
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


def _collect(model: type[_Record], data: Any, where: str, problems: list[Problem]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(Problem(_loc(where, tuple(err["loc"])), _describe(dict(err))))
        return None


def parse_plan(data: Any, source: str = "") -> Plan:
    """Validate raw plan data (from TOML or JSON) and report every problem at once."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise PlanInvalid([Problem("", "the plan must be a table/object")], source)
    known = {"program", "batches", "metrics", "targets", "risks"}
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
    problems.extend(check_batches(links))
    if problems:
        raise PlanInvalid(problems, source)
    return Plan(
        program=program,
        batches=tuple(batches),
        metrics=metrics,
        targets=targets,
        risks=tuple(risks),
    )


@dataclass(frozen=True)
class Link:
    id: str
    blockers: tuple[str, ...]


def check_batches(batches: Sequence[Batch | Link]) -> list[Problem]:
    """Whole-plan rules: unique ids, blockers that name another existing batch, no cycles."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for b in batches:
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
