"""``ultrasound-consult bench --signaling --hostile``: a hostile flood against a real server.

Many connections each send a run of hostile messages (bad JSON, binary frames, unknown
types, oversized frames, surrogates and non-characters in names, forged or missing
invites, deep nesting, huge integers, relays before joining, rate-limit floods) while
legitimate clients keep joining with valid invites. Prints one JSON object: messages
sent, closes by code, server RSS before / peak / after, and the legitimate joins'
latency during the attack.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from signaling_server.process import SignalingServerProcess
from signaling_server.tokens import InviteSigner
from ultrasound_consult.benchmark.machine import machine
from ultrasound_consult.benchmark.scrape import server_connections, server_rss_mb
from ultrasound_consult.protocol.signaling import Role


def _join(name: str, token: str = "x", room: str = "hostile") -> str:
    # Written by hand: json.dumps would escape what a hostile client sends raw.
    return (
        '{"type":"join","v":1,"room":"' + room + '","role":"observer","name":"' + name
        + '","token":"' + token + '"}'
    )  # fmt: skip


#: One of each kind of hostile message (text, or bytes for a binary frame).
HOSTILE: dict[str, str | bytes] = {
    "not_json": "{{{ not json",
    "binary": b"\x00\x01\x02\x03" * 16,
    "unknown_type": '{"type":"dance","steps":3}',
    "array": "[1,2,3]",
    "oversized": '{"type":"ping","pad":"' + "x" * 70_000 + '"}',
    "surrogate_name": _join("\\ud800"),
    "noncharacter_name": _join("\\uffff"),
    "forged_invite": _join("x", "hostile.EAAAAA.AAAA-AAAA-AAAA-AAAA"),
    "no_invite": '{"type":"join","v":1,"room":"hostile","role":"expert","name":""}',
    "wrong_version": '{"type":"join","v":99,"room":"hostile","role":"expert","name":""}',
    "deep": '{"type":"ping","x":' + "[" * 20_000 + "]" * 20_000 + "}",
    "huge_int": '{"type":"join","v":' + "9" * 5000 + "}",
    "nan": '{"type":"join","v":NaN}',
    "relay_before_join": '{"type":"offer","to":"abc","sdp":"v=0"}',
    "surrogate_candidate": '{"type":"candidate","to":"abc","candidate":"\\udc00"}',
}
#: Fatal: the server answers and closes (4001), so it ends a connection's run.
FATAL = "wrong_version"
KINDS = [k for k in HOSTILE if k != FATAL]
#: A connection that floods pings past the rate limit (and is closed for it).
FLOOD = 400


@dataclass
class Tally:
    sent: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    closes: Counter[str] = field(default_factory=Counter)
    refused_connections: Counter[str] = field(default_factory=Counter)
    join_ms: list[float] = field(default_factory=list)
    join_errors: Counter[str] = field(default_factory=Counter)
    rss_samples: list[float] = field(default_factory=list)
    #: What the server answered: error codes, and pongs.
    answers: Counter[str] = field(default_factory=Counter)


async def hostile_connection(url: str, kinds: list[str], flood: bool, tally: Tally) -> None:
    try:
        ws = await connect(url, open_timeout=30, ping_interval=None, max_size=None)
    except InvalidStatus as exc:
        tally.refused_connections[str(exc.response.status_code)] += 1
        return
    except (OSError, TimeoutError) as exc:
        tally.refused_connections[type(exc).__name__] += 1
        return
    pong = asyncio.Event()
    reader = asyncio.create_task(_drain(ws, pong, tally))
    try:
        if flood:
            for _ in range(FLOOD):
                await ws.send('{"type":"ping"}')
                tally.sent += 1
                tally.by_kind["flood_ping"] += 1
        else:
            for kind in kinds:
                await ws.send(HOSTILE[kind])
                tally.sent += 1
                tally.by_kind[kind] += 1
            # A last ping: its pong says the server has dealt with everything before it.
            await ws.send('{"type":"ping","last":true}')
            await asyncio.wait_for(pong.wait(), 30)
            await ws.close()
    except (ConnectionClosed, TimeoutError):
        pass
    finally:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ws.wait_closed(), 30)  # a flood waits to be closed
        reader.cancel()
        code = ws.close_code if ws.close_code is not None else "none"
        tally.closes[str(code)] += 1


async def _drain(ws: ClientConnection, pong: asyncio.Event, tally: Tally) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for text in ws:
            msg = json.loads(text)
            if msg.get("type") == "pong":
                tally.answers["pong"] += 1
                pong.set()
            else:
                tally.answers[f"{msg.get('type')}:{msg.get('code', '')}"] += 1
    pong.set()  # closed by the server: nothing more will be answered


async def legitimate_joins(
    url: str, signer: InviteSigner, stop: asyncio.Event, tally: Tally
) -> None:
    """A valid expert joins every 100 ms while the attack lasts; its latency is kept."""
    for n in itertools.count():
        if stop.is_set():
            return
        room = f"legit-{n}"
        token = signer.mint(room, Role.EXPERT, ttl_s=600, now=time.time()).code()
        t0 = time.perf_counter()
        try:
            async with connect(url, open_timeout=30, ping_interval=None) as ws:
                await ws.send(json.dumps({"type": "join", "v": 1, "room": room, "role": "expert",
                                          "name": "Dr", "token": token}))  # fmt: skip
                reply = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if reply.get("type") == "welcome":
                tally.join_ms.append((time.perf_counter() - t0) * 1000)
            else:
                tally.join_errors[str(reply.get("code"))] += 1
        except (OSError, TimeoutError, InvalidStatus, ConnectionClosed) as exc:
            tally.join_errors[type(exc).__name__] += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)


async def sample_rss(url: str, stop: asyncio.Event, tally: Tally) -> None:
    while not stop.is_set():
        rss = await asyncio.to_thread(server_rss_mb, url)
        if rss is not None:
            tally.rss_samples.append(rss)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


async def attack(url: str, signer: InviteSigner, messages: int, per_connection: int,
                 concurrency: int) -> dict:  # fmt: skip
    tally = Tally()
    rss_before = server_rss_mb(url)
    stop = asyncio.Event()
    watchers = [
        asyncio.create_task(legitimate_joins(url, signer, stop, tally)),
        asyncio.create_task(sample_rss(url, stop, tally)),
    ]
    plan: list[tuple[list[str], bool]] = []
    planned = 0
    kinds = itertools.cycle(KINDS)
    while planned < messages:
        if len(plan) % 50 == 49:
            plan.append(([], True))
            planned += FLOOD
        else:
            batch = [next(kinds) for _ in range(min(per_connection, messages - planned))]
            if len(plan) % 3 == 2:
                batch[-1] = FATAL
            plan.append((batch, False))
            planned += len(batch)
    gate = asyncio.Semaphore(concurrency)

    async def one(kinds_: list[str], flood: bool) -> None:
        async with gate:
            await hostile_connection(url, kinds_, flood, tally)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(k, f) for k, f in plan))
    attack_s = time.perf_counter() - t0
    stop.set()
    await asyncio.gather(*watchers)
    rss_after = await _settled_rss(url)
    joins = sorted(tally.join_ms)

    def pct(q: float) -> float | None:
        return round(joins[min(len(joins) - 1, int(q / 100 * len(joins)))], 1) if joins else None

    return {
        "benchmark": "signaling_hostile",
        "messages_sent": tally.sent,
        "connections": len(plan),
        "attack_s": round(attack_s, 1),
        "messages_per_s": round(tally.sent / attack_s, 1) if attack_s else None,
        "by_kind": dict(sorted(tally.by_kind.items())),
        "closes_by_code": dict(sorted(tally.closes.items())),
        "answers": dict(sorted(tally.answers.items())),
        "refused_connections": dict(tally.refused_connections),
        "server_rss_mb": {
            "before": rss_before,
            "peak": max(tally.rss_samples, default=None),
            "after": rss_after,
        },
        "legit_joins": {
            "count": len(joins),
            "errors": dict(tally.join_errors),
            "p50_ms": pct(50),
            "p95_ms": pct(95),
            "max_ms": pct(100),
        },
        "machine": machine(),
    }


async def _settled_rss(url: str) -> float | None:
    """The server's RSS once it has closed the attack's connections (it ticks each second)."""
    deadline = time.monotonic() + 15
    rss = None
    while time.monotonic() < deadline:
        rss = await asyncio.to_thread(server_rss_mb, url)
        connections = await asyncio.to_thread(server_connections, url)
        if connections is not None and connections == 0:
            break
        await asyncio.sleep(0.5)  # polling /metrics: the server has no event to wait on
    return rss


async def run_hostile(messages: int, per_connection: int, concurrency: int,
                      url: str | None = None, secret_file: str | None = None) -> dict:  # fmt: skip
    server = None
    if url is None:
        server = SignalingServerProcess(log_level="WARNING").start()
        url, secret = server.url, server.secret_file.read_text().strip()
    else:
        assert secret_file is not None
        with open(secret_file) as fh:
            secret = fh.read().strip()
    try:
        return await attack(url, InviteSigner(bytes.fromhex(secret)), messages, per_connection,
                            concurrency)  # fmt: skip
    finally:
        if server is not None:
            server.stop()
