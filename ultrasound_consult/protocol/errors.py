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
    #: Joining needs an invite token and none was given.
    UNAUTHORIZED = "unauthorized"
    TOKEN_INVALID = "token_invalid"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_WRONG_ROOM = "token_wrong_room"
    TOKEN_WRONG_ROLE = "token_wrong_role"
    #: The sender's role may not send this message (an observer annotating, say).
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    #: The connection sent nothing for too long, or never joined.
    IDLE_TIMEOUT = "idle_timeout"
    #: A data-channel operation that is well formed but does not apply to the current
    #: state: an unknown annotation id, a full scene, a calibration for another frame.
    CONFLICT = "conflict"
    #: Lectures through an SFU: this server has none, or it does not answer now.
    SFU_UNAVAILABLE = "sfu_unavailable"
    INTERNAL = "internal"


class ProtocolError(ValueError):
    """A message was rejected. ``code`` is for programs, ``reason`` for people."""

    def __init__(self, code: ErrorCode, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
