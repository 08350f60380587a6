"""The real server process over real WebSockets: URL line, health check, join, relay, bad input."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request

from websockets.asyncio.client import connect


def http_url(ws_url: str, path: str) -> str:
    return ws_url.replace("ws://", "http://").rstrip("/") + path


async def joined(url: str, room: str, role: str, name: str = ""):
    ws = await connect(url)
    await ws.send(json.dumps({"type": "join", "v": 1, "room": room, "role": role, "name": name}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert welcome["type"] == "welcome", welcome
    return ws, welcome


def test_first_stdout_line_is_the_listening_url():
    proc = subprocess.Popen(
        [sys.executable, "-m", "signaling_server", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("ws://127.0.0.1:") and line.endswith("/")
        port = int(line.rsplit(":", 1)[1].strip("/"))
        assert port > 0
        with urllib.request.urlopen(http_url(line, "/healthz"), timeout=5) as resp:
            assert resp.status == 200 and resp.read() == b"ok\n"
    finally:
        proc.terminate()
        assert proc.wait(10) == 0, "SIGTERM should stop the server cleanly"


def test_busy_port_gives_a_clear_error(signaling_url):
    port = signaling_url.rsplit(":", 1)[1].strip("/")
    proc = subprocess.run(
        [sys.executable, "-m", "signaling_server", "--host", "127.0.0.1", "--port", port],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert proc.returncode == 2
    assert "cannot listen" in proc.stderr and "--port" in proc.stderr
    assert "Traceback" not in proc.stderr


async def test_offer_answer_relay_between_real_clients(signaling_url, room):
    station, sw = await joined(signaling_url, room, "station", "Clinic")
    expert, ew = await joined(signaling_url, room, "expert", "Dr")
    announced = json.loads(await asyncio.wait_for(station.recv(), 5))
    assert announced["type"] == "peer_joined" and announced["peer"]["id"] == ew["peer_id"]
    await station.send(json.dumps({"type": "offer", "to": ew["peer_id"], "sdp": "v=0 offer"}))
    offer = json.loads(await asyncio.wait_for(expert.recv(), 5))
    assert offer == {"type": "offer", "from": sw["peer_id"], "sdp": "v=0 offer"}
    await expert.send(json.dumps({"type": "answer", "to": sw["peer_id"], "sdp": "v=0 answer"}))
    answer = json.loads(await asyncio.wait_for(station.recv(), 5))
    assert answer == {"type": "answer", "from": ew["peer_id"], "sdp": "v=0 answer"}
    await expert.close()
    left = json.loads(await asyncio.wait_for(station.recv(), 5))
    assert left["type"] == "peer_left" and left["peer_id"] == ew["peer_id"]
    await station.close()


async def test_bad_input_gets_errors_and_the_server_keeps_serving(signaling_url, room):
    ws = await connect(signaling_url)
    for bad, code in [
        ("hello", "bad_json"),
        ('{"type": 5}', "bad_message"),
        ('{"type": "teleport"}', "unknown_type"),
        (b"\x89PNG", "binary_not_supported"),
        ('{"type": "ping", "pad": "' + "x" * 70_000 + '"}', "message_too_large"),
    ]:
        await ws.send(bad)
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply["type"] == "error" and reply["code"] == code, (bad[:20], reply)
        assert reply["message"]
    # Still usable afterwards, on the same connection and on new ones.
    await ws.send('{"type": "ping"}')
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}
    other, _ = await joined(signaling_url, room, "expert")
    await other.close()
    await ws.close()


async def test_messages_far_over_the_limit_close_the_connection(signaling_url):
    ws = await connect(signaling_url, max_size=None)
    await ws.send("x" * 300_000)
    await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == 1009  # message too big
