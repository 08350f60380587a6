"""The expert's written opinion (issue 16, item 6): signed with the device's key,
delivered to the station, kept at the clinic, recorded, amended only as a new version,
and refused with a reason when it is not what it claims."""

from __future__ import annotations

import base64
import os
import stat
from dataclasses import replace

import pytest

from tests.support.calls import connected_with_frames, party
from tests.support.raw_peer import raw_viewer
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.opinion import Opinion, Recommendation, Urgency
from ultrasound_consult.record.opinions import OpinionStore, opinion_html
from ultrasound_consult.record.report import report_html
from ultrasound_consult.record.session_bundle import SessionBundle
from ultrasound_consult.session.config import CallError
from ultrasound_consult.session.signing import DeviceKey, fingerprint, verify

SOURCE = "synthetic:320x240@15"


def draft(**changes) -> Opinion:
    base = Opinion(
        id="draft", version=1, exam="Abdomen (RUQ)",
        findings="胆囊壁增厚 4 mm，可见结石 12 mm，伴声影。Gallbladder wall 4 mm, a 12 mm stone.",
        impression="Acute calculous cholecystitis likely.",
        recommendation=Recommendation.REFER, urgency=Urgency.SOON, author="", created_ms=0,
        recommendation_text="Surgical review at the county hospital this week", local_ref="P-0412",
    )  # fmt: skip
    return replace(base, **changes)


def test_a_signature_holds_for_exactly_what_was_signed(tmp_path):
    key = DeviceKey.load_or_create(tmp_path / "key.pem")
    assert stat.S_IMODE(os.stat(tmp_path / "key.pem").st_mode) == 0o600
    assert "PRIVATE" not in repr(key)
    signed = key.sign(replace(draft(), author="Dr Wang", created_ms=1))
    assert verify(signed)
    assert verify(Opinion.from_wire(signed.to_wire())), "survives the wire"
    assert not verify(replace(signed, findings=signed.findings + " (edited)"))
    assert not verify(replace(signed, author="Dr Li"))
    other = DeviceKey.load_or_create(tmp_path / "other.pem")
    assert not verify(replace(signed, key=other.public))
    assert not verify(replace(signed, signature=base64.b64encode(b"x" * 64).decode()))
    # The same key comes back from its file.
    assert DeviceKey.load_or_create(tmp_path / "key.pem").public == key.public
    assert len(fingerprint(key.public)) == 19


def test_what_an_opinion_must_hold():
    with pytest.raises(ProtocolError, match="findings or an impression"):
        draft(findings=" ", impression="")
    with pytest.raises(ProtocolError, match="amends_reason"):
        draft(version=2)
    with pytest.raises(ProtocolError, match="recommendation_text"):
        draft(recommendation=Recommendation.OTHER, recommendation_text="")
    wire = draft().to_wire()
    wire["findings"] = "x" * 2001
    with pytest.raises(ProtocolError, match="findings"):
        Opinion.from_wire(wire)


async def test_delivered_kept_at_the_clinic_recorded_and_amended(
    signaling_url, invite, tmp_path, monkeypatch
):
    monkeypatch.setenv("ULTRASOUND_CONSULT_OPINIONS", str(tmp_path / "clinic"))
    async with (
        party(signaling_url, invite("station"), "Clinic 12", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr Wang") as ex,
        party(signaling_url, invite("trainer"), "Dr Zhao") as tr,
    ):
        await connected_with_frames(ex, 3)
        await connected_with_frames(tr, 3)
        st.call.start_recording(tmp_path / "rec")
        n = st.obs.local_count
        await st.obs.wait_for(lambda: st.obs.local_count >= n + 5, what="frames recorded")
        opinion_id = ex.call.collab.send_opinion(draft())
        await ex.obs.wait_for(
            lambda: ex.obs.opinions and ex.obs.opinions[-1].delivered, what="confirmed"
        )
        await st.obs.wait_for(lambda: len(st.obs.opinions) == 1, what="at the station")
        got = st.obs.opinions[0]
        assert got.verified and got.signer == "Dr Wang" and got.opinion.author == "Dr Wang"
        assert got.opinion.id == opinion_id and got.opinion.findings == draft().findings
        await tr.obs.wait_for(lambda: len(tr.obs.opinions) == 1, what="trainer sees it")
        assert tr.obs.opinions[0].verified
        # Kept at the clinic, on disk, owner-only.
        stored = OpinionStore(tmp_path / "clinic").load(got.path)
        assert stored.opinion == got.opinion and stored.verified
        assert stat.S_IMODE(os.stat(got.path).st_mode) == 0o600
        page = opinion_html(stored)
        assert "Surgical review" in page and "Signature verified" in page

        # An amendment is a new version, with a reason; the first stays as it was.
        with pytest.raises(CallError, match="no such opinion"):
            ex.call.collab.send_opinion(draft(), amends="op-nobody-1")
        ex.call.collab.send_opinion(
            draft(version=2, amends_reason="stone is 15 mm on review", impression="Cholecystitis."),
            amends=opinion_id,
        )
        await st.obs.wait_for(lambda: len(st.obs.opinions) == 2, what="version 2")
        second = st.obs.opinions[1]
        assert second.opinion.version == 2 and second.opinion.id == opinion_id
        assert second.opinion.amends_reason == "stone is 15 mm on review"
        assert {p.name for p in (tmp_path / "clinic").glob("*/*.json")} == {
            f"{opinion_id}-v1.json",
            f"{opinion_id}-v2.json",
        }
        # A station writes no opinion.
        with pytest.raises(CallError, match="expert or a trainer"):
            st.call.collab.send_opinion(draft())
        folder = await st.call.stop_recording()

    bundle = SessionBundle.open(folder)
    recorded = [e for e in bundle.events if e.type == "opinion"]
    assert [e.data["opinion"]["version"] for e in recorded] == [1, 2]
    assert (folder / "opinions" / f"{opinion_id}-v2.json").is_file()
    page = report_html(bundle, [])
    assert "Expert's opinion" in page and "Cholecystitis." in page
    assert "was amended: stone is 15 mm on review" in page


async def test_an_opinion_that_is_not_what_it_claims_is_refused(
    signaling_url, invite, room, tmp_path
):
    key = DeviceKey.load_or_create(tmp_path / "raw.pem")
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        raw_viewer(signaling_url, room, invite("expert")) as raw,
    ):
        name = next(p.name for p in st.call.peers.values()) or "?"

        def send(op: str, seq: int, opinion: Opinion) -> None:
            raw.send_op({"type": "opinion", "op": op, "seq": seq, "opinion": opinion.to_wire()})

        good = key.sign(draft(id="op-raw-1", author=name, created_ms=1))
        send("o1", 1, replace(good, findings="changed after signing"))
        send("o2", 2, key.sign(replace(good, author="Dr Somebody Else")))
        send("o3", 3, key.sign(draft(id="op-raw-1", version=3, amends_reason="x", author=name)))
        send("o4", 4, good)
        expected = {"o1": "bad_message", "o2": "forbidden", "o3": "conflict"}
        for op, code in expected.items():
            answer = (await raw.answer_to(op)).msg
            assert answer["ok"] is False and answer["code"] == code, answer
        assert (await raw.answer_to("o4")).msg["ok"] is True
        await st.obs.wait_for(lambda: len(st.obs.opinions) == 1, what="only the good one")
        assert st.call.stats.sequence_gaps == 0
