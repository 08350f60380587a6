"""Every operation is answered, by the road it came: tested from a client written from
docs/protocol.md (tests/support/raw_peer.py), not through the app's own sender, which
never sends a broken operation."""

from __future__ import annotations

import time

import pytest

from tests.support.calls import party
from tests.support.raw_peer import raw_viewer
from ultrasound_consult.media.source_spec import open_source

NOW_MS = int(time.time() * 1000)


def mark(op: str, seq: int, x: float = 0.5, ann_id: str | None = None) -> dict:
    return {
        "type": "ann.add", "op": op, "seq": seq,
        "ann": {"id": ann_id or f"m-{op}", "kind": "mark", "points": [[x, 0.5]],
                "author": "Raw client", "color": "#ffd400", "created_ms": NOW_MS},
    }  # fmt: skip


def cue(op: str, seq: int, **fields) -> dict:
    body = {"id": f"c-{op}", "author": "Raw client", "created_ms": NOW_MS, **fields}
    return {"type": "cue", "op": op, "seq": seq, "cue": body}


BROKEN = {
    "rock toward the head": (
        cue("r1", 1, action="rock", direction="head"),
        "bad_message",
        "'rock' cannot go 'head'",
    ),
    "rotate without an angle": (
        cue("r1", 1, action="rotate", direction="clockwise"),
        "bad_message",
        "'rotate' needs 'angle_deg'",
    ),
    "mark at x = 1.5": (
        mark("r1", 1, x=1.5),
        "bad_message",
        "'points[0].x' must be between 0.0 and 1.0",
    ),
    "an unknown type": ({"type": "ann.paint", "op": "r1", "seq": 1}, "unknown_type", "ann.paint"),
    "a calibration with no scale": (
        {"type": "calib", "op": "r1", "seq": 1, "origin": "user", "width": 160, "height": 120},
        "bad_message",
        "mm_per_px_x",
    ),
}


@pytest.fixture
async def station(signaling_url, invite):
    async with party(
        signaling_url, invite("station"), "Clinic", open_source("synthetic:160x120@5")
    ) as st:
        yield st


@pytest.mark.parametrize("case", list(BROKEN))
async def test_a_broken_operation_is_refused_with_a_code_and_its_seq_is_used(
    case, station, signaling_url, invite, room
):
    broken, code, words = BROKEN[case]
    async with raw_viewer(signaling_url, room, invite("expert")) as ex:
        ex.send_op(broken)
        answer = await ex.answer_to("r1")
        assert answer.road == "channel"
        assert answer.msg["ok"] is False and answer.msg["code"] == code
        assert words in answer.msg["reason"], answer.msg["reason"]

        # The refusal took seq 1: the next operation (seq 2) is applied at once, not
        # held for the gap timer.
        ex.send_op(mark("ok2", 2))
        answer = await ex.answer_to("ok2")
        assert answer.msg["ok"] is True and answer.msg["code"] == ""
        assert station.call.collab.scene.get("m-ok2") is not None
        assert station.call.stats.sequence_gaps == 0
        assert station.call.stats.refusals_sent == 1
        assert not any(r.msg.get("type") == "ack" and r.road == "server" for r in ex.received), (
            "answered by the road it came"
        )


async def test_an_operation_that_does_not_apply_is_refused_as_a_conflict(
    station, signaling_url, invite, room
):
    async with raw_viewer(signaling_url, room, invite("expert")) as ex:
        ex.send_op(mark("a1", 1, ann_id="m1"))
        assert (await ex.answer_to("a1")).msg["ok"] is True
        ex.send_op({"type": "ann.extend", "op": "a2", "seq": 2, "id": "m1", "points": [[0.1, 0.1]]})
        answer = (await ex.answer_to("a2")).msg
        assert answer["ok"] is False and answer["code"] == "conflict"
        assert "only a freehand stroke can be extended" in answer["reason"]
        assert station.call.collab.scene.get("m1").points == ((0.5, 0.5),), "unchanged"


async def test_an_operation_through_the_server_is_answered_through_the_server(
    station, signaling_url, invite, room
):
    async with raw_viewer(signaling_url, room, invite("expert")) as ex:
        await ex.send_app(mark("s1", 1))
        answer = await ex.answer_to("s1")
        assert answer.road == "server" and answer.msg["ok"] is True
        assert station.call.collab.scene.get("m-s1") is not None

        await ex.send_app(cue("s2", 2, action="rotate", direction="clockwise"))
        answer = await ex.answer_to("s2")
        assert answer.road == "server"
        assert answer.msg["ok"] is False and answer.msg["code"] == "bad_message"

        await ex.send_app(mark("s3", 3))
        assert (await ex.answer_to("s3")).msg["ok"] is True
        assert not any(r.msg.get("type") == "ack" and r.road == "channel" for r in ex.received), (
            "nothing sent through the server is answered on the channel"
        )
        assert station.call.stats.sequence_gaps == 0


async def test_an_observer_is_refused_even_a_broken_operation(station, signaling_url, invite, room):
    async with raw_viewer(signaling_url, room, invite("observer"), role="observer") as ob:
        ob.send_op(mark("o1", 1))
        ob.send_op(mark("o2", 2, x=7))
        for op in ("o1", "o2"):
            answer = (await ob.answer_to(op)).msg
            assert answer["ok"] is False and answer["code"] == "forbidden"
        assert len(station.call.collab.scene) == 0


async def test_messages_that_name_no_operation_get_no_answer_and_the_call_goes_on(
    station, signaling_url, invite, room
):
    async with raw_viewer(signaling_url, room, invite("expert")) as ex:
        rejected = station.call.stats.rejected
        ex.send_op("{not json")
        ex.send_op({"type": "ann.add", "op": "bad id with spaces", "seq": 1})
        ex.send_op({"type": "ack", "op": "x1", "ok": "yes"})  # answering an ack could loop
        ex.send_op(mark("n1", 1))
        assert (await ex.answer_to("n1")).msg["ok"] is True
        acks = [r.msg["op"] for r in ex.received if r.msg.get("type") == "ack"]
        assert acks == ["n1"]
        assert station.call.stats.rejected == rejected + 3
