"""A plugin that opens a route, then raises in start: the route must not be served."""

from __future__ import annotations

from fastapi import APIRouter

from restrike.kernel import Context, Health, Stage


class Plugin:
    name = "broken_start"

    def __init__(self) -> None:
        self.stopped: list[str] = []

    async def start(self, ctx: Context) -> None:
        router = APIRouter()

        @router.get("/api/v1/broken_start")
        async def answer() -> dict[str, bool]:
            return {"served": True}

        ctx.add_router(router)
        raise RuntimeError("broken_start fails in start, on purpose")

    async def stop(self, stage: Stage) -> None:
        self.stopped.append(stage.name)

    def health(self) -> Health:
        return {"ok": True, "state": "running"}
