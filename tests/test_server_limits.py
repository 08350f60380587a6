"""Connection limits that act (issue #13, item 4): real server processes.

The connection limit keeps headroom below the open-file limit, so a full server still
answers ``/healthz`` and refuses joins with a 503 instead of failing ``accept``; one
address cannot hold more than its share of connections or half-open handshakes; and a
flood does not fill the log with the same line.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import resource
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from signaling_server.guard import connection_budget, fds_needed
from signaling_server.logfilter import RepeatFilter, configure_logging
from signaling_server.process import SignalingServerProcess
from tests.support.signaling import http_url, joined

FD_LIMIT = 420


@contextlib.contextmanager
def server_with_fd_limit(tmp_path: Path, fd_limit: int, *args: str) -> Iterator[tuple[str, Path]]:
    """``python -m signaling_server`` started with RLIMIT_NOFILE soft = hard = ``fd_limit``
    (what a systemd unit's LimitNOFILE does)."""
    secret = tmp_path / "secret"
    secret.write_text(secrets.token_hex(32))
    secret.chmod(0o600)
    log = tmp_path / "server.log"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "signaling_server", "--port", "0", "--secret-file",
             str(secret), "--log-level", "INFO", *args],
            stdout=subprocess.PIPE, stderr=err, text=True, preexec_fn=limit,
        )  # fmt: skip
        try:
            line: list[str] = []
            reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()))
            reader.start()
            reader.join(15)
            assert line and line[0].startswith("ws://"), log.read_text()
            yield line[0].strip(), log
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stdout.close()


def logged(log, words: str, timeout: float = 10.0) -> str:  # type: ignore[no-untyped-def]
    """The log's text once it holds ``words`` (fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text()
        if words in text or time.monotonic() > deadline:
            assert words in text, text
            return text
        time.sleep(0.02)  # a file has no event to wait on: look again shortly


def healthz(url: str) -> int:
    with urllib.request.urlopen(http_url(url, "/healthz"), timeout=5) as resp:
        return resp.status


def test_budget_keeps_headroom_and_the_needed_limit_is_its_inverse():
    assert connection_budget(20_000) == 19_000
    assert connection_budget(1024) == 768
    for wanted in (100, 5_000, 20_000, 100_000):
        need = fds_needed(wanted)
        assert connection_budget(need) >= wanted > connection_budget(need - 1)


async def test_a_full_server_answers_healthz_and_refuses_with_503(tmp_path):
    with server_with_fd_limit(tmp_path, FD_LIMIT, "--max-connections", "20000") as (url, log):
        budget = connection_budget(FD_LIMIT)
        # The notice follows the URL (on stderr, right after it): wait for it to land.
        text = logged(log, f"leaves room for {budget} connections")
        assert f"LimitNOFILE={fds_needed(20000)}" in text
        held = []
        try:
            for _ in range(budget):
                held.append(await connect(url))
            for _ in range(3):  # over the limit: a clear 503, at once, every time
                with pytest.raises(InvalidStatus) as refused:
                    await connect(url, open_timeout=5)
                assert refused.value.response.status_code == 503
            assert await asyncio.to_thread(healthz, url) == 200
        finally:
            await asyncio.gather(*(ws.close() for ws in held))
        ws = await connect(url, open_timeout=5)  # room again once they are gone
        await ws.close()
    text = log.read_text()
    assert "Traceback" not in text and "Too many open files" not in text


async def test_one_address_cannot_hold_every_handshake_or_connection(tmp_path):
    """From 127.0.0.2 (not where a local reverse proxy connects from): half-open sockets
    beyond the per-address limit are refused at once with 429; others are not affected."""
    with SignalingServerProcess(
        extra_args=["--max-handshakes-per-address", "20", "--max-connections-per-address", "30"]
    ) as server:
        host, port = "127.0.0.1", server.port
        silent = []
        for _ in range(20):  # slowloris: connect, say nothing
            silent.append(await asyncio.open_connection(host, port, local_addr=("127.0.0.2", 0)))
        reader, writer = await asyncio.open_connection(host, port, local_addr=("127.0.0.2", 0))
        answer = await asyncio.wait_for(reader.read(200), 5)
        assert answer.startswith(b"HTTP/1.1 429"), answer
        writer.close()
        # Complete handshakes count against the connection limit (from another address).
        opened = []
        for _ in range(30):
            opened.append(await connect(server.url, local_addr=("127.0.0.3", 0)))
        with pytest.raises(InvalidStatus) as refused:
            await connect(server.url, local_addr=("127.0.0.3", 0), open_timeout=5)
        assert refused.value.response.status_code == 429
        # Someone else still gets in and joins.
        ws, welcome = await joined(
            server.url, "lim", "expert", server.invite("lim", "expert"), "Dr"
        )
        assert welcome["type"] == "welcome"
        await ws.close()
        for ws in opened:
            await ws.close()
        for _, w in silent:
            w.close()


def test_repeated_log_lines_are_counted_not_written():
    now = [0.0]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    repeats = RepeatFilter(window_s=60.0, burst=5, clock=lambda: now[0])
    handler.addFilter(repeats)
    log = logging.getLogger("test.repeats")
    log.addHandler(handler)
    log.propagate = False
    try:
        for i in range(10_000):
            log.error("accept failed: %s", i)
        log.warning("something else")
        assert stream.getvalue().count("accept failed") == 5
        assert "something else" in stream.getvalue()
        now[0] = 61.0
        repeats.flush()
        assert "9995 more like 'accept failed: %s'" in stream.getvalue()
        log.error("accept failed: %s", "again")  # a new window lets a few through again
        assert "again" in stream.getvalue()
    finally:
        log.removeHandler(handler)


def test_websockets_stays_at_info_even_at_debug():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("websockets").level
    try:
        configure_logging("DEBUG", stream)
        assert logging.getLogger("signaling_server").isEnabledFor(logging.DEBUG)
        for name in ("websockets", "websockets.client", "websockets.server"):
            assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
    finally:
        root.handlers[:], level, ws_level = saved
        root.setLevel(level)
        logging.getLogger("websockets").setLevel(ws_level)


def _non_loopback_ipv4() -> str:
    """An address of this machine that is not loopback (UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            address = s.getsockname()[0]
        except OSError:
            address = ""
    if not address or address.startswith("127."):
        pytest.fail("this test needs a non-loopback IPv4 address on the machine")
    return address


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers or {}), timeout=5
        ) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_metrics_are_for_this_host_only_by_default_or_need_a_token(tmp_path):
    here = _non_loopback_ipv4()
    with SignalingServerProcess(host="0.0.0.0") as server:
        port = server.port
        assert _get(f"http://127.0.0.1:{port}/metrics") == 200
        assert _get(f"http://{here}:{port}/metrics") == 403, "another address is refused"
        assert _get(f"http://{here}:{port}/healthz") == 200
    token = tmp_path / "metrics.token"
    token.write_text(secrets.token_hex(16))
    with SignalingServerProcess(
        extra_args=["--metrics", "token", "--metrics-token-file", str(token)]
    ) as server:
        url = f"http://127.0.0.1:{server.port}/metrics"
        assert _get(url) == 403
        assert _get(url, {"Authorization": "Bearer wrong-token-wrong-token"}) == 403
        assert _get(url, {"Authorization": f"Bearer {token.read_text()}"}) == 200
