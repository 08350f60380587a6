"""NAT traversal: the server hands out TURN REST credentials that a real coturn accepts."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from signaling_server.process import SignalingServerProcess
from signaling_server.tokens import TurnConfig, turn_credentials
from tests.support.observers import RecordingObserver
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.session.call import CallConfig, ConsultCall


def test_credentials_are_in_the_turn_rest_api_form():
    turn = TurnConfig(urls=("turn:turn.example:3478",), secret="s3cret", ttl_s=3600)
    server = turn_credentials(turn, "peer42", now=1_000_000)
    assert server.username == "1003600:peer42"
    expected = base64.b64encode(
        hmac.new(b"s3cret", b"1003600:peer42", hashlib.sha1).digest()
    ).decode()
    assert server.credential == expected and server.urls == turn.urls


@pytest.fixture
def turn_server(coturn, tmp_path):
    server = SignalingServerProcess(
        log_level="INFO",
        log_file=tmp_path / "server.log",
        extra_args=[
            "--turn",
            coturn.url,
            "--turn-secret-file",
            str(coturn.secret_file),
            "--stun",
            "stun:127.0.0.1:3478",
        ],
    ).start()
    yield server
    server.stop()


async def relay_party(server: SignalingServerProcess, room: str, role: str, name: str, source=None):
    config = CallConfig.from_invite(
        server.url, server.invite(room, role), name, ice_transport_policy="relay"
    )
    obs = RecordingObserver()
    call = ConsultCall(config, obs, source=source)
    await call.start()
    return call, obs


async def test_a_relay_only_call_connects_through_coturn(turn_server, coturn, room):
    station, st_obs = await relay_party(
        turn_server, room, "station", "Clinic", open_source("synthetic:320x240@15")
    )
    expert, ex_obs = await relay_party(turn_server, room, "expert", "Dr")
    try:
        await ex_obs.wait_for(
            lambda: ex_obs.remote_count >= 10, timeout=30, what="video through the relay"
        )
        (link,) = expert.links.values()
        sdp = link.pc.localDescription.sdp
        candidates = [line for line in sdp.splitlines() if line.startswith("a=candidate")]
        assert candidates and all(" typ relay " in c for c in candidates), candidates
        assert any(s.username and s.credential for s in expert.peer_links.ice_servers), (
            "TURN credentials came from the server"
        )
        mark = expert.collab.add_annotation(AnnotationKind.MARK, ((0.5, 0.5),))
        await st_obs.wait_for(
            lambda: station.collab.scene.get(mark) is not None, what="mark through the relay"
        )
        # coturn itself accepted this expert's REST credentials (username expiry:peer id).
        assert (
            f":{expert.me.id}>: incoming packet ALLOCATE processed, success"
            in coturn.log.read_text()
        )
    finally:
        await expert.stop()
        await station.stop()


async def test_a_relay_that_refuses_us_is_reported_at_once(coturn, tmp_path, room):
    wrong = tmp_path / "wrong.secret"
    wrong.write_text("not-the-secret")
    with SignalingServerProcess(
        extra_args=["--turn", coturn.url, "--turn-secret-file", str(wrong)]
    ) as server:
        station, st_obs = await relay_party(
            server, room, "station", "Clinic", open_source("synthetic:160x120@5")
        )
        expert, ex_obs = await relay_party(server, room, "expert", "Dr")
        try:
            await st_obs.wait_for(lambda: st_obs.errors, what="the station hears why")
            code, message = st_obs.errors[0]
            assert code == "no_network_path" and "TURN relay refused" in message
            assert ex_obs.remote_count == 0 and station.state.value == "waiting"
        finally:
            await expert.stop()
            await station.stop()
