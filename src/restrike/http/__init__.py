"""The HTTP vocabulary every router shares: the error body and the bounded parameters.

Neutral ground between the API package and the parts' own routers (`restrike.obs.api`,
`restrike.playback.api`, ...): both import it, and it imports no part of the station but
the store's value parsers (a day or an id is bounded exactly as the store reads it), so a
part serves routes without knowing the API that mounts them (docs/contracts.md).
"""
