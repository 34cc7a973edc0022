"""The flag routes as a browser or OBS browser source sees them.

In-process through httpx's ASGI transport (what FastAPI's TestClient wraps); used
directly because Starlette's TestClient now warns when given ``httpx``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from restrike.flags import load_table
from restrike.flags.api import make_router

CUSTOM_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"><rect/></svg>'


@pytest.fixture
def custom_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "flags"
    folder.mkdir()
    return folder


def _client(custom_dir: Path | None) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(make_router(custom_dir))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://station")


@pytest.fixture
async def client(custom_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(custom_dir) as test_client:
        yield test_client


async def test_shipped_flag(client: httpx.AsyncClient) -> None:
    response = await client.get("/flags/GER.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["x-flag-placeholder"] == "0"
    assert response.headers["x-flag-source"] == "shipped"
    assert "max-age=" in response.headers["cache-control"]
    assert response.headers["etag"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.content.startswith(b"<svg")


async def test_lower_case_and_spaces(client: httpx.AsyncClient) -> None:
    assert (await client.get("/flags/ger.svg")).content == (
        await client.get("/flags/GER.svg")
    ).content
    assert (await client.get("/flags/%20kor%20.svg")).headers["x-flag-source"] == "shipped"


async def test_special_team_design(client: httpx.AsyncClient) -> None:
    response = await client.get("/flags/EOR.svg")
    assert response.status_code == 200
    assert response.headers["x-flag-source"] == "design"
    assert response.headers["x-flag-placeholder"] == "0"


async def test_unknown_code_is_a_placeholder_not_an_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/flags/XYZ.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["x-flag-placeholder"] == "1"
    assert response.headers["cache-control"] == "no-cache"
    assert b">XYZ</text>" in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/flags/..%2Fx.svg",
        "/flags/..%2F..%2Fetc%2Fpasswd.svg",
        "/flags/%2E%2E.svg",
        "/flags/....svg",
        "/flags/GER%00.svg",
        "/flags/..%5Cx.svg",
        "/flags/GERMANY.svg",
        "/flags/.svg",
        "/flags/GER",
        "/flags/GER.png",
    ],
)
async def test_malformed_codes_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert b"<svg" not in response.content


async def test_custom_override_wins(client: httpx.AsyncClient, custom_dir: Path) -> None:
    (custom_dir / "GER.svg").write_bytes(CUSTOM_SVG)
    response = await client.get("/flags/ger.svg")
    assert response.status_code == 200
    assert response.content == CUSTOM_SVG
    assert response.headers["x-flag-source"] == "custom"
    assert response.headers["cache-control"] == "no-cache"


async def test_etag_revalidation(client: httpx.AsyncClient, custom_dir: Path) -> None:
    first = await client.get("/flags/FRA.svg")
    etag = first.headers["etag"]
    again = await client.get("/flags/FRA.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    (custom_dir / "FRA.svg").write_bytes(CUSTOM_SVG)
    changed = await client.get("/flags/FRA.svg", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.content == CUSTOM_SVG


async def test_list(client: httpx.AsyncClient, custom_dir: Path) -> None:
    (custom_dir / "KOR.svg").write_bytes(CUSTOM_SVG)
    (custom_dir / "wrt.svg").write_bytes(CUSTOM_SVG)
    response = await client.get("/api/v1/flags")
    assert response.status_code == 200
    body = response.json()
    by_code = {item["code"]: item for item in body["flags"]}
    assert body["count"] == len(body["flags"]) == len(load_table()) + 1
    assert by_code["GER"] == {
        "code": "GER",
        "name": "Germany",
        "kind": "noc",
        "source": "shipped",
        "url": "/flags/GER.svg",
    }
    assert by_code["AIN"]["source"] == "design"
    assert by_code["AIN"]["kind"] == "special"
    assert by_code["KOR"]["source"] == "custom"
    assert by_code["WRT"] == {
        "code": "WRT",
        "name": None,
        "kind": None,
        "source": "custom",
        "url": "/flags/WRT.svg",
    }


async def test_every_listed_url_serves_a_flag(client: httpx.AsyncClient) -> None:
    for item in (await client.get("/api/v1/flags")).json()["flags"]:
        response = await client.get(item["url"])
        assert response.status_code == 200, item
        assert response.headers["x-flag-placeholder"] == "0", item


async def test_without_custom_folder() -> None:
    async with _client(None) as client:
        assert (await client.get("/flags/NED.svg")).headers["x-flag-source"] == "shipped"
        assert (await client.get("/api/v1/flags")).status_code == 200
