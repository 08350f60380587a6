"""Fixtures: a real signalling server process, real sample data, event-driven waits."""

from __future__ import annotations

import gc
import logging
import os

# Qt must not look for a display in tests; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

# Imported (and assertion-rewritten) now rather than by its plugin at session end: on
# CPython 3.11.7 a late ast.parse can collide with one from a finalizer (gh-106905).
import hypothesis  # noqa: F401
import pytest

from signaling_server.tokens import InviteSigner
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.local_server import LocalSignalingServer

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"


def _data_dir() -> Path:
    env = os.environ.get("ULTRASOUND_CONSULT_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data" / "ultrasound"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = _data_dir()
    if not (path / "examples_ybr_color.dcm").is_file():
        pytest.fail(
            f"real ultrasound samples not found in {path}; set ULTRASOUND_CONSULT_DATA "
            "to the folder holding examples_ybr_color.dcm and deid_GREYSCALE_IMAGE.dcm"
        )
    return path


@pytest.fixture(scope="session")
def color_cine(data_dir: Path) -> Path:
    return data_dir / "examples_ybr_color.dcm"


@pytest.fixture(scope="session")
def grey_banner_frame(data_dir: Path) -> Path:
    return data_dir / "deid_GREYSCALE_IMAGE.dcm"


@pytest.fixture(scope="session")
def signaling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSignalingServer]:
    """One real server process (python -m signaling_server --port 0) for the session."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    with LocalSignalingServer(log_level="INFO", log_file=log) as server:
        yield server


@pytest.fixture(scope="session")
def signaling_url(signaling_server: LocalSignalingServer) -> str:
    return signaling_server.url


@pytest.fixture(scope="session")
def signer(signaling_server: LocalSignalingServer) -> InviteSigner:
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
