"""A server that dies mid-call: media and annotations keep flowing, everyone comes back."""

from __future__ import annotations

from signaling_server.process import SignalingServerProcess
from tests.support.calls import connected_with_frames, party
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.session.observer import CallState


async def test_killing_the_server_mid_call_does_not_end_it(tmp_path, room):
    first = SignalingServerProcess(log_level="INFO", log_file=tmp_path / "first.log").start()
    try:
        async with (
            party(
                first.url,
                first.invite(room, "station"),
                "Clinic",
                open_source("synthetic:320x240@30"),
            ) as st,
            party(first.url, first.invite(room, "expert"), "Dr") as ex,
        ):
            await connected_with_frames(ex, 10)
            station_id, expert_id = st.call.me.id, ex.call.me.id

            first.kill()  # SIGKILL: no goodbye to anyone
            await ex.obs.wait_for(
                lambda: any(not up for up, _ in ex.obs.server_events), what="expert notices"
            )
            await st.obs.wait_for(
                lambda: any(not up for up, _ in st.obs.server_events), what="station notices"
            )
            frames = ex.obs.remote_count
            await ex.obs.wait_for(
                lambda: ex.obs.remote_count >= frames + 30, what="video while the server is down"
            )
            assert ex.call.state is CallState.CONNECTED and st.call.state is CallState.CONNECTED
            mark = ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.4, 0.4),))
            await st.obs.wait_for(
                lambda: st.call.collab.scene.get(mark) is not None,
                what="mark while the server is down",
            )

            second = SignalingServerProcess(
                port=first.port,
                secret_file=first.secret_file,
                log_level="INFO",
                log_file=tmp_path / "second.log",
            ).start()
            try:
                await ex.obs.wait_for(
                    lambda: ex.obs.server_events[-1][0], timeout=30, what="expert rejoins"
                )
                await st.obs.wait_for(
                    lambda: st.obs.server_events[-1][0], timeout=30, what="station rejoins"
                )
                assert (st.call.me.id, ex.call.me.id) == (station_id, expert_id), "same identities"
                assert len(st.call.links) == 1 and ex.call.state is CallState.CONNECTED
                # The restarted server knows the room again: a newcomer gets in and gets video.
                async with party(second.url, second.invite(room, "observer"), "Trainee") as ob:
                    await connected_with_frames(ob, 5)
                    assert {p.id for p in ob.call.peers.values()} >= {station_id, expert_id}
                frames = ex.obs.remote_count
                await ex.obs.wait_for(
                    lambda: ex.obs.remote_count >= frames + 10, what="video after the restart"
                )
            finally:
                second.stop()
            assert ex.call.stats.server_reconnects == 1 and st.call.stats.server_reconnects == 1
    finally:
        first.stop()
