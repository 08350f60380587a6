"""Counters of a call and the one-line JSON summary headless modes print at exit."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ultrasound_consult.session.call import ConsultCall
    from ultrasound_consult.session.peer_link import PeerLink


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class CallStats:
    role: str
    frames_captured: int = 0
    frames_sent: int = 0
    frames_received: int = 0
    fps_received: float = 0.0
    width: int = 0
    height: int = 0
    codec: str | None = None
    peers_connected: int = 0
    #: Most viewers (or stations) connected at once during the call.
    peers_connected_max: int = 0
    annotations_sent: int = 0
    annotations_received: int = 0
    annotations_acked: int = 0
    annotations_refused: int = 0
    pointer_sent: int = 0
    pointer_received: int = 0
    rejected: int = 0
    server_reconnects: int = 0
    connected_after_s: float | None = None
    ack_rtt_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Totals of peer links that have closed, so a call's figures survive a peer leaving.
    _closed_sent: int = 0
    _closed_received: int = 0
    _codecs: set[str] = field(default_factory=set)

    def absorb_link(self, link: PeerLink) -> None:
        """Keep the figures of a link that is about to close."""
        if link.video_out is not None:
            self._closed_sent += link.video_out.frames_sent
        if link.sink is not None:
            self._closed_received += link.sink.frames
            self.fps_received = max(self.fps_received, link.sink.fps)
            if link.sink.width:
                self.width, self.height = link.sink.width, link.sink.height
        if link.codec:
            self._codecs.add(link.codec)

    def update_from(self, call: ConsultCall) -> None:
        links = list(call.links.values())
        self.peers_connected = sum(1 for link in links if link.connection_state == "connected")
        self.peers_connected_max = max(self.peers_connected_max, self.peers_connected)
        if call.pipeline is not None:
            self.frames_captured = call.pipeline.frames
            self.width, self.height = call.pipeline.info.width, call.pipeline.info.height
        self.frames_sent = self._closed_sent + sum(
            link.video_out.frames_sent for link in links if link.video_out
        )
        sinks = [link.sink for link in links if link.sink is not None]
        self.frames_received = self._closed_received + sum(s.frames for s in sinks)
        for s in sinks:
            self.fps_received = max(self.fps_received, s.fps)
            if s.width:
                self.width, self.height = s.width, s.height
        self._codecs.update(link.codec for link in links if link.codec)
        if self._codecs:
            self.codec = ",".join(sorted(self._codecs))

    def summary(self, **extra: Any) -> dict[str, Any]:
        def ms(v: float | None) -> float | None:
            return None if v is None else round(v, 1)

        return {
            "role": self.role,
            **extra,
            "connected_after_s": ms(self.connected_after_s),
            "peers_connected_max": self.peers_connected_max,
            "video": {
                "frames_captured": self.frames_captured,
                "frames_sent": self.frames_sent,
                "frames_received": self.frames_received,
                "fps_received": round(self.fps_received, 2),
                "resolution": f"{self.width}x{self.height}" if self.width else None,
                "codec": self.codec,
            },
            "annotations": {
                "sent": self.annotations_sent,
                "received": self.annotations_received,
                "acknowledged": self.annotations_acked,
                "refused": self.annotations_refused,
                "round_trip_ms": {
                    "p50": ms(percentile(self.ack_rtt_ms, 50)),
                    "p95": ms(percentile(self.ack_rtt_ms, 95)),
                    "max": ms(max(self.ack_rtt_ms) if self.ack_rtt_ms else None),
                },
            },
            "pointer": {"sent": self.pointer_sent, "received": self.pointer_received},
            "rejected_messages": self.rejected,
            "server_reconnects": self.server_reconnects,
            "errors": self.errors,
        }
