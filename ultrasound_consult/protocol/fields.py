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
from typing import Any, TypeGuard, TypeVar

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError

E = TypeVar("E", bound=StrEnum)

_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Text that has no business in a message: UTF-16 surrogates (they cannot be encoded as
#: UTF-8, so re-sending such a string fails for every receiver) and Unicode
#: non-characters (reserved for a program's internal use, never for interchange).
_NOT_TEXT_RE = re.compile(
    r"[\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(rf"\U{p:04x}fffe\U{p:04x}ffff" for p in range(1, 17))
    + "]"
)
#: A JSON ``\uD800``-``\uDFFF`` escape: the only way a surrogate reaches a decoded object
#: from a UTF-8 wire, so objects without one need no walk.
_SURROGATE_ESCAPE_RE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
#: Objects and lists nested deeper than this are refused (the wire formats need 4).
MAX_DEPTH = 16


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
    try:
        size = len(data.encode("utf-8"))
    except UnicodeEncodeError:
        raise bad("message holds a lone UTF-16 surrogate, which is not text") from None
    if size > max_bytes:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE, f"message exceeds the limit of {max_bytes} bytes"
        )
    try:
        obj = json.loads(data, parse_constant=_reject_constant, parse_int=_parse_int)
    except ProtocolError:
        raise
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"expected a JSON object, got {type(obj).__name__}"
        )
    if _SURROGATE_ESCAPE_RE.search(data):
        check_text_tree(obj)
    return obj


def _parse_int(text: str) -> int:
    # Python refuses ints over 4,300 digits with a ValueError; no field needs more than 20.
    if len(text.lstrip("-")) > 20:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "an integer in the message has too many digits")
    return int(text)


def check_text_tree(obj: Any, where: str = "") -> None:
    """Refuse an object holding, anywhere (keys included), a string that is not UTF-8 text,
    or nested deeper than :data:`MAX_DEPTH`. Iterative: depth cannot exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(obj, where, 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            check_text(value, path)
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise bad(f"'{path}' is nested more than {MAX_DEPTH} levels deep")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    check_text(key, f"a key of {path or 'the message'}")
                    name = f"{path}.{key}" if path else key
                else:
                    name = f"{path}[{key}]"
                stack.append((item, name[:80], depth + 1))


def check_text(value: str, name: str) -> str:
    """``value`` if it is UTF-8-encodable text without non-characters, else a refusal."""
    found = _NOT_TEXT_RE.search(value)
    if found is not None:
        kind = "UTF-16 surrogate" if 0xD800 <= ord(found.group()) <= 0xDFFF else "non-character"
        raise bad(f"'{name}' holds U+{ord(found.group()):04X}, a {kind}, which is not text")
    return value


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
    return check_text(value, key)


def opt_str(
    obj: Mapping[str, Any], key: str, *, max_len: int = 256, default: str | None = None
) -> str | None:
    if obj.get(key) is None:
        return default
    return req_str(obj, key, max_len=max_len, allow_empty=True)


def is_id(value: object) -> TypeGuard[str]:
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
    number = float(value)
    if not math.isfinite(number):
        raise bad(f"'{name}' must be finite")
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise bad(f"'{name}' must be between {lo} and {hi}")
    return number


def req_bool(obj: Mapping[str, Any], key: str) -> bool:
    value = obj.get(key)
    if not isinstance(value, bool):
        raise bad(f"'{key}' must be true or false")
    return value


def req_enum(obj: Mapping[str, Any], key: str, enum: type[E]) -> E:
    value: Any = obj.get(key)  # any JSON value: the enum itself refuses what is not a member
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
