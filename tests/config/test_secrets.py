"""Credentials inside URL settings are masked on every surface, and a masked value sent
back by the settings page never replaces the real secret.

The end-to-end test runs the real ``restrike run`` with an ``[[obs]]`` URL carrying
``user:password@`` that points at a closed port (and, with the peers, at a real OBS
that refuses the password), then reads every place the URL or its errors can show.
"""

from __future__ import annotations

import json
import logging
import socket
import tomllib
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner
from websockets.sync.client import connect as ws_connect

from restrike.cli import app as cli_app
from restrike.config import load_settings
from restrike.console import make_router
from restrike.logs import ring_buffer, setup_logging
from restrike.obs.pool import ObsPool
from restrike.obs.settings import ObsConnectionSettings, ObsStatus
from restrike.secrets import mask_url, redact, restore_url, restore_value
from tests.helpers import wait_until, wait_until_sync
from tests.peers.obs import obs_with_password  # noqa: F401
from tests.peers.xvfb import xvfb_display  # noqa: F401
from tests.station.fixtures import StationProcess, free_port

SECRET = "S3cretPW"
USER = "obsuser"


def closed_port() -> int:
    """A loopback TCP port nothing listens on (bound, released)."""
    return free_port(socket.SOCK_STREAM)


# -- the pure functions ---------------------------------------------------------------


@pytest.mark.parametrize(("given_", "shown"), [
    ("ws://user:pw@host:4455", "ws://user:***@host:4455"),
    ("wss://user:pw@host", "wss://user:***@host"),
    ("http://user:pw@host/x?y=1", "http://user:***@host/x?y=1"),
    ("postgresql://app:p%40ss@db.local:5432/restrike", "postgresql://app:***@db.local:5432/restrike"),
    ("rtmp://u:p@h/live/key", "rtmp://u:***@h/live/key"),
    ("https://TOKEN@github.com/x", "https://***@github.com/x"),
    ("ws://a:b@c@host", "ws://a:***@host"),  # an unescaped @ in the password
    ("ws://127.0.0.1:4455", "ws://127.0.0.1:4455"),
    ("http://host/path?mail=a@b.org", "http://host/path?mail=a@b.org"),  # not userinfo
    ("write to me@example.org", "write to me@example.org"),
    ("cannot reach OBS at ws://u:pw@h:1: refused; also rtmp://x:y@z",
     "cannot reach OBS at ws://u:***@h:1: refused; also rtmp://x:***@z"),
    ("bad OBS url 'ws://u:pw@h': no", "bad OBS url 'ws://u:***@h': no"),
])
def test_mask_url(given_: str, shown: str) -> None:
    assert mask_url(given_) == shown
    assert mask_url(shown) == shown  # idempotent


_SAFE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~!$&'()*+,;=%", min_size=1,
                max_size=30)


@given(user=_SAFE, password=_SAFE, scheme=st.sampled_from(["ws", "wss", "http", "https",
                                                          "postgresql", "rtmp"]))
def test_no_password_survives_masking(user: str, password: str, scheme: str) -> None:
    secret = "Q" + password + "Q"  # Q is not in the user's alphabet, nor in the host
    url = f"{scheme}://{user}:{secret}@host.example:4455/a/b"
    shown = mask_url(f"error at {url} (after {url})")
    assert secret not in shown
    assert shown.count(f"{scheme}://{user}:***@host.example:4455/a/b") == 2
    assert restore_url(mask_url(url), url) == url


def test_restore_url_only_puts_back_what_was_masked() -> None:
    real = "ws://user:pw@host:4455"
    assert restore_url("ws://user:***@host:4455", real) == real
    assert restore_url("ws://user:***@other:4456/x", real) == "ws://user:pw@other:4456/x"
    assert restore_url("ws://other:***@host:4455", real) == "ws://other:***@host:4455"
    assert restore_url("ws://user:new@host:4455", real) == "ws://user:new@host:4455"
    assert restore_url("ws://host:4455", real) == "ws://host:4455"  # credentials removed
    assert restore_url("ws://user:***@host", None) == "ws://user:***@host"
    assert restore_url("ws://***@host", "ws://token@host") == "ws://token@host"
    assert restore_value(["--a", "rtmp://u:***@h/k"], ("--a", "rtmp://u:p@h/k")) == \
        ["--a", "rtmp://u:p@h/k"]
    assert restore_value(7, "x") == 7


def test_redact_masks_secret_names_and_url_credentials() -> None:
    settings = {"obs": [{"name": "rec", "url": f"ws://{USER}:{SECRET}@h:1", "password": "p"}],
                "db": {"url": f"postgresql://app:{SECRET}@db/x"}, "api_token": "t",
                "path": Path("/x"), "args": ("--u", f"rtmp://a:{SECRET}@h/k")}
    out = redact(settings)
    assert SECRET not in json.dumps(out)
    assert isinstance(out["obs"], list)
    assert out["obs"][0] == {"name": "rec", "url": f"ws://{USER}:***@h:1", "password": "***"}
    assert out["args"] == ["--u", "rtmp://a:***@h/k"] and out["path"] == "/x"


