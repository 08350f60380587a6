"""Error codes shared by the signalling server, the client and the data channels."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    UNSUPPORTED_VERSION = "unsupported_version"
    MESSAGE_TOO_LARGE = "message_too_large"
    BINARY_NOT_SUPPORTED = "binary_not_supported"
    NOT_JOINED = "not_joined"
    ALREADY_JOINED = "already_joined"
    UNKNOWN_PEER = "unknown_peer"
    ROOM_FULL = "room_full"
    SERVER_FULL = "server_full"
    INTERNAL = "internal"


class ProtocolError(ValueError):
    """A message was rejected. ``code`` is for programs, ``reason`` for people."""

    def __init__(self, code: ErrorCode, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
