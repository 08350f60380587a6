"""Load benchmark: many WebSocket clients in many rooms against real server processes.

    ultrasound-consult bench --signaling --clients 2000 --rooms 1000 --json
    ultrasound-consult bench --signaling --clients 2000 --rooms 1000 --rate 200 --json
    ultrasound-consult bench --signaling --clients 2000 --rooms 1000 --processes 2 \
        --redis redis://127.0.0.1:6379/0 --json
    ultrasound-consult bench --signaling --hostile --messages 100000 --json

Starts the server process(es) itself (or uses ``--url`` with ``--secret-file``). Each
room gets a station and the rest of its clients as experts; with several processes
the station and each expert connect to different processes, so every relay crosses
Redis. Phase 1 joins every client (latency: join sent -> welcome received). Phase 2
has each station offer to each expert, the expert answer, and both send a candidate;
every relay is checked for delivery. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection, connect

from signaling_server.process import SignalingServerProcess
from signaling_server.tokens import InviteSigner
from ultrasound_consult.benchmark.machine import machine
from ultrasound_consult.benchmark.percentiles import percentile
from ultrasound_consult.benchmark.scrape import server_rss_mb
from ultrasound_consult.protocol.signaling import Role

RECV_TIMEOUT_S = 30.0


@dataclass
class Client:
    room: str
    role: Role
    url: str
    ws: ClientConnection | None = None
    peer_id: str = ""
    #: Relays received, by (type, sender): concurrent exchanges each read their own.
    inbox: dict[tuple[str, str], asyncio.Queue[dict]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None

    def queue(self, kind: str, sender: str) -> asyncio.Queue[dict]:
        return self.inbox.setdefault((kind, sender), asyncio.Queue())


@dataclass
class Results:
    join_ms: list[float] = field(default_factory=list)
    connect_ms: list[float] = field(default_factory=list)
    relay_ms: list[float] = field(default_factory=list)
    relays_sent: int = 0
    relays_delivered: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def read_into(client: Client) -> None:
    assert client.ws is not None
    async for data in client.ws:
        msg = json.loads(data)
        msg["_at"] = time.perf_counter()
        if "from" in msg:  # presence and errors are not relays
            client.queue(msg["type"], msg["from"]).put_nowait(msg)


async def join(
    client: Client, signer: InviteSigner, results: Results, gate: asyncio.Semaphore, start_at: float
) -> None:
    delay = start_at - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
    async with gate:
        t0 = time.perf_counter()
        try:
            client.ws = await connect(client.url, open_timeout=30, ping_interval=None)
        except (OSError, TimeoutError) as exc:
            results.error(f"connect: {type(exc).__name__}")
            return
        t1 = time.perf_counter()
        token = signer.mint(client.room, client.role, ttl_s=3600, now=time.time()).code()
        await client.ws.send(
            json.dumps(
                {
                    "type": "join",
                    "v": 1,
                    "room": client.room,
                    "role": client.role.value,
                    "name": "",
                    "token": token,
                }
            )
        )
        try:
            reply = json.loads(await asyncio.wait_for(client.ws.recv(), RECV_TIMEOUT_S))
        except (TimeoutError, Exception) as exc:
            results.error(f"join: {type(exc).__name__}")
            return
        t2 = time.perf_counter()
        if reply.get("type") != "welcome":
            results.error(f"join refused: {reply.get('code')}")
            return
        client.peer_id = reply["peer_id"]
        results.connect_ms.append((t1 - t0) * 1000)
        results.join_ms.append((t2 - t1) * 1000)
        client.reader = asyncio.create_task(read_into(client))


async def expect(client: Client, kind: str, sender: str, results: Results) -> dict | None:
    """The next relay of ``kind`` from ``sender``."""
    try:
        msg = await asyncio.wait_for(client.queue(kind, sender).get(), RECV_TIMEOUT_S)
    except TimeoutError:
        results.error(f"{kind} not delivered")
        return None
    results.relays_delivered += 1
    return msg


async def relay(sender: Client, receiver: Client, kind: str, body: dict, results: Results) -> None:
    assert sender.ws is not None
    sent_at = time.perf_counter()
    await sender.ws.send(json.dumps({"type": kind, "to": receiver.peer_id, **body}))
    results.relays_sent += 1
    msg = await expect(receiver, kind, sender.peer_id, results)
    if msg is not None:
        results.relay_ms.append((msg["_at"] - sent_at) * 1000)


async def exchange(station: Client, expert: Client, results: Results) -> None:
    sdp = "v=0\r\n" + "a=x\r\n" * 400  # about the size of a real offer (2 KiB)
    await relay(station, expert, "offer", {"sdp": sdp}, results)
    await relay(expert, station, "answer", {"sdp": sdp}, results)
    candidate = {
        "candidate": "candidate:1 1 UDP 2122252543 192.0.2.1 50000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    await asyncio.gather(
        relay(station, expert, "candidate", candidate, results),
        relay(expert, station, "candidate", candidate, results),
    )


async def run(args: argparse.Namespace) -> dict:
    servers: list[SignalingServerProcess] = []
    if args.url:
        urls = args.url
        secret = bytes.fromhex(Path(args.secret_file).read_text().strip())
    else:
        extra = ["--max-connections", str(args.clients + 100), "--max-rooms", str(args.rooms + 100)]
        if args.redis:
            extra += ["--redis", args.redis]
        first = SignalingServerProcess(log_level="WARNING", extra_args=extra).start()
        servers.append(first)
        for _ in range(args.processes - 1):
            servers.append(
                SignalingServerProcess(
                    log_level="WARNING", secret_file=first.secret_file, extra_args=extra
                ).start()
            )
        urls = [s.url for s in servers]
        secret = bytes.fromhex(first.secret_file.read_text().strip())
    try:
        return await measure(args, urls, InviteSigner(secret))
    finally:
        for server in reversed(servers):
            server.stop()


async def measure(args: argparse.Namespace, urls: list[str], signer: InviteSigner) -> dict:
    rooms = [f"bench-{i}" for i in range(args.rooms)]
    clients: list[Client] = []
    for i in range(args.clients):
        room_index, member = i % args.rooms, i // args.rooms
        # Member k of a room on process k mod N: with two processes every station is on
        # the first and its expert on the second, so every relay crosses Redis.
        url = urls[member % len(urls)]
        clients.append(Client(rooms[room_index], Role.STATION if member == 0 else Role.EXPERT, url))
    results = Results()
    gate = asyncio.Semaphore(args.concurrency)
    t0 = time.perf_counter()
    interval = 1.0 / args.rate if args.rate else 0.0
    await asyncio.gather(
        *(join(c, signer, results, gate, t0 + i * interval) for i, c in enumerate(clients))
    )
    join_phase_s = time.perf_counter() - t0
    rss_after_join = {url: server_rss_mb(url) for url in urls}

    by_room: dict[str, list[Client]] = {}
    for c in clients:
        if c.peer_id:
            by_room.setdefault(c.room, []).append(c)
    t1 = time.perf_counter()
    pairs = [
        (members[0], expert)
        for members in by_room.values()
        if members[0].role is Role.STATION
        for expert in members[1:]
    ]
    await asyncio.gather(*(exchange(st, ex, results) for st, ex in pairs))
    exchange_s = time.perf_counter() - t1
    for c in clients:
        if c.reader:
            c.reader.cancel()
        if c.ws:
            await c.ws.close()

    def ms(q: float, values: list[float]) -> float | None:
        v = percentile(values, q)
        return None if v is None else round(v, 2)

    return {
        "benchmark": "signaling_load",
        "clients": args.clients,
        "rooms": args.rooms,
        "processes": len(urls),
        "redis": bool(args.redis) or None,
        "concurrency": args.concurrency,
        "join_rate_per_s": args.rate,
        "joined": len(results.join_ms),
        "join_ms": {
            "p50": ms(50, results.join_ms),
            "p95": ms(95, results.join_ms),
            "p99": ms(99, results.join_ms),
            "max": ms(100, results.join_ms),
        },
        "connect_ms": {"p50": ms(50, results.connect_ms), "p99": ms(99, results.connect_ms)},
        "join_phase_s": round(join_phase_s, 2),
        "joins_per_s": round(len(results.join_ms) / join_phase_s, 1),
        "relays_sent": results.relays_sent,
        "relays_delivered": results.relays_delivered,
        "relay_ms": {
            "p50": ms(50, results.relay_ms),
            "p95": ms(95, results.relay_ms),
            "p99": ms(99, results.relay_ms),
        },
        "messages_per_s": round(results.relays_delivered / exchange_s, 1) if exchange_s else None,
        "errors": results.errors,
        "server_rss_mb": rss_after_join,
        "machine": machine(),
    }


class Options(Protocol):
    """An argument parser or one of its groups."""

    def add_argument(self, *names: str, **kwargs: Any) -> argparse.Action: ...


def add_arguments(parser: Options) -> None:
    """The load and hostile benchmarks' options (also under ``ultrasound-consult bench``)."""
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes to start (more than 1 needs --redis)",
    )
    parser.add_argument("--redis", help="Redis URL for the started processes")
    parser.add_argument("--url", action="append", help="use running server(s) instead (repeatable)")
    parser.add_argument("--secret-file", help="with --url: the servers' secret, to mint invites")
    parser.add_argument(
        "--concurrency", type=int, default=100, help="connections being opened at once"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="joins started per second (0: as fast as --concurrency allows)",
    )
    parser.add_argument(
        "--hostile",
        action="store_true",
        help="instead: a hostile flood (--messages) while valid clients keep joining",
    )
    parser.add_argument("--messages", type=int, default=100_000, help="with --hostile")
    parser.add_argument(
        "--per-connection", type=int, default=19, help="with --hostile: messages per connection"
    )


def run_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the benchmark ``args`` name and print its JSON object."""
    if not args.hostile:
        if args.processes > 1 and not args.redis and not args.url:
            parser.error("several processes need --redis to act as one")
        if args.url and not args.secret_file:
            parser.error("--url needs --secret-file to mint invites")
        if args.rooms > args.clients:
            parser.error("need at least one client per room")
    # Thousands of sockets: the soft open-file limit (often 1024) would cap the run.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.hostile:
        from ultrasound_consult.benchmark.signaling_hostile import run_hostile

        url = args.url[0] if args.url else None
        result = run_hostile(
            args.messages, args.per_connection, min(args.concurrency, 50), url, args.secret_file
        )
        print(json.dumps(asyncio.run(result)))
        return 0
    print(json.dumps(asyncio.run(run(args))))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ultrasound_consult.benchmark.signaling_load",
        description=(__doc__ or "").split("\n")[0],
    )
    add_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    return run_command(parser.parse_args(argv), parser)


if __name__ == "__main__":
    raise SystemExit(main())