def test_obs_status_and_settings_repr_never_carry_credentials() -> None:
    status = ObsStatus("rec", "both", error=f"cannot reach OBS at ws://u:{SECRET}@h:1: refused")
    assert SECRET not in json.dumps(status.as_dict())
    assert status.error == "cannot reach OBS at ws://u:***@h:1: refused"
    settings = ObsConnectionSettings("rec", f"ws://u:{SECRET}@h:1", "pw")
    assert SECRET not in repr(settings) and "pw" not in repr(settings).replace("protocol", "")
    from restrike.config import ObsConnectionSettings as ObsEntry

    entry = ObsEntry("rec", f"ws://u:{SECRET}@h:1", "pw", "both", "v5")
    assert repr(entry) == ("ObsConnectionSettings(name='rec', url='ws://u:***@h:1', "
                           "role='both', protocol='v5')")


# -- config show, config errors, the log ------------------------------------------------


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "restrike.toml"
    path.write_text(f'[station]\ndata_dir = "{(tmp_path / "data").as_posix()}"\n'
                    f'[playback]\nenabled = false\nextra_args = ["--stream=rtmp://cam:{SECRET}'
                    f'@10.0.0.9/live"]\n\n[[obs]]\nname = "rec"\n'
                    f'url = "ws://{USER}:{SECRET}@127.0.0.1:{closed_port()}"\n'
                    'password = "obs-password"\nrole = "recording"\n', encoding="utf-8")
    return path


def test_config_show_masks_url_credentials(config_file: Path) -> None:
    result = CliRunner().invoke(cli_app, ["config", "show", "--config", str(config_file)],
                                env={"RESTRIKE_CONFIG": ""})
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output and "obs-password" not in result.output
    shown = tomllib.loads(result.output)
    assert shown["obs"][0]["url"].startswith(f"ws://{USER}:***@127.0.0.1:")
    assert shown["playback"]["extra_args"] == ["--stream=rtmp://cam:***@10.0.0.9/live"]
    described = load_settings(config_file, env={}).describe()
    assert SECRET not in json.dumps(described)


def test_config_errors_mask_url_credentials(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'[[obs]]\nname = "rec"\nurl = "http://{USER}:{SECRET}@h:1"\n',
                    encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["config", "check", str(path)],
                                env={"RESTRIKE_CONFIG": ""})
    assert result.exit_code == 2
    assert "obs[0].url" in result.output and f"http://{USER}:***@h:1" in result.output
    assert SECRET not in result.output


