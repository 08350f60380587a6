"""Every private attribute of aiortc that the media path touches, in one place.

aiortc has no public hooks for what a diagnostic-quality, low-latency call needs: the
encoder slot (our rate control), the sender's packet history (forward error
correction), the RTP clock (frame identity), the receiver's jitter buffer and NACK
generator (release on the marker bit, retries), the transport's RTP send (the pacer
and the send times congestion control needs) and the VP8 packetizer. Each is named
here, and nowhere else.

:func:`check_sender` / :func:`check_receiver` compare them with the real objects at
call start. On a mismatch (an aiortc release that renamed something) the call warns
once and runs with aiortc's stock behaviour for that part, which is still a working
call; ``tests/test_seams.py`` forces that path. pyproject.toml pins aiortc to the
range these were checked against.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer

logger = logging.getLogger(__name__)

SENDER_ENCODER = "_RTCRtpSender__encoder"
SENDER_HISTORY = "_RTCRtpSender__rtp_history"
SENDER_RTP_TIMESTAMP = "_RTCRtpSender__rtp_timestamp"
RECEIVER_JITTER = "_RTCRtpReceiver__jitter_buffer"
RECEIVER_NACK = "_RTCRtpReceiver__nack_generator"
RECEIVER_TIMESTAMP_MAPPER = "_RTCRtpReceiver__timestamp_mapper"
#: Methods and attributes reached by name (no name mangling).
RECEIVER_METHODS = ("_send_rtcp_nack", "_send_rtcp_pli", "_handle_rtp_packet")
TRANSPORT_SEND_RTP = "_send_rtp"
JITTER_FIELDS = ("_packets", "_origin", "_capacity")
JITTER_METHODS = ("_remove_frame", "remove")

_warned: set[str] = set()


def _warn_once(part: str, missing: list[str]) -> None:
    if part in _warned:
        return
    _warned.add(part)
    logger.warning(
        "aiortc's %s is not as this version expects (%s): using aiortc's stock %s behaviour. "
        "The call works, with higher latency on weak links. Install the aiortc version "
        "pyproject.toml names.",
        part,
        ", ".join(missing),
        part,
    )


# --- checks -------------------------------------------------------------------------


def sender_mismatches(sender: Any) -> list[str]:
    """What of the sender's private seams is missing or of the wrong kind."""
    missing = []
    if not hasattr(sender, SENDER_ENCODER):
        missing.append(SENDER_ENCODER)
    if not isinstance(getattr(sender, SENDER_HISTORY, None), dict):
        missing.append(SENDER_HISTORY)
    if not isinstance(getattr(sender, SENDER_RTP_TIMESTAMP, None), int):
        missing.append(SENDER_RTP_TIMESTAMP)
    transport = getattr(sender, "transport", None)
    if not callable(getattr(transport, TRANSPORT_SEND_RTP, None)):
        missing.append(f"transport.{TRANSPORT_SEND_RTP}")
    if not isinstance(getattr(sender, "_ssrc", None), int):
        missing.append("_ssrc")
    probe = Vp8Encoder()
    if not callable(getattr(probe, "_packetize", None)) or not isinstance(
        getattr(probe, "picture_id", None), int
    ):
        missing.append("Vp8Encoder._packetize/picture_id")
    return missing


def receiver_mismatches(receiver: Any) -> list[str]:
    missing = []
    buffer = getattr(receiver, RECEIVER_JITTER, None)
    if not isinstance(buffer, JitterBuffer):
        missing.append(RECEIVER_JITTER)
    else:
        missing += [f"JitterBuffer.{f}" for f in JITTER_FIELDS if not hasattr(buffer, f)]
        missing += [f"JitterBuffer.{m}" for m in JITTER_METHODS if not hasattr(buffer, m)]
    if not hasattr(getattr(receiver, RECEIVER_NACK, None), "missing"):
        missing.append(RECEIVER_NACK)
    if not hasattr(getattr(receiver, RECEIVER_TIMESTAMP_MAPPER, None), "_origin"):
        missing.append(RECEIVER_TIMESTAMP_MAPPER)
    missing += [m for m in RECEIVER_METHODS if not callable(getattr(receiver, m, None))]
    return missing


def check_sender(sender: Any) -> bool:
    """True if every sender seam is as expected; else warn once and say False."""
    missing = sender_mismatches(sender)
    if missing:
        _warn_once("sender", missing)
    return not missing


def check_receiver(receiver: Any) -> bool:
    missing = receiver_mismatches(receiver)
    if missing:
        _warn_once("receiver", missing)
    return not missing


# --- sender ---------------------------------------------------------------------------


def set_sender_encoder(sender: Any, encoder: Any) -> bool:
    if not hasattr(sender, SENDER_ENCODER):
        _warn_once("sender", [SENDER_ENCODER])
        return False
    setattr(sender, SENDER_ENCODER, encoder)
    return True


def sender_history(sender: Any) -> dict[int, Any] | None:
    history = getattr(sender, SENDER_HISTORY, None)
    return history if isinstance(history, dict) else None


def replace_sender_history(sender: Any, history: dict[int, Any]) -> None:
    setattr(sender, SENDER_HISTORY, history)


def sender_last_rtp_timestamp(sender: Any) -> int | None:
    value = getattr(sender, SENDER_RTP_TIMESTAMP, None)
    return value if isinstance(value, int) else None


