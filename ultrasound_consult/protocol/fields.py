"""Small validators used by the message decoders.

Each takes the decoded JSON object and a key and returns a typed value or raises
:class:`ProtocolError` naming the field, so a rejection always says what was wrong.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError

E = TypeVar("E", bound=StrEnum)

_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def bad(reason: str) -> ProtocolError:
    return ProtocolError(ErrorCode.BAD_MESSAGE, reason)


def decode_object(data: str | bytes, *, max_bytes: int) -> dict[str, Any]:
    """Parse one JSON object, enforcing a size limit before parsing."""
    if isinstance(data, bytes | bytearray | memoryview):
        raise ProtocolError(
            ErrorCode.BINARY_NOT_SUPPORTED, "binary messages are not accepted; send JSON text"
        )
    if len(data) > max_bytes:
        # A str of N characters is at least N bytes in UTF-8.
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"message of {len(data)} characters exceeds the limit of {max_bytes} bytes",
        )
    if len(data.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE, f"message exceeds the limit of {max_bytes} bytes"
        )
    try:
        obj = json.loads(data, parse_constant=_reject_constant)
    except ProtocolError:
        raise
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"expected a JSON object, got {type(obj).__name__}"
        )
    return obj


def _reject_constant(name: str) -> Any:
    raise ProtocolError(ErrorCode.BAD_JSON, f"{name} is not allowed in messages")


def encode_object(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def message_type(obj: Mapping[str, Any]) -> str:
    value = obj.get("type")
    if not isinstance(value, str) or not value:
        raise bad("missing 'type' (a non-empty string)")
    return value


def req_str(
    obj: Mapping[str, Any], key: str, *, max_len: int = 256, allow_empty: bool = False
) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise bad(f"'{key}' must be a string")
    if not allow_empty and not value:
        raise bad(f"'{key}' must not be empty")
    if len(value) > max_len:
        raise bad(f"'{key}' is longer than {max_len} characters")
    return value


def opt_str(
    obj: Mapping[str, Any], key: str, *, max_len: int = 256, default: str | None = None
) -> str | None:
    if obj.get(key) is None:
        return default
    return req_str(obj, key, max_len=max_len, allow_empty=True)


def is_id(value: object) -> bool:
    """Whether ``value`` would pass :func:`req_id`."""
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def req_id(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise bad(f"'{key}' must be 1-64 characters of letters, digits, '_', '-', '.', ':'")
    return value


def opt_id(obj: Mapping[str, Any], key: str) -> str | None:
    if obj.get(key) is None:
        return None
    return req_id(obj, key)


def req_int(
    obj: Mapping[str, Any], key: str, *, lo: int | None = None, hi: int | None = None
) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(f"'{key}' must be an integer")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise bad(f"'{key}' must be between {lo} and {hi}")
    return value


def opt_int(
    obj: Mapping[str, Any], key: str, *, lo: int | None = None, hi: int | None = None
) -> int | None:
    if obj.get(key) is None:
        return None
    return req_int(obj, key, lo=lo, hi=hi)


def opt_seq(obj: Mapping[str, Any]) -> int:
    """An operation's per-sender sequence number; 0 (unsequenced) when absent."""
    return opt_int(obj, "seq", lo=0) or 0


def req_float(
    obj: Mapping[str, Any], key: str, *, lo: float | None = None, hi: float | None = None
) -> float:
    return check_float(obj.get(key), key, lo=lo, hi=hi)


def opt_float(
    obj: Mapping[str, Any], key: str, *, lo: float | None = None, hi: float | None = None
) -> float | None:
    if obj.get(key) is None:
        return None
    return req_float(obj, key, lo=lo, hi=hi)


def check_float(
    value: Any, name: str, *, lo: float | None = None, hi: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad(f"'{name}' must be a number")
    value = float(value)
    if not math.isfinite(value):
        raise bad(f"'{name}' must be finite")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise bad(f"'{name}' must be between {lo} and {hi}")
    return value


def req_bool(obj: Mapping[str, Any], key: str) -> bool:
    value = obj.get(key)
    if not isinstance(value, bool):
        raise bad(f"'{key}' must be true or false")
    return value


def req_enum(obj: Mapping[str, Any], key: str, enum: type[E]) -> E:
    value = obj.get(key)
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise bad(f"'{key}' must be one of: {allowed}") from None


def req_color(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not _COLOR_RE.match(value):
        raise bad(f"'{key}' must be a colour like #ffcc00")
    return value.lower()


def req_list(obj: Mapping[str, Any], key: str, *, max_len: int) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise bad(f"'{key}' must be a list")
    if len(value) > max_len:
        raise bad(f"'{key}' has more than {max_len} items")
    return value


def req_object(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if not isinstance(value, dict):
        raise bad(f"'{key}' must be an object")
    return value
