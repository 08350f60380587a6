"""App and server state their releases on connect; a protocol mismatch says which side to
update, through the real server and the app's own signalling client."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from ultrasound_consult import __version__
from ultrasound_consult.protocol.signaling import (
    PROTOCOL_VERSION,
    Join,
    Role,
    Welcome,
    encode_client,
    encode_server,
    parse_client_message,
    parse_server_message,
)
from ultrasound_consult.session.signaling_client import SignalingClient, SignalingError
from ultrasound_consult.ui.messages import error_advice, error_headline


def test_join_and_welcome_carry_the_releases():
    join = parse_client_message(encode_client(Join(room="r", role=Role.EXPERT)))
    assert join.app_version == __version__
    welcome = parse_server_message(encode_server(Welcome(peer_id="p1", room="r", role=Role.EXPERT)))
    assert welcome.server_version == __version__


def test_messages_of_releases_before_the_fields_still_decode():
    """0.1.0 sent neither field: an old app joins a new server, a new app a old server."""
    old_join = {"type": "join", "v": 1, "room": "r", "role": "station", "name": "A"}
    assert parse_client_message(json.dumps(old_join)).app_version == ""
    old_welcome = {"type": "welcome", "v": 1, "peer_id": "p1", "room": "r", "role": "station",
                   "peers": [], "ice_servers": [], "resume_key": "k", "heartbeat_s": 15.0}  # fmt: skip
    assert parse_server_message(json.dumps(old_welcome)).server_version == ""


async def first_reply(url: str, join: dict) -> dict:
    async with connect(url) as ws:
        await ws.send(json.dumps(join))
        return json.loads(await asyncio.wait_for(ws.recv(), 5))


async def test_the_real_server_states_its_release(signaling_url, invite, room):
    join = Join(room=room, role=Role.EXPERT, token=invite("expert")).to_wire()
    reply = await first_reply(signaling_url, join)
    assert reply["type"] == "welcome" and reply["server_version"] == __version__


@pytest.mark.parametrize(
    ("protocol", "release", "words"),
    [
        (
            PROTOCOL_VERSION + 1,
            "9.0.0",
            "The server is older: update ultrasound-consult-server to 9.0.0",
        ),
        (PROTOCOL_VERSION + 1, "", "update ultrasound-consult-server to the release of the app"),
        (0, "0.0.1", f"The app is older: update it to ultrasound-consult {__version__}"),
        # A newer client's release string that this server would refuse must not hide
        # the real problem.
        (PROTOCOL_VERSION + 1, "x" * 500, "The server is older"),
    ],
)
async def test_a_mismatch_says_what_to_update(
    signaling_url, invite, room, protocol, release, words
):
    join = {"type": "join", "v": protocol, "room": room, "role": "expert", "name": "",
            "token": invite("expert"), "app_version": release}  # fmt: skip
    reply = await first_reply(signaling_url, join)
    assert reply["type"] == "error" and reply["code"] == "unsupported_version"
    assert reply["fatal"] and reply["supported_versions"] == [PROTOCOL_VERSION]
    assert words in reply["message"]
    assert f"ultrasound-consult-server {__version__}" in reply["message"]


@pytest.mark.parametrize(
    ("protocol", "code"), [(PROTOCOL_VERSION + 1, "server_outdated"), (0, "app_outdated")]
)
async def test_the_app_tells_the_user_which_side_to_update(
    signaling_url, invite, room, protocol, code
):
    join = Join(room=room, role=Role.EXPERT, token=invite("expert"), version=protocol)
    client = SignalingClient(
        signaling_url,
        join,
        on_message=lambda m: None,
        on_connection=lambda s, d: None,
        on_rejoined=lambda w: None,
        reconnect=False,
    )
    with pytest.raises(SignalingError) as info:
        await client.connect(timeout=5)
    assert info.value.code == code and info.value.permanent
    # The windows have words of their own for it (in both languages: test_i18n).
    assert error_headline(code) != error_headline("no_such_code")
    assert "update" in error_advice(code).lower() or "install" in error_advice(code).lower()
