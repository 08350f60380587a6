"""Text messages in a call: speech fails on weak links and in noisy rooms.

Anyone admitted to the call may write. A viewer's message is an operation like an
annotation: numbered in its sender's ``seq``, answered by an ``ack`` (or a refusal
with a reason) by the road it came, recorded, and passed on by the station to every
other viewer. The station's own messages go to every viewer directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ultrasound_consult.protocol.annotation import MAX_AUTHOR_CHARS
from ultrasound_consult.protocol.fields import bad, opt_seq, req_id, req_int, req_str

#: Characters of one message (a long one is refused, never cut: a cut question misleads).
MAX_CHAT_CHARS = 500


@dataclass(frozen=True)
class ChatSend:
    """A text message: viewer to station (sequenced), station to everyone."""

    TYPE: ClassVar[str] = "chat"
    op: str
    id: str
    text: str
    by: str = ""
    created_ms: int = 0
    seq: int = 0

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise bad("'text' must not be blank")
        if len(self.text) > MAX_CHAT_CHARS:
            raise bad(f"'text' is longer than {MAX_CHAT_CHARS} characters")

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "op": self.op,
            "seq": self.seq,
            "id": self.id,
            "text": self.text,
            "by": self.by,
            "created_ms": self.created_ms,
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> ChatSend:
        return cls(
            op=req_id(obj, "op"),
            id=req_id(obj, "id"),
            text=req_str(obj, "text", max_len=MAX_CHAT_CHARS),
            by=req_str(obj, "by", max_len=MAX_AUTHOR_CHARS, allow_empty=True),
            created_ms=req_int(obj, "created_ms", lo=0, hi=2**53),
            seq=opt_seq(obj),
        )
