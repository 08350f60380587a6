"""A real consult recorded by the station, shared by the bundle, export and replay tests."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.support.calls import connected_with_frames, party
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.guidance import Action, CueStatus, Direction
from ultrasound_consult.protocol.signaling import Role


async def _record(url: str, signer, folder: Path) -> dict:
    room = f"x-{time.time_ns()}"
    code = lambda role: signer.mint(room, role, ttl_s=600, now=time.time()).code()  # noqa: E731

    async with (
        party(url, code(Role.STATION), "Clinic", open_source("synthetic:640x480@30")) as st,
        party(url, code(Role.EXPERT), "Dr Wang") as ex,
    ):
        await connected_with_frames(ex, 10)
        st.call.start_recording(folder)
        n = st.obs.local_count
        await st.obs.wait_for(lambda: st.obs.local_count >= n + 20, what="frames")
        seen = ex.obs.remote_frames[-1]
        caliper = ex.call.collab.add_annotation(
            AnnotationKind.CALIPER, ((0.3, 0.4), (0.6, 0.4)), media_ts=seen.media_ts
        )
        await st.obs.wait_for(lambda: st.call.collab.scene.get(caliper) is not None, what="caliper")
        ex.call.collab.send_cue(Action.ROTATE, Direction.CLOCKWISE, angle_deg=90)
        await st.obs.wait_for(lambda: st.obs.active_cue is not None, what="cue")
        n = st.obs.local_count
        await st.obs.wait_for(lambda: st.obs.local_count >= n + 15, what="frames")
        st.call.collab.station.answer_cue(CueStatus.DONE)
        st.call.mark_moment("portal vein")
        n = st.obs.local_count
        await st.obs.wait_for(lambda: st.obs.local_count >= n + 30, what="frames")
        await st.call.stop_recording()
        return {"caliper": caliper, "caliper_ts": seen.media_ts}


@pytest.fixture(scope="session")
def recorded_bundle(signaling_url, signer, tmp_path_factory):
    """A real consult recorded by the station: a caliper, a cue (done), a marker."""
    folder = tmp_path_factory.mktemp("rec") / "bundle"
    facts = asyncio.run(_record(signaling_url, signer, folder))
    return folder, facts
