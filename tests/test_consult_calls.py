"""The consult service on a real server process with a real SQLite database: enrollment,
presence and duty, calling (ring, first accept wins, decline, timeout, busy, nobody),
revocation, a trainer inviting a trainee."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from signaling_server.enrollment import DeviceKind
from tests.support.consult import ConsultServer, call_ready, of_type, signed_in
from tests.support.signaling import joined
from ultrasound_consult.protocol.consult import (
    CallFailed,
    CallFailure,
    CallReady,
    Declined,
    Duty,
    DutyHours,
    Presence,
    Ring,
    Ringing,
    RingStop,
    Status,
)
from ultrasound_consult.session.presence import (
    ConnectionLost,
    ConsultRefused,
    DeviceCredential,
    PresenceClient,
    redeem,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ConsultServer]:
    log = tmp_path_factory.mktemp("consult") / "server.log"
    s = ConsultServer(ring_timeout="2s", log_file=log).start()
    yield s
    s.stop()
    text = log.read_text()
    # Nothing of a credential or code in the server's log.
    assert "ucd_" not in text


async def test_enroll_prints_a_code_and_qr_that_redeem_once(server, tmp_path):
    qr = tmp_path / "code.png"
    out = server.cli(
        "enroll",
        "--kind",
        "expert",
        "--name",
        "Dr. Wang",
        "--specialty",
        "msk,cardiac",
        "--server",
        server.url,
        "--qr",
        str(qr),
        "--json",
    )
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert qr.read_bytes().startswith(b"\x89PNG")
    assert stat.S_IMODE(qr.stat().st_mode) == 0o600
    credential = await redeem(server.url, info["code"].lower())  # typed in lower case: fine
    assert credential.name == "Dr. Wang" and credential.kind == "expert"
    assert credential.credential.startswith("ucd_")
    assert "ucd_" not in repr(credential)
    with pytest.raises(ConsultRefused) as refused:
        await redeem(server.url, info["code"])
    assert refused.value.code == "token_invalid" and "used already" in refused.value.message
    # Stored owner-only; the database holds neither the code nor the credential.
    path = credential.save(tmp_path / "cfg" / "device.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert DeviceCredential.load(path) == credential
    db = Path(server.database).read_bytes()
    assert credential.credential.encode() not in db
    assert info["code"].replace("-", "").encode() not in db
    listed = json.loads(server.cli("list", "--json").stdout)
    assert {"id": credential.device_id, "state": "enrolled"}.items() <= next(
        d for d in listed if d["id"] == credential.device_id
    ).items()


async def test_bad_codes_are_refused_then_rate_limited():
    # A server of its own: the limit would hold up the other tests' redemptions a minute.
    server = ConsultServer().start()
    try:
        for _ in range(10):
            with pytest.raises(ConsultRefused) as refused:
                await redeem(server.url, "AAAA-BBBB-CCCC")
            assert refused.value.code == "token_invalid"
        good = server.enroll_code(DeviceKind.STATION, "Rate clinic")
        with pytest.raises(ConsultRefused) as limited:
            await redeem(server.url, good)
        assert limited.value.code == "rate_limited"
        # Expired codes are refused like wrong ones (checked on the store: no waiting).
        from signaling_server.enrollment import normalise_code
        from signaling_server.store import ConsultStore

        store = ConsultStore(server.database)
        try:
            old = store.enroll(DeviceKind.STATION, "Late clinic", ttl_s=60, now=1000.0)
            assert store.redeem(normalise_code(old.code) or "") is None
            fresh = store.enroll(DeviceKind.STATION, "Fresh clinic", ttl_s=60)
            assert store.redeem(normalise_code(fresh.code) or "") is not None
        finally:
            store.close()
    finally:
        server.stop()


async def test_ring_reaches_exactly_the_on_duty_experts_and_first_accept_wins(server):
    msk = "msk1"
    station = await server.device(DeviceKind.STATION, "Puzi clinic", site="puzi")
    on1 = await server.device(DeviceKind.EXPERT, "Dr. On1", specialty=msk)
    on2 = await server.device(DeviceKind.EXPERT, "Dr. On2", specialty=f"{msk},cardiac")
    off = await server.device(DeviceKind.EXPERT, "Dr. Off", specialty=msk)
    other = await server.device(DeviceKind.EXPERT, "Dr. Cardiac", specialty="cardiac")
    async with (
        signed_in(on1, Duty.ON) as e1,
        signed_in(on2, Duty.ON) as e2,
        signed_in(off, Duty.OFF) as e3,
        signed_in(other, Duty.ON) as e4,
        signed_in(station) as st,
    ):
        directory = {d.id: d for d in (await st.directory()).devices}
        assert directory[on1.device_id].status is Status.ON_DUTY
        assert directory[off.device_id].status is Status.ONLINE
        assert set(directory[on2.device_id].specialties) == {"cardiac", msk}
        ringing = await st.call(f"specialty:{msk}")
        assert isinstance(ringing, Ringing) and ringing.rung == 2
        r1 = await e1.next_event(of_type(Ring, call_id=ringing.call_id))
        await e2.next_event(of_type(Ring, call_id=ringing.call_id))
        assert r1.caller.name == "Puzi clinic" and r1.timeout_s == 2.0
        for bystander in (e3, e4):
            assert not any(
                isinstance(e, Ring)
                for e in [bystander.events.get_nowait() for _ in range(bystander.events.qsize())]
            )
        # Both accept at once: exactly one wins.
        await asyncio.gather(e1.accept(ringing.call_id), e2.accept(ringing.call_id))
        results = await asyncio.gather(
            *(
                e.next_event(
                    lambda ev: (
                        isinstance(ev, CallReady | RingStop) and ev.call_id == ringing.call_id
                    )
                )
                for e in (e1, e2)
            )
        )
        ready = [r for r in results if isinstance(r, CallReady)]
        stopped = [r for r in results if isinstance(r, RingStop)]
        assert len(ready) == 1 and len(stopped) == 1
        winner = ready[0]
        winner_name = "Dr. On1" if isinstance(results[0], CallReady) else "Dr. On2"
        assert stopped[0].reason == "taken" and stopped[0].taken_by == winner_name
        assert winner.peer.name == "Puzi clinic"
        at_station = await call_ready(st, ringing.call_id)
        assert at_station.room == winner.room and at_station.role.value == "station"
        assert winner.role.value == "expert"
        # The invites start the call through the ordinary room signalling: no codes typed.
        ws_st, _ = await joined(server.url, at_station.room, "station", at_station.token, "Puzi")
        ws_ex, welcome = await joined(server.url, winner.room, "expert", winner.token, "Dr")
        assert [p["role"] for p in welcome["peers"]] == ["station"]
        await ws_st.close()
        await ws_ex.close()
        # Both are in a call now; the station hangs up and the log has it.
        directory = {d.id: d for d in (await st.directory()).devices}
        assert directory[station.device_id].status is Status.IN_CALL
        await st.hang_up(ringing.call_id)
        directory = {d.id: d for d in (await st.directory()).devices}
        assert directory[station.device_id].status is Status.ONLINE


async def test_decline_timeout_busy_and_nobody_reach_the_station_with_what_next(server):
    spec = "obs"
    station = await server.device(DeviceKind.STATION, "Decline clinic", site="dc")
    a = await server.device(DeviceKind.EXPERT, "Dr. A", specialty=spec)
    b = await server.device(DeviceKind.EXPERT, "Dr. B", specialty=spec)
    async with signed_in(station) as st:
        nobody = await st.call(f"specialty:{spec}")
        assert isinstance(nobody, CallFailed) and nobody.reason is CallFailure.NOBODY
        assert "leave a request" in nobody.message and "OBS" in nobody.message
        async with signed_in(a, Duty.ON) as ea, signed_in(b, Duty.ON) as eb:
            # Everyone declines: the station hears each, then that nobody took it.
            ringing = await st.call(f"specialty:{spec}")
            assert isinstance(ringing, Ringing) and ringing.rung == 2
            await ea.next_event(of_type(Ring, call_id=ringing.call_id))
            await eb.next_event(of_type(Ring, call_id=ringing.call_id))
            assert (await ea.decline(ringing.call_id)).reason == "declined"
            by = await st.next_event(of_type(Declined, call_id=ringing.call_id))
            assert by.by == "Dr. A"
            await eb.decline(ringing.call_id)
            failed = await st.next_event(of_type(CallFailed, call_id=ringing.call_id))
            assert failed.reason is CallFailure.DECLINED and "leave a request" in failed.message
            # Nobody answers: the ring times out (2 s here), and the experts stop ringing.
            ringing = await st.call(f"specialty:{spec}")
            failed = await st.next_event(of_type(CallFailed, call_id=ringing.call_id), timeout=10)
            assert failed.reason is CallFailure.NO_ANSWER and "try again" in failed.message
            stop = await ea.next_event(of_type(RingStop, call_id=ringing.call_id))
            assert stop.reason == "no_answer"
            # Busy: one sets Busy, the other is in a call.
            await ea.set_duty(Duty.BUSY)
            await eb.set_duty(Duty.BUSY)
            busy = await st.call(f"specialty:{spec}")
            assert isinstance(busy, CallFailed) and busy.reason is CallFailure.BUSY
            direct = await st.call(f"device:{a.device_id}")
            assert isinstance(direct, CallFailed) and direct.reason is CallFailure.BUSY
            assert direct.message.startswith("Dr. A is busy")
            # The station cancels a ringing call: the expert stops ringing.
            await eb.set_duty(Duty.ON)
            ringing = await st.call(f"specialty:{spec}")
            await eb.next_event(of_type(Ring, call_id=ringing.call_id))
            cancelled = await st.cancel(ringing.call_id)
            assert cancelled.reason is CallFailure.CANCELLED
            assert (await eb.next_event(of_type(RingStop, call_id=ringing.call_id))).reason == (
                "cancelled"
            )
        await st.next_event(
            lambda e: (
                isinstance(e, Presence)
                and e.device.id == a.device_id
                and e.device.status is Status.OFFLINE
            )
        )
        offline = await st.call(f"device:{a.device_id}")
        assert isinstance(offline, CallFailed) and offline.reason is CallFailure.OFFLINE


async def test_duty_hours_decide_who_is_on_duty(server):
    expert = await server.device(DeviceKind.EXPERT, "Dr. Hours", specialty="hours")
    station = await server.device(DeviceKind.STATION, "Hours clinic")
    async with signed_in(expert) as ex, signed_in(station) as st:
        all_week = [DutyHours(day, "00:00", "23:59") for day in range(7)]
        await ex.set_duty(Duty.HOURS, all_week)
        entry = {d.id: d for d in (await st.directory()).devices}[expert.device_id]
        assert entry.status is Status.ON_DUTY
        await ex.set_duty(Duty.HOURS, [])
        entry = {d.id: d for d in (await st.directory()).devices}[expert.device_id]
        assert entry.status is Status.ONLINE
        with pytest.raises(ConsultRefused) as refused:
            await st.set_duty(Duty.ON)
        assert refused.value.code == "forbidden"


async def test_a_revoked_device_is_disconnected_at_once_and_refused(server):
    expert = await server.device(DeviceKind.EXPERT, "Dr. Revoked", specialty="rev")
    watcher = await server.device(DeviceKind.STATION, "Watcher clinic")
    async with signed_in(expert, Duty.ON) as ex, signed_in(watcher) as w:
        out = server.cli("revoke", expert.device_id)
        assert out.returncode == 0 and "revoked" in out.stdout
        lost = await ex.next_event(lambda e: isinstance(e, ConnectionLost), timeout=5)
        assert lost.final and "revoked" in lost.reason
        offline = await w.next_event(
            lambda e: (
                isinstance(e, Presence)
                and e.device.id == expert.device_id
                and e.device.status is Status.OFFLINE
            ),
            timeout=5,
        )
        assert offline is not None
    with pytest.raises(ConsultRefused) as refused:
        await PresenceClient(expert).start()
    assert refused.value.code == "unauthorized" and "enroll it again" in refused.value.message


async def test_an_expert_calls_a_station_back_and_a_trainer_brings_in_a_trainee(server):
    station = await server.device(DeviceKind.STATION, "Callback clinic", site="cb")
    trainer = await server.device(DeviceKind.TRAINER, "Dr. Teach", specialty="teach")
    trainee = await server.device(DeviceKind.TRAINEE, "Sono Student", site="cb")
    async with (
        signed_in(station) as st,
        signed_in(trainer, Duty.ON) as tr,
        signed_in(trainee) as tt,
    ):
        ringing = await tr.call(f"device:{station.device_id}")
        assert isinstance(ringing, Ringing) and ringing.rung == 1
        ring = await st.next_event(of_type(Ring, call_id=ringing.call_id))
        assert ring.caller.name == "Dr. Teach"
        await st.accept(ringing.call_id)
        at_trainer = await call_ready(tr, ringing.call_id)
        assert at_trainer.role.value == "trainer" and at_trainer.peer.name == "Callback clinic"
        assert (await call_ready(st, ringing.call_id)).role.value == "station"
        await tr.invite_trainee(ringing.call_id, trainee.device_id)
        invited = await call_ready(tt, ringing.call_id)
        assert invited.role.value == "observer" and invited.room == at_trainer.room
        ws, _ = await joined(server.url, invited.room, "observer", invited.token, "Student")
        await ws.close()
        with pytest.raises(ConsultRefused) as refused:
            await st.invite_trainee(ringing.call_id, trainee.device_id)
        assert refused.value.code == "forbidden"
        await tr.hang_up(ringing.call_id)
    rows = json.loads(server.cli("log", "--json").stdout)
    row = next(r for r in rows if r["id"] == ringing.call_id)
    assert row["kind"] == "teaching" and row["trainees"] == "Sono Student"
    assert row["site"] == "cb" and row["outcome"] == "completed"


async def test_malformed_consult_messages_are_refused_with_a_reason(server):
    from websockets.asyncio.client import connect

    station = await server.device(DeviceKind.STATION, "Malformed clinic")

    async def reply_of(ws):  # presence news of others (and of us) may come between
        while (reply := json.loads(await asyncio.wait_for(ws.recv(), 5)))["type"] == "presence":
            pass
        return reply

    async with connect(server.url.rstrip("/") + "/consult") as ws:
        await ws.send('{"type": "get_directory"}')
        reply = json.loads(await ws.recv())
        assert reply["code"] == "not_joined" and reply["re"] == "get_directory"
        await ws.send(json.dumps({"type": "hello", "v": 1, "credential": station.credential}))
        assert json.loads(await ws.recv())["type"] == "ready"
        for bad, why in (
            ('{"type": "call", "target": "everyone"}', "target"),
            ('{"type": "request", "exam": "knee", "question": "?", "urgency": "now"}', "urgency"),
            ("not json", "JSON"),
            ('{"type": "fly"}', "unknown"),
        ):
            await ws.send(bad)
            reply = await reply_of(ws)
            assert reply["type"] == "error" and why in reply["message"], reply
        await ws.send('{"type": "ping"}')
        assert (await reply_of(ws))["type"] == "pong"


def test_database_file_is_owner_only(server):
    mode = stat.S_IMODE(os.stat(server.database).st_mode)
    assert mode == 0o600
