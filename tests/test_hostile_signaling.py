"""A participant with a valid invite sends hostile text to the real server process.

The room must keep working for everyone else: relays still flow, a new expert can
still join, and the sender gets a refusal with a reason.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from tests.support.signaling import joined


async def recv_type(ws, kind: str, timeout: float = 5.0) -> dict:
    """The next message of type ``kind`` (others, such as presence, are skipped)."""

    async def wait() -> dict:
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == kind:
                return msg

    return await asyncio.wait_for(wait(), timeout)


async def relay_works(sender, receiver, receiver_id: str) -> None:
    await sender.send(
        json.dumps(
            {
                "type": "candidate",
                "to": receiver_id,
                "candidate": "candidate:1 1 UDP 1 127.0.0.1 9 typ host",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
            }
        )
    )
    got = await recv_type(receiver, "candidate")
    assert got["candidate"].startswith("candidate:1")


@pytest.mark.parametrize(
    "hostile",
    [
        # A lone surrogate: valid JSON, but not text (before the fix, every send to the
        # room's other peers failed while the sender stayed).
        r'{"type":"join","v":1,"room":"%s","role":"observer","name":"\ud800","token":"%s"}',
        r'{"type":"join","v":1,"room":"%s","role":"observer","name":"x\udfff","token":"%s"}',
        r'{"type":"join","v":1,"room":"%s","role":"observer","name":"\uffff","token":"%s"}',
    ],
)
async def test_a_surrogate_in_a_name_is_refused_and_the_room_works_for_everyone(
    signaling_url, room, invite, hostile
):
    station, st_welcome = await joined(signaling_url, room, "station", invite("station"), "Clinic")
    expert, ex_welcome = await joined(signaling_url, room, "expert", invite("expert"), "Dr")
    await recv_type(station, "peer_joined")
    bad = await connect(signaling_url)
    await bad.send(hostile % (room, invite("observer")))
    refusal = await recv_type(bad, "error")
    assert refusal["code"] == "bad_message" and "'name'" in refusal["message"]
    # The same connection with a decent name is let in, and everyone hears of it.
    await bad.send(
        json.dumps(
            {
                "type": "join",
                "v": 1,
                "room": room,
                "role": "observer",
                "name": "T",
                "token": invite("observer"),
            }
        )
    )
    assert (await recv_type(bad, "welcome"))["peers"]
    for ws in (station, expert):
        assert (await recv_type(ws, "peer_joined"))["peer"]["name"] == "T"
    # Relays both ways still work, and a new expert can join and be heard of.
    await relay_works(station, expert, ex_welcome["peer_id"])
    await relay_works(expert, station, st_welcome["peer_id"])
    second, _ = await joined(signaling_url, room, "expert", invite("expert"), "Dr 2")
    assert (await recv_type(station, "peer_joined"))["peer"]["name"] == "Dr 2"
    for ws in (station, expert, bad, second):
        await ws.close()


async def test_surrogates_in_candidates_and_app_data_are_refused_and_relays_go_on(
    signaling_url, room, invite
):
    station, st_welcome = await joined(signaling_url, room, "station", invite("station"), "Clinic")
    expert, ex_welcome = await joined(signaling_url, room, "expert", invite("expert"), "Dr")
    sid = st_welcome["peer_id"]
    for text in (
        r'{"type":"candidate","to":"SID","candidate":"candidate:\ud800","sdpMid":"0"}',
        r'{"type":"app","to":"SID","data":{"type":"ann.add","ann":{"label":"\udc00"}}}',
        r'{"type":"app","to":"SID","data":{"type":"ann.add","\ud800":1}}',
    ):
        await expert.send(text.replace("SID", sid))
        refusal = await recv_type(expert, "error")
        assert refusal["code"] == "bad_message" and "surrogate" in refusal["message"]
    await relay_works(expert, station, sid)
    await relay_works(station, expert, ex_welcome["peer_id"])
    await station.close()
    await expert.close()
