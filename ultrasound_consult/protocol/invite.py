"""Invite codes: which room, which role, until when, signed by the server.

Format (one string, short enough to read over the phone)::

    clinic-12.E1KZ4M2P.7HXM-4QPA-9TKD-W3FN
    |room    |role letter + expiry (Unix minutes, base32) |MAC (80 bits, base32)

The MAC is HMAC-SHA256 under the server's secret over the room, role and expiry,
truncated to 80 bits (RFC 2104 allows truncation; guessing one online is hopeless
behind the server's rate limit). Base32 is Crockford's: no I, L, O or U, and
case, dashes and spaces do not matter when typed.

This module parses and formats; only the server (which has the secret) signs and
verifies, in :mod:`signaling_server.tokens`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.signaling import Role

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(ALPHABET)} | {"O": 0, "I": 1, "L": 1}
MAC_CHARS = 16  # 80 bits

ROLE_LETTERS = {Role.STATION: "S", Role.EXPERT: "E", Role.OBSERVER: "O", Role.TRAINER: "T"}
LETTER_ROLES = {v: k for k, v in ROLE_LETTERS.items()}
_ROOM_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def b32encode(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        out.append(ALPHABET[digit])
    if value:
        raise ValueError("value does not fit")
    return "".join(reversed(out))


def b32decode(text: str) -> int:
    value = 0
    for ch in text.upper():
        if ch not in _DECODE:
            raise ValueError(f"{ch!r} is not a base32 character")
        value = value * 32 + _DECODE[ch]
    return value


def normalise_mac(text: str) -> str:
    return "".join(ALPHABET[_DECODE[c]] for c in text.upper().replace("-", "").replace(" ", ""))


@dataclass(frozen=True)
class Invite:
    room: str
    role: Role
    expires_min: int  # Unix time in minutes
    mac: str  # MAC_CHARS base32 characters, normalised

    @property
    def expires_at(self) -> float:
        return self.expires_min * 60.0

    def signed_text(self) -> bytes:
        """The bytes the MAC covers."""
        return b"\0".join(
            (
                b"uc-invite-v1",
                self.room.encode(),
                self.role.value.encode(),
                str(self.expires_min).encode(),
            )
        )

    def code(self) -> str:
        mac = "-".join(self.mac[i : i + 4] for i in range(0, len(self.mac), 4))
        return f"{self.room}.{ROLE_LETTERS[self.role]}{b32encode(self.expires_min, 7)}.{mac}"

    def __str__(self) -> str:
        return self.code()


def parse_invite(text: str) -> Invite:
    """Parse an invite code (not its signature); raises :class:`ProtocolError`."""
    text = text.strip()
    parts = text.rsplit(".", 2)
    invalid = ProtocolError(
        ErrorCode.TOKEN_INVALID,
        "this invite code is not valid (mistyped?); check it or ask for a new one",
    )
    if len(parts) != 3 or not _ROOM_RE.match(parts[0]) or len(parts[1]) < 2:
        raise invalid
    room, middle, mac = parts
    role = LETTER_ROLES.get(middle[0].upper())
    try:
        expires = b32decode(middle[1:])
        mac = normalise_mac(mac)
    except (ValueError, KeyError):
        raise invalid from None
    if role is None or len(mac) != MAC_CHARS:
        raise invalid
    return Invite(room=room, role=role, expires_min=expires, mac=mac)


JOIN_LINK_PREFIX = "ultrasound-consult://join?"


def join_link(server_url: str, code: str) -> str:
    """A link that carries both the server and the invite code."""
    return f"{JOIN_LINK_PREFIX}{urlencode({'server': server_url, 'code': code})}"


def split_join_text(text: str) -> tuple[str | None, str]:
    """``(server or None, code)`` from an invite code or a join link, as pasted."""
    text = text.strip()
    if not text.startswith(JOIN_LINK_PREFIX):
        return None, text
    query = parse_qs(text[len(JOIN_LINK_PREFIX) :])
    server = query.get("server", [None])[0]
    code = query.get("code", [""])[0]
    return server, code
