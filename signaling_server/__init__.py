"""Self-hosted signalling server: rooms, roles and relays for ultrasound-consult calls.

It never touches media (that flows peer to peer) and needs neither Qt nor aiortc, so
it deploys on a bare Linux host with Python and the ``websockets`` package.
"""

from ultrasound_consult import __version__

__all__ = ["__version__"]
