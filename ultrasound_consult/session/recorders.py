"""Who records the call: everyone shows an indicator, and knows whose it is.

Either side may record. The station tells every viewer who records (under the name
the server admitted, never a name a peer claims); a viewer tells the station.
"""

from __future__ import annotations

from dataclasses import replace

from ultrasound_consult.protocol.channel import RecordingNotice
from ultrasound_consult.protocol.signaling import PeerInfo, Role
from ultrasound_consult.session.ports import CollabContext, name_of

ME = "me"


class Recorders:
    def __init__(self, ctx: CollabContext) -> None:
        self.ctx = ctx
        self.ports = ctx.ports
        #: Peer id (or "me" for this side) -> name.
        self.names = ctx.recorders

    def announce(self, on: bool) -> None:
        """This side started or stopped recording: tell everyone."""
        name = self.ports.author()
        if on:
            self.names[ME] = name
        else:
            self.names.pop(ME, None)
        notice = RecordingNotice(name, on)
        if self.ports.role is Role.STATION:
            self.ports.messenger.to_viewers(notice)
        else:
            station = self.ports.station()
            self.ports.messenger.to_station(notice, station.id if station else None)
        self._notify()

    def receive(self, peer: PeerInfo, msg: RecordingNotice) -> None:
        if self.ports.role is Role.STATION:
            key, name = peer.id, name_of(peer)  # the server's name, not a claim
            self.ports.messenger.to_viewers(RecordingNotice(name, msg.on), but=peer.id)
        elif peer.role is Role.STATION:
            key, name = f"by:{msg.by}", msg.by
        else:
            return
        if msg.on:
            self.names[key] = name
        else:
            self.names.pop(key, None)
        self.ctx.record(replace(msg, by=name), name)
        self._notify()

    def forget(self, peer: PeerInfo) -> None:
        """``peer`` left: if it recorded, nobody shows its indicator any more."""
        if self.names.pop(peer.id, None) is not None:
            self.ports.messenger.to_viewers(RecordingNotice(peer.name, False))
            self._notify()

    def _notify(self) -> None:
        self.ports.events.on_recording(tuple(sorted(set(self.names.values()))), ME in self.names)
