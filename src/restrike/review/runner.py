"""The workflow runner: one queue of inputs → the pure ``workflow.step`` → commands.

Inputs (court messages, the console, the hotkey, OBS and player news) are processed
one at a time, in arrival order; the commands of each are carried out before the next
input (slow ones are started as tasks by whoever carries them out). A caller that must
know whether its input was accepted — the API's replay and close — submits it with a
``check``: the precondition is decided by the worker, in queue order, against the
state right before that input, so of two concurrent requests exactly one passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from restrike.errors import ReviewError
from restrike.review.workflow import Command, Input, WorkflowConfig, WorkflowState, step

__all__ = ["Check", "WorkflowRunner"]

log = logging.getLogger(__name__)

#: Raises ReviewError when the input must be refused in this state.
Check = Callable[[WorkflowState], None]
#: Seconds ``stop`` lets the queue drain before the worker is cancelled.
DRAIN_TIMEOUT = 3.0


@dataclass(slots=True)
class _Item:
    event: Input
    done: asyncio.Future[WorkflowState] | None = None
    check: Check | None = None


class WorkflowRunner:
    """Feeds the workflow in order; ``state`` is the workflow's state after the last input.

    ``execute`` carries out one command; ``prepare`` may complete an input first (the
    review looks up the store's tournament and day for a new match); ``on_error`` is
    told (after the traceback was logged here) when processing an input failed.
    """

    def __init__(self, config: Callable[[], WorkflowConfig],
                 execute: Callable[[Command], Awaitable[None]], *,
                 prepare: Callable[[Input], Awaitable[Input]],
                 on_error: Callable[[str], None]) -> None:
        self.state = WorkflowState()
        self._config = config
        self._execute = execute
        self._prepare = prepare
        self._on_error = on_error
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._busy = False

    @property
    def running(self) -> bool:
        return self._worker is not None and not self._worker.done()

    def start(self, create_task: Callable[..., asyncio.Task[Any]]) -> None:
        """Start the worker with ``create_task(coro, name=...)`` (the station's)."""
        if not self.running:
            coro: Coroutine[Any, Any, None] = self._work()
            self._worker = create_task(coro, name="review-workflow")

    def feed(self, event: Input) -> None:
        """Queue ``event`` (dropped when the runner is not running: stopping)."""
        if self.running:
            self._queue.put_nowait(_Item(event))

    async def submit(self, event: Input, check: Check | None = None) -> WorkflowState:
        """Queue ``event`` and wait until it is processed: the state right after it.

        ReviewError if ``check`` refuses it (nothing is done then) or the runner is not
        running.
        """
        if not self.running:
            raise ReviewError("the review component is not running")
        done: asyncio.Future[WorkflowState] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(event, done, check))
        return await done

    def idle(self) -> bool:
        """Nothing queued and no input being processed."""
        return not self._busy and self._queue.empty()

    async def stop(self) -> None:
        """Let the queue drain (within DRAIN_TIMEOUT), then end the worker; inputs still
        queued are dropped and their callers get ReviewError."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        if not worker.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), DRAIN_TIMEOUT)
            worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        while not self._queue.empty():
            item = self._queue.get_nowait()
            self._queue.task_done()
            if item.done is not None and not item.done.done():
                item.done.set_exception(ReviewError("the review component stopped"))

    async def _work(self) -> None:
        queue = self._queue
        while True:
            item = await queue.get()
            self._busy = True
            try:
                await self._process(item)
            finally:
                self._busy = False
                queue.task_done()
            if not queue.empty():
                # get() does not yield while items wait: a storm of 20,000 challenge
                # requests held the loop (HTTP, /ws/live) for seconds without this.
                await asyncio.sleep(0)

    async def _process(self, item: _Item) -> None:
        done = item.done
        try:
            if item.check is not None:
                try:
                    item.check(self.state)
                except ReviewError as err:  # refused: the caller answers 409
                    if done is not None and not done.done():
                        done.set_exception(err)
                    return
            event = await self._prepare(item.event)
            self.state, commands = step(self._config(), self.state, event)
            for command in commands:
                await self._execute(command)
        except Exception as err:
            log.exception("review workflow failed on %r", item.event)
            self._on_error(f"review workflow: {err}")
        finally:
            if done is not None and not done.done():
                done.set_result(self.state)
