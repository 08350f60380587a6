"""Consult-service benchmark: how fast a ring reaches every on-duty expert, and how soon
after an accept the expert sees video. Prints one JSON object.

    python -m ultrasound_consult.benchmark.consult_calls --experts 20 --rings 20 --json
    python -m ultrasound_consult.benchmark.consult_calls --experts 20 --rings 20 --processes 2 \
        --redis redis://127.0.0.1:6379/0 --database postgresql://user@host/db --json
    python -m ultrasound_consult.benchmark.consult_calls --media --json

Starts the server process(es) itself, with a database of its own unless ``--database``
is given (then it must be an empty PostgreSQL database or a new SQLite path). The
station signs in to the first process and, with ``--processes 2``, every expert to the
second, so each ring crosses Redis. Each round the station calls the specialty, every
expert records when the ring arrived (ring latency = arrival - call sent, one clock),
and the station cancels; in the last round one expert accepts and both join the room
the server made (through their own processes). ``--media`` then runs a real call with
the headless enrolled modes (two more processes: ``ultrasound-consult expert
--auto-accept`` and ``station --call``) and reports accept -> first video frame.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from signaling_server.enrollment import DeviceKind, normalise_code
from signaling_server.process import SignalingServerProcess
from signaling_server.store import ConsultStore
from ultrasound_consult.benchmark.percentiles import percentile
from ultrasound_consult.protocol.consult import (
    Accept,
    Cancel,
    Duty,
    Hello,
    PlaceCall,
    Redeem,
    SetDuty,
    encode,
)

TIMEOUT_S = 20.0


def consult_url(url: str) -> str:
    return url.rstrip("/") + "/consult"


async def recv_type(ws: ClientConnection, *types: str) -> dict[str, Any]:
    """The next message of one of ``types`` (presence news in between is skipped)."""
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] in types:
                return msg
            if msg["type"] == "error":
                raise RuntimeError(f"server refused: {msg}")


async def sign_in(url: str, code: str, *, duty: bool) -> tuple[ClientConnection, str]:
    """Redeem ``code``, then sign in with the credential; the open connection."""
    async with connect(consult_url(url)) as ws:
        await ws.send(encode(Redeem(code)))
        credential = (await recv_type(ws, "enrolled"))["credential"]
    ws = await connect(consult_url(url), max_size=2**20)
    await ws.send(encode(Hello(credential)))
    ready = await recv_type(ws, "ready")
    if duty:
        await ws.send(encode(SetDuty(Duty.ON)))
        await recv_type(ws, "ok")
    return ws, ready["device"]["id"]


async def ring_rounds(
    station_url: str, expert_url: str, database: str, *, experts: int, rings: int
) -> dict[str, Any]:
    store = ConsultStore(database)
    store.migrate()
    station_code = store.enroll(DeviceKind.STATION, "Bench clinic", site="bench", ttl_s=600).code
    codes = [
        store.enroll(DeviceKind.EXPERT, f"Dr. Bench {i}", specialties=["msk"], ttl_s=600).code
        for i in range(experts)
    ]
    store.close()
    station, _ = await sign_in(station_url, normalise_code(station_code) or "", duty=False)
    clients = await asyncio.gather(
        *(sign_in(expert_url, normalise_code(c) or "", duty=True) for c in codes)
    )
    latencies: list[float] = []
    per_round_max: list[float] = []
    result: dict[str, Any] = {}
    try:
        for round_no in range(rings):
            waits = [asyncio.create_task(recv_type(ws, "ring")) for ws, _ in clients]
            sent = time.perf_counter()
            await station.send(encode(PlaceCall("specialty:msk")))
            ringing = await recv_type(station, "ringing", "call_failed")
            if ringing["type"] != "ringing" or ringing["rung"] != experts:
                raise RuntimeError(f"expected {experts} rung, got {ringing}")
            arrivals = []
            for task in waits:
                await task
                arrivals.append(time.perf_counter() - sent)
            # perf_counter on one machine and process: arrival times are comparable; the
            # latency is until this process read the ring, a slight overestimate.
            latencies += [a * 1000 for a in arrivals]
            per_round_max.append(max(arrivals) * 1000)
            call_id = ringing["call_id"]
            if round_no < rings - 1:
                await station.send(encode(Cancel(call_id)))
                await recv_type(station, "call_failed")
                await asyncio.gather(*(recv_type(ws, "ring_stop") for ws, _ in clients))
            else:
                result["accept"] = await accept_and_join(
                    station, clients, call_id, station_url, expert_url
                )
    finally:
        await station.close()
        await asyncio.gather(*(ws.close() for ws, _ in clients))
    result["ring_ms"] = {
        "deliveries": len(latencies),
        "p50": round(percentile(latencies, 50) or 0, 1),
        "p95": round(percentile(latencies, 95) or 0, 1),
        "max": round(max(latencies), 1),
        "last_of_20_p95": round(percentile(per_round_max, 95) or 0, 1),
    }
    return result


async def accept_and_join(
    station: ClientConnection,
    clients: list[tuple[ClientConnection, str]],
    call_id: str,
    station_url: str,
    expert_url: str,
) -> dict[str, Any]:
    """One expert accepts; both join the room the server made, on their own processes."""
    winner = clients[0][0]
    start = time.perf_counter()
    await winner.send(encode(Accept(call_id)))
    at_expert = await recv_type(winner, "call_ready")
    at_station = await recv_type(station, "call_ready")
    to_station_ms = (time.perf_counter() - start) * 1000
    stops = await asyncio.gather(*(recv_type(ws, "ring_stop") for ws, _ in clients[1:]))
    assert all(s["reason"] == "taken" for s in stops)
    joined = []
    for url, ready in ((station_url, at_station), (expert_url, at_expert)):
        ws = await connect(url)
        await ws.send(
            json.dumps(
                {
                    "type": "join",
                    "v": 1,
                    "room": ready["room"],
                    "role": ready["role"],
                    "name": "bench",
                    "token": ready["token"],
                }
            )
        )
        joined.append((ws, await recv_type(ws, "welcome")))
    peers = [p["role"] for p in joined[1][1]["peers"]]
    for ws, _ in joined:
        await ws.close()
    return {
        "accept_to_call_ready_at_station_ms": round(to_station_ms, 1),
        "room_joined_across_processes": peers == ["station"],
        "others_stopped_ringing": len(stops),
    }


def media_call(station_url: str, expert_url: str, database: str, workdir: Path) -> dict[str, Any]:
    """A real call between the headless enrolled modes: accept -> first frame."""
    store = ConsultStore(database)
    codes = {
        "station": store.enroll(DeviceKind.STATION, "Media clinic", ttl_s=600).code,
        "expert": store.enroll(
            DeviceKind.EXPERT, "Dr. Media", specialties=["mediabench"], ttl_s=600
        ).code,
    }
    store.close()
    cli = [sys.executable, "-m", "ultrasound_consult"]
    files = {}
    for kind, code in codes.items():
        files[kind] = workdir / f"{kind}.json"
        url = station_url if kind == "station" else expert_url
        subprocess.run(
            [*cli, "enroll", code, "--server", url, "--credential", str(files[kind])],
            check=True,
            capture_output=True,
            timeout=60,
        )
    expert = subprocess.Popen(
        [
            *cli,
            "expert",
            "--credential",
            str(files["expert"]),
            "--on-duty",
            "--auto-accept",
            "--headless",
            "--duration",
            "5",
            "--wait",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 30
        station = None
        while time.time() < deadline:  # until the expert is on duty (it answers "nobody")
            station = subprocess.run(
                [
                    *cli,
                    "station",
                    "--credential",
                    str(files["station"]),
                    "--call",
                    "specialty:mediabench",
                    "--headless",
                    "--duration",
                    "5",
                    "--wait",
                    "30",
                    "--source",
                    "synthetic:1024x768@30",
                ],
                capture_output=True,
                text=True,
                timeout=90,
            )
            if station.returncode == 0:
                break
        out, _err = expert.communicate(timeout=90)
    finally:
        if expert.poll() is None:
            expert.kill()
    ex = json.loads(out.strip().splitlines()[-1])
    st = json.loads(station.stdout.strip().splitlines()[-1]) if station else {}
    return {
        "accept_to_first_frame_s": ex.get("consult", {}).get("accept_to_first_frame_s"),
        "station_seconds": st.get("consult", {}).get("seconds"),
        "expert_seconds": ex.get("consult", {}).get("seconds"),
        "frames_received": ex.get("video", {}).get("frames_received"),
    }


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="uc-bench-consult-"))
    secret = work / "secret"
    secret.write_text(secrets.token_hex(32))
    secret.chmod(0o600)
    database = args.database or str(work / "consult.db")
    extra = ["--database", database, "--ring-timeout", "60s"]
    if args.redis:
        extra += ["--redis", args.redis]
    procs = [
        SignalingServerProcess(secret_file=secret, extra_args=extra).start()
        for _ in range(args.processes)
    ]
    try:
        out: dict[str, Any] = {
            "experts": args.experts,
            "rings": args.rings,
            "processes": args.processes,
            "database": "postgresql" if database.startswith("postgres") else "sqlite",
            "redis": bool(args.redis),
        }
        out.update(
            await ring_rounds(
                procs[0].url, procs[-1].url, database, experts=args.experts, rings=args.rings
            )
        )
        if args.media:
            out["media"] = await asyncio.to_thread(
                media_call, procs[0].url, procs[-1].url, database, work
            )
        out["machine"] = machine()
        return out
    finally:
        for p in procs:
            p.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ultrasound_consult.benchmark.consult_calls")
    p.add_argument("--experts", type=int, default=20)
    p.add_argument("--rings", type=int, default=20)
    p.add_argument("--processes", type=int, default=1, choices=[1, 2])
    p.add_argument("--redis", help="redis://... (needed with --processes 2)")
    p.add_argument("--database", help="postgresql://... (default: a new SQLite file)")
    p.add_argument("--media", action="store_true", help="also a real call: accept -> 1st frame")
    p.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    args = p.parse_args(argv)
    if args.processes > 1 and not args.redis:
        p.error("--processes 2 needs --redis")
    print(json.dumps(asyncio.run(main_async(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
