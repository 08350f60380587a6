"""The call engine: signalling client, peer connections, data channels, roles.

asyncio only (no Qt): it runs on the engine thread in the GUI and on the main
thread in headless modes, and reports through :class:`CallObserver`.
"""

from ultrasound_consult.session.observer import CallObserver, CallState

__all__ = ["CallObserver", "CallState"]
