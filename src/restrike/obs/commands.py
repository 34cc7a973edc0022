"""OBS actions asked through the bus (`restrike.bus.ObsCommandRequested`).

The tournament hub's bulk actions reach a court's OBS the way the console's buttons
do: the same `ACTIONS` (parameters checked by the same models), run on the
connections of the role the action concerns — recording on those that record,
streaming and the program scene on those that stream (as the review switches it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from pydantic import ValidationError

from restrike.errors import ObsError
from restrike.obs.api import ACTIONS
from restrike.obs.pool import ObsConnection, ObsPool
from restrike.obs.settings import ObsRole

__all__ = ["ROLES", "run_command"]

#: The actions another part may ask, and the role of the connections that run them.
ROLES: Mapping[str, ObsRole] = {
    "start_recording": "recording",
    "stop_recording": "recording",
    "start_streaming": "streaming",
    "stop_streaming": "streaming",
    "switch_scene": "streaming",
}


async def run_command(pool: ObsPool, action: str, params: Mapping[str, object]
                      ) -> list[dict[str, object]]:
    """Run ``action`` on every connection of its role; one entry per connection.

    ObsError when it runs nowhere: an action not in `ROLES`, bad parameters, or no
    connection of that role.
    """
    role = ROLES.get(action)
    if role is None:
        raise ObsError(f"OBS action {action!r} cannot be asked here; these can: "
                       f"{', '.join(ROLES)}")
    spec = ACTIONS[action]
    try:
        parsed = spec.params.model_validate(dict(params))
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                             for e in err.errors())
        raise ObsError(f"bad parameters for {action}: {problems}") from err
    connections = pool.for_role(role)
    if not connections:
        raise ObsError(f"this station has no OBS connection for {role} (add one in the "
                       "console's settings, [[obs]])")
    return list(await asyncio.gather(*(_run(c, action, parsed) for c in connections)))


async def _run(conn: ObsConnection, action: str, params: object) -> dict[str, object]:
    try:
        result = await ACTIONS[action].run(conn.control, params)
    except ObsError as err:
        return {"name": conn.name, "ok": False, "error": str(err),
                "status": conn.status.as_dict()}
    return {"name": conn.name, "ok": True, "result": result, "status": conn.status.as_dict()}
