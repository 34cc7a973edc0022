"""Licensing of the station: hardware-locked activation, daily validation, offline
grace, trial and demo (docs/licensing.md).

A plugged-in part (entry point ``license`` -> `restrike.license.plugin.Licensing`):
it sets the station's feature gates (``ctx.gates``) from this machine's licence, so
no other part imports it. The licence server is `restrike.license_server`.
"""
