"""Forward error correction: parity blocks rebuild one lost packet per group, no round trip."""

from __future__ import annotations

import asyncio
import random

import pytest
from aiortc.rtp import RtpPacket
from hypothesis import given
from hypothesis import strategies as st

from ultrasound_consult.media.fec import (
    MAX_GROUP,
    MIN_GROUP,
    QUIET_OFF_S,
    FecReceiver,
    FecSender,
    Parity,
    make_parity,
    recover,
)
from ultrasound_consult.media.jitter import MarkerJitterBuffer

SSRC, PT, TS = 0x1234ABCD, 97, 90_000


def frame_packets(
    first_seq: int, sizes: list[int], *, ts: int = TS, seed: int = 0
) -> list[RtpPacket]:
    rng = random.Random(seed)
    packets = []
    for i, size in enumerate(sizes):
        p = RtpPacket(
            payload_type=PT,
            marker=1 if i == len(sizes) - 1 else 0,
            sequence_number=(first_seq + i) % 65536,
            timestamp=ts,
            ssrc=SSRC,
            payload=bytes(rng.randrange(256) for _ in range(size)),
        )
        p._data = p.payload  # what the depayloader leaves for the jitter buffer
        packets.append(p)
    return packets


def test_any_one_missing_packet_is_rebuilt_exactly():
    packets = frame_packets(65530, [1200, 1200, 700, 1200, 31, 1200, 5, 880])  # seq wraps
    parity = Parity.unpack(make_parity(packets).pack())
    for lost in packets:
        present = {p.sequence_number: p.payload for p in packets if p is not lost}
        rebuilt = recover(parity, present)
        assert rebuilt is not None
        assert rebuilt.payload == lost.payload and rebuilt.sequence_number == lost.sequence_number
        assert (rebuilt.marker, rebuilt.timestamp, rebuilt.ssrc) == (lost.marker, TS, SSRC)
        assert rebuilt.payload_type == PT
    everything = {p.sequence_number: p.payload for p in packets}
    assert recover(parity, everything) is None, "nothing lost, nothing to do"
    two_lost = {s: d for s, d in everything.items() if s not in (65531, 1)}
    assert recover(parity, two_lost) is None, "two lost: wait for retransmissions"


@given(st.binary(max_size=300))
def test_hostile_parity_blocks_are_refused_with_value_error(data):
    try:
        parity = Parity.unpack(data)
    except ValueError:
        return
    assert parity.pack() == data, "whatever is accepted is exactly what was sent"


def test_malformed_parity_blocks_say_why():
    good = make_parity(frame_packets(10, [100, 50])).pack()
    with pytest.raises(ValueError, match="short"):
        Parity.unpack(good[:5])
    with pytest.raises(ValueError, match="length"):
        Parity.unpack(good[:-1])
    with pytest.raises(ValueError, match="version"):
        Parity.unpack(b"\x09" + good[1:])


class FakeSender:
    def __init__(self) -> None:
        self._RTCRtpSender__rtp_history: dict = {}

    def send(self, packets: list[RtpPacket]) -> None:
        for p in packets:  # as aiortc's _run_rtp does, before putting each on the wire
            self._RTCRtpSender__rtp_history[p.sequence_number % 128] = p


class Clock:
    t = 100.0

    def __call__(self) -> float:
        return self.t


def test_the_sender_sends_parity_only_while_the_link_loses_packets():
    sender, sent, clock = FakeSender(), [], Clock()
    fec = FecSender(sender, lambda data: sent.append(data) or True, clock=clock)
    assert fec.installed
    sender.send(frame_packets(0, [1000] * 5))
    assert sent == [], "off on a clean link"
    fec.on_loss(0.0)
    sender.send(frame_packets(5, [1000] * 5, ts=TS + 3000))
    assert sent == []
    fec.on_loss(1.2)
    sender.send(frame_packets(10, [1000] * 5, ts=TS + 6000))
    assert sent == [], "a small frame waits for the next one to share its parity"
    sender.send(frame_packets(15, [1000] * 5, ts=TS + 9000))
    (shared,) = [Parity.unpack(d) for d in sent]
    assert shared.first_seq == 10 and len(shared.lengths) == 10 >= MIN_GROUP
    assert shared.timestamps == (TS + 6000,) * 5 + (TS + 9000,) * 5
    assert shared.markers == (False,) * 4 + (True,) + (False,) * 4 + (True,)
    # A keyframe of 60 packets: groups of at most MAX_GROUP, the last one ends the frame.
    sender.send(frame_packets(20, [1000] * 60, ts=TS + 12000))
    groups = [Parity.unpack(d) for d in sent[1:]]
    assert [len(g.lengths) for g in groups] == [MAX_GROUP, MAX_GROUP, 60 - 2 * MAX_GROUP]
    assert [g.ends_frame for g in groups] == [False, False, True]
    assert sender._RTCRtpSender__rtp_history[20 % 128].sequence_number == 20, "history intact"
    # A small frame alone closes its group once it has waited long enough.
    clock.t += 1.0
    sender.send(frame_packets(80, [1000] * 3, ts=TS + 15000))
    clock.t += 0.1
    sender.send(frame_packets(83, [1000] * 3, ts=TS + 18000))
    assert len(sent) == 5 and len(Parity.unpack(sent[-1]).lengths) == 6
    clock.t += QUIET_OFF_S + 1
    sender.send(frame_packets(86, [1000] * 12, ts=TS + 21000))
    assert len(sent) == 5, "off again after a quiet minute"


