"""The ``janus`` fixture: a real Janus per test (signaling_server/janus_process.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from signaling_server.janus_process import JanusMissing, JanusProcess

__all__ = ["JanusMissing", "JanusProcess", "janus"]


@pytest.fixture
def janus() -> Iterator[JanusProcess]:
    """A fresh Janus per test: a restart test must not leave rooms to the next."""
    try:
        server = JanusProcess()
    except JanusMissing as exc:
        pytest.fail(str(exc))
    with server:
        yield server
