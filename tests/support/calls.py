"""A real consult party (call + recording observer) for integration tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from tests.support.observers import RecordingObserver
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source import VideoSource
from ultrasound_consult.session.call import CallConfig, ConsultCall
from ultrasound_consult.session.observer import CallState


class Party:
    def __init__(self, call: ConsultCall, obs: RecordingObserver) -> None:
        self.call, self.obs = call, obs


@contextlib.asynccontextmanager
async def party(
    url: str,
    code: str,
    name: str,
    source: VideoSource | None = None,
    *,
    camera: VideoSource | None = None,
) -> AsyncIterator[Party]:
    """A started call for ``code`` (an invite), stopped on leaving the block."""
    obs = RecordingObserver()
    call = ConsultCall(
        CallConfig.from_invite(url, code, name),
        obs,
        source=source,
        mask=PrivacyMask(),
        camera=camera,
    )
    await call.start()
    try:
        yield Party(call, obs)
    finally:
        await call.stop()


async def connected_with_frames(p: Party, frames: int = 10) -> None:
    await p.obs.wait_for(lambda: p.obs.state is CallState.CONNECTED, what="connected")
    await p.obs.wait_for(lambda: p.obs.remote_count >= frames, what=f"{frames} frames")
