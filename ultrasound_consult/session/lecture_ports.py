"""What a lecture uses of the call (its station side and its trainee's side alike)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ultrasound_consult.media.receiver import ReceivedFrame
from ultrasound_consult.protocol.channel import ChannelMessage
from ultrasound_consult.protocol.janus import SfuGrant
from ultrasound_consult.protocol.signaling import PeerInfo
from ultrasound_consult.session.config import CallConfig
from ultrasound_consult.session.journal import Journal
from ultrasound_consult.session.local_media import LocalMedia
from ultrasound_consult.session.messenger import Messenger
from ultrasound_consult.session.observer import CallObserver


@dataclass(frozen=True)
class LecturePorts:
    """What the lecture uses of the call."""

    config: CallConfig
    media: LocalMedia
    messenger: Messenger
    events: CallObserver
    journal: Journal
    peers: dict[str, PeerInfo]
    me: Callable[[], PeerInfo | None]
    station: Callable[[], PeerInfo | None]
    #: The grant; the station may have the server free publisher ids first.
    request_sfu: Callable[[tuple[int, ...]], Awaitable[SfuGrant]]
    fanout: Callable[[dict[str, Any]], bool]
    #: Peer links: whether one is up with a peer, drop one, offer one (station).
    has_link: Callable[[str], bool]
    drop_link: Callable[[str], None]
    offer_to: Callable[[PeerInfo], Coroutine[Any, Any, None]]
    on_remote_frame: Callable[[ReceivedFrame], None]
    #: The whole scene, as to a viewer that (re)connects, through ``send``.
    sync_viewer: Callable[[Callable[[ChannelMessage], object]], None]
    set_connected: Callable[[str], None]
    spawn: Callable[[Coroutine[Any, Any, Any]], None]
