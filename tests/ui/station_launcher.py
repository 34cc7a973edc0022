"""``restrike`` with the console router mounted, for the UI tests.

Until ``restrike run`` mounts the console itself, this wraps the station's
``create_app`` so the app gets ``make_router(station=station)`` exactly as the station
will call it; once the station mounts it (a route at ``/`` exists), nothing is added.
Run as ``python tests/ui/station_launcher.py run --no-browser ...``.
"""

from __future__ import annotations

from typing import Any


def _patch() -> None:
    from restrike.api import app as app_module
    from restrike.console import make_router

    original = app_module.create_app

    def create_app(station: Any) -> Any:
        app = original(station)
        if not any(getattr(route, "path", None) == "/" for route in app.routes):
            app.include_router(make_router(station=station))
        return app

    app_module.create_app = create_app


if __name__ == "__main__":
    _patch()
    from restrike.cli import main

    main()
