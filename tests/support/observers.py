"""A call observer that records everything and lets a test await a condition."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ultrasound_consult.session.observer import CallObserver, CallState


class RecordingObserver(CallObserver):
    def __init__(self) -> None:
        self.states: list[tuple[CallState, str]] = []
        self.errors: list[tuple[str, str]] = []
        self.local_frames: list[Any] = []
        self.remote_frames: list[Any] = []
        self.annotations: tuple[Any, ...] = ()
        self.pending: frozenset[str] = frozenset()
        self.pointers: tuple[Any, ...] = ()
        self.acks: list[tuple[str, bool, float, str]] = []
        self.stream_infos: list[Any] = []
        self.peers: tuple[Any, ...] = ()
        self.server_events: list[tuple[bool, str]] = []
        self.stats: list[tuple[Any, ...]] = []
        self._changed = asyncio.Condition()
        #: Frames kept for inspection (each holds a decoded picture: keep few).
        self.keep_frames = 60
        self.local_count = 0
        self.remote_count = 0
        self.camera_frames: list[Any] = []
        self.camera_count = 0
        self.cues: tuple[Any, ...] = ()
        self.active_cue: Any = None
        self.calibration: Any = None
        self.snapshots: list[Any] = []
        self.chat: tuple[Any, ...] = ()
        self.opinions: tuple[Any, ...] = ()
        self.recorders: tuple[str, ...] = ()
        self.quality_changes: list[tuple[str, str]] = []
        self.lecture: Any = None
        self.roster: Any = None

    def _notify(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(notify())

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 15.0, what: str = ""
    ) -> None:
        """Wait until ``predicate()`` holds, re-checking whenever the call reports something."""

        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        try:
            await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what or predicate}; "
                f"states={[s.value for s, _ in self.states]} errors={self.errors}"
            ) from None

    @property
    def state(self) -> CallState | None:
        return self.states[-1][0] if self.states else None

    def on_state(self, state: CallState, detail: str) -> None:
        self.states.append((state, detail))
        self._notify()

    def on_server(self, connected: bool, detail: str) -> None:
        self.server_events.append((connected, detail))
        self._notify()

    def on_peers(self, peers: tuple[Any, ...]) -> None:
        self.peers = peers
        self._notify()

    def on_local_frame(self, frame: Any) -> None:
        self.local_count += 1
        self.local_frames.append(frame)
        del self.local_frames[: -self.keep_frames]
        self._notify()

    def on_remote_frame(self, frame: Any) -> None:
        self.remote_count += 1
        self.remote_frames.append(frame)
        del self.remote_frames[: -self.keep_frames]
        self._notify()

    def on_camera_frame(self, frame: Any) -> None:
        self.camera_count += 1
        self.camera_frames.append(frame)
        del self.camera_frames[: -self.keep_frames]
        self._notify()

    def on_stream_info(self, info: Any) -> None:
        self.stream_infos.append(info)
        self._notify()

    def on_annotations(self, annotations: tuple[Any, ...], pending: frozenset[str]) -> None:
        self.annotations, self.pending = annotations, pending
        self._notify()

    def on_pointers(self, pointers: tuple[Any, ...]) -> None:
        self.pointers = pointers
        self._notify()

    def on_ack(self, op: str, ok: bool, rtt_ms: float, reason: str) -> None:
        self.acks.append((op, ok, rtt_ms, reason))
        self._notify()

    def on_recording(self, recorders: tuple[str, ...], mine: bool) -> None:
        self.recorders = recorders
        self._notify()

    def on_quality(self, preset: str, by: str) -> None:
        self.quality_changes.append((preset, by))
        self._notify()

    def on_stats(self, stats: tuple[Any, ...]) -> None:
        self.stats.append(stats)
        self._notify()

    def on_cues(self, entries: tuple[Any, ...], active: Any) -> None:
        self.cues, self.active_cue = entries, active
        self._notify()

    def on_calibration(self, calibration: Any) -> None:
        self.calibration = calibration
        self._notify()

    def on_opinions(self, entries: tuple[Any, ...]) -> None:
        self.opinions = entries

    def on_chat(self, lines: tuple[Any, ...]) -> None:
        self.chat = lines

    def on_snapshot(self, snapshot: Any) -> None:
        self.snapshots.append(snapshot)
        self._notify()

    def on_lecture(self, status: Any) -> None:
        self.lecture = status
        self._notify()

    def on_roster(self, roster: Any) -> None:
        self.roster = roster
        self._notify()

    def on_error(self, code: str, message: str) -> None:
        self.errors.append((code, message))
        self._notify()
