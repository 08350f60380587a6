"""One Janus API session over WebSocket (a publisher's or a viewer's), authenticated
with a grant's token: requests and their answers, keepalives, and the loss of the
connection as an event the caller waits on."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from ultrasound_consult.protocol import janus

REQUEST_TIMEOUT_S = 10.0


class JanusLink:
    """One Janus API session over WebSocket, authenticated with a grant's token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self._token = token
        self._ws: ClientConnection | None = None
        self.session = 0
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        #: Set when the connection to Janus is gone (closed by either side).
        self.lost = asyncio.Event()
        #: Called with each message that answers no request (events, hangups).
        self.on_event: Callable[[dict[str, Any]], None] = lambda msg: None

    async def open(self) -> None:
        ws = await asyncio.wait_for(
            connect(self.url, subprotocols=[Subprotocol(janus.SUBPROTOCOL)], max_size=2**22),
            REQUEST_TIMEOUT_S,
        )
        self._ws = ws
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._read(ws), name="janus-read"))
        reply = await self.call(janus.create_session(janus.new_transaction()))
        self.session = int(reply["data"]["id"])
        self._tasks.append(loop.create_task(self._keepalive(), name="janus-keepalive"))

    async def attach(self) -> int:
        reply = await self.call(janus.attach(janus.new_transaction(), self.session))
        return int(reply["data"]["id"])

    async def send(
        self, handle: int, body: dict[str, Any], jsep: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A plugin request; returns Janus's answer (an event, maybe with a JSEP)."""
        msg = janus.message(janus.new_transaction(), self.session, handle, body, jsep)
        return await self.call(msg)

    async def call(self, msg: dict[str, Any]) -> dict[str, Any]:
        if self._ws is None or self.lost.is_set():
            raise ConnectionError("not connected to Janus")
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg["transaction"]] = future
        try:
            await self._ws.send(
                json.dumps(janus.with_auth(msg, api_secret=None, token=self._token))
            )
            return janus.check(await asyncio.wait_for(future, REQUEST_TIMEOUT_S))
        except ConnectionClosed:
            raise ConnectionError("Janus closed the connection") from None
        finally:
            self._pending.pop(msg["transaction"], None)

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for text in ws:
                with contextlib.suppress(ValueError):
                    self._dispatch(json.loads(text))
        except ConnectionClosed:
            pass
        finally:
            self.lost.set()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("Janus closed the connection"))

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if msg.get("janus") == "ack":
            return  # "received, the answer follows" for plugin requests
        future = self._pending.get(str(msg.get("transaction", "")))
        if future is not None and not future.done():
            future.set_result(msg)
        else:
            self.on_event(msg)

    async def _keepalive(self) -> None:
        # Janus answers a keepalive with a bare "ack": nothing to wait for.
        while not self.lost.is_set():
            await asyncio.sleep(janus.KEEPALIVE_S)
            await self._send_quietly(janus.keepalive(janus.new_transaction(), self.session))

    async def _send_quietly(self, msg: dict[str, Any]) -> None:
        if self._ws is not None and not self.lost.is_set():
            with contextlib.suppress(ConnectionClosed):
                await self._ws.send(
                    json.dumps(janus.with_auth(msg, api_secret=None, token=self._token))
                )

    async def close(self) -> None:
        await self._send_quietly(janus.destroy_session(janus.new_transaction(), self.session))
        if self._ws is not None:
            await self._ws.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
