"""The peer links of a call: offers and answers, and what happens when one fails.

The station offers to every viewer in the room; a viewer answers its room's station.
A link that does not connect within :data:`NEGOTIATION_TIMEOUT_S`, or fails later, is
reported, closed, and (at the station) offered again with a growing back-off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

from ultrasound_consult.media.receiver import ReceivedFrame
from ultrasound_consult.protocol.signaling import (
    Answer,
    IceServer,
    Offer,
    PeerInfo,
    Role,
    Welcome,
)
from ultrasound_consult.session.config import CallConfig
from ultrasound_consult.session.local_media import LocalMedia
from ultrasound_consult.session.observer import CallState
from ultrasound_consult.session.peer_link import PeerLink, candidate_count
from ultrasound_consult.session.stats import CallStats

logger = logging.getLogger(__name__)

#: A peer connection not connected this long after the offer counts as failed.
NEGOTIATION_TIMEOUT_S = 20.0
#: Viewers the station serves itself, one encoded copy each (a mesh): past this, each
#: one more costs a full stream of its uplink and CPU, and a lecture needs the SFU.
MESH_VIEWERS = 4
#: The station offers again after a failure, waiting longer each time.
REOFFER_BACKOFF_S = (2.0, 5.0, 10.0, 20.0, 30.0, 60.0)


@dataclass(frozen=True)
class LinkHooks:
    """What the links tell the call."""

    send_signal: Callable[[Offer | Answer], Coroutine[Any, Any, None]]
    set_state: Callable[[CallState, str], None]
    #: A problem the user hears about: (code, message).
    problem: Callable[[str, str], None]
    on_channel_message: Callable[[PeerLink, str, str | bytes], None]
    on_channel_open: Callable[[PeerLink, str], None]
    on_remote_frame: Callable[[ReceivedFrame], None]
    on_camera_frame: Callable[[ReceivedFrame], None]
    #: The station's RTP clock origin for a link became known (tell the viewer).
    on_rtp_origin: Callable[[PeerLink], None]
    on_connected: Callable[[], None]
    spawn: Callable[[Coroutine[Any, Any, None]], None]
    #: A peer the station does not offer a link to (a trainee in a lecture).
    no_link: Callable[[PeerInfo], bool] = lambda _peer: False


class PeerLinks:
    def __init__(
        self,
        config: CallConfig,
        media: LocalMedia,
        stats: CallStats,
        peers: dict[str, PeerInfo],
        hooks: LinkHooks,
    ) -> None:
        self.config = config
        self.media = media
        self.stats = stats
        #: Who is in the room (the call's, shared): a link's peer may have left it.
        self.peers = peers
        self.hooks = hooks
        self.links: dict[str, PeerLink] = {}
        self.ice_servers: tuple[IceServer, ...] = ()
        self._offer_attempts: dict[str, int] = {}

    def __iter__(self) -> Iterator[PeerLink]:
        return iter(list(self.links.values()))

    def get(self, peer_id: str) -> PeerLink | None:
        return self.links.get(peer_id)

    def waiting_detail(self) -> str:
        if self.config.role is Role.STATION:
            return "waiting for an expert to join"
        return "waiting for the station to join"

    def healthy(self, peer_id: str) -> bool:
        link = self.links.get(peer_id)
        return link is not None and link.connection_state in ("new", "connecting", "connected")

    # --- offer and answer ---------------------------------------------------------

    def welcomed(self, welcome: Welcome, *, rejoined: bool = False) -> None:
        """In the room (or back in it): the station offers to every viewer there (back
        in it, to those whose media link is not up)."""
        self.ice_servers = welcome.ice_servers
        if self.config.role is not Role.STATION:
            return
        for peer in welcome.peers:
            if not (rejoined and self.healthy(peer.id)):
                self.hooks.spawn(self.offer_to(peer))

    async def offer_to(self, peer: PeerInfo) -> None:
        if peer.role is Role.STATION or self.media.pipeline is None or peer.id in self.links:
            return
        if self.hooks.no_link(peer):
            return
        link = self._new_link(peer)
        out = self.media.outgoing()
        out.video.on_rtp_origin = lambda _origin, link=link: self.hooks.on_rtp_origin(link)
        self.hooks.set_state(CallState.NEGOTIATING, f"connecting to {peer.name or peer.role.value}")
        sdp = await link.create_offer(out, codec=self.config.video_codec)
        if self._no_network_path(link, sdp):
            return
        await self.hooks.send_signal(Offer(peer=peer.id, sdp=sdp))

    async def answer(self, offer: Offer) -> None:
        peer = self.peers.get(offer.peer)
        if peer is None or peer.role is not Role.STATION:
            logger.warning(
                "ignoring an offer from %s, which is not this room's station", offer.peer
            )
            return
        # One station per room: links to an earlier station (an app restart gives a
        # new peer id) and any earlier link to this one are replaced.
        for other in [link for link in self.links.values() if link.remote.role is Role.STATION]:
            self.links.pop(other.remote.id, None)
            self.close_link(other)
        link = self._new_link(peer)
        self.hooks.set_state(CallState.NEGOTIATING, f"connecting to {peer.name or 'the station'}")
        sdp = await link.create_answer(
            offer.sdp,
            self.hooks.on_remote_frame,
            audio=self.media.answer_audio(),
            on_camera_frame=self.hooks.on_camera_frame,
        )
        if self._no_network_path(link, sdp):
            return
        await self.hooks.send_signal(Answer(peer=peer.id, sdp=sdp))

    def accept_answer(self, answer: Answer) -> None:
        link = self.links.get(answer.peer)
        if link is not None:
            self.hooks.spawn(link.accept_answer(answer.sdp))

    def _no_network_path(self, link: PeerLink, sdp: str) -> bool:
        """Without a single ICE candidate a connection cannot even start: say why now."""
        if candidate_count(sdp):
            return False
        relay = self.config.ice_transport_policy == "relay"
        self._failed(
            link,
            "no_network_path",
            "No network path could be prepared for the video. "
            + (
                "The TURN relay refused or did not answer: check the TURN server and its "
                "secret (ask your IT contact)."
                if relay
                else "Check that this computer is connected to a network."
            ),
        )
        return True

    async def _watch_negotiation(self, link: PeerLink) -> None:
        try:
            await asyncio.wait_for(link.connected.wait(), NEGOTIATION_TIMEOUT_S)
        except TimeoutError:
            if self.links.get(link.remote.id) is link:
                self._failed(
                    link,
                    "peer_connection_failed",
                    f"The video connection to {link.remote.name or link.remote.role.value} "
                    f"could not be set up within {NEGOTIATION_TIMEOUT_S:.0f} s. The network "
                    "between the two sites may block it; a TURN relay may be needed (ask your "
                    "IT contact). Retrying.",
                )

    def _failed(self, link: PeerLink, code: str, message: str) -> None:
        self.hooks.problem(code, message)
        if self.links.get(link.remote.id) is link:
            del self.links[link.remote.id]
        self.close_link(link)
        if not self.links:
            self.hooks.set_state(CallState.WAITING, self.waiting_detail())
        if self.config.role is Role.STATION and link.remote.id in self.peers:
            attempt = self._offer_attempts.get(link.remote.id, 0)
            self._offer_attempts[link.remote.id] = attempt + 1
            delay = REOFFER_BACKOFF_S[min(attempt, len(REOFFER_BACKOFF_S) - 1)]
            self.hooks.spawn(self._reoffer_later(link.remote.id, delay))

    async def _reoffer_later(self, peer_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        peer = self.peers.get(peer_id)
        if peer is not None and peer_id not in self.links:
            await self.offer_to(peer)

    # --- links ----------------------------------------------------------------------

    def _new_link(self, peer: PeerInfo) -> PeerLink:
        link = PeerLink(
            peer,
            self.ice_servers,
            relay_only=self.config.ice_transport_policy == "relay",
            release_on_marker=self.config.media_tuning,
            on_channel_message=self.hooks.on_channel_message,
            on_channel_open=self.hooks.on_channel_open,
            on_state=self._on_link_state,
            on_audio=self._remote_audio,
        )
        self.links[peer.id] = link
        self.hooks.spawn(self._watch_negotiation(link))
        return link

    def drop(self, peer_id: str) -> None:
        """``peer_id`` left the room for good: its link goes."""
        link = self.links.pop(peer_id, None)
        if link is not None:
            self.close_link(link)
        if not self.links:
            self.hooks.set_state(CallState.WAITING, self.waiting_detail())

    def close_link(self, link: PeerLink) -> None:
        self.stats.absorb_link(link)
        if link.outgoing is not None:
            self.media.release(link.outgoing)
        self.hooks.spawn(link.close())

    async def close_all(self) -> None:
        links = list(self.links.values())
        self.links.clear()
        for link in links:
            self.stats.absorb_link(link)
            await link.close()

    def _remote_audio(self, track: MediaStreamTrack) -> None:
        if self.media.player is not None:
            self.media.player.add(track)

    def _on_link_state(self, link: PeerLink, state: str) -> None:
        logger.info("connection to %s: %s", link.remote.id, state)
        if self.links.get(link.remote.id) is not link:
            return
        if state == "connected":
            self._offer_attempts.pop(link.remote.id, None)
            self.hooks.on_connected()
            self.hooks.set_state(
                CallState.CONNECTED, f"connected to {link.remote.name or link.remote.role.value}"
            )
        elif state in ("failed", "closed") and link.remote.id not in self.peers:
            # A peer that lost the server and whose media has now stopped too.
            self.drop(link.remote.id)
        elif state == "failed":
            self._failed(
                link,
                "peer_connection_failed",
                f"The video connection to {link.remote.name or link.remote.role.value} failed. "
                "The network between the two sites may block it; a TURN relay may be needed "
                "(ask your IT contact). Retrying.",
            )


def mesh_notice(viewers: int) -> str:
    return (
        f"{viewers} people are watching: the station sends each one its own copy of the "
        f"video, and past {MESH_VIEWERS} the picture gets worse for everyone on a clinic's "
        "uplink. A trainer can press Start lecture to send it once to the lecture relay (SFU); "
        "if the server has none, ask your IT contact."
    )
