"""Invite codes: format, parsing as typed by people, and join links."""

from __future__ import annotations

import pytest

from signaling_server.tokens import InviteSigner
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.invite import (
    b32decode,
    b32encode,
    join_link,
    parse_invite,
    split_join_text,
)
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.call import CallConfig, CallError

SIGNER = InviteSigner(b"q" * 32)


def test_base32_round_trip_and_lookalikes():
    for value in (0, 1, 31, 32, 2**40 - 1, 29_000_000):
        assert b32decode(b32encode(value, 8)) == value
    assert b32decode("O1L") == b32decode("011"), "O reads as 0, I and L as 1"
    with pytest.raises(ValueError):
        b32decode("U")


@pytest.mark.parametrize("role", list(Role))
def test_mint_parse_round_trip(role):
    invite = SIGNER.mint("clinic-12", role, ttl_s=7200, now=1_800_000_000)
    parsed = parse_invite(invite.code())
    assert parsed == invite
    assert invite.expires_at >= 1_800_000_000 + 7200


@pytest.mark.parametrize(
    "bad",
    ["", "clinic-12", "a.b", "room.X123.ABCDEFGHJKMNPQRS", "room.E12.ABC", "bad room!.E1.AAAA"],
)
def test_malformed_codes(bad):
    with pytest.raises(ProtocolError) as info:
        parse_invite(bad)
    assert info.value.code is ErrorCode.TOKEN_INVALID and "ask for a new one" in info.value.reason


def test_join_links_carry_server_and_code():
    code = SIGNER.mint("clinic-12", Role.EXPERT, ttl_s=60, now=0).code()
    link = join_link("wss://consult.example:8765/", code)
    assert split_join_text(link) == ("wss://consult.example:8765/", code)
    assert split_join_text(f"  {code} ") == (None, code)
    config = CallConfig.from_invite("ws://default/", link, "Dr")
    assert (config.server_url, config.room, config.role, config.token) == (
        "wss://consult.example:8765/",
        "clinic-12",
        Role.EXPERT,
        code,
    )
    with pytest.raises(CallError, match="not valid"):
        CallConfig.from_invite("ws://default/", "nonsense", "Dr")
