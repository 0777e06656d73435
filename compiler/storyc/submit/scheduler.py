"""Pacing at the account's limits (§8): submissions per second, concurrent tasks, queries per second.

- `Window`: at most N events in any sliding window of `period` seconds — the service's own rule — so a
  run starts with a burst up to the limit and never trips it after.
- `Slots`: concurrent tasks per model. A submission waits for a slot; the next one starts the moment a
  task is seen to finish. Tasks found in flight on resume occupy slots without waiting.
- `PollClock`: when to ask about a task. Until a task of the model has been timed, no more often than
  the official SDK's `wait()` (`sdk_gap`); once timed (by finished tasks' own `submit_time`/`end_time`,
  the journal, or the emulator's announced speed), the first query is due at the expected finish and
  the later ones back off geometrically, capped at the service's advised 15 s.
All queries (query, list, cancel, upload policies) share one `Window` kept at half the account's
20 queries/s, leaving the rest to other tools on the same account (docs/render.md, "Polling").
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import AsyncContextManager, AsyncIterator, Awaitable, Callable

ACCOUNT_QUERIES_PER_SECOND = 20  # query, list and cancel together, per account (§8, S4)
QUERY_SHARE = 0.5  # of that, what one run takes: other tools on the same account need the rest
QUERIES_PER_SECOND = int(ACCOUNT_QUERIES_PER_SECOND * QUERY_SHARE)
TYPICAL_SECONDS = 120.0  # "typical generation 1-5 min" (§6.7)
MAX_POLL_GAP = 15.0
OPEN_CHECK = 0.05  # how often a full window looks whether a request in flight has ended

# The official SDK's polling, BaseAsyncApi.wait() in dashscope/client/base_api.py (dashscope 2.0.2,
# the version tests/test_wire_sdk.py runs; §6.7, S9): it queries at once, then sleeps `wait_seconds`
# = 1 s after each answer, doubled before every 3rd query (`increment_steps`) up to
# `max_wait_seconds` = 5 s: queries at 0, 1, 2, 4, 6, 8, 12, 16, 20, 25, 30, ... s.
SDK_FIRST_GAP = 1.0
SDK_MAX_GAP = 5.0
SDK_DOUBLING_STEPS = 3


def sdk_gap(polls: int) -> float:
    """The SDK's sleep after its query number `polls` (1-based) and before the next one."""
    gap = SDK_FIRST_GAP
    for step in range(1, polls + 1):
        if gap >= SDK_MAX_GAP:
            break
        if step % SDK_DOUBLING_STEPS == 0:
            gap = min(gap * 2, SDK_MAX_GAP)
    return gap


class Window:
    """At most `limit` events in any `period` seconds, as the receiving end counts them.

    An event counts from when it is let through (`begin`) until `period` after it ended (`end`): the
    request it stands for reaches the service somewhere in between, so however late it arrives, no
    `period` at the service sees more than `limit` of them.
    """

    def __init__(self, limit: int, period: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, margin: float = 0.02) -> None:
        self.limit = max(1, limit)
        self.period = period + margin
        self.clock = clock
        self.sleep = sleep
        self.times: deque[float] = deque()  # when recent events ended
        self.open = 0  # events let through and not yet ended
        self.lock = asyncio.Lock()

    async def begin(self) -> None:
        async with self.lock:
            while True:
                now = self.clock()
                while self.times and now - self.times[0] >= self.period:
                    self.times.popleft()
                if len(self.times) + self.open < self.limit:
                    self.open += 1
                    return
                expiry = self.period - (now - self.times[0]) if self.times else self.period
                await self.sleep(min(expiry, OPEN_CHECK) if self.open else expiry)

    def end(self) -> None:
        self.open = max(0, self.open - 1)
        self.times.append(self.clock())

    async def wait(self) -> None:
        """An event without length (a submission's turn)."""
        await self.begin()
        self.end()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """An event as long as the block: a request from sending it to its answer."""
        await self.begin()
        try:
            yield
        finally:
            self.end()


