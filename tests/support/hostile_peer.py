"""A raw aiortc client holding a valid invite, for hostile-peer tests.

It is not the app: it joins through the real signalling server with its own WebSocket,
answers the station's offer with a bare ``RTCPeerConnection``, drains the media it is
sent, and puts on the station's data channels exactly the bytes a test gives it, so a
test can send what the app never would (bad text, bombs, floods, spoofed authors).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaBlackhole
from websockets.asyncio.client import ClientConnection, connect

from ultrasound_consult.protocol.channel import OPS_CHANNEL, SNAPSHOT_CHANNEL


class HostilePeer:
    def __init__(self, ws: ClientConnection, welcome: dict[str, Any]) -> None:
        self.ws = ws
        self.peer_id: str = welcome["peer_id"]
        self.pc = RTCPeerConnection()
        self.channels: dict[str, Any] = {}
        #: Every text message the station sent on a channel, decoded.
        self.received: list[dict[str, Any]] = []
        #: Signalling messages other than offers (errors, presence, relays).
        self.signals: list[dict[str, Any]] = []
        self.station_id: str | None = None
        self._changed = asyncio.Event()
        self._blackhole = MediaBlackhole()
        self._reader = asyncio.create_task(self._read_signals())
        self.pc.on("datachannel", self._channel)
        self.pc.on("track", self._blackhole.addTrack)

    def _channel(self, channel: Any) -> None:
        self.channels[channel.label] = channel

        @channel.on("message")
        def on_message(data: str | bytes) -> None:
            if isinstance(data, str):
                self.received.append(json.loads(data))
                self._changed.set()

        self._changed.set()

    async def _read_signals(self) -> None:
        with contextlib.suppress(Exception):
            async for text in self.ws:
                msg = json.loads(text)
                if msg["type"] == "offer":
                    self.station_id = msg["from"]
                    await self.pc.setRemoteDescription(
                        RTCSessionDescription(sdp=msg["sdp"], type="offer")
                    )
                    await self.pc.setLocalDescription(await self.pc.createAnswer())
                    await self._blackhole.start()
                    await self.ws.send(
                        json.dumps(
                            {
                                "type": "answer",
                                "to": msg["from"],
                                "sdp": self.pc.localDescription.sdp,
                            }
                        )
                    )
                else:
                    self.signals.append(msg)
                self._changed.set()

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 15.0, what: str = ""
    ) -> Any:
        async def wait() -> Any:
            while not (result := predicate()):
                self._changed.clear()
                await self._changed.wait()
            return result

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what or predicate}") from None

    async def channels_open(self, *labels: str) -> None:
        labels = labels or (OPS_CHANNEL, SNAPSHOT_CHANNEL)
        await self.wait_for(
            lambda: all(
                label in self.channels and self.channels[label].readyState == "open"
                for label in labels
            ),
            30.0,
            f"channels {labels} open",
        )

    def send(self, label: str, data: str | bytes | dict[str, Any]) -> None:
        """Put ``data`` on a channel as it is (a dict goes as ASCII JSON, surrogates escaped)."""
        if isinstance(data, dict):
            data = json.dumps(data)
        self.channels[label].send(data)

    def answers(self, op: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("type") == "ack" and m.get("op") == op]

    async def refusal(self, op: str, timeout: float = 15.0) -> str:
        """Wait for the station's answer to ``op``; it must be a refusal: its reason."""
        acks = await self.wait_for(lambda: self.answers(op), timeout, f"an answer to {op}")
        assert acks[0]["ok"] is False, f"{op} was accepted: {acks[0]}"
        assert acks[0]["reason"], acks[0]
        return str(acks[0]["reason"])

    async def close(self) -> None:
        self._reader.cancel()
        await self._blackhole.stop()
        await self.pc.close()
        await self.ws.close()


@contextlib.asynccontextmanager
async def hostile_peer(
    url: str, room: str, role: str, code: str, name: str
) -> AsyncIterator[HostilePeer]:
    ws = await connect(url)
    await ws.send(
        json.dumps(
            {"type": "join", "v": 1, "room": room, "role": role, "name": name, "token": code}
        )
    )
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert welcome["type"] == "welcome", welcome
    peer = HostilePeer(ws, welcome)
    try:
        yield peer
    finally:
        await peer.close()
