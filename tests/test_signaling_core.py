"""The server's state machine, driven through the in-memory directory: no sockets."""

from __future__ import annotations

import json

import pytest

from signaling_server.core import (
    CLOSE_IDLE,
    CLOSE_REPLACED,
    CLOSE_UNSUPPORTED_VERSION,
    JOIN_TIMEOUT_S,
    Close,
    Limits,
    Send,
    SignalingCore,
)
from signaling_server.directory import InMemoryDirectory, perform
from signaling_server.tokens import InviteSigner
from ultrasound_consult.protocol.signaling import (
    IDLE_TIMEOUT_S,
    App,
    Fanout,
    Join,
    Offer,
    Resume,
    Role,
    encode_client,
)

NOW = 1_800_000_000.0
SECRET = b"k" * 32


class Harness:
    """Runs the core's effects against an in-memory directory, like the shell does."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.signer = InviteSigner(SECRET)
        self.core = SignalingCore(self.signer, limits=limits)
        self.directory = InMemoryDirectory(self.core.limits, self._deliver, self._kick)
        self.outbox: dict[int, list] = {}
        self.now = NOW

    def _deliver(self, peer_id: str, text: str) -> None:
        conn = self.core.conn_of(peer_id)
        if conn is not None:
            self.outbox.setdefault(conn, []).append(json.loads(text))

    def _kick(self, seat: str) -> None:
        for e in self.core.kick(seat):
            self.outbox.setdefault(e.conn, []).append(("close", e.code, e.reason))

    def _put(self, e: Send | Close) -> None:
        """The connection's outbox: what the server's writer would send."""
        if isinstance(e, Send):
            self.outbox.setdefault(e.conn, []).append(json.loads(e.text))
        else:
            self.outbox.setdefault(e.conn, []).append(("close", e.code, e.reason))

    async def run(self, effects) -> None:
        """The server's own effect loop, with this harness's clock and outboxes."""
        await perform(effects, self.core, self.directory, self._put, lambda: self.now)

    def connect(self) -> int:
        return self.core.connect(self.now)

    async def send(self, conn: int, data) -> list:
        before = len(self.outbox.get(conn, []))
        text = data if isinstance(data, str | bytes) else encode_client(data)
        await self.run(self.core.receive(conn, text, self.now))
        return self.outbox.get(conn, [])[before:]

    def code(self, room: str, role: str, ttl_s: float = 3600) -> str:
        return self.signer.mint(room, Role(role), ttl_s=ttl_s, now=self.now).code()

    async def join(self, conn: int, room: str, role: str, name: str = "", **kw) -> dict:
        token = kw.pop("token", None) or self.code(room, role)
        replies = await self.send(
            conn, Join(room=room, role=Role(role), name=name, token=token, **kw)
        )
        return replies[0]

    def inbox(self, conn: int) -> list:
        return self.outbox.pop(conn, [])


async def test_join_welcomes_and_announces():
    h = Harness()
    a, b = h.connect(), h.connect()
    station = (await h.join(a, "r1", "station", "Clinic"))["peer_id"]
    welcome = await h.join(b, "r1", "expert", "Dr")
    assert welcome["type"] == "welcome"
    assert welcome["peers"] == [{"id": station, "role": "station", "name": "Clinic"}]
    assert welcome["resume_key"] and welcome["heartbeat_s"] > 0
    joined = h.inbox(a)[-1]
    assert joined == {
        "type": "peer_joined",
        "peer": {"id": welcome["peer_id"], "role": "expert", "name": "Dr"},
    }


async def test_no_token_no_entry():
    h = Harness()
    a = h.connect()
    (err,) = await h.send(a, Join(room="r", role=Role.EXPERT))
    assert err["code"] == "unauthorized" and "invite" in err["message"]
    assert h.directory.local_rooms() == 0


@pytest.mark.parametrize(
    ("token_for", "join_as", "code"),
    [
        (("other-room", "expert"), ("r", "expert"), "token_wrong_room"),
        (("r", "observer"), ("r", "expert"), "token_wrong_role"),
    ],
)
async def test_tokens_must_match_room_and_role(token_for, join_as, code):
    h = Harness()
    a = h.connect()
    err = await h.join(a, *join_as, token=h.code(*token_for))
    assert err["code"] == code


async def test_expired_tampered_and_foreign_tokens():
    h = Harness()
    expired = h.signer.mint("r", Role.EXPERT, ttl_s=60, now=NOW - 3600).code()
    assert (await h.join(h.connect(), "r", "expert", token=expired))["code"] == "token_expired"
    good = h.code("r", "expert")
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")
    assert (await h.join(h.connect(), "r", "expert", token=tampered))["code"] == "token_invalid"
    foreign = InviteSigner(b"x" * 32).mint("r", Role.EXPERT, ttl_s=600, now=NOW).code()
    assert (await h.join(h.connect(), "r", "expert", token=foreign))["code"] == "token_invalid"
    assert (await h.join(h.connect(), "r", "expert", token="garbage"))["code"] == "token_invalid"


async def test_invite_codes_survive_being_read_over_the_phone():
    h = Harness()
    code = h.code("clinic-12", "expert")
    room, middle, mac = code.rsplit(".", 2)
    spoken = f"{room}.{middle.lower()}.{mac.replace('-', ' ').lower().replace('0', 'o').replace('1', 'l')}"
    assert (await h.join(h.connect(), "clinic-12", "expert", token=spoken))["type"] == "welcome"


async def test_offer_is_relayed_only_to_the_named_peer_with_the_sender():
    h = Harness()
    a, b, c = h.connect(), h.connect(), h.connect()
    station = (await h.join(a, "r1", "station"))["peer_id"]
    expert = (await h.join(b, "r1", "expert"))["peer_id"]
    await h.join(c, "r1", "observer")
    for conn in (a, b, c):
        h.inbox(conn)
    await h.send(a, Offer(peer=expert, sdp="v=0"))
    assert h.inbox(b) == [{"type": "offer", "from": station, "sdp": "v=0"}]
    assert h.inbox(c) == [] and h.inbox(a) == []


async def test_relays_never_cross_rooms():
    h = Harness()
    a, b = h.connect(), h.connect()
    await h.join(a, "room-a", "station")
    other = (await h.join(b, "room-b", "expert"))["peer_id"]
    h.inbox(b)
    (err,) = await h.send(a, Offer(peer=other, sdp="v=0"))
    assert err["code"] == "unknown_peer"
    assert h.inbox(b) == []


@pytest.mark.parametrize(
    ("role", "message", "allowed"),
    [
        ("expert", Offer(peer="x", sdp="v"), False),
        ("observer", Offer(peer="x", sdp="v"), False),
        ("observer", App(peer="x", data={"type": "ann.add"}), False),
        # A lecture's trainee has no data channel: a hand, a question, a report, a chat.
        ("observer", App(peer="x", data={"type": "lecture.hand", "up": True}), True),
        ("observer", App(peer="x", data={"type": "lecture.ask", "op": "q", "text": "?"}), True),
        ("observer", App(peer="x", data={"type": "lecture.report"}), True),
        ("observer", App(peer="x", data={"type": "lecture.ctl"}), False),
        ("observer", App(peer="x", data={"type": "lecture"}), False),
        ("expert", App(peer="x", data={"type": "ann.add"}), True),
        ("trainer", App(peer="x", data={"type": "ann.add"}), True),
        ("station", App(peer="x", data={"type": "stream.info"}), True),
    ],
)
async def test_what_each_role_may_send(role, message, allowed):
    h = Harness()
    sender, target = h.connect(), h.connect()
    await h.join(target, "r", "station" if role != "station" else "expert")
    target_id = h.core._conns[target].peer.id
    await h.join(sender, "r", role)
    h.inbox(target)
    message = type(message)(**{**message.__dict__, "peer": target_id})
    replies = await h.send(sender, message)
    if allowed:
        assert replies == [] and h.inbox(target)[0]["from"] == h.core._conns[sender].peer.id
    else:
        assert replies[0]["code"] == "forbidden" and h.inbox(target) == []


async def test_the_station_fans_out_to_trainees_only_and_nobody_else_may():
    h = Harness()
    station, expert, t1, t2 = (h.connect() for _ in range(4))
    await h.join(station, "r", "station")
    await h.join(expert, "r", "expert")
    await h.join(t1, "r", "observer")
    await h.join(t2, "r", "observer")
    other = h.connect()
    await h.join(other, "elsewhere", "observer")
    for conn in (station, expert, t1, t2, other):
        h.inbox(conn)
    data = {"type": "ann.add", "op": "s-1"}
    assert await h.send(station, Fanout(data)) == []
    station_id = h.core._conns[station].peer.id
    for trainee in (t1, t2):
        (got,) = h.inbox(trainee)
        assert got == {"type": "app", "from": station_id, "data": data}
    assert h.inbox(expert) == [] and h.inbox(station) == [] and h.inbox(other) == []
    for sender in (expert, t1):
        (reply,) = await h.send(sender, Fanout(data))
        assert reply["code"] == "forbidden"
    assert h.inbox(t2) == []


async def test_the_station_gets_a_larger_message_budget():
    h = Harness(Limits(rate_per_s=1.0, burst=5.0, station_rate_factor=4.0))
    station, expert = h.connect(), h.connect()
    await h.join(station, "r", "station")
    await h.join(expert, "r", "expert")
    expert_id = h.core._conns[expert].peer.id
    station_id = h.core._conns[station].peer.id
    h.inbox(expert)
    h.inbox(station)
    app = App(peer=expert_id, data={"type": "ack", "op": "x"})
    limited = [await h.send(station, app) for _ in range(25)]
    # A burst of 20 (4 x 5) goes through; the 21st is told to slow down.
    assert sum(1 for r in limited if r and r[0]["code"] == "rate_limited") == 1
    assert len(h.inbox(expert)) == 20
    # Anyone else keeps the ordinary budget.
    back = App(peer=station_id, data={"type": "ann.add", "op": "y"})
    replies = [await h.send(expert, back) for _ in range(7)]
    assert sum(1 for r in replies if r and r[0]["code"] == "rate_limited") == 1
    assert len(h.inbox(station)) == 5


async def test_capacities_by_role():
    h = Harness(Limits(max_experts=2, max_observers=1, max_peers_per_room=10))
    assert (await h.join(h.connect(), "r", "station"))["type"] == "welcome"
    assert (await h.join(h.connect(), "r", "station"))["code"] == "room_full"
    assert (await h.join(h.connect(), "r", "expert"))["type"] == "welcome"
    assert (await h.join(h.connect(), "r", "trainer"))["type"] == "welcome"
    full = await h.join(h.connect(), "r", "expert")
    assert full["code"] == "room_full" and "expert" in full["message"]
    assert (await h.join(h.connect(), "r", "observer"))["type"] == "welcome"
    assert (await h.join(h.connect(), "r", "observer"))["code"] == "room_full"


async def test_room_and_server_limits():
    h = Harness(Limits(max_peers_per_room=2, max_rooms=1))
    await h.join(h.connect(), "r", "expert")
    await h.join(h.connect(), "r", "observer")
    assert (await h.join(h.connect(), "r", "observer"))["code"] == "room_full"
    assert (await h.join(h.connect(), "other", "expert"))["code"] == "server_full"


async def test_leaving_and_disconnecting_tell_the_others():
    h = Harness()
    a, b, c = h.connect(), h.connect(), h.connect()
    await h.join(a, "r", "station")
    gone = (await h.join(b, "r", "expert"))["peer_id"]
    leaver = (await h.join(c, "r", "observer"))["peer_id"]
    h.inbox(a)
    await h.run(h.core.disconnect(b, NOW))
    assert h.inbox(a) == [{"type": "peer_left", "peer_id": gone, "reason": "disconnected"}]
    await h.send(c, '{"type": "leave"}')
    assert h.inbox(a) == [{"type": "peer_left", "peer_id": leaver, "reason": "left"}]
    assert ("close", 1000, "left") in h.inbox(c)
    await h.run(h.core.disconnect(a, NOW))
    assert h.directory.local_rooms() == 0 and h.core.peer_count == 0


async def test_resume_keeps_the_peer_id_and_replaces_a_stale_connection():
    h = Harness()
    a, old, new = h.connect(), h.connect(), h.connect()
    await h.join(a, "r", "station")
    first = await h.join(old, "r", "expert", "Dr")
    h.inbox(a)
    resumed = await h.join(
        new, "r", "expert", "Dr", resume=Resume(first["peer_id"], first["resume_key"])
    )
    assert resumed["type"] == "welcome" and resumed["peer_id"] == first["peer_id"]
    assert ("close", CLOSE_REPLACED, "replaced") in h.inbox(old)
    assert h.inbox(a)[-1]["type"] == "peer_joined"
    # The stale connection going away later must not evict the resumed seat.
    await h.run(h.core.disconnect(old, NOW))
    assert h.inbox(a) == []
    await h.send(a, Offer(peer=first["peer_id"], sdp="v"))
    assert h.inbox(new)[-1]["type"] == "offer"


async def test_resume_with_a_bad_key_joins_afresh_and_resume_outlives_the_invite():
    h = Harness()
    first = await h.join(h.connect(), "r", "expert")
    forged = await h.join(
        h.connect(), "r", "expert", resume=Resume(first["peer_id"], "0000000.AAAAAAAAAAAAAAAA")
    )
    assert forged["type"] == "welcome" and forged["peer_id"] != first["peer_id"]
    # An hour after a one-minute invite expired, its holder may still come back as itself.
    token = h.signer.mint("r2", Role.EXPERT, ttl_s=60, now=NOW).code()
    original = await h.join(h.connect(), "r2", "expert", token=token)
    h.now = NOW + 3600
    back = await h.join(
        h.connect(),
        "r2",
        "expert",
        token=token,
        resume=Resume(original["peer_id"], original["resume_key"]),
    )
    assert back["type"] == "welcome" and back["peer_id"] == original["peer_id"]
    stranger = await h.join(h.connect(), "r2", "expert", token=token)
    assert stranger["code"] == "token_expired"


async def test_a_replayed_resume_key_cannot_bring_a_new_name():
    """The key binds the name of the first admission: replayed with another name from a
    second connection, it is refused (a fresh join, a new id) and takes nobody over."""
    h = Harness()
    a, victim, thief = h.connect(), h.connect(), h.connect()
    await h.join(a, "r", "station")
    first = await h.join(victim, "r", "expert", "Dr Honest")
    h.inbox(a)
    stolen = await h.join(
        thief, "r", "expert", "Dr Mallory", resume=Resume(first["peer_id"], first["resume_key"])
    )
    assert stolen["type"] == "welcome" and stolen["peer_id"] != first["peer_id"]
    assert not any(m[0] == "close" for m in h.inbox(victim) if isinstance(m, tuple))
    joined = h.inbox(a)[-1]
    assert joined["type"] == "peer_joined" and joined["peer"]["name"] == "Dr Mallory"
    assert h.core.rejects["resume_refused"] == 1
    # The same key with the same name still brings the peer back (a reconnect).
    back = await h.join(
        h.connect(),
        "r",
        "expert",
        "Dr Honest",
        resume=Resume(first["peer_id"], first["resume_key"]),
    )
    assert back["peer_id"] == first["peer_id"]


async def test_unsupported_version_gets_an_error_and_a_close():
    h = Harness()
    a = h.connect()
    replies = await h.send(
        a, json.dumps({"type": "join", "v": 7, "room": "r", "role": "expert", "name": ""})
    )
    err = replies[0]
    assert (
        err["code"] == "unsupported_version" and err["supported_versions"] == [1] and err["fatal"]
    )
    assert ("close", CLOSE_UNSUPPORTED_VERSION, "unsupported_version") in replies


async def test_a_client_sending_only_garbage_is_eventually_closed():
    h = Harness(Limits(max_consecutive_errors=5))
    a = h.connect()
    for _ in range(4):
        assert not any(isinstance(r, tuple) for r in await h.send(a, "garbage"))
    assert any(isinstance(r, tuple) and r[0] == "close" for r in await h.send(a, "garbage"))


async def test_floods_are_rate_limited_with_one_notice_a_second():
    h = Harness(Limits(rate_per_s=10, burst=20))
    a = h.connect()
    await h.join(a, "r", "expert")
    replies = []
    for _ in range(60):
        replies += await h.send(a, '{"type": "ping"}')
    pongs = [r for r in replies if r == {"type": "pong"}]
    notices = [r for r in replies if isinstance(r, dict) and r.get("code") == "rate_limited"]
    assert len(pongs) == 19 and len(notices) == 1  # burst 20, less the join
    h.now += 1.0  # ten tokens later
    assert (await h.send(a, '{"type": "ping"}')) == [{"type": "pong"}]
    assert h.core.rejects["rate_limited"] == 41


async def test_connections_that_never_join_or_go_quiet_are_closed():
    h = Harness()
    lurker, quiet, chatty = h.connect(), h.connect(), h.connect()
    await h.join(quiet, "r", "expert")
    await h.join(chatty, "r", "station")
    h.now += JOIN_TIMEOUT_S + 1
    await h.run(h.core.tick(h.now))
    assert ("close", CLOSE_IDLE, "idle_timeout") in h.inbox(lurker)
    h.now += IDLE_TIMEOUT_S - JOIN_TIMEOUT_S
    await h.send(chatty, '{"type": "ping"}')
    h.inbox(chatty)
    await h.run(h.core.tick(h.now))
    assert ("close", CLOSE_IDLE, "idle") in h.inbox(quiet)
    assert h.inbox(chatty)[-1]["reason"] == "timeout"


async def test_ping_pong_and_binary():
    h = Harness()
    a = h.connect()
    assert await h.send(a, '{"type": "ping"}') == [{"type": "pong"}]
    (err,) = await h.send(a, b"\x00\x01")
    assert err["code"] == "binary_not_supported"


async def test_a_thousand_joins_without_a_token_leave_no_state_behind():
    h = Harness()
    for _ in range(1000):
        c = h.connect()
        (err,) = await h.send(c, Join(room="r", role=Role.STATION))
        assert err["code"] == "unauthorized"
        await h.run(h.core.disconnect(c, NOW))
    assert h.directory.local_rooms() == 0 and h.core.peer_count == 0 and not h.core._conns
    assert h.core.rejects["unauthorized"] == 1000


async def test_a_condemned_connection_is_not_answered_any_more():
    h = Harness(Limits(rate_per_s=1, burst=5, max_flood_drops=20))
    a = h.connect()
    await h.join(a, "r", "expert")
    replies = []
    for _ in range(2000):
        replies += await h.send(a, '{"type": "ping"}')
    closes = [r for r in replies if isinstance(r, tuple)]
    assert len(closes) == 1, "one close, not one per message that was still in flight"
    assert len(replies) < 30
