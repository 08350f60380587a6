"""The consult service on a real PostgreSQL, across two server processes behind a real
Redis, and through a server restart in the middle of a ring."""

from __future__ import annotations

import json
import secrets
import threading

import pytest

from signaling_server.enrollment import DeviceKind, normalise_code
from signaling_server.store import CallRow, ConsultStore, StoreError
from tests.support.consult import ConsultServer, call_ready, free_port, of_type, signed_in
from tests.support.signaling import joined
from ultrasound_consult.protocol.consult import (
    CallFailed,
    CallFailure,
    Duty,
    Ring,
    Ringing,
)
from ultrasound_consult.session.presence import ConnectionLost, Reconnected


def test_postgres_store_migrates_once_and_settles_a_race_for_one_call(postgres):
    url = postgres.new_database("store_race")
    store = ConsultStore(url)
    store.migrate()
    store.migrate()  # at every start: a second run changes nothing
    assert store.schema_version() == "0004"
    enrollment = store.enroll(DeviceKind.EXPERT, "Dr. PG", specialties=["msk"], ttl_s=60)
    assert store.redeem(normalise_code(enrollment.code) or "") is not None
    store.start_call(
        CallRow(
            id="c1",
            kind="consult",
            caller_id="s1",
            station_id="s1",
            site="x",
            target="specialty:msk",
            state="ringing",
            outcome=None,
            expert_id=None,
            rung=[f"e{i}" for i in range(8)],
            requested_at=1.0,
        )
    )
    # Eight experts accept at the same moment, on eight threads: exactly one wins.
    barrier = threading.Barrier(8)
    won: list[str] = []

    def accept(expert: str) -> None:
        barrier.wait()
        if store.accept_call("c1", expert, "room", 2.0, experts=[expert]) is not None:
            won.append(expert)

    threads = [threading.Thread(target=accept, args=(f"e{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert store.call("c1").expert_id == won[0]
    store.close()


def test_an_unreachable_database_is_a_clear_startup_error(tmp_path):
    port = free_port()
    with pytest.raises(StoreError) as refused:
        ConsultStore(f"postgresql://nobody:secret@127.0.0.1:{port}/none").migrate()
    assert "secret" not in str(refused.value) and "cannot open or migrate" in str(refused.value)


async def test_station_and_expert_on_two_processes_with_postgres_and_redis(
    postgres, redis_url, tmp_path
):
    url = postgres.new_database("two_procs")
    secret = tmp_path / "secret"
    secret.write_text(secrets.token_hex(32))
    secret.chmod(0o600)
    args = ["--redis", redis_url]
    a = ConsultServer(
        database=url, extra_args=args, secret_file=secret, log_file=tmp_path / "a.log"
    ).start()
    b = ConsultServer(
        database=url, extra_args=args, secret_file=secret, log_file=tmp_path / "b.log"
    ).start()
    try:
        station = await a.device(DeviceKind.STATION, "Two-proc clinic", site="tp")
        expert = await b.device(DeviceKind.EXPERT, "Dr. Far", specialty="msk")
        expert_b = await b.device(DeviceKind.EXPERT, "Dr. Near", specialty="msk", server_url=a.url)
        async with (
            signed_in(station) as st,
            signed_in(expert, Duty.ON) as ex,
            signed_in(expert_b, Duty.ON) as ex_a,
        ):
            assert st.credential.server == a.url and ex.credential.server == b.url
            directory = {d.name: d for d in (await st.directory()).devices}
            assert directory["Dr. Far"].status.value == "on_duty"
            ringing = await st.call("specialty:msk")
            assert isinstance(ringing, Ringing) and ringing.rung == 2
            await ex.next_event(of_type(Ring, call_id=ringing.call_id))
            await ex_a.next_event(of_type(Ring, call_id=ringing.call_id))
            await ex.accept(ringing.call_id)
            at_expert = await call_ready(ex, ringing.call_id)
            at_station = await call_ready(st, ringing.call_id)
            assert at_expert.room == at_station.room
            # The room itself spans the processes through the existing Redis directory.
            ws_st, _ = await joined(a.url, at_station.room, "station", at_station.token, "S")
            ws_ex, welcome = await joined(b.url, at_expert.room, "expert", at_expert.token, "E")
            assert [p["role"] for p in welcome["peers"]] == ["station"]
            await ws_st.close()
            await ws_ex.close()
            await ex.hang_up(ringing.call_id)
            # Revoked through the shared database: the process holding it disconnects it.
            assert a.cli("revoke", expert.device_id).returncode == 0
            lost = await ex.next_event(lambda e: isinstance(e, ConnectionLost), timeout=5)
            assert lost.final
        rows = json.loads(a.cli("log", "--json").stdout)
        assert [(r["station"], r["experts"], r["outcome"]) for r in rows] == [
            ("Two-proc clinic", "Dr. Far", "completed")
        ]
    finally:
        a.stop()
        b.stop()


async def test_a_server_restart_mid_ring_tells_the_station_which_may_retry(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(secrets.token_hex(32))
    secret.chmod(0o600)
    port = free_port()
    server = ConsultServer(secret_file=secret, port=port, ring_timeout="30s").start()
    station = await server.device(DeviceKind.STATION, "Restart clinic")
    expert = await server.device(DeviceKind.EXPERT, "Dr. Restart", specialty="msk")
    try:
        async with signed_in(station) as st, signed_in(expert, Duty.ON) as ex:
            ringing = await st.call("specialty:msk")
            await ex.next_event(of_type(Ring, call_id=ringing.call_id))
            server.stop()
            failed = await st.next_event(of_type(CallFailed, call_id=ringing.call_id))
            assert failed.reason is CallFailure.INTERRUPTED and "call again" in failed.message
            server = ConsultServer(secret_file=secret, port=port, ring_timeout="30s").start()
            await st.next_event(lambda e: isinstance(e, Reconnected), timeout=20)
            await ex.next_event(lambda e: isinstance(e, Reconnected), timeout=20)
            again = await st.call("specialty:msk")
            assert isinstance(again, Ringing) and again.rung == 1  # duty kept in the database
            await ex.next_event(of_type(Ring, call_id=again.call_id))
            await ex.accept(again.call_id)
            await call_ready(st, again.call_id)
        rows = {r["id"]: r for r in json.loads(server.cli("log", "--json").stdout)}
        assert rows[ringing.call_id]["outcome"] == "interrupted"
    finally:
        server.stop()
