"""The call's side of the signalling server: joining, who is in the room, the
connection's ups and downs, and the relay for channel messages.

What the people in the room do to the media (offers, answers, a peer leaving) is
the call's to decide: the room hands those on through :class:`RoomHooks`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ultrasound_consult.protocol.errors import ErrorCode
from ultrasound_consult.protocol.janus import SfuGrant
from ultrasound_consult.protocol.signaling import (
    Answer,
    App,
    Candidate,
    Error,
    Join,
    Offer,
    PeerInfo,
    PeerJoined,
    PeerLeft,
    Role,
    ServerMessage,
    SfuAccess,
    SfuRequest,
    Welcome,
)
from ultrasound_consult.session.config import CallConfig
from ultrasound_consult.session.observer import CallObserver
from ultrasound_consult.session.signaling_client import SignalingClient, SignalingError, tls_context
from ultrasound_consult.session.stats import CallStats

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoomHooks:
    peer_joined: Callable[[PeerInfo], None]
    peer_left: Callable[[PeerLeft], None]
    offer: Callable[[Offer], None]
    answer: Callable[[Answer], None]
    app: Callable[[App], None]
    #: Back on the server after a drop (same peer id): who is there now.
    rejoined: Callable[[Welcome], None]
    #: The server's error message: (code, message).
    error: Callable[[str, str], None]


class Room:
    def __init__(
        self, config: CallConfig, observer: CallObserver, stats: CallStats, hooks: RoomHooks
    ) -> None:
        self.config = config
        self.observer = observer
        self.stats = stats
        self.hooks = hooks
        self.peers: dict[str, PeerInfo] = {}
        self.me: PeerInfo | None = None
        self.client: SignalingClient | None = None
        self._sfu_waiters: list[asyncio.Future[SfuGrant]] = []

    async def join(self) -> Welcome:
        """Join the room; raises :class:`SignalingError` (a CA file that cannot be
        used counts as ``tls_untrusted``)."""
        join = Join(
            room=self.config.room, role=self.config.role, name=self.config.name,
            token=self.config.token,
        )  # fmt: skip
        try:
            self.client = SignalingClient(
                self.config.server_url,
                join,
                on_message=self._on_signal,
                on_connection=self._on_connection,
                on_rejoined=self._rejoined,
                ssl_context=tls_context(self.config.ca_file),
            )
            welcome = await self.client.connect()
        except OSError as exc:
            raise SignalingError(
                "tls_untrusted", f"cannot use the CA file {self.config.ca_file}: {exc}"
            ) from None
        self.me = PeerInfo(welcome.peer_id, welcome.role, self.config.name)
        self.peers.clear()
        self.peers.update({p.id: p for p in welcome.peers})
        self.observer.on_peers(tuple(self.peers.values()))
        return welcome

    async def send(self, msg: Offer | Answer) -> None:
        assert self.client is not None
        await self.client.send(msg)

    def relay(self, peer_id: str, data: dict[str, Any]) -> bool:
        """A channel message through the server (the data channel is down); returns
        whether it could be handed to the server connection."""
        return self.client is not None and self.client.relay(peer_id, data)

    def fanout(self, data: dict[str, Any]) -> bool:
        """A channel message to every trainee at once, through the server (station)."""
        return self.client is not None and self.client.fanout(data)

    async def request_sfu(self, reclaim: tuple[int, ...] = (), timeout: float = 10.0) -> SfuGrant:
        """The way into this room's lecture on the SFU (the station may have the server
        free publisher ids first: ``reclaim``). Raises :class:`SignalingError`
        (``sfu_unavailable``: the server has none, or it does not answer)."""
        if self.client is None:
            raise SignalingError("server_lost", "not connected to the signalling server")
        waiter: asyncio.Future[SfuGrant] = asyncio.get_running_loop().create_future()
        self._sfu_waiters.append(waiter)
        try:
            await self.client.send(SfuRequest(reclaim))
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            raise SignalingError(
                ErrorCode.SFU_UNAVAILABLE.value, "the server did not answer for the lecture relay"
            ) from None
        finally:
            if waiter in self._sfu_waiters:
                self._sfu_waiters.remove(waiter)

    def _sfu_answer(self, grant: SfuGrant | None, error: SignalingError | None = None) -> None:
        # The server answers requests in order: the oldest waiter gets this one.
        while self._sfu_waiters:
            waiter = self._sfu_waiters.pop(0)
            if waiter.done():
                continue
            if grant is not None:
                waiter.set_result(grant)
            else:
                assert error is not None
                waiter.set_exception(error)
            return

    def station(self) -> PeerInfo | None:
        """This room's station, if it is in the room."""
        return next((p for p in self.peers.values() if p.role is Role.STATION), None)

    def leave(self, peer_id: str) -> PeerInfo | None:
        """``peer_id`` is gone for good; who it was."""
        peer = self.peers.pop(peer_id, None)
        self.observer.on_peers(tuple(self.peers.values()))
        return peer

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    def _rejoined(self, welcome: Welcome) -> None:
        self.peers.update({p.id: p for p in welcome.peers})
        self.observer.on_peers(tuple(self.peers.values()))
        self.hooks.rejoined(welcome)

    def _on_connection(self, state: str, detail: str) -> None:
        if state == "lost":
            self.stats.server_reconnects += 1
            self.stats.errors.append(f"server_lost: {detail}")
            self.observer.on_server(
                False,
                "Lost the connection to the signalling server; reconnecting. The video "
                "continues; nobody new can join until it is back.",
            )
        elif state == "back":
            self.observer.on_server(True, detail)
        else:  # gone: retrying cannot help (invite expired, room taken...)
            self.stats.errors.append(f"server_gone: {detail}")
            self.observer.on_server(False, detail)
            self.observer.on_error("server_gone", f"Cannot rejoin the signalling server: {detail}")

    def _on_signal(self, msg: ServerMessage) -> None:
        if isinstance(msg, PeerJoined):
            self.peers[msg.peer.id] = msg.peer
            self.observer.on_peers(tuple(self.peers.values()))
            self.hooks.peer_joined(msg.peer)
        elif isinstance(msg, PeerLeft):
            self.hooks.peer_left(msg)
        elif isinstance(msg, Offer):
            self.hooks.offer(msg)
        elif isinstance(msg, Answer):
            self.hooks.answer(msg)
        elif isinstance(msg, App):
            self.hooks.app(msg)
        elif isinstance(msg, Candidate):
            # aiortc gathers every candidate before the offer/answer is sent, so
            # trickled candidates only come from other implementations; not needed yet.
            logger.debug("ignoring trickled candidate from %s", msg.peer)
        elif isinstance(msg, SfuAccess):
            self._sfu_answer(SfuGrant(msg.url, msg.room, msg.pin, msg.token, msg.feed))
        elif isinstance(msg, Error):
            if msg.code is ErrorCode.SFU_UNAVAILABLE and self._sfu_waiters:
                self._sfu_answer(None, SignalingError(msg.code.value, msg.message))
                return
            self.hooks.error(msg.code.value, msg.message)
