"""Text messages in a call (issue 16, item 5): the same ack, refusal and recording
guarantees as annotations, anyone admitted may write, shown in replay and reports."""

from __future__ import annotations

import pytest

from tests.support.calls import connected_with_frames, party
from tests.support.raw_peer import raw_viewer
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.chat import MAX_CHAT_CHARS
from ultrasound_consult.record.export import vtt_text
from ultrasound_consult.record.report import report_html
from ultrasound_consult.record.session_bundle import SessionBundle
from ultrasound_consult.session.config import CallError

SOURCE = "synthetic:320x240@15"


def texts(party_) -> list[tuple[str, str]]:
    return [(line.message.by, line.message.text) for line in party_.obs.chat]


async def test_everyone_writes_everyone_reads_and_mine_are_confirmed(
    signaling_url, invite, tmp_path
):
    async with (
        party(signaling_url, invite("station"), "Clinic 12", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr Wang") as ex,
        party(signaling_url, invite("observer"), "Trainee Li") as ob,
    ):
        await connected_with_frames(ex, 3)
        await connected_with_frames(ob, 3)
        st.call.start_recording(tmp_path / "station")
        n = st.obs.local_count
        await st.obs.wait_for(lambda: st.obs.local_count >= n + 5, what="frames recorded")
        asked = ex.call.collab.send_chat("请向头侧滑动 — slide toward the head")
        # Mine at once (sending…), then confirmed by the station.
        assert ex.obs.chat[-1].pending
        await ex.obs.wait_for(lambda: not ex.obs.chat[-1].pending, what="confirmed")
        await st.obs.wait_for(lambda: len(st.obs.chat) == 1, what="at the station")
        await ob.obs.wait_for(lambda: len(ob.obs.chat) == 1, what="at the trainee")
        assert st.obs.chat[0].message.id == asked
        st.call.collab.send_chat("Done, image is noisy")
        ob.call.collab.send_chat("What depth is that?")  # a trainee may ask
        want = [
            ("Dr Wang", "请向头侧滑动 — slide toward the head"),
            ("Clinic 12", "Done, image is noisy"),
            ("Trainee Li", "What depth is that?"),
        ]
        for p in (st, ex, ob):
            await p.obs.wait_for(lambda p=p: sorted(texts(p)) == sorted(want), what="all three")
        await ob.obs.wait_for(
            lambda: not any(line.pending for line in ob.obs.chat), what="trainee's ok"
        )
        # A late joiner gets the conversation with the scene.
        async with party(signaling_url, invite("trainer"), "Dr Zhao") as late:
            await late.obs.wait_for(lambda: sorted(texts(late)) == sorted(want), what="resync")
        # Nothing blank, nothing too long, and the station's answer is kept apart.
        with pytest.raises(CallError):
            ex.call.collab.send_chat("   ")
        with pytest.raises(CallError):
            ex.call.collab.send_chat("x" * (MAX_CHAT_CHARS + 1))
        folder = await st.call.stop_recording()
        assert ex.call.stats.summary()["chat"] == {"sent": 1, "received": 2}
        assert st.call.stats.summary()["chat"] == {"sent": 1, "received": 2}

    bundle = SessionBundle.open(folder)
    chats = [e for e in bundle.events if e.type == "chat"]
    assert [e.data["text"] for e in chats] == [t for _, t in want]
    assert [e.by for e in chats] == [b for b, _ in want]
    vtt = vtt_text(bundle, [])
    assert "Dr Wang: 请向头侧滑动" in vtt and "Trainee Li: What depth is that?" in vtt
    page = report_html(bundle, [])
    assert "<h2>Messages</h2>" in page and "Done, image is noisy" in page


async def test_a_broken_message_is_refused_in_its_place_and_the_name_is_the_servers(
    signaling_url, invite, room
):
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        raw_viewer(signaling_url, room, invite("observer"), role="observer") as raw,
    ):

        def chat(op: str, seq: int, text: object, by: str = "Someone else") -> dict:
            return {"type": "chat", "op": op, "seq": seq, "id": f"m-{op}", "text": text,
                    "by": by, "created_ms": 1}  # fmt: skip

        raw.send_op(chat("c1", 1, "   "))
        raw.send_op(chat("c2", 2, "y" * (MAX_CHAT_CHARS + 1)))
        raw.send_op(chat("c3", 3, 42))
        raw.send_op(chat("c4", 4, "hello from a raw client"))
        for op, words in (("c1", "blank"), ("c2", "longer than"), ("c3", "must be a string")):
            answer = (await raw.answer_to(op)).msg
            assert answer["ok"] is False and answer["code"] == "bad_message", answer
            assert words in answer["reason"]
        ok = (await raw.answer_to("c4")).msg
        assert ok["ok"] is True
        await st.obs.wait_for(lambda: len(st.obs.chat) == 1, what="the good one")
        # Shown under the name the server admitted, not the one it claimed.
        assert st.obs.chat[0].message.by != "Someone else"
        assert st.call.stats.sequence_gaps == 0
