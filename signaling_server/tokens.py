"""Signing and checking invites, resume keys and TURN credentials with the server secret.

Only standard primitives: HMAC-SHA256 (invites, resume keys) and HMAC-SHA1 in the
TURN REST API form that coturn's ``use-auth-secret`` checks. Comparisons are
constant-time. Nothing here logs a token or a key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.invite import (
    MAC_CHARS,
    Invite,
    b32decode,
    b32encode,
    normalise_mac,
    parse_invite,
)
from ultrasound_consult.protocol.signaling import IceServer, Role

#: How long after its last welcome a peer may come back as itself.
RESUME_VALID_S = 12 * 3600.0


def _mac(secret: bytes, message: bytes) -> str:
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return b32encode(int.from_bytes(digest[: MAC_CHARS * 5 // 8], "big"), MAC_CHARS)


class InviteSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the server secret must be at least 16 bytes")
        self._secret = secret

    def mint(self, room: str, role: Role, *, ttl_s: float, now: float) -> Invite:
        expires_min = math.ceil((now + ttl_s) / 60)
        unsigned = Invite(room=room, role=role, expires_min=expires_min, mac="")
        return Invite(room, role, expires_min, _mac(self._secret, unsigned.signed_text()))

    def verify(
        self, token: str, *, room: str, role: Role, now: float, allow_expired: bool = False
    ) -> Invite:
        """The invite if ``token`` lets ``role`` into ``room`` now; else :class:`ProtocolError`.

        ``allow_expired``: a resuming peer (valid resume key) keeps its seat past the
        invite's expiry, so a long consult survives a server restart.
        """
        invite = parse_invite(token)
        expected = _mac(self._secret, invite.signed_text())
        if not hmac.compare_digest(expected, invite.mac):
            raise ProtocolError(
                ErrorCode.TOKEN_INVALID,
                "this invite code is not valid (mistyped, or from another server); "
                "check it or ask for a new one",
            )
        if now >= invite.expires_at and not allow_expired:
            raise ProtocolError(
                ErrorCode.TOKEN_EXPIRED, "this invite has expired; ask for a new one"
            )
        if invite.room != room:
            raise ProtocolError(
                ErrorCode.TOKEN_WRONG_ROOM, "this invite is for another room; check the room code"
            )
        if invite.role != role:
            raise ProtocolError(
                ErrorCode.TOKEN_WRONG_ROLE,
                f"this invite is for the {invite.role.value} role, not {role.value}",
            )
        return invite

    def resume_key(self, room: str, peer_id: str, role: Role, *, now: float, name: str = "") -> str:
        """A key to come back as ``peer_id`` within :data:`RESUME_VALID_S`, under the
        name it was first admitted with (a replayed key cannot bring a new name)."""
        expires_min = math.ceil((now + RESUME_VALID_S) / 60)
        mac = self._resume_mac(room, peer_id, role, expires_min, name)
        return f"{b32encode(expires_min, 7)}.{mac}"

    def resume_ok(
        self, room: str, peer_id: str, role: Role, key: str, *, now: float, name: str = ""
    ) -> bool:
        expiry, _, mac = key.partition(".")
        try:
            expires_min = b32decode(expiry)
            mac = normalise_mac(mac)
        except (ValueError, KeyError):
            return False
        if now >= expires_min * 60:
            return False
        return hmac.compare_digest(self._resume_mac(room, peer_id, role, expires_min, name), mac)

    def _resume_mac(
        self, room: str, peer_id: str, role: Role, expires_min: int, name: str = ""
    ) -> str:
        parts = (
            b"uc-resume-v2",
            room.encode(),
            peer_id.encode(),
            role.value.encode(),
            str(expires_min).encode(),
            name.encode("utf-8"),
        )
        return _mac(self._secret, b"\0".join(parts))


@dataclass(frozen=True)
class TurnConfig:
    urls: tuple[str, ...]
    secret: str
    ttl_s: float = 24 * 3600.0


def turn_credentials(turn: TurnConfig, peer_id: str, *, now: float) -> IceServer:
    """TURN REST API credentials (draft-uberti-behave-turn-rest): coturn ``use-auth-secret``."""
    username = f"{int(now + turn.ttl_s)}:{peer_id}"
    digest = hmac.new(turn.secret.encode(), username.encode(), hashlib.sha1).digest()
    return IceServer(
        urls=turn.urls, username=username, credential=base64.b64encode(digest).decode()
    )


def new_secret() -> bytes:
    return secrets.token_bytes(32)
