"""REST routes for the OBS connections: ``make_router(pool)`` → ``/api/v1/obs``.

``GET /api/v1/obs`` lists every connection's status; ``POST /api/v1/obs/{name}/{action}``
runs one operation with its parameters as a JSON body. Errors are JSON ``{"error",
"detail"}`` (docs/api.md): 404 unknown connection or action, 422 bad parameters (or a
scene OBS does not have), 409 OBS refused because of its state, 503 OBS not connected /
not answering, 502 other refusals.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from restrike.errors import ObsAuthError, ObsError, ObsUnavailable
from restrike.http.errors import responses
from restrike.http.params import Label, PathText
from restrike.obs.control import ObsControl
from restrike.obs.events import OutputStatus
from restrike.obs.pool import ObsPool

__all__ = ["ACTIONS", "make_router"]

log = logging.getLogger(__name__)

_STATE_CODES = frozenset({207, 500, 501, 502, 503, 504, 505, 506, 604})
_PARAM_CODES = frozenset({300, 301, 400, 401, 402, 403, 600, 601})


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _NoParams(_Params):
    pass


class SceneParams(_Params):
    scene: Label


class SecondsParams(_Params):
    seconds: int = Field(ge=1, le=21600)


class FolderParams(_Params):
    folder: PathText


class RecordingParams(_Params):
    folder: PathText | None = None
    filename_pattern: Label | None = None


class StreamServerParams(_Params):
    server: str = Field(pattern=r"^rtmps?://[^\x00-\x1f\x7f]+$", max_length=2000)
    key: Annotated[str, Field(max_length=500)] = ""


Runner = Callable[[ObsControl, Any], Awaitable[dict[str, object] | None]]


@dataclass(frozen=True, slots=True)
class _Action:
    params: type[_Params]
    run: Runner


def _status(result: OutputStatus) -> dict[str, object]:
    return dataclasses.asdict(result)


async def _start_recording(obs: ObsControl, p: RecordingParams) -> dict[str, object]:
    path = await obs.start_recording(folder=p.folder, filename_pattern=p.filename_pattern)
    return {"path": path}


async def _stop_recording(obs: ObsControl, p: _NoParams) -> dict[str, object]:
    return {"path": await obs.stop_recording()}


async def _save_replay(obs: ObsControl, p: _NoParams) -> dict[str, object]:
    return {"path": await obs.save_replay_buffer()}


async def _create_scene(obs: ObsControl, p: SceneParams) -> dict[str, object]:
    return {"created": await obs.create_scene(p.scene)}


async def _list_scenes(obs: ObsControl, p: _NoParams) -> dict[str, object]:
    return {"scenes": await obs.list_scenes(), "current": await obs.current_scene()}


def _simple(call: Callable[[ObsControl], Awaitable[object]]) -> _Action:
    async def run(obs: ObsControl, p: _NoParams) -> None:
        await call(obs)

    return _Action(_NoParams, run)


def _output(call: Callable[[ObsControl], Awaitable[OutputStatus]]) -> _Action:
    async def run(obs: ObsControl, p: _NoParams) -> dict[str, object]:
        return _status(await call(obs))

    return _Action(_NoParams, run)


async def _switch_scene(obs: ObsControl, p: SceneParams) -> None:
    await obs.switch_scene(p.scene)


async def _set_replay_seconds(obs: ObsControl, p: SecondsParams) -> None:
    await obs.set_replay_buffer_seconds(p.seconds)


async def _set_replay_folder(obs: ObsControl, p: FolderParams) -> None:
    await obs.set_replay_folder(p.folder)


async def _set_record_folder(obs: ObsControl, p: FolderParams) -> None:
    await obs.set_record_folder(p.folder)


async def _set_stream_server(obs: ObsControl, p: StreamServerParams) -> None:
    await obs.set_stream_server(p.server, p.key)


#: action name → (parameter model, runner); the names are the public API
ACTIONS: Mapping[str, _Action] = {
    "start_recording": _Action(RecordingParams, _start_recording),
    "stop_recording": _Action(_NoParams, _stop_recording),
    "recording_status": _output(lambda obs: obs.recording_status()),
    "start_replay_buffer": _simple(lambda obs: obs.start_replay_buffer()),
    "stop_replay_buffer": _simple(lambda obs: obs.stop_replay_buffer()),
    "save_replay_buffer": _Action(_NoParams, _save_replay),
    "replay_buffer_status": _output(lambda obs: obs.replay_buffer_status()),
    "set_replay_seconds": _Action(SecondsParams, _set_replay_seconds),
    "set_replay_folder": _Action(FolderParams, _set_replay_folder),
    "set_record_folder": _Action(FolderParams, _set_record_folder),
    "start_streaming": _simple(lambda obs: obs.start_streaming()),
    "stop_streaming": _simple(lambda obs: obs.stop_streaming()),
    "streaming_status": _output(lambda obs: obs.streaming_status()),
    "set_stream_server": _Action(StreamServerParams, _set_stream_server),
    "list_scenes": _Action(_NoParams, _list_scenes),
    "switch_scene": _Action(SceneParams, _switch_scene),
    "create_scene": _Action(SceneParams, _create_scene),
}


def _http_error(err: ObsError) -> HTTPException:
    if isinstance(err, ObsUnavailable | ObsAuthError):
        return HTTPException(503, str(err))
    if err.code is None or err.code in _STATE_CODES:
        return HTTPException(409, str(err))
    if err.code in _PARAM_CODES:
        return HTTPException(422, str(err))
    return HTTPException(502, str(err))


async def _params(request: Request, model: type[_Params]) -> _Params:
    body = await request.body()
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError as err:
        raise HTTPException(422, f"body is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise HTTPException(422, "body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in err.errors()
        )
        raise HTTPException(422, f"bad parameters: {problems}") from err


#: What ``POST /api/v1/obs/{name}/{action}`` can answer besides 200 (and 422).
_ACTION_ERRORS = responses(
    (404, "No OBS connection with that name, or no such action."),
    (409, "OBS refused because of its state (e.g. not recording)."),
    (502, "OBS refused the request for another reason."),
    (503, "OBS is not connected or did not answer."))
_Name = Annotated[str, Path(max_length=200, description="The connection's name")]
#: The body is read by the route (its model depends on the action): documented here.
_BODY = {"requestBody": {"required": False, "description": (
    "The action's parameters (docs/obs.md), e.g. `{\"scene\": \"IVR\"}`; none for most "
    "actions."), "content": {"application/json": {"schema": {"type": "object"}}}}}


def make_router(pool: ObsPool) -> APIRouter:
    """Routes over ``pool``; mount with ``app.include_router(make_router(pool))``."""
    router = APIRouter(prefix="/api/v1/obs", tags=["obs"])

    @router.get("")
    async def list_connections() -> list[dict[str, object]]:
        return [status.as_dict() for status in pool.statuses()]

    @router.get("/{name}", responses=responses((404, "No OBS connection with that name.")))
    async def get_connection(name: _Name) -> dict[str, object]:
        if name not in pool:
            raise HTTPException(404, f"no OBS connection named {name!r}")
        return pool.get(name).status.as_dict()

    @router.post("/{name}/{action}", responses=_ACTION_ERRORS, openapi_extra=_BODY)
    async def run_action(
        name: _Name,
        action: Annotated[str, Path(max_length=40, description=", ".join(sorted(ACTIONS)))],
        request: Request,
    ) -> dict[str, object]:
        if name not in pool:
            raise HTTPException(404, f"no OBS connection named {name!r}")
        spec = ACTIONS.get(action)
        if spec is None:
            raise HTTPException(
                404, f"unknown action {action!r}; known: {', '.join(sorted(ACTIONS))}"
            )
        params = await _params(request, spec.params)
        conn = pool.get(name)
        try:
            result = await spec.run(conn.control, params)
        except ObsError as err:
            log.info("OBS %s %s failed: %s", name, action, err)
            raise _http_error(err) from err
        return {"name": name, "action": action, "result": result,
                "status": conn.status.as_dict()}

    return router
