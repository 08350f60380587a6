"""Fixtures: a real signalling server process, real sample data, event-driven waits.

Shared helpers live in tests/support/; test modules import from there, never from each
other. The fixtures of tests/support/ui.py, recorded.py and janus.py are plugins.
"""

from __future__ import annotations

import gc
import logging
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

# Qt must not look for a display in tests; set before anything imports Qt. The virtual
# screen is a 1920x1080 monitor (the offscreen default, 800x600, is no clinic's screen);
# windows fit the screen they open on, so its size matters.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    _screen = Path(tempfile.mkdtemp(prefix="uc-test-screen-")) / "screen.json"
    _screen.write_text(
        '{"windowFrameMargins": true, "screens": [{"name": "monitor", "x": 0, "y": 0, '
        '"width": 1920, "height": 1080, "logicalDpi": 96, "logicalBase": 96, "dpr": 1}]}'
    )
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screen}"
# Settings, masks and logs of the tests (and of every process they start) stay out of
# the user's own; tests that need a fresh settings file point these elsewhere.
os.environ.setdefault("ULTRASOUND_CONSULT_CONFIG", tempfile.mkdtemp(prefix="uc-test-config-"))
os.environ.setdefault("ULTRASOUND_CONSULT_LOGS", tempfile.mkdtemp(prefix="uc-test-logs-"))
os.environ.setdefault("ULTRASOUND_CONSULT_OPINIONS", tempfile.mkdtemp(prefix="uc-test-opinions-"))

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Imported (and assertion-rewritten) now rather than by its plugin at session end: on
# CPython 3.11.7 a late ast.parse can collide with one from a finalizer (gh-106905).
import hypothesis  # noqa: F401
import pytest

from signaling_server.process import SignalingServerProcess
from signaling_server.tokens import InviteSigner
from tests.support import samples
from tests.support.postgres import PostgresCluster
from ultrasound_consult.protocol.signaling import Role

pytest_plugins = ("tests.support.ui", "tests.support.recorded", "tests.support.janus")

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def color_cine() -> Path:
    try:
        return samples.color_cine()
    except samples.SampleMissing as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def grey_banner_frame() -> Path:
    try:
        return samples.grey_banner_frame()
    except samples.SampleMissing as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def signaling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignalingServerProcess]:
    """One real server process (python -m signaling_server --port 0) for the session."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    with SignalingServerProcess(log_level="INFO", log_file=log) as server:
        yield server


@pytest.fixture(scope="session")
def signaling_url(signaling_server: SignalingServerProcess) -> str:
    return signaling_server.url


@pytest.fixture(scope="session")
def signer(signaling_server: SignalingServerProcess) -> InviteSigner:
    """Signs with the session server's secret (what its 'invite' command does, faster)."""
    return InviteSigner(bytes.fromhex(signaling_server.secret_file.read_text().strip()))


@pytest.fixture
def invite(signer: InviteSigner, room: str) -> Callable[..., str]:
    """``invite(role, room=...)``: an invite code for the session server."""

    def make(role: str | Role, *, room: str = room, ttl_s: float = 3600.0) -> str:
        return signer.mint(room, Role(role), ttl_s=ttl_s, now=time.time()).code()

    return make


@pytest.fixture
def room() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests save screenshots for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class _UnretrievedTaskErrors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "never retrieved" in record.getMessage():
            self.messages.append(record.getMessage().splitlines()[1][:200])


@pytest.fixture(scope="session", autouse=True)
def no_unretrieved_task_errors() -> Iterator[None]:
    """Fail the run if any asyncio task died with an exception nobody looked at."""
    handler = _UnretrievedTaskErrors()
    logging.getLogger("asyncio").addHandler(handler)
    yield
    gc.collect()
    logging.getLogger("asyncio").removeHandler(handler)
    assert handler.messages == [], f"tasks failed unobserved: {handler.messages}"


@pytest.fixture(autouse=True)
def collect_qt_garbage(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test with windows, collect reference cycles here, on the GUI thread: left
    to chance, the collector can run on the engine or an audio thread and delete a Qt
    object there, which crashes Qt."""
    yield
    if "qtbot" in request.fixturenames:
        gc.collect()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server (Debian package) on a free loopback port, for this session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed (./dev test installs it: apt-get install redis-server)"
        )
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()

    def watch() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            if "Ready to accept connections" in line:
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(15):
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A real PostgreSQL (Debian package) on a free loopback port, for this session;
    ``postgres.new_database(name)`` gives each test a fresh database."""
    try:
        cluster = PostgresCluster().start()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        pytest.fail(f"PostgreSQL did not start: {exc} {detail.decode(errors='replace')[-500:]}")
    yield cluster
    cluster.stop()


@dataclass
class Turn:
    url: str
    secret_file: Path
    log: Path


@pytest.fixture(scope="session")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Turn]:
    """A real coturn (Debian package) on loopback, with TURN REST API credentials."""
    binary = shutil.which("turnserver")
    if binary is None:
        pytest.fail("coturn is not installed (./dev test installs it: apt-get install coturn)")
    work = tmp_path_factory.mktemp("coturn")
    secret = secrets.token_hex(16)
    (work / "turn.secret").write_text(secret)
    port = free_port()
    relay_base = 40000 + (port % 200) * 100
    log = work / "turn.log"
    proc = subprocess.Popen(
        [
            binary,
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={port}",
            f"--min-port={relay_base}",
            f"--max-port={relay_base + 99}",
            "--realm=uc.test",
            "--use-auth-secret",
            f"--static-auth-secret={secret}",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--allow-loopback-peers",
            "--fingerprint",
            "--verbose",
            f"--log-file={log}",
            "--simple-log",
            "--no-stdout-log",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while True:  # coturn says nothing on stdout; wait for its UDP listener to answer a STUN binding
        if _stun_answers(port) or time.monotonic() > deadline:
            break
    if proc.poll() is not None or not _stun_answers(port):
        proc.kill()
        pytest.fail(f"coturn did not start; see {log}")
    yield Turn(
        url=f"turn:127.0.0.1:{port}?transport=udp", secret_file=work / "turn.secret", log=log
    )
    proc.terminate()
    proc.wait(10)


def _stun_answers(port: int) -> bool:
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + secrets.token_bytes(12)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(request, ("127.0.0.1", port))
            return s.recv(512)[:2] == b"\x01\x01"  # Binding Success Response
        except OSError:
            return False
