"""The station's stream as the people in the call shape it: the quality preset, a
viewer's request for a keyframe or another preset, and ``stream.info`` (size, rate,
source label, RTP clock origin, preset) to every viewer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from ultrasound_consult.media.encoder import PresetVp8Encoder
from ultrasound_consult.media.quality import preset as preset_by_name
from ultrasound_consult.protocol.channel import MediaRequest, StreamInfo
from ultrasound_consult.protocol.signaling import ANNOTATING_ROLES, PeerInfo, Role
from ultrasound_consult.record.bundle import QUALITY
from ultrasound_consult.session.config import CallError
from ultrasound_consult.session.journal import Journal
from ultrasound_consult.session.local_media import LocalMedia
from ultrasound_consult.session.messenger import Messenger
from ultrasound_consult.session.observer import CallObserver
from ultrasound_consult.session.peer_link import PeerLink
from ultrasound_consult.session.source_label import source_label
from ultrasound_consult.session.stats import CallStats

logger = logging.getLogger(__name__)

#: A viewer's keyframe requests are carried out at most once a second each; preset
#: changes asked by viewers at most once every 10 s for the whole call (each one
#: changes the picture for everyone).
KEYFRAME_GAP_S = 1.0
PRESET_GAP_S = 10.0


class StreamControl:
    def __init__(
        self,
        role: Role,
        media: LocalMedia,
        links: Callable[[], Iterable[PeerLink]],
        messenger: Messenger,
        *,
        stats: CallStats,
        journal: Journal,
        events: CallObserver,
        author: Callable[[], str],
        station: Callable[[], PeerInfo | None],
    ) -> None:
        self.role = role
        self.media = media
        self._links = links
        self.messenger = messenger
        self.stats = stats
        self.journal = journal
        self.events = events
        self._author = author
        self._station = station
        #: When each viewer last had a keyframe, and when a viewer last changed the preset:
        #: requests beyond KEYFRAME_GAP_S / PRESET_GAP_S are not carried out.
        self._keyframe_at: dict[str, float] = {}
        self._preset_at = -PRESET_GAP_S

    def set_quality(self, name: str, by: str = "") -> None:
        """Switch every outgoing stream to another preset (raises ValueError); everyone
        hears of it through ``stream.info``."""
        links = list(self._links())
        self.media.set_quality(name)
        by = by or self._author()
        self.journal.event(QUALITY, preset=name, by=by)
        self.events.on_quality(name, by)
        for link in links:
            self.send_info(link)

    def request(self, *, keyframe: bool = False, preset: str = "") -> None:
        """A viewer asks the station for a keyframe and/or another preset."""
        if self.role is Role.STATION:
            raise CallError("the station sets its own quality")
        if preset:
            preset_by_name(preset)  # raises ValueError on a typo, before it travels
        station = self._station()
        link = self.messenger.link(station.id) if station is not None else None
        msg = MediaRequest(keyframe=keyframe, preset=preset, by=self._author())
        # A request is for now: on the data channel or not at all.
        if link is None or not self.messenger.on_link(link, msg):
            raise CallError("not connected to the station")

    def on_request(self, link: PeerLink, msg: MediaRequest) -> None:
        if self.role is not Role.STATION or link.remote.role not in ANNOTATING_ROLES:
            return
        now = time.monotonic()
        if msg.keyframe and link.outgoing is not None:
            encoder = link.outgoing.encoder
            last = self._keyframe_at.get(link.remote.id, -KEYFRAME_GAP_S)
            if isinstance(encoder, PresetVp8Encoder) and now - last >= KEYFRAME_GAP_S:
                self._keyframe_at[link.remote.id] = now
                encoder.request_keyframe()
        if msg.preset and msg.preset != self.media.config.quality:
            if now - self._preset_at < PRESET_GAP_S:
                # Flipping presets for everyone is not something a viewer may do at will.
                self.stats.rejected += 1
                logger.info("a quality request from %s came too soon", link.remote.id)
                return
            self._preset_at = now
            try:
                self.set_quality(msg.preset, by=link.remote.name or link.remote.id)
            except ValueError as exc:
                logger.warning("ignored a quality request from %s: %s", link.remote.id, exc)

    def send_info(self, link: PeerLink) -> None:
        """``stream.info`` to one viewer (the station's; nothing on a viewer)."""
        pipeline = self.media.pipeline
        if pipeline is None:
            return
        info = pipeline.info
        origin = link.video_out.rtp_origin if link.video_out is not None else None
        self.messenger.on_link(
            link,
            StreamInfo(
                width=info.width,
                height=info.height,
                fps=info.fps,
                source=source_label(self.media.source),  # never the file's name
                rtp_origin=origin,
                preset=self.media.config.quality,
            ),
        )

    def send_info_to_all(self) -> None:
        for link in self._links():
            self.send_info(link)
