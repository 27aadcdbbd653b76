"""The work queue lets commands through one at a time while a burst of them arrives, so the
acknowledgements keep the CPU (bench/bench_faults.py burst), and never lets one stuck task
hold the others up for long."""

from __future__ import annotations

import threading
import time

from bot.slack.edge import WorkQueue


class Running:
    """How many tasks run at once, at most, while commands are still arriving."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.done = 0
        self.arriving = True
        self._lock = threading.Lock()

    def task(self, seconds: float) -> None:
        with self._lock:
            self.now += 1
            if self.arriving:
                self.most = max(self.most, self.now)
        time.sleep(seconds)
        with self._lock:
            self.now -= 1
            self.done += 1


def arrive(queue: WorkQueue, fn: object, count: int, every: float, *args: object) -> None:
    for _ in range(count):
        assert queue.submit(fn, *args)  # type: ignore[arg-type]
        time.sleep(every)


def test_while_commands_keep_arriving_one_task_runs_at_a_time() -> None:
    queue = WorkQueue("t", 8, 100, burst_workers=1)
    running = Running()
    arrive(queue, running.task, 40, 0.005, 0.01)  # a command every 5 ms, each taking 10 ms
    running.arriving = False  # the backlog left may now run on every worker
    queue.drain()
    assert running.done == 40
    assert running.most == 1


def test_once_arrivals_pause_every_worker_runs() -> None:
    queue = WorkQueue("t", 4, 100, burst_workers=1)
    together = threading.Barrier(4, timeout=3)
    arrive(queue, together.wait, 4, 0)
    queue.drain()  # a BrokenBarrierError would leave the barrier broken
    assert not together.broken


def test_a_task_stuck_during_a_burst_holds_up_the_others_at_most_a_turn() -> None:
    queue = WorkQueue("t", 8, 1000, burst_workers=1, turn_s=0.25)
    release = threading.Event()
    running = Running()
    assert queue.submit(release.wait, 10)  # e.g. views.open waiting on a slow Slack
    time.sleep(0.01)
    began = time.monotonic()
    while running.done == 0 and time.monotonic() - began < 3:
        queue.submit(running.task, 0)  # the burst goes on
        time.sleep(0.005)
    waited = time.monotonic() - began
    release.set()
    queue.drain()
    assert waited < 0.6, f"the others waited {waited:.2f} s behind the stuck task"


def test_without_burst_workers_every_worker_runs_at_once() -> None:
    queue = WorkQueue("t", 4, 100)
    together = threading.Barrier(4, timeout=3)
    arrive(queue, together.wait, 4, 0.005)
    queue.drain()
    assert not together.broken
