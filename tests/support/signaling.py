"""Helpers for tests that speak to the real signalling server directly."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import connect


def http_url(ws_url: str, path: str) -> str:
    return ws_url.replace("ws://", "http://").rstrip("/") + path


async def joined(url: str, room: str, role: str, code: str, name: str = "", **kw: Any):  # type: ignore[no-untyped-def]
    """A raw WebSocket joined to ``room``; returns it and the server's welcome."""
    ws = await connect(url, **kw)
    await ws.send(
        json.dumps(
            {"type": "join", "v": 1, "room": room, "role": role, "name": name, "token": code}
        )
    )
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert welcome["type"] == "welcome", welcome
    return ws, welcome
