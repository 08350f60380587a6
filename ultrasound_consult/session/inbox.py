"""Every channel message this side receives, by either road, checked and handed on.

A message that fails its check is counted and refused (an operation, in its ``seq``
place, by the road it came: see :meth:`Collaboration.on_rejected`); the rest go to
whoever owns them: probes to the link monitor, ``stream.info`` and media requests to
the stream, the expert's hands to the collaboration.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ultrasound_consult.protocol.channel import (
    SNAPSHOT_CHANNEL,
    Ack,
    ChannelMessage,
    MediaRequest,
    Probe,
    StreamInfo,
    parse_channel_message,
)
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.fields import encode_object
from ultrasound_consult.protocol.lecture import LECTURE_MESSAGES
from ultrasound_consult.protocol.signaling import App, PeerInfo
from ultrasound_consult.session.collab import Collaboration
from ultrasound_consult.session.lecture import Lecture
from ultrasound_consult.session.link_monitor import LinkMonitor
from ultrasound_consult.session.messenger import Messenger, Reply
from ultrasound_consult.session.peer_link import PeerLink
from ultrasound_consult.session.stats import CallStats
from ultrasound_consult.session.stream_control import StreamControl

logger = logging.getLogger(__name__)


class Inbox:
    def __init__(
        self,
        *,
        peer: Callable[[str], PeerInfo | None],
        messenger: Messenger,
        stats: CallStats,
        collab: Collaboration,
        stream: StreamControl,
        monitor: LinkMonitor,
        on_stream_info: Callable[[PeerLink, StreamInfo], None],
        lecture: Lecture,
    ) -> None:
        self.lecture = lecture
        self._peer = peer
        self.messenger = messenger
        self.stats = stats
        self.collab = collab
        self.stream = stream
        self.monitor = monitor
        self._on_stream_info = on_stream_info

    def on_channel(self, link: PeerLink, label: str, data: str | bytes) -> None:
        """A message on one of ``link``'s data channels."""
        if label == SNAPSHOT_CHANNEL:
            if isinstance(data, bytes):
                self.collab.snapshots.on_chunk(link, data)
            return
        reply = self.messenger.reply_on_channel(link)
        try:
            msg = parse_channel_message(data)
        except ProtocolError as exc:
            self.stats.rejected += 1
            logger.warning("rejected a %s message from %s: %s", label, link.remote.id, exc.reason)
            self.collab.on_rejected(link.remote, data, exc, reply)
            return
        if isinstance(msg, Probe):
            self.monitor.on_probe(link, msg)
        elif isinstance(msg, StreamInfo):
            self._on_stream_info(link, msg)
        elif isinstance(msg, MediaRequest):
            self.stream.on_request(link, msg)
        else:
            self._hand_on(link.remote, msg, reply)

    def on_app(self, msg: App) -> None:
        """A channel message that came through the server (the data channel was down)."""
        peer = self._peer(msg.peer)
        if peer is None:
            return
        # Answered by the road the operation came: its sender may not have the channel.
        reply = self.messenger.reply_via_server(msg.peer)
        text = encode_object(msg.data)
        try:
            inner = parse_channel_message(text)
        except ProtocolError as exc:
            self.stats.rejected += 1
            logger.warning("rejected a relayed message from %s: %s", msg.peer, exc.reason)
            self.collab.on_rejected(peer, text, exc, reply)
            return
        if isinstance(inner, Probe | StreamInfo | MediaRequest):
            return  # about a link's media: meaningless once relayed
        self.stats.ops_via_server_received += 1
        self._hand_on(peer, inner, reply)

    def _hand_on(self, peer: PeerInfo, msg: ChannelMessage, reply: Reply) -> None:
        if isinstance(msg, LECTURE_MESSAGES):
            self.lecture.on_message(peer, msg, reply)
        elif not (isinstance(msg, Ack) and self.lecture.on_ack(msg)):
            self.collab.on_message(peer, msg, reply)
