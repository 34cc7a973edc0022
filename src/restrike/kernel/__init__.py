"""The microkernel of the station: lifecycle, stages, tasks, health, the live state.

It imports no part of the station (api, ingest, store, obs, review, playback,
console, simulator, ...): the composition root `restrike.assembly` builds the parts
and hands each what it needs. What a component sees of the station is the `Context`.
"""

from restrike.kernel.gates import (
    LICENSED_FEATURES,
    OVERLAYS,
    RECORDING,
    REPLAY,
    FeatureGates,
    Gates,
    GatesChanged,
)
from restrike.kernel.lifecycle import (
    STAGE_TIMEOUTS,
    Address,
    Component,
    Context,
    Health,
    Stage,
    StoreAccess,
    StoreReader,
)
from restrike.kernel.live import LiveState
from restrike.kernel.signals import run_until_signalled
from restrike.kernel.station import (
    OPTIONAL_START_TIMEOUT,
    SWITCH_INTERVAL,
    Station,
    StationHealth,
)

__all__ = [
    "LICENSED_FEATURES",
    "OPTIONAL_START_TIMEOUT",
    "OVERLAYS",
    "RECORDING",
    "REPLAY",
    "STAGE_TIMEOUTS",
    "SWITCH_INTERVAL",
    "Address",
    "Component",
    "Context",
    "FeatureGates",
    "Gates",
    "GatesChanged",
    "Health",
    "LiveState",
    "Stage",
    "Station",
    "StationHealth",
    "StoreAccess",
    "StoreReader",
    "run_until_signalled",
]
