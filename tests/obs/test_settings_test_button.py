"""The settings page's "Test" button against an OBS that answers (the v4 fake, which
follows the published protocol): the version when the password is right, ``ok: false``
naming the password when it is wrong — a 200 either way, the test's answer."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from restrike.console import make_router
from tests.obs.fake_v4 import FakeObsV4


def _app(tmp_path: Path) -> FastAPI:
    app = FastAPI()
    app.include_router(make_router(config_file=tmp_path / "restrike.toml",
                                   data_dir=tmp_path / "data"))
    return app


async def _test(tmp_path: Path, body: dict[str, object]) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.post("/api/v1/settings/obs/test", json=body)


async def test_the_right_password_reports_the_version(fake_v4_auth: FakeObsV4,
                                                      tmp_path: Path) -> None:
    r = await _test(tmp_path, {"url": fake_v4_auth.url, "password": "v4-secret",
                               "protocol": "v4"})
    assert r.status_code == 200 and r.json()["ok"] is True, r.text
    assert r.json()["obs_version"]


async def test_a_wrong_password_is_the_answer_not_a_failure(fake_v4_auth: FakeObsV4,
                                                            tmp_path: Path) -> None:
    r = await _test(tmp_path, {"url": fake_v4_auth.url, "password": "wrong",
                               "protocol": "v4"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False and body["reason"] == "password"
    assert "refused the password" in body["detail"] and "wrong" not in body["detail"]
