"""What every `/batch` word shares: the Command an edge builds, the Context it runs in, access
rules and batch lookup. Nothing here knows about Slack, the scheduler or the database."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from bot.people.names import Names
from bot.plan.edits import Change, EditError, split_words
from bot.plan.model import Batch, Plan, did_you_mean
from bot.plan.store import Actor, PlanStore, Saved
from bot.replies import Reply, error
from bot.slackids import user_id_in

if TYPE_CHECKING:
    from bot.plan.team import TeamSettings
    from bot.plan.team_plan import TeamSource
    from bot.report.publish import GitHubService

Origin = Literal["cli", "shell", "slack"]


@dataclass(frozen=True)
class Command:
    """One `/batch` command as any edge builds it, so all edges share one path."""

    actor: Actor
    words: tuple[str, ...]
    origin: Origin = "cli"
    channel: str | None = None
    text: str | None = None  # the line as typed, for free text (standups keep quotes, lines)

    @staticmethod
    def from_text(actor: Actor, text: str, origin: Origin, channel: str | None = None) -> Command:
        """`text` is what follows `/batch` (a leading `/batch` is tolerated, as people paste it).

        A standup is prose, not key=value pairs: it is not run through the quote-aware
        splitter (an apostrophe as in `'til` must not be an unclosed quote).
        """
        body = re.sub(r"^\s*/?batch\b", "", text, count=1, flags=re.IGNORECASE)
        first = body.split(maxsplit=1)
        if first and first[0].lower() == "standup":
            return Command(actor, tuple(body.split()), origin, channel, text)
        return Command(actor, tuple(split_words(body)), origin, channel, text)


class StandupRow(Protocol):
    """One stored standup, as the grammar and the weekly report read it (read-only)."""

    @property
    def user_id(self) -> str: ...
    @property
    def user_name(self) -> str: ...
    @property
    def local_date(self) -> dt.date: ...
    @property
    def text(self) -> str: ...


class StandupCommands(Protocol):
    """What the `/batch standup …` grammar needs from the standup core (set where a DB exists).

    Implemented by `bot.standup.service.Standups`; tests may pass any object with these calls.
    """

    def submit(self, user_id: str, user_name: str, text: str, source: str) -> Reply: ...
    def standups_between(
        self, start: dt.date, end: dt.date, user_id: str | None = None
    ) -> Sequence[StandupRow]: ...
    def standup_dates(self, user_id: str, limit: int) -> list[dt.date]: ...
    def display_name(self, user_id: str) -> str: ...
    def known_names(self, user_id: str) -> set[str]: ...
    def local_today(self, user_id: str) -> dt.date: ...
    def skip(self, user_id: str, start: dt.date, end: dt.date) -> None: ...
    def configured_holidays(self, start: dt.date, end: dt.date) -> dict[dt.date, str]: ...


@dataclass
class Context:
    """Everything a command may touch, built once by the edge and passed in."""

    store: PlanStore
    clock: Callable[[], dt.datetime]
    #: the team settings the environment gives (BATCHBOT_EDITORS, …): what a plan without a
    #: `[team]`/`[schedule]` value uses. `team_settings()` applies the plan's on top. None:
    #: the built-in defaults, made on first use (`defaults()`), so the CLI's dashboard and
    #: update, which never ask, do not import the settings' specs.
    team_defaults: TeamSettings | None = None
    standups: StandupCommands | None = None
    standups_between: Callable[[dt.date, dt.date], Sequence[StandupRow]] | None = None
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    name_of: Callable[[str], str] | None = None
    # The people directory (bot.people): every reply's ids become names in one lookup.
    names: Names | None = None
    # Whether a person owed a standup that day (workday, no holiday, no time off): the
    # weekly report counts participation over those days only.
    expected_on: Callable[[str, dt.date], bool] | None = None
    github: GitHubService | None = None  # metrics collect, report publish (bot/github/)
    #: the CLI and the shell: the person at the terminal already holds the file, so the
    #: Slack roles (editors, leads) do not apply to them.
    local_access: bool = False
    #: the program as the database and the archive key it ("": the first program; a further
    #: one's id, `beta` for `plan/beta.toml`): its claims, its `plan/reports/beta/` folder.
    program: str = ""
    _team: TeamSource | None = field(default=None, repr=False, compare=False)

    def defaults(self) -> TeamSettings:
        """`team_defaults`, the built-in ones when none were given."""
        if self.team_defaults is None:
            from bot.plan.team import TeamSettings

            self.team_defaults = TeamSettings()
        return self.team_defaults

    def team_settings(self, plan: Plan | None = None) -> TeamSettings:
        """The effective team settings of `plan` (default: the plan as it is now)."""
        from bot.plan.team_plan import TeamSource

        defaults = self.defaults()
        source = self._team
        if source is None or source.defaults is not defaults:
            source = self._team = TeamSource(self.store.load, defaults)
        return source.current() if plan is None else source.of(plan)

    @property
    def team(self) -> tuple[str, ...]:
        """Who is prompted for standups, as the plan (else the environment) says."""
        return self.team_settings().team


def owner_id(owner: str) -> str | None:
    """The Slack user id an owner field names (`<@U123>` or a bare `U123…`), if any."""
    return user_id_in(owner)


def may_edit(ctx: Context, actor: Actor, owner: str | None, plan: Plan | None = None) -> bool:
    """Editors list empty: everyone may change. Otherwise editors and the batch's owner.
    The editors are the plan's (`[team] editors`), else the environment's."""
    if ctx.local_access or actor.slack_id is None:
        return True  # local CLI/shell users act with the file system's permissions
    editors = ctx.team_settings(plan).editors
    if not editors or actor.slack_id in editors:
        return True
    return owner is not None and owner_id(owner) == actor.slack_id


def may_lead(ctx: Context, actor: Actor, plan: Plan | None = None) -> bool:
    """Who may change the team's settings: the leads; while no lead is named, the editors;
    while neither is named, everyone (as with the plan itself)."""
    if ctx.local_access or actor.slack_id is None:
        return True
    team = ctx.team_settings(plan)
    allowed = team.leads or team.editors
    return not allowed or actor.slack_id in allowed


class NotAllowed(EditError):
    """The person may not make this change (checked inside the write, on the plan written)."""

    def __init__(self, what: str, hint: str = "") -> None:
        super().__init__(f"you are not allowed to change {what}; {hint or ACCESS_HINT}")


ACCESS_HINT = "only an editor of this plan or the batch's owner can change it"


def ask(user_ids: Sequence[str], most: int = 3) -> str:
    """`ask <@A>, <@B> or <@C>`: the people to turn to, as mentions the reply turns into
    names (`with_names`), so the refusal speaks of people, never of a setting."""
    named = [f"<@{u}>" for u in user_ids[:most]]
    if len(user_ids) > most:
        named[-1] += f" (or one of the {len(user_ids) - most} others)"
    if not named:
        return ""
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} or {named[-1]}"
    return f": ask {listed}"


def access_hint(ctx: Context, plan: Plan | None = None, *, owners: bool = True) -> str:
    """Who may change it, in roles and names: `only an editor of this plan or the batch's
    owner can change it: ask Ana or Bob` (the editors are the plan's, else the defaults)."""
    editors = ctx.team_settings(plan).editors
    who = "an editor of this plan or the batch's owner" if owners else "an editor of this plan"
    return f"only {who} can change it{ask(editors)}"


def lead_hint(ctx: Context, plan: Plan | None = None) -> str:
    """`only a lead of this plan can change it: ask Ana` (the editors while no lead is named)."""
    team = ctx.team_settings(plan)
    role = "a lead" if team.leads else "an editor"
    return f"only {role} of this plan can change it{ask(team.leads or team.editors)}"


Owner = str | None | Callable[[Plan], str | None]


def change_plan(
    ctx: Context,
    actor: Actor,
    edit: Callable[[Plan], tuple[Plan, list[Change]]],
    *,
    via: str,
    what: str,
    owner: Owner = None,
    rule: Literal["edit", "lead"] = "edit",
) -> Saved:
    """The one way a /batch word changes the plan: the access rule is checked inside the edit,
    against the plan the edit is applied to (in remote mode: the freshly fetched one), so no
    caller can forget it and no upstream change of owner slips past it."""

    def guarded(plan: Plan) -> tuple[Plan, list[Change]]:
        if rule == "lead":
            if not may_lead(ctx, actor, plan):
                raise EditError(f"you are not allowed to change {what}; {lead_hint(ctx, plan)}")
            return edit(plan)
        named = owner(plan) if callable(owner) else owner
        if not may_edit(ctx, actor, named, plan):
            raise NotAllowed(what, access_hint(ctx, plan))
        return edit(plan)

    return ctx.store.change(actor, guarded, via=via)


def refuse(what: str, ctx: Context | None = None, *, owners: bool = True) -> Reply:
    hint = access_hint(ctx, owners=owners) if ctx is not None else ACCESS_HINT
    return error(f"you are not allowed to change {what}", hint)


def find_batch(plan: Plan, batch_id: str) -> Batch:
    """A batch by id, case-insensitive id, or name; an unknown one is an EditError with hints."""
    batch = plan.batch(batch_id)
    if batch is None:
        lowered = {b.id.lower(): b for b in plan.batches}
        named = {b.name.lower(): b for b in plan.batches}
        batch = lowered.get(batch_id.lower()) or named.get(batch_id.lower())
    if batch is None:
        ids = plan.ids()
        raise EditError(
            f"unknown batch {batch_id!r}{did_you_mean(batch_id, ids)}; "
            f"batches: {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}"
        )
    return batch
