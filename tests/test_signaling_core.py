"""The server's state machine, fed strings, read as actions: no sockets."""

from __future__ import annotations

import json

from signaling_server.core import CLOSE_UNSUPPORTED_VERSION, Close, Limits, Send, SignalingCore
from ultrasound_consult.protocol.signaling import Join, Offer, Role, encode_client


def join(core: SignalingCore, conn: int, room: str, role: str, name: str = "") -> list:
    return core.receive(conn, encode_client(Join(room=room, role=Role(role), name=name)))


def sent_to(actions, conn):
    return [json.loads(a.text) for a in actions if isinstance(a, Send) and a.conn == conn]


def welcome_id(actions, conn) -> str:
    (msg,) = sent_to(actions, conn)
    assert msg["type"] == "welcome", msg
    return msg["peer_id"]


def test_join_welcomes_and_announces():
    core = SignalingCore()
    a, b = core.connect(), core.connect()
    station = welcome_id(join(core, a, "r1", "station", "Clinic"), a)
    actions = join(core, b, "r1", "expert", "Dr")
    (welcome,) = sent_to(actions, b)
    assert welcome["peers"] == [{"id": station, "role": "station", "name": "Clinic"}]
    (joined,) = sent_to(actions, a)
    assert joined == {
        "type": "peer_joined",
        "peer": {"id": welcome["peer_id"], "role": "expert", "name": "Dr"},
    }
    assert core.room_count == 1 and core.peer_count == 2


def test_offer_is_relayed_only_to_the_named_peer_with_the_sender():
    core = SignalingCore()
    a, b, c = core.connect(), core.connect(), core.connect()
    station = welcome_id(join(core, a, "r1", "station"), a)
    expert = welcome_id(join(core, b, "r1", "expert"), b)
    join(core, c, "r1", "observer")
    actions = core.receive(a, encode_client(Offer(peer=expert, sdp="v=0")))
    assert sent_to(actions, b) == [{"type": "offer", "from": station, "sdp": "v=0"}]
    assert sent_to(actions, c) == [] and sent_to(actions, a) == []


def test_relays_never_cross_rooms():
    core = SignalingCore()
    a, b = core.connect(), core.connect()
    welcome_id(join(core, a, "room-a", "station"), a)
    other = welcome_id(join(core, b, "room-b", "expert"), b)
    actions = core.receive(a, encode_client(Offer(peer=other, sdp="v=0")))
    assert sent_to(actions, b) == []
    (err,) = sent_to(actions, a)
    assert err["code"] == "unknown_peer"


def test_second_station_is_refused_with_room_full():
    core = SignalingCore()
    a, b = core.connect(), core.connect()
    join(core, a, "r", "station")
    (err,) = sent_to(join(core, b, "r", "station"), b)
    assert err["code"] == "room_full" and "station" in err["message"]


def test_room_capacity():
    core = SignalingCore(limits=Limits(max_peers_per_room=2))
    conns = [core.connect() for _ in range(3)]
    join(core, conns[0], "r", "expert")
    join(core, conns[1], "r", "expert")
    (err,) = sent_to(join(core, conns[2], "r", "observer"), conns[2])
    assert err["code"] == "room_full"


def test_messages_before_join_are_refused():
    core = SignalingCore()
    a = core.connect()
    (err,) = sent_to(core.receive(a, encode_client(Offer(peer="x", sdp="v"))), a)
    assert err["code"] == "not_joined"


def test_join_twice_is_refused():
    core = SignalingCore()
    a = core.connect()
    join(core, a, "r", "expert")
    (err,) = sent_to(join(core, a, "r2", "expert"), a)
    assert err["code"] == "already_joined"


def test_leaving_and_disconnecting_tell_the_others():
    core = SignalingCore()
    a, b, c = core.connect(), core.connect(), core.connect()
    join(core, a, "r", "station")
    gone = welcome_id(join(core, b, "r", "expert"), b)
    leaver = welcome_id(join(core, c, "r", "observer"), c)
    actions = core.disconnect(b)
    assert sent_to(actions, a) == [{"type": "peer_left", "peer_id": gone, "reason": "disconnected"}]
    actions = core.receive(c, '{"type": "leave"}')
    assert sent_to(actions, a) == [{"type": "peer_left", "peer_id": leaver, "reason": "left"}]
    assert any(isinstance(x, Close) and x.conn == c for x in actions)
    core.disconnect(a)
    assert core.room_count == 0 and core.peer_count == 0


def test_unsupported_version_gets_an_error_and_a_close():
    core = SignalingCore()
    a = core.connect()
    actions = core.receive(
        a, json.dumps({"type": "join", "v": 7, "room": "r", "role": "expert", "name": ""})
    )
    (err,) = sent_to(actions, a)
    assert (
        err["code"] == "unsupported_version" and err["supported_versions"] == [1] and err["fatal"]
    )
    assert Close(a, CLOSE_UNSUPPORTED_VERSION, "unsupported_version") in actions


def test_a_client_sending_only_garbage_is_eventually_closed():
    core = SignalingCore(limits=Limits(max_consecutive_errors=5))
    a = core.connect()
    for _ in range(4):
        assert not any(isinstance(x, Close) for x in core.receive(a, "garbage"))
    assert any(isinstance(x, Close) for x in core.receive(a, "garbage"))


def test_ping_pong_and_binary():
    core = SignalingCore()
    a = core.connect()
    assert sent_to(core.receive(a, '{"type": "ping"}'), a) == [{"type": "pong"}]
    (err,) = sent_to(core.receive(a, b"\x00\x01"), a)
    assert err["code"] == "binary_not_supported"


def test_a_thousand_garbage_clients_leave_no_state_behind():
    core = SignalingCore()
    for _ in range(1000):
        c = core.connect()
        core.receive(c, '{"type": "offer", "to": "x", "sdp": "v"}')
        core.disconnect(c)
    assert core.room_count == 0 and core.peer_count == 0 and not core._conns
