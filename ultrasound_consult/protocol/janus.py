"""The parts of the Janus API and its VideoRoom plugin that lectures use, as pure data.

Requests are plain dicts built here; replies are read here. The WebSocket shells
(:mod:`signaling_server.sfu` for room control, :mod:`ultrasound_consult.session.sfu_link`
for publishing and subscribing) only send and match them. Reference: the Janus API
(janus.conf.meetecho.com/docs/rest) and the VideoRoom plugin's documentation, Janus 1.1.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from ultrasound_consult.protocol.lecture import MAX_VOICES

VIDEOROOM = "janus.plugin.videoroom"
#: The WebSocket subprotocol the Janus API speaks.
SUBPROTOCOL = "janus-protocol"
#: Janus forgets a session after 60 s without a request (janus.jcfg session_timeout).
KEEPALIVE_S = 25.0
#: The station's feed id in every lecture room: fixed, so that after a Janus restart
#: trainees subscribe to the same id again without being told a new one.
STATION_FEED = 1
#: Room ids are random below 2**52: exact as JSON numbers in every language.
ROOM_ID_LIMIT = 2**52

# Janus core error codes (janus/apierror.h) and VideoRoom's (plugins/janus_videoroom.c).
UNAUTHORIZED = 403
UNAUTHORIZED_PLUGIN = 405
SESSION_NOT_FOUND = 458
NO_SUCH_ROOM = 426
NO_SUCH_FEED = 428
ROOM_EXISTS = 427
VIDEOROOM_UNAUTHORIZED = 433
ID_EXISTS = 436
PUBLISHERS_FULL = 432


class JanusError(RuntimeError):
    """Janus or its VideoRoom refused a request; ``code`` is Janus's number."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class SfuGrant:
    """What an admitted participant needs to reach its lecture's room, and nothing more.

    The room's ``secret`` (which edits and destroys it) never leaves the signalling
    server; the ``token`` expires and opens only the VideoRoom plugin.
    """

    url: str
    room: int
    pin: str
    token: str
    feed: int = STATION_FEED


def sign_token(secret: str, *, expires_at: int, plugins: tuple[str, ...] = (VIDEOROOM,)) -> str:
    """A Janus signed token (token_auth_secret): ``expiry,janus,plugins:base64(HMAC-SHA1)``."""
    data = ",".join([str(expires_at), "janus", *plugins])
    mac = hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(mac).decode()}"


def new_transaction() -> str:
    return secrets.token_hex(8)


def new_room_id() -> int:
    return secrets.randbelow(ROOM_ID_LIMIT - 1) + 1


# --- Janus core -------------------------------------------------------------------


def create_session(transaction: str) -> dict[str, Any]:
    return {"janus": "create", "transaction": transaction}


def attach(transaction: str, session_id: int, plugin: str = VIDEOROOM) -> dict[str, Any]:
    return {
        "janus": "attach",
        "transaction": transaction,
        "session_id": session_id,
        "plugin": plugin,
    }


def keepalive(transaction: str, session_id: int) -> dict[str, Any]:
    return {"janus": "keepalive", "transaction": transaction, "session_id": session_id}


def destroy_session(transaction: str, session_id: int) -> dict[str, Any]:
    return {"janus": "destroy", "transaction": transaction, "session_id": session_id}


def message(
    transaction: str,
    session_id: int,
    handle_id: int,
    body: dict[str, Any],
    jsep: dict[str, str] | None = None,
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "janus": "message",
        "transaction": transaction,
        "session_id": session_id,
        "handle_id": handle_id,
        "body": body,
    }
    if jsep is not None:
        msg["jsep"] = jsep
    return msg


def with_auth(msg: dict[str, Any], *, api_secret: str | None, token: str | None) -> dict[str, Any]:
    """Add the credential: the API secret (our server) or a signed token (participants)."""
    if api_secret is not None:
        msg["apisecret"] = api_secret
    if token is not None:
        msg["token"] = token
    return msg


def check(reply: dict[str, Any]) -> dict[str, Any]:
    """The reply if it is not an error (core or plugin); raises :class:`JanusError`."""
    if reply.get("janus") == "error":
        err = reply.get("error") or {}
        raise JanusError(int(err.get("code", 0)), str(err.get("reason", "unknown")))
    data = plugin_data(reply)
    if data is not None and "error_code" in data:
        raise JanusError(int(data["error_code"]), str(data.get("error", "unknown")))
    return reply


def plugin_data(reply: dict[str, Any]) -> dict[str, Any] | None:
    data = (reply.get("plugindata") or {}).get("data")
    return data if isinstance(data, dict) else None


# --- VideoRoom --------------------------------------------------------------------


def create_room(
    room: int,
    *,
    admin_key: str,
    secret: str,
    pin: str,
    bitrate: int,
    publishers: int = 1 + MAX_VOICES,
    description: str = "lecture",
) -> dict[str, Any]:
    """A private, temporary room that only pin holders may join (as publisher or viewer)."""
    return {
        "request": "create",
        "room": room,
        "admin_key": admin_key,
        "secret": secret,
        "pin": pin,
        "description": description,
        "is_private": True,
        "permanent": False,
        # The station's picture and the lecture's voices (its trainers', one unmuted
        # trainee's), each under the feed id the station gives it; no more.
        "publishers": publishers,
        # The station's encoder is VP8 (media/encoder.py); Opus is WebRTC's audio.
        "videocodec": "vp8",
        "audiocodec": "opus",
        # Janus caps what a publisher may send (REMB); our own rate control stays below.
        "bitrate": bitrate,
        "bitrate_cap": False,
        # A keyframe on request only (a new viewer asks with PLI); no periodic FIR.
        "fir_freq": 0,
        "notify_joining": False,
    }


def destroy_room(room: int, *, secret: str) -> dict[str, Any]:
    return {"request": "destroy", "room": room, "secret": secret, "permanent": False}


def kick(room: int, *, secret: str, feed: int) -> dict[str, Any]:
    return {"request": "kick", "room": room, "secret": secret, "id": feed}


def room_exists(room: int) -> dict[str, Any]:
    return {"request": "exists", "room": room}


def join_publisher(room: int, *, pin: str, feed: int, display: str) -> dict[str, Any]:
    return {
        "request": "join",
        "ptype": "publisher",
        "room": room,
        "pin": pin,
        "id": feed,
        "display": display,
    }


def publish(*, bitrate: int | None = None) -> dict[str, Any]:
    """Sent with the publisher's offer; Janus answers with the ``configured`` event."""
    body: dict[str, Any] = {"request": "publish"}
    if bitrate is not None:
        body["bitrate"] = bitrate
    return body


def join_subscriber(room: int, *, pin: str, feed: int) -> dict[str, Any]:
    return {
        "request": "join",
        "ptype": "subscriber",
        "room": room,
        "pin": pin,
        "streams": [{"feed": feed}],
    }


def start() -> dict[str, Any]:
    return {"request": "start"}
