"""The one rule for how a channel message reaches a peer: on the data channel when it
is open, else relayed through the signalling server (an ``app`` message).

Every sender in the call (operations, acknowledgements, broadcasts, recording
notices) goes through :class:`Messenger`, so the rule lives here only. The live
pointer and snapshot chunks use their own channels and never go through the server:
a pointer is stale by the time a relay delivers it, and a snapshot is too large.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from ultrasound_consult.protocol.channel import (
    OPS_CHANNEL,
    POINTER_CHANNEL,
    SNAPSHOT_CHANNEL,
    ChannelMessage,
    encode_channel,
)
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.peer_link import PeerLink

#: Relay a message (its wire dict) to a peer through the server; False if it cannot.
Relay = Callable[[str, dict[str, Any]], bool]
#: Answer one message, by the road it came.
Reply = Callable[[ChannelMessage], None]


class Road(StrEnum):
    CHANNEL = "channel"
    SERVER = "server"
    NONE = "none"  # neither is up: the caller keeps it and sends it later


class Messenger:
    def __init__(
        self,
        links: Callable[[], Iterable[PeerLink]],
        relay: Relay,
        fanout: Callable[[dict[str, Any]], bool] = lambda _data: False,
    ) -> None:
        self._links = links
        self._relay = relay
        #: A lecture's trainees, all at once through the server (False: not lecturing).
        self._fanout = fanout

    # --- who ------------------------------------------------------------------

    def link(self, peer_id: str) -> PeerLink | None:
        return next((link for link in self._links() if link.remote.id == peer_id), None)

    def station_links(self) -> list[PeerLink]:
        return [link for link in self._links() if link.remote.role is Role.STATION]

    def viewer_links(self) -> list[PeerLink]:
        return [link for link in self._links() if link.remote.role is not Role.STATION]

    # --- operations: channel, else server ---------------------------------------

    def to_peer(self, peer_id: str, msg: ChannelMessage) -> Road:
        link = self.link(peer_id)
        if link is not None and link.send(OPS_CHANNEL, encode_channel(msg)):
            return Road.CHANNEL
        return Road.SERVER if self._relay(peer_id, msg.to_wire()) else Road.NONE

    def to_station(self, msg: ChannelMessage, station_id: str | None) -> Road:
        """To the room's station (``station_id``: its peer id, if it is in the room)."""
        text = encode_channel(msg)
        sent = [link for link in self.station_links() if link.send(OPS_CHANNEL, text)]
        if sent:
            return Road.CHANNEL
        if station_id is not None and self._relay(station_id, msg.to_wire()):
            return Road.SERVER
        return Road.NONE

    def to_viewers(self, msg: ChannelMessage, *, but: str | None = None) -> None:
        """To every viewer (but one); each by its own road. In a lecture, the trainees
        (who have no link) get it once, through the server's fan-out."""
        text = encode_channel(msg)
        for link in self.viewer_links():
            if link.remote.id != but and not link.send(OPS_CHANNEL, text):
                self._relay(link.remote.id, msg.to_wire())
        self._fanout(msg.to_wire())

    def on_link(self, link: PeerLink, msg: ChannelMessage) -> bool:
        """On this link's data channel only (a resync, a resend when it opens)."""
        return link.send(OPS_CHANNEL, encode_channel(msg))

    def reply_on_channel(self, link: PeerLink) -> Reply:
        """The answer to a message that came on ``link``'s data channel: the same
        channel, or the server if it closed since."""

        def reply(answer: ChannelMessage) -> None:
            if not link.send(OPS_CHANNEL, encode_channel(answer)):
                self._relay(link.remote.id, answer.to_wire())

        return reply

    def reply_via_server(self, peer_id: str) -> Reply:
        """The answer to a message the server relayed: through the server again (its
        sender may have no data channel)."""

        def reply(answer: ChannelMessage) -> None:
            self._relay(peer_id, answer.to_wire())

        return reply

    # --- the pointer and snapshots: their own channels only -----------------------

    def pointer_to_station(self, msg: ChannelMessage) -> int:
        """The live pointer to the station; how many links took it."""
        text = encode_channel(msg)
        return sum(1 for link in self.station_links() if link.send(POINTER_CHANNEL, text))

    def pointer_to_viewers(self, msg: ChannelMessage, *, but: str) -> None:
        """The station passes an expert's pointer on to the other viewers' links."""
        text = encode_channel(msg)
        for link in self.viewer_links():
            if link.remote.id != but:
                link.send(POINTER_CHANNEL, text)

    @staticmethod
    def snapshot_open(link: PeerLink) -> bool:
        return link.channel_open(SNAPSHOT_CHANNEL)

    @staticmethod
    def snapshot_chunks(link: PeerLink, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            link.send(SNAPSHOT_CHANNEL, chunk)
