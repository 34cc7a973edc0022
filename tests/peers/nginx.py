"""nginx with the RTMP module on a free port: a real stream ingest for OBS."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from restrike.obs.headless import free_port, stop_process

RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")


@dataclass
class NginxRtmp:
    port: int
    prefix: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def server(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    def start(self, timeout: float = 10.0) -> None:
        conf = self.prefix / "nginx.conf"
        conf.write_text(
            f"load_module {RTMP_MODULE};\n"
            "daemon off;\nmaster_process off;\nworker_processes 1;\n"
            f"pid {self.prefix}/nginx.pid;\nerror_log {self.prefix}/error.log info;\n"
            "events { worker_connections 64; }\n"
            "rtmp { server { listen 127.0.0.1:%d; application live { live on; } } }\n"
            % self.port,
            encoding="utf-8",
        )
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.prefix), "-e", str(self.prefix / "error.log"),
             "-c", str(conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.prefix / "error.log").read_text(errors="replace")
                raise RuntimeError(f"nginx exited at start:\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx-rtmp did not open its port")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=5)
            self.proc = None


@pytest.fixture
def nginx_rtmp(tmp_path: Path) -> Iterator[NginxRtmp]:
    if shutil.which("nginx") is None or not RTMP_MODULE.exists():
        pytest.skip("nginx-light + libnginx-mod-rtmp are not installed (see README)")
    server = NginxRtmp(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()
