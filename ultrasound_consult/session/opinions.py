"""The expert's written opinion in the call: signed and sent by the expert, checked,
kept at the clinic, recorded and passed on by the station.

The station takes an opinion only from an expert or trainer, signed by the name the
server admitted, with a signature that holds; a new version only after the one before
it, from the same key (an amendment is a new version, never an edit).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ultrasound_consult.protocol.channel import Ack
from ultrasound_consult.protocol.consult import OpinionArrived
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.opinion import Opinion, OpinionSend
from ultrasound_consult.protocol.signaling import PeerInfo
from ultrasound_consult.record.opinions import (
    OPINIONS_DIR,
    OpinionStore,
    StoredOpinion,
    file_name,
)
from ultrasound_consult.session.config import CallError
from ultrasound_consult.session.journal import Journal
from ultrasound_consult.session.messenger import Reply
from ultrasound_consult.session.observer import OpinionEntry
from ultrasound_consult.session.ports import CollabContext, name_of, now_ms
from ultrasound_consult.session.signing import DeviceKey, SigningError, verify

logger = logging.getLogger(__name__)


class OpinionDesk:
    def __init__(self, ctx: CollabContext) -> None:
        self.ctx = ctx
        self.ports = ctx.ports
        #: (opinion id, version) -> entry, oldest first.
        self._entries: OrderedDict[tuple[str, int], OpinionEntry] = OrderedDict()

    def entries(self) -> tuple[OpinionEntry, ...]:
        return tuple(self._entries.values())

    def latest(self, opinion_id: str) -> OpinionEntry | None:
        versions = [e for (i, _), e in self._entries.items() if i == opinion_id]
        return max(versions, key=lambda e: e.opinion.version) if versions else None

    # --- the expert's side ------------------------------------------------------------

    def compose(self, draft: Opinion, amends: str | None = None) -> OpinionSend:
        """Sign ``draft`` (a new opinion, or with ``amends`` = the id of one sent here,
        its next version) and number it as an operation. Raises :class:`CallError`."""
        if self.ports.sign is None:
            raise CallError("only an expert or a trainer writes an opinion")
        previous = self.latest(amends) if amends else None
        if amends and previous is None:
            raise CallError("there is no such opinion to amend")
        try:
            opinion = replace(
                draft,
                id=previous.opinion.id if previous else self.ctx.new_id("op"),
                version=previous.opinion.version + 1 if previous else 1,
                author=self.ports.author(),
                created_ms=now_ms(),
                media_ts=self.ports.media_ts(),
                key="",
                signature="",
            )
            signed = self.ports.sign(opinion)
        except ProtocolError as exc:
            raise CallError(exc.reason) from None
        except SigningError as exc:
            raise CallError(str(exc)) from None
        op, seq = self.ctx.next_op()
        return OpinionSend(op, signed, seq)

    def sent(self, msg: OpinionSend) -> None:
        """Mine is on its way (shown as not yet confirmed)."""
        self._put(OpinionEntry(msg.opinion, self.ports.author(), True, delivered=None))

    def answered(self, msg: OpinionSend, ok: bool, reason: str) -> None:
        key = (msg.opinion.id, msg.opinion.version)
        entry = self._entries.get(key)
        if entry is not None:
            self._put(replace(entry, delivered=ok, refused="" if ok else reason or "?"))

    def passed_on(self, msg: OpinionSend) -> None:
        """The station passed on someone's opinion (a trainer watching sees it too)."""
        if (msg.opinion.id, msg.opinion.version) in self._entries:
            return
        opinion = msg.opinion
        self.ctx.record(msg, opinion.author)
        self._put(OpinionEntry(opinion, opinion.author, verify(opinion), delivered=True))

    # --- the station's side -----------------------------------------------------------

    def receive(self, peer: PeerInfo, msg: OpinionSend, reply: Reply) -> None:
        """Check, keep, record and pass on a viewer's opinion; answer it."""
        opinion, name = msg.opinion, name_of(peer)
        here = self._entries.get((opinion.id, opinion.version))
        if here is not None and here.opinion == opinion:
            reply(Ack(msg.op))  # a resend of what is kept
            return
        refusal = self._refusal(opinion, name, here)
        if refusal is not None:
            code, reason = refusal
            self.ports.stats.refusals_sent += 1
            reply(Ack.refusal(msg.op, code, reason))
            return
        path = ""
        if self.ports.keep_opinion is not None:
            try:
                path = str(self.ports.keep_opinion(opinion, name))
            except OSError as exc:
                logger.warning("could not keep an opinion: %s", exc)
                self.ports.stats.refusals_sent += 1
                why = f"the station could not keep it ({exc.strerror or exc}); send it again"
                reply(Ack.refusal(msg.op, ErrorCode.INTERNAL, why))
                return
        passed = replace(msg, seq=0)
        self.ctx.record(passed, name)
        self._put(OpinionEntry(opinion, name, True, delivered=True, path=path))
        self.ports.messenger.to_viewers(passed, but=peer.id)
        reply(Ack(msg.op))

    def _refusal(
        self, opinion: Opinion, name: str, here: OpinionEntry | None
    ) -> tuple[ErrorCode, str] | None:
        if opinion.author != name:
            return (
                ErrorCode.FORBIDDEN,
                f"signed as {opinion.author!r}, but the server admitted you as {name!r}",
            )
        if not verify(opinion):
            return ErrorCode.BAD_MESSAGE, "the signature does not match the opinion"
        if here is not None:
            return (
                ErrorCode.CONFLICT,
                f"version {opinion.version} of this opinion is already here, and differs: "
                "an amendment is a new version",
            )
        if opinion.version > 1:
            before = self._entries.get((opinion.id, opinion.version - 1))
            if before is None:
                return ErrorCode.CONFLICT, f"version {opinion.version - 1} never arrived here"
            if before.opinion.key != opinion.key:
                return ErrorCode.FORBIDDEN, "only its signer may amend an opinion"
        return None

    def _put(self, entry: OpinionEntry) -> None:
        self._entries[(entry.opinion.id, entry.opinion.version)] = entry
        self.ports.events.on_opinions(self.entries())


def device_signer(key_path: Path | None = None) -> Callable[[Opinion], Opinion]:
    """Sign with this device's key, made on first use (raises ``SigningError``)."""
    keys: list[DeviceKey] = []

    def sign(opinion: Opinion) -> Opinion:
        if not keys:
            keys.append(DeviceKey.load_or_create(key_path))
        return keys[0].sign(opinion)

    return sign


def clinic_keeper(
    room: str, journal: Journal, store: OpinionStore | None = None
) -> Callable[[Opinion, str], Path]:
    """Keep each opinion at the clinic (one folder for this consult) and, while this
    side records, in the recording too."""
    store = store or OpinionStore()
    folder = store.folder_for(room, time.time())

    def keep(opinion: Opinion, signer: str) -> Path:
        path = store.save(folder, opinion, signer=signer, verified=True)
        journal.attach(f"{OPINIONS_DIR}/{file_name(opinion)}", path.read_bytes())
        return path

    return keep


def arrival_keeper(store: OpinionStore | None = None) -> Callable[[OpinionArrived], StoredOpinion]:
    """A station keeps an opinion the consult service hands it (written after the call,
    or while the station was offline) beside those received in calls: one folder per
    call, the signature checked here."""
    store = store or OpinionStore()

    def keep(msg: OpinionArrived) -> StoredOpinion:
        folder = store.root / f"call-{msg.call_id}"
        path = store.save(folder, msg.opinion, signer=msg.signer, verified=verify(msg.opinion))
        return store.load(path)

    return keep
