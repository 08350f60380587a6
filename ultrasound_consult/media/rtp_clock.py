"""Mapping RTP timestamps back to the station's media clock.

aiortc adds a random 32-bit origin to every sender's RTP timestamps and keeps it in
a local variable. It does record the timestamp of the last packet sent, so once a
frame with a known pts has gone out, ``origin = last_rtp_timestamp - pts`` (mod 2**32).
The station sends that origin to the viewer in ``stream.info``; the viewer then
knows, for every decoded frame, which station frame it is (annotations anchor to it).

On the viewer, aiortc rebases decoded pts so the first frame is 0 (its private
``TimestampMapper``); adding the mapper's origin back gives the RTP timestamp. The
decoder also rounds pts to its own time base (about 1 ms), so media times are
accurate to about a millisecond: far finer than the frame interval, which is what
frame identity needs.

This reads private attributes of aiortc's RTCRtpSender and RTCRtpReceiver (named in
``media/seams.py``); tests/test_call.py checks the mapping on a real call, so an aiortc
upgrade that renames them fails the tests instead of silently mis-anchoring annotations.
"""

from __future__ import annotations

from ultrasound_consult.media.convert import VIDEO_CLOCK_RATE
from ultrasound_consult.media.seams import receiver_rtp_origin, sender_last_rtp_timestamp

__all__ = [
    "RTP_WRAP",
    "media_time",
    "receiver_rtp_origin",
    "rtp_origin",
    "sender_last_rtp_timestamp",
]

RTP_WRAP = 2**32


def rtp_origin(last_rtp_timestamp: int, last_pts: int) -> int:
    return (last_rtp_timestamp - last_pts) % RTP_WRAP


def media_time(rtp_timestamp: int, origin: int) -> float:
    """Seconds on the station's media clock of a frame with this RTP timestamp."""
    return ((rtp_timestamp - origin) % RTP_WRAP) / VIDEO_CLOCK_RATE
