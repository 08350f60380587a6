"""Room membership and message routing over Redis, so several server processes act as one.

Data (all keys under ``uc:``):

* ``uc:room:{room}``: a hash, peer id -> JSON ``{id, role, name, seat, proc}``.
* ``uc:rooms``: the set of room names (for the server-wide room limit).
* ``uc:procs``: a hash, process id -> the Unix time until which it counts as alive;
  each process renews its own every 5 s (30 s ahead) and reads everyone's, caching
  the live set and the room count locally: a claim then costs three commands
  (WATCH, HGETALL, MULTI/EXEC). Seats of a process that stopped renewing (it
  crashed) are pruned when seen; a clean shutdown removes its entry at once.

Messages: each process subscribes to ``uc:proc:{proc}``; routing to a peer on another
process publishes ``{"op": "deliver", "peers": [...], "text": ...}`` there, and a
resumed seat that another process still holds is closed with ``{"op": "kick"}``. A
process shutting down publishes ``{"op": "gone"}`` on ``uc:events``, which all hear.

Claims are atomic per room: WATCH the room, read it, decide with the same policy as
the in-memory directory (:func:`signaling_server.directory.refuse_claim`), and write
in MULTI/EXEC; a concurrent change to that room makes EXEC fail and the claim is
retried. The server-wide room limit is checked without that guarantee (soft).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import defaultdict
from typing import Any, cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError, WatchError

from signaling_server.core import ClaimResult, Limits
from signaling_server.directory import Deliver, Kick, refuse_claim
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.signaling import PeerInfo, Role

logger = logging.getLogger(__name__)

ALIVE_TTL_S = 30.0
REDIS_CONNECTIONS = 64
HEARTBEAT_S = 5.0
ROOMS = "uc:rooms"
PROCS = "uc:procs"
#: Every process listens here too: a process shutting down says so at once.
EVENTS = "uc:events"

_RELEASE = """
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return 0 end
if cjson.decode(entry)['seat'] ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[3]) end
return 1
"""


def room_key(room: str) -> str:
    return f"uc:room:{room}"


def channel(proc: str) -> str:
    return f"uc:proc:{proc}"


def unavailable() -> ProtocolError:
    return ProtocolError(
        ErrorCode.INTERNAL, "the server cannot reach its database; try again shortly"
    )


class RedisDirectory:
    def __init__(self, url: str, limits: Limits, deliver: Deliver, kick: Kick) -> None:
        self.url = url
        self.limits = limits
        self._deliver = deliver
        self._kick = kick
        self.proc = secrets.token_hex(6)
        self._redis: Redis | None = None
        self._release: AsyncScript | None = None
        self._tasks: list[asyncio.Task[None]] = []
        #: room -> this process's peers in it (for metrics and the room count).
        self._local: dict[str, set[str]] = defaultdict(set)
        self._subscribed = asyncio.Event()
        #: Refreshed by the heartbeat: until when each process counts as alive, and the
        #: rooms in use server-wide. A process not known alive here is looked up in
        #: Redis before its seats are judged dead (it may have just started).
        self._alive_until: dict[str, float] = {}
        self._room_count = 0

    @property
    def redis(self) -> Redis:
        assert self._redis is not None, "start() first"
        return self._redis

    async def start(self) -> None:
        # A blocking pool: under a burst of joins, requests wait briefly for one of
        # a bounded set of connections instead of failing with "too many connections".
        pool = BlockingConnectionPool.from_url(
            self.url, max_connections=REDIS_CONNECTIONS, timeout=10, decode_responses=True
        )
        self._redis = Redis(connection_pool=pool)
        try:
            await self.redis.ping()
        except (RedisError, OSError) as exc:
            raise OSError(f"cannot reach Redis at {self.url}: {exc}") from None
        self._release = self.redis.register_script(_RELEASE)
        await self._beat()
        self._tasks = [
            asyncio.create_task(self._listen(), name="redis-listen"),
            asyncio.create_task(self._heartbeat(), name="redis-heartbeat"),
        ]
        await asyncio.wait_for(self._subscribed.wait(), 10)
        logger.info("Redis directory %s ready as process %s", self.url, self.proc)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, RedisError):
                await task
        if self._redis is not None:
            with contextlib.suppress(RedisError, OSError):
                # Our peers are gone with us; others prune them at once, not in 30 s.
                await self.redis.hdel(PROCS, self.proc)
                await self.redis.publish(EVENTS, json.dumps({"op": "gone", "proc": self.proc}))
            await self._redis.aclose()

    def local_rooms(self) -> int:
        return sum(1 for peers in self._local.values() if peers)

    async def is_empty(self, room: str) -> bool:
        try:
            return int(await self.redis.hlen(room_key(room))) == 0
        except (RedisError, OSError):
            logger.exception("Redis room count failed")
            return False  # keep the lecture: closing one in use would cut every trainee

    # --- directory interface ---------------------------------------------------

    async def claim(self, room: str, peer: PeerInfo, seat: str, *, resume: bool) -> ClaimResult:
        entry = json.dumps(
            {
                "id": peer.id,
                "role": peer.role.value,
                "name": peer.name,
                "seat": seat,
                "proc": self.proc,
            }
        )
        try:
            for _ in range(20):
                async with self.redis.pipeline(transaction=True) as pipe:
                    try:
                        # Only the room is watched: watching the global room set as well
                        # made every new room abort every concurrent claim (measured: 1,412
                        # of 2,000 joins refused). The room limit is therefore a soft one.
                        await pipe.watch(room_key(room))
                        members, dead = await self._live_members(pipe, room)
                        previous = members.pop(peer.id, None)
                        if previous is not None and not resume:  # pragma: no cover - random ids
                            return ClaimResult(
                                ok=False, error=ProtocolError(ErrorCode.ALREADY_JOINED, "id in use")
                            )
                        refusal = refuse_claim(
                            self.limits,
                            bool(members) or previous is not None,
                            self._room_count,
                            [self._peer(m) for m in members.values()],
                            peer.role,
                        )
                        if refusal is not None:
                            return ClaimResult(ok=False, error=refusal)
                        pipe.multi()
                        if dead:
                            pipe.hdel(room_key(room), *dead)
                        pipe.hset(room_key(room), peer.id, entry)
                        pipe.sadd(ROOMS, room)
                        await pipe.execute()
                    except WatchError:
                        continue
                self._local[room].add(peer.id)
                if previous is not None:
                    await self._kick_remote(previous)
                return ClaimResult(ok=True, members=tuple(self._peer(m) for m in members.values()))
            return ClaimResult(ok=False, error=unavailable())
        except (RedisError, OSError):
            logger.exception("Redis claim failed")
            return ClaimResult(ok=False, error=unavailable())

    async def release(self, room: str, peer_id: str, seat: str) -> bool:
        self._local[room].discard(peer_id)
        if not self._local[room]:
            del self._local[room]
        try:
            assert self._release is not None
            return bool(
                await self._release(keys=[room_key(room), ROOMS], args=[peer_id, seat, room])
            )
        except (RedisError, OSError):
            logger.exception("Redis release failed")
            return False

    async def route(self, room: str, to_peer: str, text: str) -> bool:
        try:
            raw = await self.redis.hget(room_key(room), to_peer)
            if raw is None:
                return False
            entry = json.loads(raw)
            if entry["proc"] == self.proc:
                self._deliver(to_peer, text)
                return True
            if not await self._alive(self.redis, [entry["proc"]]):
                await self.redis.hdel(room_key(room), to_peer)
                return False
            await self.redis.publish(
                channel(entry["proc"]),
                json.dumps({"op": "deliver", "peers": [to_peer], "text": text}),
            )
            return True
        except (RedisError, OSError):
            logger.exception("Redis route failed")
            return False

    async def broadcast(
        self, room: str, text: str, exclude_peer: str | None, role: Role | None = None
    ) -> None:
        try:
            # The pool decodes replies (decode_responses=True): keys and values are str.
            members = cast(dict[str, str], await self.redis.hgetall(room_key(room)))
            by_proc: dict[str, list[str]] = defaultdict(list)
            for peer_id, raw in members.items():
                entry = json.loads(raw)
                if peer_id != exclude_peer and (role is None or entry["role"] == role.value):
                    by_proc[entry["proc"]].append(peer_id)
            for proc, peers in by_proc.items():
                if proc == self.proc:
                    for peer_id in peers:
                        self._deliver(peer_id, text)
                else:
                    await self.redis.publish(
                        channel(proc), json.dumps({"op": "deliver", "peers": peers, "text": text})
                    )
        except (RedisError, OSError):
            logger.exception("Redis broadcast failed")

    # --- internals -------------------------------------------------------------

    @staticmethod
    def _peer(entry: dict[str, Any]) -> PeerInfo:
        return PeerInfo(id=entry["id"], role=Role(entry["role"]), name=entry["name"])

    async def _live_members(
        self, pipe: Any, room: str
    ) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Members whose process is alive, and the ids of seats held by crashed processes.

        On the claim's own connection: taking a second one from the pool while holding
        this one deadlocks a busy pool.
        """
        raw = await pipe.hgetall(room_key(room))
        members = {pid: json.loads(v) for pid, v in raw.items()}
        alive = await self._alive(pipe, sorted({m["proc"] for m in members.values()}))
        dead = [pid for pid, m in members.items() if m["proc"] not in alive]
        for pid in dead:
            del members[pid]
        return members, dead

    async def _alive(self, conn: Any, procs: list[str]) -> set[str]:
        """Which of ``procs`` are alive: from the cache, asking Redis about the rest."""
        now = time.time()
        known = {p for p in procs if p == self.proc or self._alive_until.get(p, 0.0) >= now}
        unknown = [p for p in procs if p not in known]
        if unknown:
            for proc, until in zip(unknown, await conn.hmget(PROCS, unknown), strict=True):
                if until is not None and float(until) >= now:
                    self._alive_until[proc] = float(until)
                    known.add(proc)
        return known

    async def _kick_remote(self, previous: dict[str, Any]) -> None:
        if previous["proc"] == self.proc:
            self._kick(previous["seat"])
        else:
            await self.redis.publish(
                channel(previous["proc"]), json.dumps({"op": "kick", "seat": previous["seat"]})
            )

    async def _listen(self) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(channel(self.proc), EVENTS)
        self._subscribed.set()
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    payload = json.loads(message["data"])
                    if payload["op"] == "deliver":
                        for peer_id in payload["peers"]:
                            self._deliver(peer_id, payload["text"])
                    elif payload["op"] == "kick":
                        self._kick(payload["seat"])
                    elif payload["op"] == "gone":
                        self._alive_until.pop(payload["proc"], None)
                except (ValueError, KeyError, TypeError):
                    logger.warning("ignoring a malformed backplane message")
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()

    async def _beat(self) -> None:
        now = time.time()
        await self.redis.hset(PROCS, self.proc, now + ALIVE_TTL_S)
        procs = cast(dict[str, str], await self.redis.hgetall(PROCS))  # decoded, as above
        expired = [p for p, until in procs.items() if float(until) < now]
        if expired:
            await self.redis.hdel(PROCS, *expired)
        self._alive_until = {p: float(until) for p, until in procs.items() if float(until) >= now}
        self._room_count = await self.redis.scard(ROOMS)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self._beat()
            except (RedisError, OSError):
                logger.warning("cannot refresh this process's presence in Redis; retrying")