class Slots:
    """A count of tasks in flight against a limit; `occupy` may exceed it, `acquire` waits."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.used = 0
        self.urgent = 0  # waiters that go first (links of a `continue` chain: the run's critical path)
        # links whose source has just finished and freed its slot: they will ask once their frame is
        # uploaded, and other waiters hold back until they do, so the slot passes down the chain
        self.expected = 0
        self.changed = asyncio.Condition()

    async def acquire(self, urgent: bool = False, expected: bool = False) -> None:
        """Take a slot; `urgent` goes before other waiters, `expected` redeems an `expect`."""
        async with self.changed:
            if expected:
                self.expected = max(0, self.expected - 1)
            if not urgent:
                await self.changed.wait_for(lambda: self.used < self.limit and not self.urgent and not self.expected)
                self.used += 1
                return
            self.urgent += 1
            try:
                await self.changed.wait_for(lambda: self.used < self.limit)
                self.used += 1
            finally:
                self.urgent -= 1
                self.changed.notify_all()

    def expect(self) -> None:
        """A chain's next link will ask for a slot soon: hold others back (`acquire(expected=True)` or `forget`)."""
        self.expected += 1

    async def forget(self) -> None:
        """An expected link that will not ask after all (its video was made already, or it cannot start)."""
        async with self.changed:
            self.expected = max(0, self.expected - 1)
            self.changed.notify_all()

    def occupy(self) -> None:
        self.used += 1

    async def release(self) -> None:
        async with self.changed:
            self.used = max(0, self.used - 1)
            self.changed.notify_all()


class PollClock:
    """When to ask about a task of one model: at its expected finish, then backing off.

    Until a task of the model has been timed, each task is polled on the SDK's schedule less its
    first query (made while the create's own answer, PENDING, is fresh): the k-th poll follows the
    previous answer (or the create's) by the SDK's k-th sleep, so a task never gets more polls, nor
    shorter gaps, than `VideoSynthesis.wait` gives it. The first timing, from the service's own
    `submit_time` and `end_time`, then times every other poll, and sleeping pollers are woken.
    """

    def __init__(self, expected: float) -> None:
        self.expected = expected if expected > 0 else TYPICAL_SECONDS
        self.known = expected > 0
        self.learnt = 0
        self._event = asyncio.Event()

    def seed(self, seconds: float) -> None:
        """Take a task length from elsewhere (the emulator's announcement) until a task is timed."""
        if seconds > 0 and not self.known:
            self.expected = seconds
            self.known = True
            self._wake()

    def learn(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.learnt += 1
        weight = 1.0 if not self.known or self.learnt == 1 else 0.3
        self.expected = max(0.05, (1 - weight) * self.expected + weight * seconds)
        self.known = True
        self._wake()

    def _wake(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def due(self, submitted: float, last_poll: float | None, polls: int) -> float:
        """The wall time of the next poll of a task submitted at `submitted` (its create answered then)."""
        if self.known:
            # `submitted` is when the create answer arrived, after the service started the task's clock
            first = submitted + self.expected + 0.005
            if polls == 0 or last_poll is None:
                return first
            # back off in proportion to how overdue the task is: 25% of the lateness, at most 15 s
            gap = self.expected * 0.02 + 0.25 * max(0.0, last_poll - first)
            return max(first, last_poll + min(MAX_POLL_GAP, max(0.02, gap)))
        if polls == 0 or last_poll is None:
            return submitted + sdk_gap(1)
        return last_poll + sdk_gap(polls + 1)

    async def sleep_or_learn(self, delay: float) -> None:
        """Sleep `delay` seconds, or less when a duration is learnt meanwhile."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout=delay)


class ModelLimits:
    def __init__(self, submit_per_second: int, concurrent: int, expected: float,
                 clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]) -> None:
        self.submissions = Window(submit_per_second, clock=clock, sleep=sleep)
        self.slots = Slots(concurrent)
        self.polls = PollClock(expected)


class Scheduler:
    """The limits of one account: per model (submissions, slots, poll timing) and for all queries."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 queries_per_second: int = QUERIES_PER_SECOND) -> None:
        self.clock = clock
        self.sleep = sleep
        self.queries = Window(queries_per_second, clock=clock, sleep=sleep)
        self.models: dict[str, ModelLimits] = {}

    def model(self, model: str, submit_per_second: int = 1, concurrent: int = 1,
              expected: float = TYPICAL_SECONDS) -> ModelLimits:
        if model not in self.models:
            self.models[model] = ModelLimits(submit_per_second, concurrent, expected, self.clock, self.sleep)
        return self.models[model]

    def query_turn(self) -> AsyncContextManager[None]:
        """Hold it around one query, list or cancel request, from sending to answer."""
        return self.queries.turn()
