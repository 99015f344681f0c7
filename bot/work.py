"""Acknowledged work, exactly once: the one mechanism every platform path uses.

A Slack event, ``/fedcheck`` or button press and a Teams activity are **recorded in the state
store before the platform is answered** (:meth:`WorkQueue.begin`: the idempotency claim carries
the payload, so a redelivery, to this replica or another, is a no-op). The work then records its
phases (:meth:`Job.record`: e.g. the rendered replies just before they are posted) and is
**finished only once its replies were posted**. Work whose process died, or whose replies could
not be posted after the bounded retries, stays unfinished; when its lease runs out
(``FEDBOT_WORK_LEASE``) any replica takes it over (:meth:`WorkQueue.resume_once`) and runs it
again from its last recorded phase. After :data:`MAX_RESUMES` takeovers it is given up: the
platform's ``give_up`` tells the user and the loss is logged once. While work runs, this process
renews its lease (a heartbeat), so slow work is never taken over by another replica.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.store import CLAIM_TTL, StateStore, StoreUnavailable, Work

log = logging.getLogger(__name__)

MAX_RESUMES = 3  # takeovers of unfinished work before it is given up (the user is told)
# work run at once in one process: more waits (recorded, its lease renewed) instead of crowding
# the store's connections, so acknowledging new work stays fast under a burst
MAX_RUNNING = 32
CRASH_AT = "FEDBOT_TEST_CRASH_AT"  # test-only fault injection, see crash_point


def crash_point(name: str) -> None:
    """**Test-only** fault injection: with ``FEDBOT_TEST_CRASH_AT=<name>`` in its environment the
    process kills itself (SIGKILL, as ``kill -9``) here, e.g. ``after_post``: a reply was posted
    and its work not yet marked finished. Never set it in a deployment."""
    if os.environ.get(CRASH_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class WorkNotRecorded(Exception):
    """The store could not record new work: it must not be acknowledged (the platform retries)."""


@dataclass
class Job:
    """One piece of acknowledged work: its key, its record (``kind`` and what the platform sent,
    plus the phases recorded so far) and how often it was taken over (0: the first run)."""

    key: str
    data: dict[str, Any]
    attempts: int = 0
    queue: WorkQueue | None = field(default=None, repr=False, compare=False)

    @property
    def kind(self) -> str:
        kind = self.data.get("kind")
        return kind if isinstance(kind, str) else "slack" if "slack_event" in self.data else ""

    @property
    def resumed(self) -> bool:
        return self.attempts > 0

    async def record(self, **phase: Any) -> None:
        """Record the work's next phase durably (a crash resumes from here)."""
        self.data.update(phase)
        if self.queue is not None:
            await self.queue.store.update_work(self.key, self.data)


Run = Callable[[Job], Awaitable[bool]]  # True: done (its replies were posted); False: retry later
GiveUp = Callable[[Job], Awaitable[None]]  # tell the user their answer was lost


@dataclass(frozen=True)
class Kind:
    run: Run
    give_up: GiveUp


