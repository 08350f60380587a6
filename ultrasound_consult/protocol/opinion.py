"""The expert's written opinion: the consult's clinical outcome, left at the clinic.

Structured fields (exam, findings, impression, recommendation, urgency) plus free
text, signed by the expert's device key (Ed25519 over :meth:`Opinion.signed_bytes`:
the canonical JSON of every field but the signature). An amendment is a new version
of the same opinion id with a reason; a version is never edited. No patient identity
travels: the clinic's own reference (``local_ref``) is what it resolves at home.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any, ClassVar

from ultrasound_consult.protocol.annotation import MAX_AUTHOR_CHARS
from ultrasound_consult.protocol.fields import (
    bad,
    opt_float,
    opt_seq,
    req_enum,
    req_id,
    req_int,
    req_object,
    req_str,
)

#: Characters of each field: all of them in Chinese (3 bytes each in UTF-8) still fit
#: one 16 KiB data-channel message.
MAX_EXAM_CHARS = 80
MAX_FINDINGS_CHARS = 2000
MAX_IMPRESSION_CHARS = 800
MAX_RECOMMENDATION_CHARS = 400
MAX_NOTE_CHARS = 800
MAX_REASON_CHARS = 200
MAX_REF_CHARS = 40
#: Versions of one opinion (the first and its amendments).
MAX_VERSION = 50
#: Base64 of a 32-byte Ed25519 public key and of a 64-byte signature.
KEY_CHARS = 44
SIGNATURE_CHARS = 88


class Recommendation(StrEnum):
    NO_ACTION = "no_action"  # normal: nothing further
    FOLLOW_UP = "follow_up"  # scan again later, as routine
    REPEAT_NOW = "repeat_now"  # the images do not answer the question: repeat
    REFER = "refer"  # to a specialist or hospital
    REFER_URGENTLY = "refer_urgently"  # today
    OTHER = "other"  # the text says what


class Urgency(StrEnum):
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"


@dataclass(frozen=True)
class Opinion:
    id: str
    version: int
    exam: str
    findings: str
    impression: str
    recommendation: Recommendation
    urgency: Urgency
    author: str
    created_ms: int
    recommendation_text: str = ""
    note: str = ""
    #: The clinic's own reference for the patient or request (never a name).
    local_ref: str = ""
    #: Why this version replaces the one before (required from version 2).
    amends_reason: str = ""
    #: The station's media time the opinion was written at (for replay), if any.
    media_ts: float | None = None
    #: Base64 Ed25519 public key of the signing device, and the signature.
    key: str = ""
    signature: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.version <= MAX_VERSION:
            raise bad(f"'version' must be between 1 and {MAX_VERSION}")
        if not (self.findings.strip() or self.impression.strip()):
            raise bad("an opinion needs findings or an impression")
        if self.version > 1 and not self.amends_reason.strip():
            raise bad("an amendment needs 'amends_reason' (why it replaces the last version)")
        if self.recommendation is Recommendation.OTHER and not self.recommendation_text.strip():
            raise bad("recommendation 'other' needs 'recommendation_text'")

    def to_wire(self) -> dict[str, Any]:
        out = asdict(self)
        out["recommendation"] = self.recommendation.value
        out["urgency"] = self.urgency.value
        return out

    def signed_bytes(self) -> bytes:
        """What the signature covers: every field but the signature, canonical JSON."""
        body = self.to_wire()
        body.pop("signature")
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def amended(self, reason: str, **changes: Any) -> Opinion:
        """The next version (unsigned), with ``changes`` and why."""
        return replace(
            self, version=self.version + 1, amends_reason=reason, signature="", **changes
        )

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Opinion:
        def text(key: str, limit: int) -> str:
            return req_str(obj, key, max_len=limit, allow_empty=True)

        key = text("key", KEY_CHARS)
        signature = text("signature", SIGNATURE_CHARS)
        return cls(
            id=req_id(obj, "id"),
            version=req_int(obj, "version", lo=1, hi=MAX_VERSION),
            exam=text("exam", MAX_EXAM_CHARS),
            findings=text("findings", MAX_FINDINGS_CHARS),
            impression=text("impression", MAX_IMPRESSION_CHARS),
            recommendation=req_enum(obj, "recommendation", Recommendation),
            urgency=req_enum(obj, "urgency", Urgency),
            author=req_str(obj, "author", max_len=MAX_AUTHOR_CHARS, allow_empty=True),
            created_ms=req_int(obj, "created_ms", lo=0, hi=2**53),
            recommendation_text=text("recommendation_text", MAX_RECOMMENDATION_CHARS),
            note=text("note", MAX_NOTE_CHARS),
            local_ref=text("local_ref", MAX_REF_CHARS),
            amends_reason=text("amends_reason", MAX_REASON_CHARS),
            media_ts=opt_float(obj, "media_ts", lo=0.0, hi=1e9),
            key=key,
            signature=signature,
        )


@dataclass(frozen=True)
class OpinionSend:
    """Expert (or trainer) to station: a signed opinion, or a new version of one."""

    TYPE: ClassVar[str] = "opinion"
    op: str
    opinion: Opinion
    seq: int = 0

    def to_wire(self) -> dict[str, Any]:
        opinion = self.opinion.to_wire()
        return {"type": self.TYPE, "op": self.op, "seq": self.seq, "opinion": opinion}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> OpinionSend:
        return cls(
            op=req_id(obj, "op"),
            opinion=Opinion.from_wire(req_object(obj, "opinion")),
            seq=opt_seq(obj),
        )
