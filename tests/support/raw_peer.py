"""A viewer written from docs/protocol.md alone: websockets and a bare aiortc peer
connection, none of the app's session code. Tests use it to send what the app's own
sender never would (broken operations, odd sequences) and to see what comes back on
each road: the ``ops`` data channel and ``app`` messages through the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from websockets.asyncio.client import ClientConnection, connect

PROTOCOL_VERSION = 1


@dataclass
class Received:
    road: str  # "channel" (the ops data channel) or "server" (an app message)
    msg: dict[str, Any]


@dataclass
class RawViewer:
    ws: ClientConnection
    pc: RTCPeerConnection
    peer_id: str
    station_id: str = ""
    ops: RTCDataChannel | None = None
    received: list[Received] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def send_op(self, msg: dict[str, Any] | str) -> None:
        """On the ``ops`` data channel (a str goes as it is: it may be broken on purpose)."""
        assert self.ops is not None and self.ops.readyState == "open"
        self.ops.send(msg if isinstance(msg, str) else json.dumps(msg))

    async def send_app(self, msg: dict[str, Any]) -> None:
        """Through the signalling server, as a sender does while its channel is down."""
        await self.ws.send(json.dumps({"type": "app", "to": self.station_id, "data": msg}))

    async def answer_to(self, op: str, timeout: float = 10.0) -> Received:
        """The first ``ack`` for ``op``, whichever road it came by."""
        return await self.wait_for(
            lambda r: r.msg.get("type") == "ack" and r.msg.get("op") == op, timeout, f"ack {op}"
        )

    async def wait_for(
        self, match: Callable[[Received], bool], timeout: float = 10.0, what: str = ""
    ) -> Received:
        async def wait() -> Received:
            while True:
                for r in self.received:
                    if match(r):
                        return r
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"no {what or 'matching message'} in {timeout} s; got {self.received[-10:]}"
            ) from None

    def _add(self, road: str, text: str | bytes) -> None:
        self.received.append(Received(road, json.loads(text)))
        self._changed.set()


@contextlib.asynccontextmanager
async def raw_viewer(
    url: str, room: str, code: str, *, role: str = "expert", name: str = "Raw client"
) -> AsyncIterator[RawViewer]:
    """Joined, answered the station's offer, ``ops`` open and the scene synced."""
    ws = await connect(url)
    # No ICE servers: host candidates on loopback only, never an outside address.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        join = {"type": "join", "v": PROTOCOL_VERSION, "room": room, "role": role}
        await ws.send(json.dumps({**join, "name": name, "token": code}))
        welcome = json.loads(await ws.recv())
        assert welcome["type"] == "welcome", welcome
        viewer = RawViewer(ws, pc, welcome["peer_id"])
        opened = asyncio.Event()

        @pc.on("datachannel")
        def on_channel(channel: RTCDataChannel) -> None:
            if channel.label != "ops":
                return
            viewer.ops = channel
            channel.on("message", lambda data: viewer._add("channel", data))
            if channel.readyState == "open":
                opened.set()
            channel.on("open", opened.set)

        async def signalling() -> None:
            async for text in ws:
                msg = json.loads(text)
                if msg["type"] == "offer":
                    viewer.station_id = msg["from"]
                    await pc.setRemoteDescription(RTCSessionDescription(msg["sdp"], "offer"))
                    await pc.setLocalDescription(await pc.createAnswer())
                    await ws.send(
                        json.dumps(
                            {"type": "answer", "to": msg["from"], "sdp": pc.localDescription.sdp}
                        )
                    )
                elif msg["type"] == "app":
                    viewer._add("server", json.dumps(msg["data"]))

        reader = asyncio.create_task(signalling())
        try:
            await asyncio.wait_for(opened.wait(), 20)
            await viewer.wait_for(
                lambda r: r.msg.get("type") == "scene.sync" and r.msg.get("phase") == "end",
                what="the station's scene sync",
            )
            yield viewer
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    finally:
        await pc.close()
        await ws.close()