def sender_ssrcs(sender: Any) -> tuple[int | None, int | None]:
    """The media and retransmission (RTX) SSRCs of a sender."""
    ssrc, rtx = getattr(sender, "_ssrc", None), getattr(sender, "_rtx_ssrc", None)
    return (ssrc if isinstance(ssrc, int) else None, rtx if isinstance(rtx, int) else None)


SendRtp = Callable[[bytes], Awaitable[None]]


def wrap_transport_send(transport: Any, wrap: Callable[[SendRtp], SendRtp]) -> SendRtp | None:
    """Put ``wrap(original)`` in place of the DTLS transport's RTP send; returns the
    original (to put back), or None when the seam is missing."""
    original = getattr(transport, TRANSPORT_SEND_RTP, None)
    if not callable(original):
        _warn_once("transport", [TRANSPORT_SEND_RTP])
        return None
    setattr(transport, TRANSPORT_SEND_RTP, wrap(original))
    return original


class Vp8Packetizer:
    """aiortc's VP8 payload packetizer and picture id, without its encoder."""

    def __init__(self) -> None:
        self._vp8 = Vp8Encoder()

    def packetize(self, data: bytes) -> list[bytes]:
        payloads: list[bytes] = self._vp8._packetize(data, self._vp8.picture_id)
        self._vp8.picture_id = (self._vp8.picture_id + 1) % (1 << 15)
        return payloads


# --- receiver -------------------------------------------------------------------------


def receiver_jitter_buffer(receiver: Any) -> Any:
    return getattr(receiver, RECEIVER_JITTER, None)


def set_receiver_jitter_buffer(receiver: Any, buffer: Any) -> None:
    setattr(receiver, RECEIVER_JITTER, buffer)


def receiver_nack_generator(receiver: Any) -> Any:
    return getattr(receiver, RECEIVER_NACK, None)


def set_receiver_nack_generator(receiver: Any, generator: Any) -> None:
    setattr(receiver, RECEIVER_NACK, generator)


def receiver_missing(receiver: Any) -> set[int]:
    """Sequence numbers aiortc's NACK generator currently sees missing."""
    generator = getattr(receiver, RECEIVER_NACK, None)
    missing = getattr(generator, "missing", None)
    return set(missing) if missing else set()


def receiver_rtp_origin(receiver: Any) -> int | None:
    """The RTP timestamp aiortc subtracted from this receiver's decoded pts."""
    mapper = getattr(receiver, RECEIVER_TIMESTAMP_MAPPER, None)
    origin = getattr(mapper, "_origin", None)
    return origin if isinstance(origin, int) else None


async def send_nack(receiver: Any, ssrc: int, seqs: list[int]) -> None:
    await receiver._send_rtcp_nack(ssrc, seqs)


async def inject_rtp(receiver: Any, packet: Any, arrival_time_ms: int) -> None:
    """Hand a (recovered) packet to the receiver as if it had arrived (not as an
    arrival: congestion control must not see it)."""
    handle = getattr(receiver, "_uc_unobserved_rtp", None) or receiver._handle_rtp_packet
    await handle(packet, arrival_time_ms=arrival_time_ms)


def packet_payload_data(packet: Any) -> bytes:
    """The depacketized codec data aiortc attached to a received packet."""
    data: bytes = packet._data
    return data


def observe_rtp(
    receiver: Any, observer: Callable[[Any, float], None], clock: Callable[[], float]
) -> bool:
    """Call ``observer(packet, arrival)`` for every RTP packet the receiver is handed
    (before retransmissions are unwrapped); False when the seam is missing."""
    original = getattr(receiver, "_handle_rtp_packet", None)
    if not callable(original):
        _warn_once("receiver", ["_handle_rtp_packet"])
        return False

    async def handle(packet: Any, arrival_time_ms: int) -> None:
        observer(packet, clock())
        await original(packet, arrival_time_ms)

    receiver._handle_rtp_packet = handle
    receiver._uc_unobserved_rtp = original  # recovered packets skip the observer
    return True


def count_rtp_only(receiver: Any, observer: Callable[[Any], None]) -> bool:
    """Hand every RTP packet to ``observer`` and drop it: no jitter buffer, no decoder.

    For light viewers in load tests (a lecture's many trainees): they count frames at
    the cost of a callback. False when the seam is missing."""
    if not callable(getattr(receiver, "_handle_rtp_packet", None)):
        _warn_once("receiver", ["_handle_rtp_packet"])
        return False

    async def handle(packet: Any, arrival_time_ms: int) -> None:
        observer(packet)

    receiver._handle_rtp_packet = handle
    return True


#: The task aiortc starts to connect a PeerConnection (not kept anywhere we can reach).
PC_CONNECT = "RTCPeerConnection.__connect"


def quiet_connect_task(pc: Any) -> int:
    """Look at the outcome of ``pc``'s connect task, so a connection closed while it
    connects (Janus gone mid-join) does not leave an exception nobody retrieved.

    aiortc starts that task in ``setLocalDescription``/``setRemoteDescription`` and
    keeps no reference; it is found among the loop's tasks by its coroutine. Returns
    how many were found (0 if aiortc renamed it: then only a log line is lost)."""
    import asyncio

    found = 0
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        if getattr(coro, "__qualname__", "") != PC_CONNECT or frame is None:
            continue
        if frame.f_locals.get("self") is pc:
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            found += 1
    return found
