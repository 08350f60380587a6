"""The ``janus`` fixture: a real Janus per test (signaling_server/janus_process.py), and
``sfu_server``: a real signalling server process using it for lectures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from signaling_server.janus_process import JanusMissing, JanusProcess
from signaling_server.process import SignalingServerProcess

__all__ = ["JanusMissing", "JanusProcess", "janus", "sfu_server"]


@pytest.fixture
def janus() -> Iterator[JanusProcess]:
    """A fresh Janus per test: a restart test must not leave rooms to the next."""
    try:
        server = JanusProcess()
    except JanusMissing as exc:
        pytest.fail(str(exc))
    with server:
        yield server


@pytest.fixture
def sfu_server(janus: JanusProcess, tmp_path: Path) -> Iterator[SignalingServerProcess]:
    """A real signalling server process whose lectures go to ``janus``."""
    secret_file = tmp_path / "sfu.secret"
    secret_file.write_text(janus.secret + "\n")
    args = ["--sfu", f"janus:{janus.url}", "--sfu-secret-file", str(secret_file)]
    with SignalingServerProcess(log_file=tmp_path / "server.log", extra_args=args) as server:
        yield server
