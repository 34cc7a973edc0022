"""The licence server: issues, validates, revokes and resets reStrike licence keys.

A program of its own (``restrike license-server``, FastAPI over uvicorn) run by the
organisation, not by a court: its SQLite file (or a PostgreSQL database) holds the
keys (hashed), the seats they are activated on and an audit of every request; its
Ed25519 key pair (created on the first start) signs the tokens the stations verify
(`restrike.license.tokens`). docs/licensing.md.
"""
