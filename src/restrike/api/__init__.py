"""The station's HTTP and WebSocket API (FastAPI): see docs/api.md."""

from restrike.api.app import create_app

__all__ = ["create_app"]
