"""Fixtures: a real signalling server process, real sample data, event-driven waits."""

from __future__ import annotations

import os

# Qt must not look for a display in tests; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

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
def signaling_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real server process (python -m signaling_server --port 0) for the session."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    with LocalSignalingServer(log_level="INFO", log_file=log) as server:
        yield server.url


@pytest.fixture
def room() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests save screenshots for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