class WorkQueue:
    """Records, runs, finishes and resumes acknowledged work (see the module docstring)."""

    def __init__(self, store: StateStore, lease: float = 60.0, ttl: float = CLAIM_TTL) -> None:
        self.store = store
        self.lease = lease
        self.ttl = ttl
        self._kinds: dict[str, Kind] = {}
        self._running: dict[str, int] = {}  # key -> runs of it in this process
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(MAX_RUNNING)

    def handle(self, kind: str, run: Run, give_up: GiveUp) -> None:
        """How to run (and resume) work of ``kind``, and how to tell its user it was lost."""
        self._kinds[kind] = Kind(run, give_up)

    async def begin(
        self, key: str, kind: str, data: dict[str, Any], ttl: float | None = None
    ) -> Job | None:
        """Record new work before it is acknowledged; ``None`` when ``key`` was seen already (a
        redelivery: acknowledge it and do nothing)."""
        record = {"kind": kind, **data}
        try:
            claimed = await self.store.claim(key, ttl or self.ttl, record, self.lease)
        except Exception as error:  # the store is unreachable or refuses: not recorded
            log.error("cannot record work %s: %s", key, str(error).splitlines()[0][:200])
            raise WorkNotRecorded(key) from error
        return Job(key, record, 0, self) if claimed else None

    async def run(self, job: Job, run: Run | None = None) -> bool:
        """Run ``job`` (with ``run``, else its kind's runner); finish it when done, give it up
        when it failed after its last takeover, else leave it to be resumed after its lease."""
        kind = self._kinds.get(job.kind)
        runner = run or (kind.run if kind else None)
        if runner is None:
            log.error("no runner for work %s (kind %r): dropped", job.key, job.kind)
            await self.store.finish(job.key)
            return False
        self._running[job.key] = self._running.get(job.key, 0) + 1  # its lease is renewed
        try:
            async with self._slots:
                done = await runner(job)
        except StoreUnavailable as error:
            log.warning("work %s waits for the state store: %s", job.key, error)
            done = False
        except Exception:
            log.exception("work %s failed (attempt %d)", job.key, job.attempts + 1)
            done = False
        finally:
            left = self._running[job.key] - 1
            if left:
                self._running[job.key] = left
            else:
                del self._running[job.key]
        if done:
            try:
                await self.store.finish(job.key)
            except Exception as error:  # the store is down: the work is resumed (and looked up)
                log.error("work %s done, not marked finished: %s", job.key, error)
                return True
            if job.resumed:
                log.info("resumed work %s done", job.key)
        elif job.attempts >= MAX_RESUMES:
            await self._give_up(job)
        else:
            log.warning(
                "work %s not done (attempt %d); it is retried after its lease (%gs)",
                job.key,
                job.attempts + 1,
                self.lease,
            )
        return done

    async def _give_up(self, job: Job) -> None:
        kind = self._kinds.get(job.kind)
        try:
            if kind is not None:
                await kind.give_up(job)
            else:
                log.error("giving up on work %s: %s", job.key, str(job.data)[:200])
        except Exception:
            log.exception("telling the user about lost work %s failed", job.key)
        await self.store.finish(job.key)

    def start(self, job: Job, run: Run | None = None) -> asyncio.Task[None]:
        """Run ``job`` in a task of its own, tracked until it ends (see :meth:`drain`)."""

        async def go() -> None:
            await self.run(job, run)

        return self._track(go())

    def _track(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def resume_once(self) -> int:
        """Take over unfinished work whose lease ran out (its process died, or its replies could
        not be posted) and run it; work taken over too often is given up. How many were taken."""
        taken = await self.store.take_unfinished(self.lease)
        for work in taken:
            job = self._job(work)
            if job.key in self._running:
                continue  # still running here (its heartbeat was late): leave it be
            if job.attempts > MAX_RESUMES or job.kind not in self._kinds:
                self._track(self._give_up(job))
                continue
            log.warning(
                "resuming %s (acknowledged, unfinished; takeover %d)", job.key, job.attempts
            )
            self.start(job)
        return len(taken)

    def _job(self, work: Work) -> Job:
        return Job(work.key, dict(work.data), work.attempts, self)

    async def _loop(self) -> None:
        while True:
            try:
                if self._running:
                    await self.store.renew(list(self._running), self.lease)
                await self.resume_once()
            except Exception:
                log.exception("resuming unfinished work failed")
            await asyncio.sleep(self.lease / 3)  # the periodic heartbeat and takeover

    def start_resuming(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.ensure_future(self._loop())

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until no work runs in this process; whether it all ended within ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=left)
        return True

    async def close(self, grace: float = 10.0) -> None:
        """Stop taking work over and let the work running here end (up to ``grace`` seconds)."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            self._loop_task = None
        await self.drain(grace)
