"""The Slack edge's shared state: typed dependencies, and the queues that keep acks instant.

Why queues: Slack gives every command and interaction 3 s to be acknowledged. Bolt runs
listeners on a bounded pool, so a listener that waits on git (a 1.5 s push), on a slow
response_url (25 s) or on the Web API holds a worker, and once all are held new requests are
never acknowledged — Slack shows an error and people retry, duplicating updates. So listeners
run on the request thread (`process_before_response=True`), only hand their work to a queue
here and acknowledge; the slow part runs on the queue's own threads. A full queue is answered
at once with "busy, try again" instead of an ack that never comes.

Two stages, because a slow destination must hold up neither the next git write nor anyone
else's reply: `work` runs commands (parse, git, render) on threads; `outbox` posts replies
(response_url, chat.postMessage, views.publish) as coroutines on one event loop
(bot/slack/outbox.py), so a reply waiting on a slow host costs no thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bot.commands import Command, Context, handle
from bot.commands.programs import dispatch
from bot.plan.edits import UsageError
from bot.plan.store import Actor, PlanStore
from bot.render import blocks as kit
from bot.render.escape import esc
from bot.replies import Reply, StatusView, error, people_in_view
from bot.runtime import Runtime
from bot.slack.messenger import SlackMessenger
from bot.slack.outbox import Outbox
from bot.slack.paths import PathScrubber
from bot.standup.service import Standups
from bot.text import clip

log = logging.getLogger("batchbot.slack")

BUSY = "batchbot is busy right now; nothing was done — try again in a moment."


class WorkQueue:
    """A thread pool with a bounded number of waiting tasks; `submit` never blocks.

    While commands keep arriving (a burst: the last came less than `quiet_s` ago), only
    `burst_workers` tasks start at a time. Every running command competes with the
    acknowledgements for the interpreter lock and the CPU (on 2 cores, eight of them made the
    acks' p99 several times a bare Bolt app's); one at a time keeps acks near bare speed and
    loses little throughput, since the work is CPU under one interpreter lock anyway. A turn
    lapses after `turn_s`, so a task that waits on something (views.open, a slow git) holds
    up the others at most that long. Once arrivals pause, every worker runs."""

    def __init__(
        self,
        name: str,
        workers: int,
        limit: int,
        *,
        burst_workers: int = 0,
        quiet_s: float = 0.05,
        turn_s: float = 0.25,
    ) -> None:
        self.name = name
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix=f"batchbot-{name}")
        self._slots = threading.BoundedSemaphore(limit)
        self._closed = False
        self._burst_workers = burst_workers
        self._quiet_s = quiet_s
        self._turn_s = turn_s
        self._turns: list[float] = []  # when each running task that took a turn started
        self._turn_freed = threading.Condition()
        self._last_submit = 0.0

    def submit(self, fn: Callable[..., object], *args: object) -> bool:
        """Queue `fn(*args)`; False (at once) when the queue is full or closed."""
        if self._closed or not self._slots.acquire(blocking=False):
            return False
        self._last_submit = time.monotonic()

        def run() -> None:
            turn = self._take_turn()
            try:
                fn(*args)
            except Exception:
                log.exception("%s task %s failed", self.name, getattr(fn, "__name__", fn))
            finally:
                if turn is not None:
                    self._give_back(turn)
                self._slots.release()

        try:
            self._pool.submit(run)
        except RuntimeError:  # shut down between the check and the submit
            self._slots.release()
            return False
        return True

    def _take_turn(self) -> float | None:
        """Wait while a burst is on and all turns are taken; the turn taken (its start), or
        None when the burst ended first (then the task runs beside the others)."""
        if self._burst_workers <= 0:
            return None
        with self._turn_freed:
            while True:
                now = time.monotonic()
                quiet_in = self._last_submit + self._quiet_s - now
                if quiet_in <= 0:
                    return None
                live = [t for t in self._turns if now - t < self._turn_s]
                if len(live) < self._burst_workers:
                    self._turns.append(now)
                    return now
                lapses_in = min(live) + self._turn_s - now
                self._turn_freed.wait(min(quiet_in, lapses_in))

    def _give_back(self, turn: float) -> None:
        with self._turn_freed:
            self._turns.remove(turn)
            self._turn_freed.notify()

    def drain(self) -> None:
        """Refuse new work, then wait for everything queued to finish."""
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=False)


@dataclass
class Edge:
    """What every listener shares. Built once by `bot.slack.app.build_app`."""

    rt: Runtime
    slack: SlackMessenger
    team_id: str
    bot_user_id: str
    work: WorkQueue
    outbox: Outbox
    home_viewers: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- typed shortcuts, so listeners never reach through the runtime ---------------------
    @property
    def store(self) -> PlanStore:
        return self.rt.store

    def context_of(self, program: str | None) -> Context:
        """A program's Context by id (a form carries it); the first program's when absent."""
        return self.rt.programs.get(program or "") or self.rt.ctx

    def form_context(self, meta: dict[str, Any]) -> Context | None:
        """The Context of the program a form was opened for (its metadata's `program`); the
        first program's for a form that names none (opened before programs). None for a
        program this deployment does not have (its plan file removed while the form was
        open, a tampered form): such a form must not act on the first program's plan."""
        program = meta.get("program")
        if not program:
            return self.rt.ctx
        return self.rt.programs.get(program) if isinstance(program, str) else None

    @staticmethod
    def gone(program: object) -> str:
        """The answer to a form or button of a program the deployment does not have (its
        plan file removed since, or a tampered value), in one line wherever it is said."""
        return f"no program {clip(str(program), 40)!r} here any more: its plan file was removed"

    @property
    def standups(self) -> Standups:
        return self.rt.standups

    def actor(self, user_id: str, user_name: str | None) -> Actor:
        name = user_name or self.rt.standups.display_name(user_id)
        return Actor(name or user_id, slack_id=user_id)

    def command_from(self, body: dict[str, Any]) -> Command | Reply:
        actor = self.actor(str(body.get("user_id") or ""), body.get("user_name"))
        try:
            return Command.from_text(
                actor, str(body.get("text") or ""), "slack", body.get("channel_id")
            )
        except UsageError as exc:
            return error(str(exc), "usage: /batch help", code=2)

    @property
    def paths(self) -> PathScrubber:
        """Error texts for Slack name files relative to the plan's repository (see paths.py)."""
        repo = self.rt.store.repo
        return PathScrubber.for_plan(self.rt.store.path, repo.root if repo else None)

    def run(self, cmd: Command) -> Reply:
        try:
            programs = self.rt.programs or {"": self.rt.ctx}
            reply = dispatch(cmd, programs, next(iter(programs)), handle)
            return self.paths.reply(reply)
        except Exception:  # the user gets a line; the log gets the details
            log.exception("command failed: %s", cmd.words[:2])
            return error(
                "something went wrong on our side; the plan was not changed",
                "the bot's log has the details",
            )

    # -- answering (never on the caller's thread: see bot/slack/outbox.py) ----------------
    def respond(self, response_url: str | None, reply: Reply, what: str = "reply") -> None:
        """Send the reply to the command's response_url."""
        if not response_url:
            return
        text, blocks = kit.render(reply)
        payload: dict[str, Any] = {
            "text": text,
            "blocks": blocks,
            "response_type": "in_channel" if reply.visibility == "channel" else "ephemeral",
            "replace_original": False,
        }
        self.outbox.respond(response_url, payload, what)

    def say(
        self, channel: str | None, reply: Reply, thread_ts: str | None = None, what: str = ""
    ) -> None:
        """Post the reply in a channel or DM (chat.postMessage)."""
        if not channel:
            return
        text, blocks = kit.render(reply)
        self.post(channel, text, blocks, thread_ts, what)

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        what: str = "",
    ) -> None:
        self.outbox.post(channel, text, blocks, thread_ts, what or f"message to {channel}")

    def tell(self, reply: Reply) -> None:
        """Send the DMs a reply asks for (a new blocker's batch owner)."""
        for notice in reply.notices:
            self.outbox.dm(notice.user_id, esc(notice.text))

    def after_change(self) -> None:
        """Refresh every App Home that has been opened (drawn on the work queue)."""
        with self._lock:
            viewers = list(self.home_viewers)
        if viewers and not self.work.submit(self._refresh_homes, viewers):
            log.error("work queue full: %d App Home tab(s) not refreshed", len(viewers))

    def _refresh_homes(self, viewers: list[str]) -> None:
        for user in viewers:
            view = self.home_view(user)
            self.outbox.call("views.publish", f"App Home of {user}", user_id=user, view=view)

    def home_view(self, user_id: str) -> dict[str, Any]:
        """The person's programs, each with its dashboard; a lead also sees the settings
        (programs nobody lists them in: the deployment's first, as before programs)."""
        from bot.commands.base import may_lead
        from bot.commands.programs import index_of
        from bot.render.home_blocks import HomeProgram, person_home

        try:
            programs = self.rt.programs or {"": self.rt.ctx}
            mine = [*index_of(programs).by_person.get(user_id, ())] if len(programs) > 1 else []
            shown = mine or [next(iter(programs))]
            actor = Actor(user_id, slack_id=user_id)
            homes, ids = [], set()
            for pid in shown:
                ctx = programs[pid]
                plan = ctx.store.load()
                team = ctx.team_settings(plan)
                leads = bool(team.leads or team.editors) and may_lead(ctx, actor, plan)
                homes.append(HomeProgram(pid, plan, team if leads else None))
                ids |= people_in_view(StatusView(plan))
                ids |= {*team.team, *team.leads, *team.editors} if leads else set()
            notices = [(pid, programs[pid].store.notice()) for pid in shown]
            note = (
                "\n".join(  # each shown program's own (beta's broken file, not the first's)
                    f"⚠️ {esc(f'{pid}: {n}' if len(programs) > 1 else n)}" for pid, n in notices if n
                )
                or None
            )
            today = self.rt.ctx.clock().date()
            named = Reply(StatusView(homes[0].plan), people=self.rt.names.names(ids))
            return person_home(user_id, homes, note, today, named.name_of)
        except Exception as exc:  # an invalid plan still gets a Home tab saying so
            shown_error = esc(self.paths.text(str(exc)))
            return {"type": "home", "blocks": [kit.section(f":warning: {shown_error}")]}

    def publish_home(self, user_id: str) -> None:
        """Draw the Home tab for one person (on the work queue) and send it."""
        with self._lock:
            self.home_viewers.add(user_id)
        view = self.home_view(user_id)
        self.outbox.call("views.publish", f"App Home of {user_id}", user_id=user_id, view=view)

    def drain(self, deadline: float | None = None) -> list[str]:
        """Finish every queued command first (they were acknowledged: their writes must
        land), then give the replies until `deadline` (time.monotonic()); returns what was
        not sent."""
        self.work.drain()
        return self.outbox.close(deadline if deadline is not None else time.monotonic() + 10)