def test_parity_yields_to_a_backed_up_channel():
    sender, sent, backlog = FakeSender(), [], [0]
    fec = FecSender(sender, lambda data: sent.append(data) or True, backlog=lambda: backlog[0])
    fec.on_loss(2.0)
    sender.send(frame_packets(0, [1000] * 10))
    assert len(sent) == 1
    backlog[0] = 1200  # annotations or earlier parity still waiting in the SCTP queue
    sender.send(frame_packets(10, [1000] * 10, ts=TS + 3000))
    assert len(sent) == 1 and fec.parity_yielded == 1


async def test_a_group_spanning_two_frames_rebuilds_the_first_frames_last_packet():
    buffer = MarkerJitterBuffer()
    receiver = FakeReceiver(buffer)
    repair = FecReceiver(receiver, buffer)
    first = frame_packets(300, [700] * 4, ts=TS)
    second = frame_packets(304, [700] * 4, ts=TS + 3000, seed=1)
    lost = first[-1]  # the marker packet of the first frame
    for p in first[:-1] + second:
        receiver.arrive(p)
    assert receiver.frames == [], "the second frame waits behind the first one's hole"
    repair.on_parity(make_parity(first + second).pack())
    await asyncio.gather(*repair._tasks)
    (rebuilt,) = receiver.delivered
    assert (rebuilt.sequence_number, rebuilt.marker, rebuilt.timestamp) == (303, 1, TS)
    assert rebuilt.payload == lost.payload
    assert [f.timestamp for f in receiver.frames] == [TS], "the first frame is out at once"
    # aiortc's receiver takes one frame per packet: the next arrival releases the second.
    receiver.arrive(frame_packets(308, [700], ts=TS + 6000)[0])
    assert [f.timestamp for f in receiver.frames] == [TS, TS + 3000]


class FakeReceiver:
    """Stands for aiortc's receiver: packets handed to it go into the jitter buffer."""

    def __init__(self, buffer: MarkerJitterBuffer) -> None:
        self.buffer = buffer
        self.frames: list = []
        self.delivered: list[RtpPacket] = []

    def arrive(self, packet: RtpPacket) -> None:
        _pli, frame = self.buffer.add(packet)
        if frame is not None:
            self.frames.append(frame)

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        packet._data = packet.payload
        self.delivered.append(packet)
        self.arrive(packet)


async def test_a_frame_missing_one_packet_is_completed_at_once():
    buffer = MarkerJitterBuffer()
    receiver = FakeReceiver(buffer)
    repair = FecReceiver(receiver, buffer)
    packets = frame_packets(500, [1200] * 10)
    for p in packets:
        if p.sequence_number != 503:
            receiver.arrive(p)
    assert receiver.frames == []
    repair.on_parity(make_parity(packets).pack())
    await asyncio.gather(*repair._tasks)  # the rebuilt packet is handed over as a task
    assert repair.recovered == 1 and receiver.delivered[0].payload == packets[3].payload
    (frame,) = receiver.frames
    assert frame.data == b"".join(p.payload for p in packets)


async def test_two_losses_wait_for_a_retransmission_then_the_parity_fills_the_other():
    buffer = MarkerJitterBuffer()
    receiver = FakeReceiver(buffer)
    repair = FecReceiver(receiver, buffer)
    packets = frame_packets(900, [1100] * 8)
    for p in packets:
        if p.sequence_number not in (902, 906):
            receiver.arrive(p)
    repair.on_parity(make_parity(packets).pack())
    assert repair.recovered == 0
    receiver.arrive(packets[2])  # the retransmission of 902
    await asyncio.gather(*repair._tasks)
    assert repair.recovered == 1 and receiver.delivered[0].sequence_number == 906
    assert len(receiver.frames) == 1


async def test_parity_for_a_frame_already_shown_is_dropped():
    buffer = MarkerJitterBuffer()
    receiver = FakeReceiver(buffer)
    repair = FecReceiver(receiver, buffer)
    packets = frame_packets(40, [900] * 4)
    for p in packets:
        receiver.arrive(p)
    assert len(receiver.frames) == 1
    repair.on_parity(make_parity(packets).pack())
    assert repair.recovered == 0 and not repair._pending
    repair.on_parity(b"garbage")
    assert repair.rejected == 1
