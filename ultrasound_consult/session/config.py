"""What a call is set up with, and the error it raises for things the user asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ultrasound_consult.media.quality import DEFAULT_PRESET
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.invite import parse_invite, split_join_text
from ultrasound_consult.protocol.signaling import Role


class CallError(RuntimeError):
    """An action the call cannot do now; the text says why, for the user."""


@dataclass
class CallConfig:
    server_url: str
    room: str
    role: Role
    name: str = ""
    #: The invite code that lets this role into this room.
    token: str | None = None
    #: Extra CA certificate to trust for wss:// (a clinic's own CA, or self-signed).
    ca_file: str | None = None
    #: "relay" sends media only through TURN (hides addresses; needs a TURN server).
    ice_transport_policy: str = "all"
    #: Station only: a name from :data:`ultrasound_consult.media.quality.PRESETS`.
    quality: str = DEFAULT_PRESET
    #: "VP8" (the presets' encoder) or "H264" (aiortc's libx264 encoder).
    video_codec: str = "VP8"
    #: Overrides the preset's target (and ceiling) bitrate, in Mbps (experiments).
    bitrate_mbps: float | None = None
    #: Our latency and quality tuning (marker-bit frame release, the preset encoder).
    #: False reproduces stock aiortc, for the benchmark's comparison only.
    media_tuning: bool = True
    #: Station: start the call as a lecture through the server's SFU.
    lecture: bool = False

    @classmethod
    def from_invite(cls, server_url: str, code: str, name: str = "", **kwargs: Any) -> CallConfig:
        """Room and role from an invite code, or server too from a join link.

        Raises :class:`CallError` if the code is malformed.
        """
        linked_server, code = split_join_text(code)
        try:
            invite = parse_invite(code)
        except ProtocolError as exc:
            raise CallError(exc.reason) from None
        return cls(
            linked_server or server_url, invite.room, invite.role, name, token=code, **kwargs
        )