def test_log_lines_and_tail_mask_url_credentials(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    path = setup_logging(level="INFO", log_dir=tmp_path / "logs")
    try:
        log = logging.getLogger("restrike.test_secrets")
        log.warning("connecting to %s", f"ws://{USER}:{SECRET}@h:1")
        try:
            raise ValueError(f"library says: bad URI rtmp://a:{SECRET}@h/k")
        except ValueError:
            log.exception("it failed")
    finally:
        for handler in list(root.handlers):
            if getattr(handler, "_restrike", False):
                root.removeHandler(handler)
                handler.close()
        root.setLevel(before[0])
    assert path is not None
    text = path.read_text(encoding="utf-8")
    err = capsys.readouterr().err
    tail = json.dumps(ring_buffer().tail(limit=5))
    for where in (text, err, tail):
        assert f"ws://{USER}:***@h:1" in where and "rtmp://a:***@h/k" in where
        assert SECRET not in where


# -- the settings page (GET and PUT round trip) ------------------------------------------


@pytest.fixture
def settings_client(config_file: Path):
    settings = load_settings(config_file, env={})
    app = FastAPI()
    app.include_router(make_router(settings=settings.describe(), config_file=config_file,
                                   data_dir=config_file.parent / "data"))
    with TestClient(app) as client:
        yield client


def test_settings_page_masks_and_round_trips_url_credentials(settings_client: TestClient,
                                                             config_file: Path) -> None:
    page = settings_client.get("/api/v1/settings")
    assert page.status_code == 200 and SECRET not in page.text
    data = page.json()
    entry = data["obs"][0]
    assert entry["url"].startswith(f"ws://{USER}:***@") and entry["password"] == "********"
    rows = {r["name"]: r for r in data["settings"]}
    assert rows["playback.extra_args"]["value"] == ["--stream=rtmp://cam:***@10.0.0.9/live"]
    assert SECRET not in json.dumps(rows["playback.extra_args"]["running"])

    # The page sends back what it got, with one unrelated change: nothing secret is lost.
    saved = settings_client.put("/api/v1/settings", json={"values": {
        "obs": data["obs"], "playback.extra_args": rows["playback.extra_args"]["value"],
        "review.quota": 2}})
    assert saved.status_code == 200, saved.text
    assert SECRET not in saved.text
    written = tomllib.loads(config_file.read_text(encoding="utf-8"))
    assert written["obs"][0]["url"] == load_settings(config_file, env={}).obs[0].url
    assert written["obs"][0]["url"].startswith(f"ws://{USER}:{SECRET}@127.0.0.1:")
    assert written["obs"][0]["password"] == "obs-password"
    assert written["playback"]["extra_args"] == [f"--stream=rtmp://cam:{SECRET}@10.0.0.9/live"]
    assert written["review"]["quota"] == 2

    # A new host keeps the credentials; new credentials replace them.
    moved = dict(entry, url=f"ws://{USER}:***@192.0.2.7:4456")
    assert settings_client.put("/api/v1/settings",
                               json={"values": {"obs": [moved]}}).status_code == 200
    written = tomllib.loads(config_file.read_text(encoding="utf-8"))
    assert written["obs"][0]["url"] == f"ws://{USER}:{SECRET}@192.0.2.7:4456"
    changed = dict(entry, url="ws://other:newpw@192.0.2.7:4456")
    assert settings_client.put("/api/v1/settings",
                               json={"values": {"obs": [changed]}}).status_code == 200
    written = tomllib.loads(config_file.read_text(encoding="utf-8"))
    assert written["obs"][0]["url"] == "ws://other:newpw@192.0.2.7:4456"


def test_obs_test_button_masks_credentials_in_its_error(settings_client: TestClient) -> None:
    entry = settings_client.get("/api/v1/settings").json()["obs"][0]
    r = settings_client.post("/api/v1/settings/obs/test",
                             json={"name": "rec", "url": entry["url"], "password": "********"})
    assert r.status_code == 200 and r.json()["reason"] == "unreachable"
    assert SECRET not in r.text and f"ws://{USER}:***@127.0.0.1:" in r.text


# -- the real station ---------------------------------------------------------------------


def _obs_error(url: str) -> str | None:
    rows = httpx.get(url + "/api/v1/obs", timeout=5).json()
    return next((r.get("error") for r in rows if r.get("error")), None)


def test_run_masks_url_credentials_on_every_surface(config_file: Path, tmp_path: Path) -> None:
    station = StationProcess(tmp_path / "data", extra=["--config", str(config_file)])
    station.start()
    try:
        url = station.url
        error = wait_until_sync(lambda: _obs_error(url), what="the OBS connection error")
        assert f"ws://{USER}:***@127.0.0.1:" in error
        with ws_connect(url.replace("http", "ws") + "/ws/live", open_timeout=5) as ws:
            snapshot = json.loads(ws.recv(timeout=5))
        obs_status = snapshot["status"]["obs"]
        assert obs_status and obs_status[0]["error"] and "***@" in obs_status[0]["error"]
        surfaces = {
            "/ws/live": json.dumps(snapshot),
            "/api/v1/obs": httpx.get(url + "/api/v1/obs", timeout=5).text,
            "/api/v1/diagnostics": httpx.get(url + "/api/v1/diagnostics", timeout=5).text,
            "/api/v1/settings": httpx.get(url + "/api/v1/settings", timeout=5).text,
            "/api/v1/logs": httpx.get(url + "/api/v1/logs", params={"limit": 500},
                                      timeout=5).text,
        }
        diagnostics = json.loads(surfaces["/api/v1/diagnostics"])
        assert json.dumps(diagnostics["config"]).count(f"ws://{USER}:***@127.0.0.1:") == 1
    finally:
        assert station.stop() == 0
    surfaces["output"] = station.output
    surfaces["log file"] = (tmp_path / "data" / "logs" / "restrike.log").read_text("utf-8")
    assert "OBS 'rec'" in surfaces["log file"]  # the connection error was logged
    for where, text in surfaces.items():
        assert SECRET not in text, where
        assert "obs-password" not in text, where


@pytest.mark.peers
async def test_real_obs_refusal_masks_url_credentials(obs_with_password) -> None:  # noqa: F811
    """A real OBS 29 (v5, auth on) refusing the password: the refusal names the URL."""
    url = obs_with_password.url.replace("ws://", f"ws://{USER}:{SECRET}@")
    pool = ObsPool([ObsConnectionSettings("rec", url, "wrong-password", connect_timeout=5)])
    seen: list[str] = []
    pool.subscribe(lambda item: seen.append(item.error) if isinstance(item, ObsStatus)
                   and item.error else None)
    async with pool:
        refusal = await wait_until(lambda: next((e for e in seen if "refused the password" in e),
                                                None), what="OBS refusing the password")
    assert f"ws://{USER}:***@" in refusal and SECRET not in refusal
