"""What the collaboration may use of the call, and the state its parts share.

:class:`Collaboration` (the expert's hands, and what arrives), :class:`StationScene`
(the station's authority over the scene) and :class:`SnapshotExchange` never see the
call: they get these ports, built by the call, and one :class:`CollabContext`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ultrasound_consult.annotate.overlay import Overlay
from ultrasound_consult.protocol.channel import (
    AnnotationAdd,
    CalibrationSet,
    ChannelMessage,
    Pointer,
)
from ultrasound_consult.protocol.opinion import Opinion
from ultrasound_consult.protocol.signaling import PeerInfo, Role
from ultrasound_consult.session.journal import Journal
from ultrasound_consult.session.messenger import Messenger
from ultrasound_consult.session.observer import CallObserver
from ultrasound_consult.session.stats import CallStats


@dataclass(frozen=True)
class CollabPorts:
    role: Role
    messenger: Messenger
    #: Where changes are reported (the window's bridge, a headless summary).
    events: CallObserver
    stats: CallStats
    #: This side's recording, if it records.
    journal: Journal
    #: This side's display name, and its peer id once the server admitted it.
    author: Callable[[], str]
    my_id: Callable[[], str | None]
    #: Someone in the room, by peer id; and the room's station, if it is in the room.
    peer: Callable[[str], PeerInfo | None]
    station: Callable[[], PeerInfo | None]
    #: The ultrasound frame's size (sent or received), and the media time of the
    #: newest frame shown here (what an expert was looking at when they drew).
    frame_size: Callable[[], tuple[int, int] | None]
    media_ts: Callable[[], float | None]
    #: Run a coroutine for the call (cancelled when it stops).
    spawn: Callable[[Coroutine[Any, Any, None]], None]
    #: This device's opinion signature (a viewer's): signs an opinion, or raises
    #: ``SigningError``. None: this side cannot sign (a station).
    sign: Callable[[Opinion], Opinion] | None = None
    #: The station keeps an opinion at the clinic: (opinion, signer) -> the file
    #: (raises OSError). None: not kept here (a viewer).
    keep_opinion: Callable[[Opinion, str], Path] | None = None
    #: The station passes an expert's pointer on to a lecture's trainees.
    pointer_out: Callable[[Pointer], None] = lambda _msg: None


@dataclass
class CollabContext:
    """The overlay every part changes, the ids they make, and what follows a change."""

    ports: CollabPorts
    overlay: Overlay = field(default_factory=Overlay)
    #: Ids drawn here that the station has not confirmed (the viewer's; empty at the station).
    pending_ids: Callable[[], frozenset[str]] = frozenset
    #: Who records this call (peer id, or "me" for this side -> name).
    recorders: dict[str, str] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def role(self) -> Role:
        return self.ports.role

    def new_id(self, kind: str) -> str:
        """``kind``-prefix-n: unique in the call (the prefix is our peer id)."""
        return f"{kind}-{self.ports.my_id() or 'local'}-{next(self._ids)}"

    def next_op(self) -> tuple[str, int]:
        """An op id and its seq: one counter spans all of a sender's operation types."""
        return self.new_id("o"), next(self._seq)

    def serial(self) -> int:
        return next(self._ids)

    def record(self, msg: ChannelMessage, by: str, *, synced: bool = False) -> None:
        """Into this side's recording, if it records. An annotation is anchored to the
        frame its author saw, except when the station resends the scene (its frames
        are long past: it belongs where the resend happened)."""
        anchor = None
        if isinstance(msg, AnnotationAdd) and not synced:
            anchor = msg.ann.media_ts
        self.ports.journal.message(msg, by, anchor=anchor)

    def notify_annotations(self) -> None:
        self.ports.events.on_annotations(self.overlay.scene.annotations(), self.pending_ids())

    def notify_cues(self) -> None:
        guidance = self.overlay.guidance
        self.ports.events.on_cues(guidance.entries(), guidance.active_entry)

    def set_calibration(self, msg: CalibrationSet) -> None:
        if msg != self.overlay.calibration:
            self.record(msg, msg.by)
        self.overlay.apply(msg)
        self.ports.journal.calibration_changed(self.overlay.calibration)
        self.ports.events.on_calibration(self.overlay.calibration)


def name_of(peer: PeerInfo) -> str:
    """A peer's name as the server admitted it (its id if it gave none)."""
    return peer.name or peer.id


def now_ms() -> int:
    return int(time.time() * 1000)
