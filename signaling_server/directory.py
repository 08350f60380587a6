"""Who is in which room: the seats the core claims and releases, and message delivery.

:class:`InMemoryDirectory` serves one process;
:class:`signaling_server.redis_directory.RedisDirectory` implements the same
interface over Redis so that several processes act as one. A
directory delivers to peers of *this* process through the ``deliver`` callback, and
tells the core to close a connection whose seat a resumed session took (``kick``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from signaling_server.core import (
    Broadcast,
    Claim,
    ClaimResult,
    Close,
    Effect,
    GrantSfu,
    Limits,
    Release,
    Route,
    Send,
    SignalingCore,
)
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.signaling import ANNOTATING_ROLES, PeerInfo, Role

Deliver = Callable[[str, str], None]  # (peer_id, text)
Kick = Callable[[str], None]  # (seat)


class Directory(Protocol):
    async def claim(self, room: str, peer: PeerInfo, seat: str, *, resume: bool) -> ClaimResult: ...

    async def release(self, room: str, peer_id: str, seat: str) -> bool:
        """Remove the seat if it is still ``seat``; returns whether it was."""

    async def route(self, room: str, to_peer: str, text: str) -> bool:
        """Deliver to a peer of ``room``; False if there is no such peer there."""

    async def broadcast(
        self, room: str, text: str, exclude_peer: str | None, role: Role | None = None
    ) -> None: ...

    def local_rooms(self) -> int: ...

    async def is_empty(self, room: str) -> bool:
        """Nobody holds a seat in ``room`` (on any process)."""
        ...

    async def close(self) -> None: ...


async def perform(
    effects: list[Effect],
    core: SignalingCore,
    directory: Directory,
    put: Callable[[Send | Close], None],
    now: Callable[[], float],
    *,
    room_released: Callable[[str], Awaitable[None]] | None = None,
    grant_sfu: Callable[[GrantSfu], Awaitable[None]] | None = None,
) -> None:
    """Carry out the core's effects in order: frames and closes go to ``put`` (the
    connection's outbox), room operations to ``directory``, and what a claim or a failed
    route answers goes back through the core. The server and the core's tests both run
    this, so what the tests drive is what a deployment does. ``room_released(room)``
    runs after a peer's seat is released and before the others hear of it (a lecture
    room that is now empty ends first); ``grant_sfu`` answers an SFU request."""
    for effect in effects:
        if isinstance(effect, Send | Close):
            put(effect)
        elif isinstance(effect, Claim):
            result = await directory.claim(
                effect.room, effect.peer, effect.seat, resume=effect.resume
            )
            answer = core.claimed(effect.conn, result, effect, now())
            await perform(
                answer, core, directory, put, now, room_released=room_released, grant_sfu=grant_sfu
            )
        elif isinstance(effect, Release):
            released = await directory.release(effect.room, effect.peer_id, effect.seat)
            if room_released is not None:
                await room_released(effect.room)
            if released:
                await directory.broadcast(effect.room, effect.notice, effect.peer_id)
        elif isinstance(effect, GrantSfu):
            if grant_sfu is not None:
                await grant_sfu(effect)
        elif isinstance(effect, Route):
            if not await directory.route(effect.room, effect.to_peer, effect.text):
                answer = core.route_failed(effect.conn, effect.to_peer)
                await perform(
                    answer,
                    core,
                    directory,
                    put,
                    now,
                    room_released=room_released,
                    grant_sfu=grant_sfu,
                )
        elif isinstance(effect, Broadcast):
            await directory.broadcast(effect.room, effect.text, effect.exclude_peer, effect.role)


def refuse_claim(
    limits: Limits, room_exists: bool, room_count: int, members: list[PeerInfo], role: Role
) -> ProtocolError | None:
    """Why ``role`` may not take a seat in a room with ``members`` (None if it may)."""
    if not room_exists and room_count >= limits.max_rooms:
        return ProtocolError(ErrorCode.SERVER_FULL, "this server has no room left; try again later")
    if len(members) >= limits.max_peers_per_room:
        return ProtocolError(
            ErrorCode.ROOM_FULL, f"this room already has {len(members)} participants (the limit)"
        )
    same = sum(1 for p in members if _group(p.role) == _group(role))
    if same >= limits.role_cap(role):
        if role is Role.STATION:
            return ProtocolError(
                ErrorCode.ROOM_FULL, "this room already has a station; use another room code"
            )
        return ProtocolError(
            ErrorCode.ROOM_FULL, f"this room has no place left for another {role.value}"
        )
    return None


def _group(role: Role) -> str:
    """Roles that share a capacity: experts and trainers count together."""
    return "annotating" if role in ANNOTATING_ROLES else role.value


@dataclass
class _Seat:
    peer: PeerInfo
    seat: str


class InMemoryDirectory:
    def __init__(self, limits: Limits, deliver: Deliver, kick: Kick) -> None:
        self.limits = limits
        self._deliver = deliver
        self._kick = kick
        self._rooms: dict[str, dict[str, _Seat]] = {}

    async def claim(self, room: str, peer: PeerInfo, seat: str, *, resume: bool) -> ClaimResult:
        members = self._rooms.get(room, {})
        previous = members.get(peer.id)
        others = [s.peer for pid, s in members.items() if pid != peer.id]
        refusal = refuse_claim(
            self.limits, room in self._rooms, len(self._rooms), others, peer.role
        )
        if refusal is not None:
            return ClaimResult(ok=False, error=refusal)
        if previous is not None and not resume:  # pragma: no cover - ids are random
            return ClaimResult(
                ok=False, error=ProtocolError(ErrorCode.ALREADY_JOINED, "peer id in use")
            )
        self._rooms.setdefault(room, {})[peer.id] = _Seat(peer, seat)
        if previous is not None:
            self._kick(previous.seat)
        return ClaimResult(ok=True, members=tuple(others))

    async def release(self, room: str, peer_id: str, seat: str) -> bool:
        members = self._rooms.get(room)
        if not members or peer_id not in members or members[peer_id].seat != seat:
            return False
        del members[peer_id]
        if not members:
            del self._rooms[room]
        return True

    async def route(self, room: str, to_peer: str, text: str) -> bool:
        if to_peer not in self._rooms.get(room, {}):
            return False
        self._deliver(to_peer, text)
        return True

    async def broadcast(
        self, room: str, text: str, exclude_peer: str | None, role: Role | None = None
    ) -> None:
        for peer_id, seat in list(self._rooms.get(room, {}).items()):
            if peer_id != exclude_peer and (role is None or seat.peer.role is role):
                self._deliver(peer_id, text)

    def local_rooms(self) -> int:
        return len(self._rooms)

    async def is_empty(self, room: str) -> bool:
        return not self._rooms.get(room)

    async def close(self) -> None:
        self._rooms.clear()
