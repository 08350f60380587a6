"""Who of the enrolled devices is connected, to which process, and in what state.

The consult service reads and writes presence through a board: in memory for one
process, Redis for several (``--redis``), so that a station on one process can ring an
expert on another. Entries are JSON objects ``{device, duty, hours, proc}`` (``device``
as the directory shows it), plus ``in_call`` when read. Delivery to a device goes to its
process: at once if local, else published on that process's channel.

Redis keys: ``uc:consult:presence`` (hash, device id -> entry); ``uc:consult:in_call``
(hash of the devices in a call, whichever process put them there);
``uc:consult:procs`` (hash, process -> alive-until; renewed every 5 s, 30 s ahead, so
the entries of a process that crashed stop counting within 30 s); channels
``uc:consult:proc:{proc}`` (``{"to": [ids], "text": ...}``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any, Protocol, cast

logger = logging.getLogger(__name__)

#: Called with (device id, text) for a device connected to this process.
Deliver = Callable[[str, str], None]

PRESENCE = "uc:consult:presence"
PROCS = "uc:consult:procs"
IN_CALL = "uc:consult:in_call"
ALIVE_TTL_S = 30.0
HEARTBEAT_S = 5.0


class PresenceBoard(Protocol):
    proc: str

    async def start(self, deliver: Deliver) -> None: ...
    async def close(self) -> None: ...
    async def put(self, device_id: str, entry: dict[str, Any]) -> None: ...
    async def set_in_call(self, device_ids: list[str], in_call: bool) -> None: ...
    async def remove(self, device_id: str, proc: str) -> None: ...
    async def entries(self) -> dict[str, dict[str, Any]]: ...
    async def send(self, device_ids: list[str], text: str) -> None: ...


class LocalBoard:
    """One process: a dict."""

    def __init__(self) -> None:
        self.proc = "local"
        self._entries: dict[str, dict[str, Any]] = {}
        self._in_call: set[str] = set()
        self._deliver: Deliver = lambda _d, _t: None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def close(self) -> None:
        self._entries.clear()

    async def put(self, device_id: str, entry: dict[str, Any]) -> None:
        self._entries[device_id] = {**entry, "proc": self.proc}

    async def set_in_call(self, device_ids: list[str], in_call: bool) -> None:
        for device_id in device_ids:
            (self._in_call.add if in_call else self._in_call.discard)(device_id)

    async def remove(self, device_id: str, proc: str) -> None:
        self._entries.pop(device_id, None)

    async def entries(self) -> dict[str, dict[str, Any]]:
        return {k: {**v, "in_call": k in self._in_call} for k, v in self._entries.items()}

    async def send(self, device_ids: list[str], text: str) -> None:
        for device_id in device_ids:
            if device_id in self._entries:
                self._deliver(device_id, text)


class RedisBoard:
    """Several processes: a Redis hash and one pub/sub channel per process."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self.url = url
        self.proc = secrets.token_hex(6)
        self.redis = Redis.from_url(url, decode_responses=True)
        self._deliver: Deliver = lambda _d, _t: None
        self._tasks: list[asyncio.Task[None]] = []
        self._alive: dict[str, float] = {}
        self._subscribed = asyncio.Event()

    async def start(self, deliver: Deliver) -> None:
        from redis.exceptions import RedisError

        self._deliver = deliver
        try:
            await self._beat()
        except (RedisError, OSError) as exc:
            await self.redis.aclose()
            raise OSError(f"cannot reach Redis at {self.url}: {exc}") from None
        self._tasks = [
            asyncio.create_task(self._listen(), name="consult-board-listen"),
            asyncio.create_task(self._heartbeat(), name="consult-board-beat"),
        ]
        await asyncio.wait_for(self._subscribed.wait(), 10)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            # Our devices go with us: drop their entries now, not in 30 s.
            entries = cast(dict[str, str], await self.redis.hgetall(PRESENCE))
            mine = [k for k, v in entries.items() if _proc(v) == self.proc]
            if mine:
                await self.redis.hdel(PRESENCE, *mine)
            await self.redis.hdel(PROCS, self.proc)
        await self.redis.aclose()

    async def put(self, device_id: str, entry: dict[str, Any]) -> None:
        await self.redis.hset(PRESENCE, device_id, json.dumps({**entry, "proc": self.proc}))

    async def set_in_call(self, device_ids: list[str], in_call: bool) -> None:
        if device_ids:
            if in_call:
                await self.redis.hset(IN_CALL, mapping=dict.fromkeys(device_ids, "1"))
            else:
                await self.redis.hdel(IN_CALL, *device_ids)

    async def remove(self, device_id: str, proc: str) -> None:
        # Only if still ours: the device may have reconnected to another process.
        await self.redis.eval(_REMOVE, 1, PRESENCE, device_id, proc)

    async def entries(self) -> dict[str, dict[str, Any]]:
        now = time.time()
        # One round trip; the processes' liveness read fresh, so a process that has
        # just started counts at once.
        async with self.redis.pipeline(transaction=False) as pipe:
            # Each call returns the pipeline (the stubs type them as awaitables).
            pipe.hgetall(PRESENCE)
            pipe.hgetall(IN_CALL)
            pipe.hgetall(PROCS)
            presence, in_call, procs = await pipe.execute()
        alive = {p for p, until in procs.items() if float(until) >= now} | {self.proc}
        out = {}
        for device_id, raw in presence.items():
            entry = json.loads(raw)
            if entry.get("proc") in alive:
                entry["in_call"] = device_id in in_call
                out[device_id] = entry
        return out

    async def send(self, device_ids: list[str], text: str) -> None:
        if not device_ids:
            return
        raws = cast(list[str | None], await self.redis.hmget(PRESENCE, device_ids))
        by_proc: dict[str, list[str]] = {}
        for device_id, raw in zip(device_ids, raws, strict=True):
            if raw is not None:
                by_proc.setdefault(_proc(raw), []).append(device_id)
        for proc, ids in by_proc.items():
            if proc == self.proc:
                for device_id in ids:
                    self._deliver(device_id, text)
            else:
                await self.redis.publish(_channel(proc), json.dumps({"to": ids, "text": text}))

    async def _listen(self) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(_channel(self.proc))
        self._subscribed.set()
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    payload = json.loads(message["data"])
                    for device_id in payload["to"]:
                        self._deliver(device_id, payload["text"])
                except (ValueError, KeyError, TypeError):
                    logger.warning("ignoring a malformed consult backplane message")
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _beat(self) -> None:
        now = time.time()
        await self.redis.hset(PROCS, self.proc, now + ALIVE_TTL_S)
        procs = cast(dict[str, str], await self.redis.hgetall(PROCS))
        self._alive = {p: float(u) for p, u in procs.items()}
        expired = [p for p, until in self._alive.items() if until < now]
        if expired:
            await self.redis.hdel(PROCS, *expired)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self._beat()
            except Exception:
                logger.warning("cannot refresh the consult presence in Redis; retrying")


def _proc(raw: str) -> str:
    try:
        return str(json.loads(raw).get("proc", ""))
    except ValueError:
        return ""


def _channel(proc: str) -> str:
    return f"uc:consult:proc:{proc}"


_REMOVE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw and cjson.decode(raw)['proc'] == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
"""
