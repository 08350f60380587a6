"""Counters of a call and the one-line JSON summary headless modes print at exit."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ultrasound_consult.session.link_monitor import LinkStats

if TYPE_CHECKING:
    from ultrasound_consult.media.pipeline import StationPipeline
    from ultrasound_consult.session.local_media import LocalMedia
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
    #: A lecture's figures (the station's upload, a trainee's view), when there is one.
    lecture: dict[str, Any] | None = None
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
    #: Refusals of my operations that came back (a viewer's figure).
    annotations_refused: int = 0
    #: Operations I refused, each answered with a code and a reason (the station's).
    refusals_sent: int = 0
    pointer_sent: int = 0
    pointer_received: int = 0
    rejected: int = 0
    #: Operations sent (received) through the signalling server while the data channel
    #: was down, and re-sent after it came back.
    ops_via_server: int = 0
    ops_via_server_received: int = 0
    ops_resent: int = 0
    scene_syncs: int = 0
    sequence_gaps: int = 0
    cues_sent: int = 0
    cues_received: int = 0
    chat_sent: int = 0
    chat_received: int = 0
    snapshots_sent: int = 0
    snapshot_bytes_sent: int = 0
    snapshots_received: int = 0
    server_reconnects: int = 0
    connected_after_s: float | None = None
    ack_rtt_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    link: tuple[LinkStats, ...] = ()
    camera_frames_sent: int = 0
    camera_frames_received: int = 0
    camera_fps_received: float = 0.0
    camera_resolution: str | None = None
    fec_parity_sent: int = 0
    fec_parity_received: int = 0
    fec_recovered: int = 0
    audio_source: str | None = None
    audio_blocks_sent: int = 0
    audio_frames_received: int = 0
    audio_underruns: int = 0
    muted: bool = False
    # Totals of peer links that have closed, so a call's figures survive a peer leaving
    # and the call's end (stop() closes every link before the summary is read).
    _closed_sent: int = 0
    _closed_received: int = 0
    _closed_camera_sent: int = 0
    _closed_camera_received: int = 0
    _closed_fec_sent: int = 0
    _closed_fec_received: int = 0
    _closed_fec_recovered: int = 0
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
        if link.outgoing is not None and link.outgoing.camera is not None:
            self._closed_camera_sent += link.outgoing.camera.frames_sent
            self._camera_sent_size(link.outgoing.camera)
        if link.camera_sink is not None:
            self._closed_camera_received += link.camera_sink.frames
            self._camera_received_rate(link.camera_sink)
        if link.fec is not None:
            self._closed_fec_sent += link.fec.parity_sent
        if link.fec_repair is not None:
            self._closed_fec_received += link.fec_repair.received
            self._closed_fec_recovered += link.fec_repair.recovered

    def _camera_sent_size(self, track: Any) -> None:
        if track.last_sent_size[0]:
            self.camera_resolution = "{}x{}".format(*track.last_sent_size)

    def _camera_received_rate(self, sink: Any) -> None:
        self.camera_fps_received = max(self.camera_fps_received, sink.fps)
        if sink.width:
            self.camera_resolution = f"{sink.width}x{sink.height}"

    def refresh(
        self,
        links: list[PeerLink],
        media: LocalMedia,
        link_stats: tuple[LinkStats, ...] = (),
    ) -> None:
        """Read the counters of the live links and this side's media (engine thread)."""
        pipeline: StationPipeline | None = media.pipeline
        self.peers_connected = sum(1 for link in links if link.connection_state == "connected")
        self.peers_connected_max = max(self.peers_connected_max, self.peers_connected)
        if pipeline is not None:
            self.frames_captured = pipeline.frames
            self.width, self.height = pipeline.info.width, pipeline.info.height
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
        if link_stats:
            self.link = link_stats
        if self._codecs:
            self.codec = ",".join(sorted(self._codecs))
        cameras_out = [
            link.outgoing.camera for link in links if link.outgoing and link.outgoing.camera
        ]
        cameras_in = [link.camera_sink for link in links if link.camera_sink is not None]
        self.camera_frames_sent = self._closed_camera_sent + sum(t.frames_sent for t in cameras_out)
        self.camera_frames_received = self._closed_camera_received + sum(
            s.frames for s in cameras_in
        )
        for track in cameras_out:
            self._camera_sent_size(track)
        for sink in cameras_in:
            self._camera_received_rate(sink)
        fec_out = [link.fec for link in links if link.fec is not None]
        fec_in = [link.fec_repair for link in links if link.fec_repair is not None]
        self.fec_parity_sent = self._closed_fec_sent + sum(f.parity_sent for f in fec_out)
        self.fec_parity_received = self._closed_fec_received + sum(f.received for f in fec_in)
        self.fec_recovered = self._closed_fec_recovered + sum(f.recovered for f in fec_in)
        if media.fanout is not None:
            self.audio_source = media.fanout.capture.description
            self.audio_blocks_sent = media.fanout.blocks
            self.muted = media.fanout.muted
        if media.player is not None:
            self.audio_frames_received = media.player.frames
            self.audio_underruns = media.player.underruns

    def summary(self, **extra: Any) -> dict[str, Any]:
        """One JSON-able dict; ``link`` is the last second's statistics of each peer."""

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
                "refusals_sent": self.refusals_sent,
                "round_trip_ms": {
                    "p50": ms(percentile(self.ack_rtt_ms, 50)),
                    "p95": ms(percentile(self.ack_rtt_ms, 95)),
                    "max": ms(max(self.ack_rtt_ms) if self.ack_rtt_ms else None),
                },
                "via_server": self.ops_via_server,
                "via_server_received": self.ops_via_server_received,
                "resent": self.ops_resent,
                "scene_syncs": self.scene_syncs,
                "sequence_gaps": self.sequence_gaps,
            },
            "guidance": {"cues_sent": self.cues_sent, "cues_received": self.cues_received},
            "chat": {"sent": self.chat_sent, "received": self.chat_received},
            "snapshots": {
                "sent": self.snapshots_sent,
                "bytes_sent": self.snapshot_bytes_sent,
                "received": self.snapshots_received,
            },
            "pointer": {"sent": self.pointer_sent, "received": self.pointer_received},
            "fec": {
                "parity_sent": self.fec_parity_sent,
                "parity_received": self.fec_parity_received,
                "packets_recovered": self.fec_recovered,
            },
            "camera": {
                "frames_sent": self.camera_frames_sent,
                "frames_received": self.camera_frames_received,
                "fps_received": round(self.camera_fps_received, 2),
                "resolution": self.camera_resolution,
            },
            "audio": {
                "source": self.audio_source,
                "blocks_captured": self.audio_blocks_sent,
                "frames_received": self.audio_frames_received,
                "underruns": self.audio_underruns,
                "muted": self.muted,
            },
            "link": [s.to_dict() for s in self.link],
            "rejected_messages": self.rejected,
            "server_reconnects": self.server_reconnects,
            "errors": self.errors,
            **({"lecture": self.lecture} if self.lecture is not None else {}),
        }
