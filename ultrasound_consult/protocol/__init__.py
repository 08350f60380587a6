"""Wire messages: signalling (JSON over WebSocket) and data channels.

Pure and typed: no I/O, no Qt, no aiortc. Every decoder validates its input and
raises :class:`ProtocolError` with a machine code and a human reason.
"""

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError

__all__ = ["ErrorCode", "ProtocolError"]
