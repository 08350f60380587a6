"""The voices of a lecture that go through the SFU: the trainer's, and one trainee's
while the trainer lets them speak.

Each voice is an audio-only publisher in the lecture's VideoRoom, with the feed id the
station gave it (:class:`LectureState`'s ``voices``). Every participant listens to
every voice but its own, and but those it already hears peer to peer (the station
hears its trainer and expert directly); what it hears goes to the call's speaker,
mixed with everything else. Publishers and listeners join again by themselves after a
Janus restart, as the lecture's picture does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack

from ultrasound_consult.protocol.janus import JanusError, SfuGrant
from ultrasound_consult.protocol.lecture import LectureState
from ultrasound_consult.session.local_media import LocalMedia
from ultrasound_consult.session.sfu_link import SfuPublisher, SfuSubscriber

logger = logging.getLogger(__name__)

#: A voice that does not come within this long is left waiting in the background.
JOIN_TIMEOUT_S = 30.0


class LectureVoices:
    def __init__(
        self,
        media: LocalMedia,
        grant: Callable[[], Awaitable[SfuGrant]],
        *,
        me: Callable[[], str | None],
        hears_directly: Callable[[str], bool],
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
        on_change: Callable[[], None],
        display: Callable[[], str],
    ) -> None:
        self._media = media
        self._grant = grant
        self._me = me
        self._hears_directly = hears_directly
        self._spawn = spawn
        self._on_change = on_change
        self._display = display
        #: feed id -> the listener of that voice.
        self.listeners: dict[int, SfuSubscriber] = {}
        #: My own voice on the SFU, while I publish one.
        self.mine: SfuPublisher | None = None
        self._my_feed: int | None = None
        self._lock = asyncio.Lock()

    @property
    def listening(self) -> int:
        return sum(1 for listener in self.listeners.values() if listener.joined.is_set())

    def follow(self, state: LectureState) -> None:
        """Listen to, and publish, what ``state`` says (in the background)."""
        self._spawn(self._follow(state))

    async def _follow(self, state: LectureState) -> None:
        async with self._lock:  # states apply in order, one at a time
            me = self._me()
            wanted = {
                v.feed
                for v in state.voices
                if state.on and v.peer != me and not self._hears_directly(v.peer)
            }
            for feed in [f for f in self.listeners if f not in wanted]:
                await self.listeners.pop(feed).close()
            my_feed = state.voice_of(me) if (state.on and me is not None) else None
            if my_feed != self._my_feed:
                await self._stop_mine()
            if not wanted - set(self.listeners) and my_feed in (None, self._my_feed):
                self._on_change()
                return
            try:
                grant = await self._grant()
            except Exception as exc:  # the server has no SFU now: nothing to hear
                logger.warning("no grant for the lecture's voices: %s", exc)
                return
            for feed in wanted - set(self.listeners):
                self.listeners[feed] = self._listen(replace(grant, feed=feed))
            if my_feed is not None and self.mine is None:
                self._start_mine(replace(grant, feed=my_feed))
            self._on_change()

    def _listen(self, grant: SfuGrant) -> SfuSubscriber:
        listener = SfuSubscriber(grant, on_track=self._track, name=f"voice-{grant.feed}")
        self._spawn(self._start(listener))
        return listener

    def _start_mine(self, grant: SfuGrant) -> None:
        track = self._media.answer_audio
        if self._media.fanout is None:
            logger.info("unmuted, but this side has no microphone: nothing to publish")
            return

        def voice() -> MediaStreamTrack:
            out = track()
            assert out is not None
            return out

        self.mine = SfuPublisher(grant, voice, display=self._display(), name="my-voice")
        self._my_feed = grant.feed
        self._spawn(self._start(self.mine))

    async def _start(self, part: SfuSubscriber | SfuPublisher) -> None:
        try:
            await part.start(timeout=JOIN_TIMEOUT_S)
        except (JanusError, TimeoutError) as exc:
            logger.warning("%s: %s", type(part).__name__, exc)
        self._on_change()

    def _track(self, _pc: RTCPeerConnection, track: MediaStreamTrack) -> None:
        if track.kind == "audio" and self._media.player is not None:
            self._media.player.add(track)

    async def _stop_mine(self) -> None:
        mine, self.mine, self._my_feed = self.mine, None, None
        if mine is not None:
            await mine.close()

    async def close(self) -> None:
        async with self._lock:
            await self._stop_mine()
            listeners = list(self.listeners.values())
            self.listeners.clear()
            for listener in listeners:
                with contextlib.suppress(Exception):
                    await listener.close()
