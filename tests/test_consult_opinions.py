"""An opinion written after the call (issue 16, item 6: "during or after the call"):
the expert sends it through the consult service, which keeps it until the station is
online; the station keeps it at the clinic, checks the signature, confirms it, and it
never comes twice. Real server process, real SQLite, real signatures."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from signaling_server.enrollment import DeviceKind
from signaling_server.store import ConsultStore
from signaling_server.store.opinions import OpinionShelf
from tests.support.consult import ConsultServer, call_ready, of_type, signed_in
from ultrasound_consult.protocol.consult import Duty, Ring, Ringing
from ultrasound_consult.protocol.opinion import Opinion, Recommendation, Urgency
from ultrasound_consult.record.opinions import OpinionStore
from ultrasound_consult.session.opinions import arrival_keeper
from ultrasound_consult.session.presence import ConsultRefused, OpinionStored
from ultrasound_consult.session.signing import DeviceKey


@pytest.fixture
def server(tmp_path) -> Iterator[ConsultServer]:
    log = tmp_path / "server.log"
    s = ConsultServer(ring_timeout="5s", log_file=log).start()
    yield s
    s.stop()
    # The opinion's words are clinical: never in the server's log.
    assert "Gallbladder" not in log.read_text()


def opinion(author: str, **changes) -> Opinion:
    base = Opinion(
        id="op-after-1", version=1, exam="Abdomen",
        findings="Gallbladder wall 4 mm, a 12 mm stone.", impression="Cholecystitis likely.",
        recommendation=Recommendation.REFER, urgency=Urgency.SOON, author=author,
        created_ms=int(time.time() * 1000),
    )  # fmt: skip
    return replace(base, **changes)


async def test_an_opinion_after_the_call_reaches_the_station_when_it_is_back(server, tmp_path):
    station = await server.device(DeviceKind.STATION, "Puzi clinic", site="puzi")
    expert = await server.device(DeviceKind.EXPERT, "Dr. Wang", specialty="msk")
    other = await server.device(DeviceKind.EXPERT, "Dr. Li", specialty="msk")
    key = DeviceKey.load_or_create(tmp_path / "wang.pem")
    stranger = DeviceKey.load_or_create(tmp_path / "stranger.pem")
    clinic = OpinionStore(tmp_path / "clinic")
    async with (
        # Each expert app registers its own key at its first sign-in.
        signed_in(expert, Duty.ON, signing_key=key.public) as ex,
        signed_in(other, signing_key=stranger.public) as li,
    ):
        async with signed_in(station) as st:
            ringing = await st.call("specialty:msk")
            assert isinstance(ringing, Ringing)
            await ex.next_event(of_type(Ring, call_id=ringing.call_id))
            await ex.accept(ringing.call_id)
            await call_ready(st, ringing.call_id)
            await st.hang_up(ringing.call_id)
        call_id = ringing.call_id
        # The station is offline now; the expert writes the opinion afterwards.
        first = key.sign(opinion("Dr. Wang"))
        await ex.submit_opinion(call_id, first)
        # Only an expert of that call, under the name they were enrolled with.
        with pytest.raises(ConsultRefused) as refused:
            await li.submit_opinion(call_id, stranger.sign(opinion("Dr. Li")))
        assert refused.value.code == "forbidden"
        # Signed with a key other than the one Dr. Wang's device registered: refused.
        with pytest.raises(ConsultRefused) as refused:
            await ex.submit_opinion(call_id, stranger.sign(opinion("Dr. Wang")))
        assert refused.value.code == "forbidden" and "registered" in refused.value.message
        with pytest.raises(ConsultRefused) as refused:
            await ex.submit_opinion(call_id, key.sign(opinion("Dr. Somebody")))
        assert (
            refused.value.code == "forbidden" and "enrolled as 'Dr. Wang'" in refused.value.message
        )
        with pytest.raises(ConsultRefused) as refused:
            skipped = opinion("Dr. Wang", version=3, amends_reason="x")
            await ex.submit_opinion(call_id, key.sign(skipped))
        assert refused.value.code == "conflict"
        # The consult log says an opinion was given.
        rows = list(csv.DictReader(io.StringIO(server.cli("log", "--csv").stdout)))
        assert [r["outcome"] for r in rows if r["id"] == call_id] == ["opinion given"]
        # The station signs in: it gets the opinion, keeps it, checks it, confirms it.
        keep = arrival_keeper(clinic)
        async with signed_in(station, keep_opinion=keep) as st:
            got = await st.next_event(of_type(OpinionStored, call_id=call_id))
        assert got.stored.verified and got.stored.signer == "Dr. Wang"
        assert got.stored.opinion == first
        assert got.stored.path.is_file() and got.stored.path.parent.name == f"call-{call_id}"
        # An amendment after that: a new version, kept beside the first.
        second = key.sign(first.amended("stone is 15 mm on review", impression="Cholecystitis."))
        await ex.submit_opinion(call_id, second)
        async with signed_in(station, keep_opinion=keep) as st:
            got = await st.next_event(of_type(OpinionStored, call_id=call_id))
            assert got.stored.opinion.version == 2
    # Confirmed ones never come again: the server holds nothing more for the station.
    store = ConsultStore(server.database)
    try:
        waiting = OpinionShelf(store.engine).undelivered(station.device_id)
    finally:
        store.close()
    assert waiting == []
    assert sorted(p.name for p in clinic.root.glob("*/*.json")) == [
        "op-after-1-v1.json",
        "op-after-1-v2.json",
    ]
