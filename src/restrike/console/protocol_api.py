"""``/api/v1/protocol``: view, check, edit, upload or reset the protocol definition.

The text is validated with ``restrike.protocol.parse_schema`` before anything is
written; a refusal is 422 ``{"error", "detail": {"message", "line", "path"}}`` so the
console can point at the line; a file the station cannot read or write is 503. The
station reads the definition at start-up; with a ``reload`` hook (the station passes
one) a saved or reset definition is swapped in at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from restrike.api.access import PROTOCOL_MAX_BODY
from restrike.errors import ProtocolError
from restrike.http.errors import responses
from restrike.protocol import Schema, parse_schema

__all__ = ["ProtocolFiles", "make_protocol_router"]

log = logging.getLogger(__name__)

#: The guard refuses a bigger body with 413 before the route reads it.
MAX_BYTES = PROTOCOL_MAX_BODY
SHIPPED = "wt-udp-2.3.wtp"
CUSTOM_NAME = "protocol.wtp"


class ProtocolText(BaseModel):
    text: str = Field(max_length=MAX_BYTES, description=f"The definition (the request body "
                                                        f"is at most {MAX_BYTES} bytes).")


def _shipped_text() -> str:
    return resources.files("restrike.protocol").joinpath(SHIPPED).read_text("utf-8")


def _summary(schema: Schema) -> dict[str, Any]:
    return {"name": schema.name, "version": schema.version, "messages": len(schema.messages)}


def _refusal(err: ProtocolError) -> HTTPException:
    where = f"{err.path}:{err.line}" if err.line is not None else err.path
    message = str(err).removeprefix(f"{where}: ")
    return HTTPException(422, {"message": message, "line": err.line, "path": err.path})


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ProtocolFiles:
    """Where the definition in use comes from and where an edited one is written.

    Called from worker threads only (``reload`` hands the swap to the station's loop
    and waits for it, so calling it on the loop would block the loop); one lock makes
    each save or reset whole: file written, settings updated, ``active``, reload.
    """

    def __init__(self, active: Path | None, data_dir: Path | None,
                 select: Callable[[Path | None], None] | None = None,
                 reload: Callable[[Schema], bool] | None = None) -> None:
        self.active = active
        self.data_dir = data_dir
        self.select = select
        self.reload = reload
        self.lock = threading.RLock()

    def target(self) -> Path:
        if self.active is not None:
            return self.active
        if self.data_dir is None:
            raise HTTPException(409, "no data folder to save a custom protocol file in")
        return self.data_dir / CUSTOM_NAME

    def read(self) -> tuple[str, str | None]:
        with self.lock:
            active = self.active
            if active is None:
                return _shipped_text(), None
            try:
                return active.read_text(encoding="utf-8"), str(active)
            except (OSError, UnicodeDecodeError) as err:
                raise HTTPException(503, f"cannot read {active}: {err}") from err

    def save(self, text: str) -> dict[str, Any]:
        schema = self.check(text)
        with self.lock:
            path = self.target()
            try:
                atomic_write(path, text)
            except OSError as err:
                raise HTTPException(503, f"cannot write {path}: {err}") from err
            if self.active != path and self.select is not None:
                self.select(path)
            self.active = path
            live = bool(self.reload and self.reload(schema))
        log.info("protocol definition saved to %s (%s messages)", path, len(schema.messages))
        return {**_summary(schema), "path": str(path), "custom": True, "restart": not live}

    def reset(self) -> dict[str, Any]:
        """Back to the shipped definition (the custom file is kept on disk)."""
        schema = parse_schema(_shipped_text(), SHIPPED)
        with self.lock:
            if self.select is not None:
                self.select(None)
            self.active = None
            live = bool(self.reload and self.reload(schema))
        return {**_summary(schema), "path": None, "custom": False, "restart": not live}

    @staticmethod
    def check(text: str, source: str = "<edited>") -> Schema:
        try:
            return parse_schema(text, source)
        except ProtocolError as err:
            raise _refusal(err) from err


_UNREADABLE = (503, "The definition file cannot be read or written.")
_REFUSED = (422, "The definition is refused: `detail` has the message, line and path.")
_NO_FOLDER = (409, "No data folder to keep an edited definition in, or no settings file.")
#: The upload is the raw file, not JSON (the access guard takes these types for it).
_UPLOAD = {"requestBody": {"required": True, "description": "The definition file's text.",
                           "content": {"text/plain": {"schema": {"type": "string"}}}}}


def make_protocol_router(files: ProtocolFiles) -> APIRouter:
    router = APIRouter(prefix="/api/v1/protocol", tags=["console"])

    @router.get("", responses=responses(_UNREADABLE))
    def get_protocol() -> dict[str, Any]:
        """The definition in use: its text, where it comes from and a summary."""
        text, path = files.read()
        try:
            schema = parse_schema(text, path or SHIPPED)
            summary = _summary(schema)
        except ProtocolError as err:
            summary = {"name": None, "version": None, "messages": 0, "error": str(err)}
        return {**summary, "text": text, "path": path, "source": path or SHIPPED,
                "custom": path is not None}

    @router.put("", responses=responses(_NO_FOLDER, _REFUSED, _UNREADABLE))
    def put_protocol(body: ProtocolText, check: bool = False) -> dict[str, Any]:
        """Validate (``?check=1``) or validate and save the edited text."""
        if check:
            return {**_summary(files.check(body.text)), "saved": False}
        return files.save(body.text)

    @router.post("", responses=responses(_NO_FOLDER, _REFUSED, _UNREADABLE),
                 openapi_extra=_UPLOAD)
    async def upload_protocol(request: Request) -> dict[str, Any]:
        """Upload a definition file as the raw request body (any text content type)."""
        data = await request.body()
        if len(data) > MAX_BYTES:
            raise HTTPException(413, f"protocol file larger than {MAX_BYTES} bytes")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise HTTPException(422, {"message": f"not UTF-8 text: {err}", "line": None,
                                      "path": request.headers.get("x-filename")}) from err
        text = text.replace("\r\n", "\n")
        # Off the loop like the PUT: save writes files and waits for the station's loop.
        return await asyncio.to_thread(files.save, text)

    @router.delete("", responses=responses(_NO_FOLDER, _UNREADABLE))
    def reset_protocol() -> dict[str, Any]:
        """Go back to the shipped definition (the custom file is kept on disk)."""
        return files.reset()

    return router
