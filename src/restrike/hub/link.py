"""The hub link: the station component that streams the court's stored rows to the hub.

It follows the store, never the ingest: a task reads what is committed after its
cursor on a read-only connection and uploads it in batches (``outbox``), oldest
first; the hub answers with the newest id it holds, which becomes the cursor (kept
in the owned table ``hub_link`` so a restarted station resumes there). A commit,
a new scoreboard, an OBS or review change wakes it; silence sends a heartbeat. A
hub that cannot be reached is retried with backoff (0.5 s doubling to 30 s) while
the rows wait in SQLite; a hub that refuses (token, court name taken, older hub)
is shown in the health and retried slowly. Its lag (rows and seconds) is in its
health (``/api/health``, the console's status) and ``GET /api/v1/hub``. Beside the
uploads it keeps the command channel open (`restrike.hub.commands`): the control
room's OBS actions for this court.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from typing import Any

from fastapi import APIRouter

from restrike.bus import Broadcast, EventsCommitted, StateChanged, StatusChanged
from restrike.errors import HubError, StoreError
from restrike.hub.client import HubClient
from restrike.hub.commands import CommandChannel
from restrike.hub.outbox import STEPS, lag, load_state, save_state
from restrike.hub.settings import HubSettings
from restrike.hub.uploader import Uploader
from restrike.kernel import Context, Health, Stage, StoreReader

__all__ = ["HubLinkComponent"]

log = logging.getLogger(__name__)

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
#: Status codes that need a person (token, name, version), not just time.
#: Answers that will not change until someone acts (a token, a court name, a hub to
#: upgrade — 404: no upload route, 426: another upload format): health not ok.
REFUSALS = {401: "refused", 403: "refused", 404: "refused", 409: "refused", 400: "refused",
            426: "refused"}


class HubLinkComponent:
    """Uploads the court's rows to ``[hub] url``; does nothing without one."""

    name = "hub"

    def __init__(self) -> None:
        self.options = HubSettings()
        self.court = ""
        self.state = "off"
        self.error: str | None = None
        self.cursor = 0
        self.clips_from = 0
        self.station_id = ""
        self.lag_rows = 0
        self._oldest_waiting: float | None = None  # received_at of the oldest row waiting
        self.uploads = 0
        self.sent_rows = 0
        self.last_upload_at: float | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._live: dict[str, Any] = {"review": None, "obs": [], "feed": {}}
        self._review_at = 0.0  # when the review body was published (monotonic)
        self._unsubscribe: list[Any] = []
        self._ctx: Context | None = None
        self._reader: StoreReader | None = None
        self._client: HubClient | None = None
        self._uploader: Uploader | None = None
        self._task: asyncio.Task[None] | None = None
        self._commands: CommandChannel | None = None
        self._commands_task: asyncio.Task[None] | None = None
        self._lag_at = 0.0

    async def start(self, ctx: Context) -> None:
        self.options = ctx.settings.section("hub")
        self.court = ctx.settings.station.court or socket.gethostname()
        router = APIRouter(tags=["hub"])

        @router.get("/api/v1/hub", summary="The hub link: where it sends, its lag")
        async def hub_status() -> Health:
            return self.health()

        ctx.add_router(router)
        if not self.options.url:
            return
        self._ctx = ctx
        self._client = HubClient(self.options.url, self.options.token)
        await asyncio.wrap_future(ctx.store.migrate("hub", STEPS))
        saved = await asyncio.wrap_future(ctx.store.call(load_state))
        self.station_id = saved["station"]
        self.cursor = int(saved.get("cursor", 0))
        self.clips_from = int(saved.get("clips_from", 0))
        self._reader = ctx.store.reader()
        self._uploader = Uploader(self._client, self._reader.call, court=self.court,
                                  station=self.station_id,
                                  batch_rows=self.options.batch_rows, cursor=self.cursor,
                                  clips_from=self.clips_from)
        bus = ctx.bus
        # The OBS and feed statuses published before the link listened (plugins start
        # after OBS, which publishes on changes only): the station keeps the newest of
        # each for /ws/live (`Station.live_status`); a context without it starts empty.
        known = getattr(ctx, "live_status", None)
        if isinstance(known, dict):
            self._live.update({k: known[k] for k in ("obs", "feed") if k in known})
        self._unsubscribe = [
            bus.subscribe(EventsCommitted, lambda _e: self._wake.set()),
            bus.subscribe(StateChanged, lambda _e: self._wake.set()),
            bus.subscribe(StatusChanged, self._on_status),
            bus.subscribe(Broadcast, self._on_broadcast),
        ]
        self.state = "connecting"
        self._task = ctx.create_task(self._run(), name="hub-link")
        self._commands = CommandChannel(self.options.url, self.options.token, self.court,
                                        self.station_id, bus)
        self._commands_task = ctx.create_task(self._commands.run(), name="hub-commands")

    def _on_status(self, event: StatusChanged) -> None:
        if event.component in ("obs", "feed"):
            self._live[event.component] = event.status
            self._wake.set()

    def _on_broadcast(self, event: Broadcast) -> None:
        if event.type == "review":
            self._live["review"] = event.body
            self._review_at = time.monotonic()
            self._wake.set()

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.INTAKE:
            for unsubscribe in self._unsubscribe:
                unsubscribe()
            self._unsubscribe = []
            if self._commands_task is not None:  # no more commands from the hub
                self._commands_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._commands_task
        elif stage is Stage.CLOSE:  # after the store's last commit: one more upload
            self._stopping = True
            self._wake.set()
            if self._task is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(self._task), timeout=3.0)
                except (TimeoutError, asyncio.CancelledError):
                    self._task.cancel()
            if self._uploader is not None:
                self._uploader.close()
            if self._reader is not None:
                self._reader.close()
            if self._client is not None:
                self._client.close()

    def health(self) -> Health:
        return {"ok": self.state not in ("refused", "failed"), "state": self.state,
                "url": self.options.url, "court": self.court, "station": self.station_id,
                "cursor": self.cursor, "lag_rows": self.lag_rows,
                "lag_seconds": round(self.lag_seconds, 3), "uploads": self.uploads,
                "sent_rows": self.sent_rows, "last_upload_at": self.last_upload_at,
                "error": self.error,
                "commands": self._commands.health() if self._commands is not None else None}

    @property
    def lag_seconds(self) -> float:
        """How long the oldest row not held by the hub has waited, as of now (the rows
        are counted at each upload, and at each retry while the hub is away)."""
        oldest = self._oldest_waiting
        return max(0.0, time.time() - oldest) if oldest is not None else 0.0

    def stats_section(self) -> dict[str, Any]:
        """``/api/v1/stats``'s ``hub`` (and /ws/live's stats, the console's status bar)."""
        return {"state": self.state, "lag_rows": self.lag_rows,
                "lag_seconds": round(self.lag_seconds, 3), "cursor": self.cursor,
                "sent_rows": self.sent_rows}

    async def _run(self) -> None:
        backoff = BACKOFF_FIRST
        while True:
            try:
                more = await asyncio.to_thread(self._upload_once)
            except HubError as err:
                self._failed(err)
                if self._stopping:
                    return
                # The rows keep waiting: the lag grows while the hub is away.
                with contextlib.suppress(StoreError):
                    await asyncio.to_thread(self._measure, False)
                await self._sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            except StoreError as err:  # the database went away under the reader
                self.state, self.error = "failed", str(err)
                log.error("hub link: cannot read the store: %s", err)
                await self._sleep(BACKOFF_MAX)
                continue
            backoff = BACKOFF_FIRST
            if self._stopping and not more:
                return
            if not more:
                self._wake.clear()
                await self._sleep(self.options.heartbeat_seconds)

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds`` or until something wakes the link."""
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def _failed(self, err: HubError) -> None:
        state = REFUSALS.get(err.status or 0, "unreachable" if err.status is None else "error")
        if state != self.state or str(err) != self.error:
            log.warning("hub link: %s", err)
        self.state, self.error = state, str(err)
        if self._uploader is not None:
            self._uploader.known = False  # ask the hub where it is again

    def _upload_once(self) -> bool:
        """One upload (on a worker thread); True when more rows wait."""
        assert self._uploader is not None
        batch, moved = self._uploader.upload(self._live_now())
        self.cursor, self.clips_from = self._uploader.cursor, self._uploader.clips_from
        self.uploads += 1
        self.sent_rows += batch.rows
        self.last_upload_at = time.time()
        self.state, self.error = "connected", None
        if moved and self._ctx is not None and not self._stopping:  # the store is closed
            cursor, clips_from = self.cursor, self.clips_from
            self._ctx.store.call(lambda conn: save_state(conn, cursor, clips_from))
        more = self._uploader.more(batch)
        self._measure(more)
        return more

    def _measure(self, more: bool) -> None:
        """The lag: counted at most once a second while catching up, else each time."""
        now = time.time()
        if more and now - self._lag_at < 1.0:
            return
        self._lag_at = now
        assert self._reader is not None
        cursor = self.cursor
        self.lag_rows, seconds = self._reader.call(lambda conn: lag(conn, cursor, now))
        self._oldest_waiting = now - seconds if self.lag_rows else None

    def _live_now(self) -> dict[str, Any]:
        assert self._ctx is not None
        return {"state": json.loads(self._ctx.live.json_bytes()), **self._live,
                "review": review_now(self._live["review"],
                                     time.monotonic() - self._review_at),
                "lag_rows": self.lag_rows, "lag_seconds": self.lag_seconds,
                "sent_at": time.time()}


def review_now(body: dict[str, Any] | None, elapsed: float) -> dict[str, Any] | None:
    """The review body as of now: an open review's clock ``elapsed`` seconds on from when
    it was published (the review publishes on changes, not every second)."""
    left = body.get("review_clock_remaining") if body else None
    if body is None or not body.get("active") or not isinstance(left, int | float):
        return body
    return {**body, "review_clock_remaining": round(max(0.0, left - elapsed), 1)}
