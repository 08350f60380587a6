"""The receive path: frames out on the marker bit, loss repaired, clean give-up."""

from __future__ import annotations

import asyncio

from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import RtpPacket

from ultrasound_consult.media.jitter import (
    FRAME_DEADLINE_S,
    MarkerJitterBuffer,
    NackRetry,
    QuietNackGenerator,
)

INTER, KEY = b"\x01", b"\x00"  # VP8 frame tag bit 0: 1 = inter frame, 0 = keyframe


def packet(seq: int, ts: int, *, marker: bool = False, data: bytes = INTER) -> RtpPacket:
    p = RtpPacket(payload_type=96, sequence_number=seq, timestamp=ts, ssrc=1234)
    p.marker = int(marker)
    p._data = data + bytes([seq & 0xFF])  # type: ignore[attr-defined]
    return p


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_frame_released_by_its_last_packet_not_the_next_frame():
    jb = MarkerJitterBuffer()
    assert jb.add(packet(10, 3000)) == (False, None)
    assert jb.add(packet(11, 3000)) == (False, None)
    pli, frame = jb.add(packet(12, 3000, marker=True))
    assert not pli and frame is not None and frame.timestamp == 3000
    assert frame.data == INTER + b"\x0a" + INTER + b"\x0b" + INTER + b"\x0c"
    assert jb.released_on_marker == 1


def test_a_gap_waits_for_the_retransmission():
    jb = MarkerJitterBuffer()
    jb.add(packet(20, 6000))
    assert jb.add(packet(22, 6000, marker=True)) == (False, None), "packet 21 is missing"
    _, frame = jb.add(packet(21, 6000))  # the retransmission
    assert frame is not None and len(frame.data) == 6


def test_unmarked_frames_still_come_out_the_old_way():
    jb = MarkerJitterBuffer()
    jb.add(packet(30, 9000))
    jb.add(packet(31, 9000))
    _, frame = jb.add(packet(32, 12000))  # next frame starts: the first is complete
    assert frame is not None and frame.timestamp == 9000 and jb.released_on_marker == 0


def test_an_overdue_frame_is_dropped_and_inter_frames_wait_for_a_keyframe():
    clock = Clock()
    jb = MarkerJitterBuffer(clock=clock)
    jb.add(packet(40, 1000))
    jb.add(packet(42, 1000, marker=True))  # 41 never comes
    clock.t += FRAME_DEADLINE_S / 2
    assert jb.add(packet(43, 4000)) == (False, None), "not overdue yet"
    clock.t += FRAME_DEADLINE_S
    pli, frame = jb.add(packet(44, 4000, marker=True))
    assert pli and frame is None and jb.frames_abandoned == 1 and jb.awaiting_keyframe
    # The inter frame after the hole refers to what was lost: not decoded.
    assert jb.add(packet(45, 7000, marker=True))[1] is None
    clock.t += 0.6  # the keyframe is late (lost too?): ask again, not forever once
    pli, _ = jb.add(packet(45, 7000, marker=True))
    assert pli and jb.keyframe_requests == 2
    _, key = jb.add(packet(46, 10000, marker=True, data=KEY))
    assert key is not None and key.timestamp == 10000 and not jb.awaiting_keyframe
    _, after = jb.add(packet(47, 13000, marker=True))
    assert after is not None


class FakeReceiver:
    """Just what NackRetry uses of aiortc's RTCRtpReceiver: its NACK generator and sender."""

    def __init__(self) -> None:
        self._RTCRtpReceiver__nack_generator = NackGenerator()
        self.nacks: list[list[int]] = []
        self.asked = asyncio.Event()

    async def _send_rtcp_nack(self, ssrc: int, lost: list[int]) -> None:
        self.nacks.append(lost)
        self.asked.set()


async def test_gaps_are_asked_for_once_reordering_is_ruled_out_and_again_each_round_trip():
    receiver = FakeReceiver()
    receiver._RTCRtpReceiver__nack_generator = generator = QuietNackGenerator()
    buffer = MarkerJitterBuffer()
    retry = NackRetry(receiver, buffer)
    retry.start()

    def arrive(seq: int) -> None:  # the receiver's order: gap tracker, then jitter buffer
        assert generator.add(packet(seq, 100)) is False, "aiortc's own NACK stays quiet"
        buffer.add(packet(seq, 100))

    for seq in (1, 2, 5):  # 3 and 4 lost
        arrive(seq)
    await asyncio.wait_for(receiver.asked.wait(), 2)
    assert receiver.nacks == [[3, 4]], "one NACK for the gap, after the reordering window"
    receiver.asked.clear()
    # A packet merely late (reordered) within the window is never asked for.
    arrive(8)
    arrive(7)
    arrive(6)
    arrive(3)  # 3's retransmission: a round trip measured; 4 is still missing
    assert retry.rtt_samples == 1 and buffer.rtt is not None
    await asyncio.wait_for(receiver.asked.wait(), 2)
    assert receiver.nacks[-1] == [4], "4 asked for again, once a round trip has passed"
    assert all(6 not in n and 7 not in n for n in receiver.nacks)
    await retry.stop()
