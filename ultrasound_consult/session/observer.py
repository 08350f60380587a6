"""How the call engine reports to whoever shows it (a window, a headless summary).

Methods are called on the engine thread and must return quickly. Frames arrive at
the source's rate; keep only the newest (the Qt bridge does).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ultrasound_consult.annotate.guidance import CueEntry
    from ultrasound_consult.media.receiver import ReceivedFrame
    from ultrasound_consult.media.source import SourceFrame
    from ultrasound_consult.protocol.annotation import Annotation
    from ultrasound_consult.protocol.channel import CalibrationSet, Pointer, StreamInfo
    from ultrasound_consult.protocol.chat import ChatSend
    from ultrasound_consult.protocol.lecture import Roster, WatchReport
    from ultrasound_consult.protocol.opinion import Opinion
    from ultrasound_consult.protocol.signaling import PeerInfo
    from ultrasound_consult.protocol.snapshot import SnapshotHeader
    from ultrasound_consult.session.link_monitor import LinkStats


@dataclass(frozen=True)
class Snapshot:
    """An expert's frozen, annotated frame, decoded."""

    header: SnapshotHeader
    image: np.ndarray
    received_at: float


@dataclass(frozen=True)
class ChatLine:
    """A text message of the call as this side shows it."""

    message: ChatSend
    #: Mine and not yet confirmed by the station.
    pending: bool = False
    #: Why the station refused it (mine), else "".
    refused: str = ""


@dataclass(frozen=True)
class OpinionEntry:
    """One version of an expert's opinion as this side has it."""

    opinion: Opinion
    #: Who signed it, as the server admitted them; whether the signature holds.
    signer: str
    verified: bool
    #: Mine: None while the station has not answered, then whether it took it.
    delivered: bool | None = None
    refused: str = ""
    #: Where the station keeps it (the clinic's copy), if here.
    path: str = ""


@dataclass(frozen=True)
class AskedQuestion:
    """A question this trainee asked, and what became of it."""

    op: str
    text: str
    #: None while the station has not answered; then whether it took it.
    delivered: bool | None = None
    refused: str = ""


@dataclass(frozen=True)
class LectureStatus:
    """The lecture as this side sees it (every role)."""

    on: bool = False
    #: A trainee: the picture comes from the SFU (False while it is (re)joining).
    #: The station: it publishes to the SFU.
    relayed: bool = False
    #: The trainee unmuted by the trainer (a name), or "".
    speaker: str = ""
    #: This side is the one unmuted.
    speaking: bool = False
    #: A trainee's own raised hand.
    hand: bool = False
    asked: tuple[AskedQuestion, ...] = ()
    #: Voices heard through the SFU now.
    listening: int = 0
    #: A trainee's own latest figures on the picture from the SFU (what the trainer sees).
    report: WatchReport | None = None


class CallState(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"  # reaching the signalling server
    WAITING = "waiting"  # in the room, nobody to talk to yet
    NEGOTIATING = "negotiating"  # offer/answer/ICE under way
    CONNECTED = "connected"  # media flowing with at least one peer
    ENDED = "ended"
    FAILED = "failed"


class CallObserver:
    """No-op defaults; override what you need."""

    def on_state(self, state: CallState, detail: str) -> None: ...

    def on_peers(self, peers: tuple[PeerInfo, ...]) -> None: ...

    def on_server(self, connected: bool, detail: str) -> None:
        """The signalling server connection dropped (reconnecting) or came back."""

    def on_local_frame(self, frame: SourceFrame) -> None: ...

    def on_remote_frame(self, frame: ReceivedFrame) -> None: ...

    def on_camera_frame(self, frame: SourceFrame | ReceivedFrame) -> None:
        """The second camera: the station's own (a preview) or the station's, received."""

    def on_stream_info(self, info: StreamInfo) -> None: ...

    def on_annotations(self, annotations: tuple[Annotation, ...], pending: frozenset[str]) -> None:
        """The scene changed. ``pending``: ids drawn here that the station has not confirmed."""

    def on_pointers(self, pointers: tuple[Pointer, ...]) -> None: ...

    def on_ack(self, op: str, ok: bool, rtt_ms: float, reason: str) -> None: ...

    def on_cues(self, entries: tuple[CueEntry, ...], active: CueEntry | None) -> None:
        """Guidance cues and their outcome changed; ``active`` is the one on screen."""

    def on_calibration(self, calibration: CalibrationSet | None) -> None:
        """The frame's scale changed (None: not calibrated, measurements in pixels)."""

    def on_chat(self, lines: tuple[ChatLine, ...]) -> None:
        """The call's text messages changed (a new one, or mine confirmed or refused)."""

    def on_opinions(self, entries: tuple[OpinionEntry, ...]) -> None:
        """An expert's opinion arrived, was confirmed, refused or amended."""

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """An expert's frozen, annotated frame arrived."""

    def on_recording(self, recorders: tuple[str, ...], mine: bool) -> None:
        """Who in the call is recording now (names; empty: nobody), and whether this
        side is one of them. Show an indicator."""

    def on_quality(self, preset: str, by: str) -> None:
        """The station's quality preset changed (here or at a viewer's request)."""

    def on_stats(self, stats: tuple[LinkStats, ...]) -> None:
        """Every second: one :class:`LinkStats` per connected peer."""

    def on_lecture(self, status: LectureStatus) -> None:
        """The lecture started or stopped, or something in it changed for this side."""

    def on_roster(self, roster: Roster) -> None:
        """Who watches the lecture, how well, and what they ask (station, trainers)."""

    def on_error(self, code: str, message: str) -> None:
        """Something the user must hear about: ``message`` says what happened and what to do."""
