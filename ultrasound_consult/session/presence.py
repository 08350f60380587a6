"""An enrolled device's background connection to the consult service (asyncio, no Qt).

It signs in with the device credential, stays connected (reconnecting with backoff),
and hands every server message to :attr:`PresenceClient.events`: rings, presence
changes, call results, request updates. The methods send a request and wait for its
answer (the reply, or :class:`ConsultRefused` with the server's reason).

If the connection drops while this device's call is ringing, the client says so at
once (``call_failed`` with reason ``interrupted``): the user may call again when it is
back. The credential itself is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from ultrasound_consult.media.mask_store import config_dir
from ultrasound_consult.private_files import make_private, private_dir
from ultrasound_consult.protocol.consult import (
    MAX_CONSULT_BYTES,
    Accept,
    CallFailed,
    CallFailure,
    CallKind,
    CallReady,
    Cancel,
    ClientMessage,
    ConsultError,
    ConsultPing,
    Decline,
    Directory,
    Duty,
    DutyHours,
    Enrolled,
    GetDirectory,
    GetQueue,
    HangUp,
    Hello,
    InviteTrainee,
    LeaveRequest,
    Ok,
    OpinionArrived,
    OpinionKept,
    PlaceCall,
    Queue,
    Ready,
    Redeem,
    RequestStatus,
    Ringing,
    RingStop,
    ServerMessage,
    SetDuty,
    SubmitOpinion,
    TakeRequest,
    Urgency,
    encode,
    parse_consult_server,
)
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.opinion import Opinion
from ultrasound_consult.record.opinions import StoredOpinion
from ultrasound_consult.session.signing import DeviceKey

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
REPLY_TIMEOUT_S = 15.0
BACKOFF_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
CLOSE_UNAUTHORIZED, CLOSE_REVOKED = 4002, 4003
CREDENTIAL_FILE = "device.json"


class ConsultRefused(RuntimeError):
    """The server refused (code and reason from it), or could not be reached."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DeviceCredential:
    """What enrollment leaves on the device: owner-only, never logged."""

    server: str
    device_id: str
    kind: str
    name: str
    credential: str

    def __repr__(self) -> str:  # a stray print or log line must not carry the secret
        return f"DeviceCredential(server={self.server!r}, device_id={self.device_id!r})"

    def save(self, path: Path | None = None) -> Path:
        path = path or default_credential_path()
        private_dir(path.parent)
        tmp = path.with_suffix(".tmp")
        tmp.touch(mode=0o600)
        make_private(tmp)
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path | None = None) -> DeviceCredential:
        path = path or default_credential_path()
        try:
            data = json.loads(path.read_text())
            return cls(**{k: str(data[k]) for k in cls.__dataclass_fields__})
        except FileNotFoundError:
            raise ConsultRefused(
                "not_enrolled",
                f"no device credential at {path}: enroll this device first "
                "(ultrasound-consult enroll CODE --server URL)",
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConsultRefused(
                "bad_credential", f"{path} is not a device credential ({exc}); enroll again"
            ) from None


def default_credential_path() -> Path:
    return config_dir() / CREDENTIAL_FILE


def consult_url(server: str) -> str:
    """``ws://host:port/`` -> ``ws://host:port/consult``."""
    parts = urlsplit(server.strip())
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ConsultRefused("bad_url", f"{server!r} is not a ws:// or wss:// server address")
    return urlunsplit((parts.scheme, parts.netloc, "/consult", "", ""))


async def _open(server: str, ssl_context: ssl.SSLContext | None) -> ClientConnection:
    url = consult_url(server)
    kwargs: dict[str, Any] = {"max_size": 2 * MAX_CONSULT_BYTES, "open_timeout": CONNECT_TIMEOUT_S}
    if url.startswith("wss:") and ssl_context is not None:
        kwargs["ssl"] = ssl_context
    try:
        return await connect(url, **kwargs)
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
        raise ConsultRefused("unreachable", f"cannot reach the server at {server}: {exc}") from None


async def redeem(
    server: str, code: str, *, ssl_context: ssl.SSLContext | None = None
) -> DeviceCredential:
    """Exchange a one-time enrollment code for this device's credential."""
    ws = await _open(server, ssl_context)
    try:
        await ws.send(encode(Redeem(code)))
        reply = parse_consult_server(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
    except (ConnectionClosed, TimeoutError, ProtocolError) as exc:
        raise ConsultRefused("unreachable", f"enrollment did not complete: {exc}") from None
    finally:
        await ws.close()
    if isinstance(reply, ConsultError):
        raise ConsultRefused(reply.code.value, reply.message)
    if not isinstance(reply, Enrolled):
        raise ConsultRefused("bad_reply", f"unexpected reply {reply.TYPE!r}")
    d = reply.device
    return DeviceCredential(server, d.id, d.kind.value, d.name, reply.credential)


@dataclass(frozen=True)
class OpinionStored:
    """An expert's opinion the server handed this station, now kept at the clinic."""

    call_id: str
    stored: StoredOpinion


@dataclass(frozen=True)
class ConnectionLost:
    """An event: the connection dropped; the client is reconnecting (unless final)."""

    reason: str
    final: bool = False


@dataclass(frozen=True)
class Reconnected:
    ready: Ready


Event = ServerMessage | ConnectionLost | Reconnected | OpinionStored


class _Pending:
    def __init__(self, sent: str, match: Callable[[ServerMessage], bool]) -> None:
        self.sent = sent
        self.match = match
        self.future: asyncio.Future[ServerMessage] = asyncio.get_running_loop().create_future()


class PresenceClient:
    """Stay signed in; ``events`` receives every message and connection change."""

    def __init__(
        self,
        credential: DeviceCredential,
        *,
        ssl_context: ssl.SSLContext | None = None,
        on_event: Callable[[Event], None] | None = None,
        keep_opinion: Callable[[OpinionArrived], StoredOpinion] | None = None,
        signing_key: str | None = None,
    ) -> None:
        """``keep_opinion``: a station keeps each expert's opinion the server hands it
        (then confirms it; an opinion not kept comes again at the next sign-in)."""
        self.credential = credential
        self.keep_opinion = keep_opinion
        #: An expert's or trainer's signing key, registered at the first sign-in (the
        #: device's own unless given).
        self.signing_key = signing_key
        self.ssl_context = ssl_context
        self.on_event = on_event
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.ready: Ready | None = None
        self._ws: ClientConnection | None = None
        self._runner: asyncio.Task[None] | None = None
        self._pending: list[_Pending] = []
        self._ringing_out: set[str] = set()
        self._keeping: set[asyncio.Task[None]] = set()
        self._connected = asyncio.Event()
        self._closed = False

    @property
    def device_id(self) -> str:
        return self.credential.device_id

    async def start(self) -> Ready:
        """Connect and sign in; raises :class:`ConsultRefused` if the server refuses."""
        ready = await self._connect()
        self._runner = asyncio.create_task(self._run(), name="presence")
        return ready

    async def close(self) -> None:
        self._closed = True
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._ws is not None:
            await self._ws.close()
        self._fail_pending(ConsultRefused("closed", "the presence client was closed"))

    async def wait_connected(self, timeout: float = 30.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    # --- requests ----------------------------------------------------------------

    async def set_duty(self, duty: Duty, hours: list[DutyHours] | None = None) -> None:
        await self._ask(SetDuty(duty, None if hours is None else tuple(hours)), _ok(SetDuty.TYPE))

    async def directory(self) -> Directory:
        return await self._ask(GetDirectory(), lambda m: isinstance(m, Directory))  # type: ignore[return-value]

    async def call(
        self, target: str, *, kind: CallKind = CallKind.CONSULT, request_id: str | None = None
    ) -> Ringing | CallFailed:
        """Ring; the answer says how many ring (or why nobody does). The outcome comes
        later in :attr:`events`: ``call_ready``, ``declined``, ``call_failed``."""
        reply = await self._ask(
            PlaceCall(target, kind, request_id), lambda m: isinstance(m, Ringing | CallFailed)
        )
        if isinstance(reply, Ringing):
            self._ringing_out.add(reply.call_id)
        return reply  # type: ignore[return-value]

    async def accept(self, call_id: str) -> None:
        """The result comes in :attr:`events`: ``call_ready``, or ``ring_stop`` if taken."""
        await self._send(Accept(call_id))

    async def decline(self, call_id: str) -> RingStop:
        return await self._ask(  # type: ignore[return-value]
            Decline(call_id), lambda m: isinstance(m, RingStop) and m.call_id == call_id
        )

    async def cancel(self, call_id: str) -> CallFailed:
        return await self._ask(  # type: ignore[return-value]
            Cancel(call_id), lambda m: isinstance(m, CallFailed) and m.call_id == call_id
        )

    async def hang_up(self, call_id: str, *, recorded: bool = False, opinion: bool = False) -> None:
        await self._ask(HangUp(call_id, recorded, opinion), _ok(HangUp.TYPE))

    async def invite_trainee(self, call_id: str, device_id: str) -> None:
        await self._ask(InviteTrainee(call_id, device_id), _ok(InviteTrainee.TYPE))

    async def leave_request(
        self,
        *,
        exam: str,
        question: str,
        urgency: Urgency,
        specialty: str = "",
        preferred_time: str = "",
        reference: str = "",
    ) -> RequestStatus:
        msg = LeaveRequest(exam, question, urgency, specialty, preferred_time, reference)
        return await self._ask(msg, lambda m: isinstance(m, RequestStatus))  # type: ignore[return-value]

    async def queue(self) -> Queue:
        return await self._ask(GetQueue(), lambda m: isinstance(m, Queue))  # type: ignore[return-value]

    async def take(self, request_id: str) -> RequestStatus:
        return await self._ask(  # type: ignore[return-value]
            TakeRequest(request_id),
            lambda m: isinstance(m, RequestStatus) and m.request.id == request_id,
        )

    def _key(self) -> str:
        if self.signing_key is None and self.credential.kind in ("expert", "trainer"):
            self.signing_key = DeviceKey.load_or_create().public
        return self.signing_key or ""

    async def submit_opinion(self, call_id: str, opinion: Opinion) -> None:
        """An expert's signed opinion for one of their calls, through the server (after
        the call, or while the station is offline): kept there until the station has it."""
        await self._ask(SubmitOpinion(call_id, opinion), _ok(SubmitOpinion.TYPE))

    async def _keep(self, msg: OpinionArrived) -> None:
        assert self.keep_opinion is not None
        try:
            stored = await asyncio.to_thread(self.keep_opinion, msg)
        except OSError as exc:  # kept by the server: it comes again at the next sign-in
            logger.warning("could not keep an opinion here: %s", exc)
            self._emit(msg)
            return
        with contextlib.suppress(ConsultRefused):  # unconfirmed: it comes again, kept once
            opinion = msg.opinion
            await self._ask(OpinionKept(opinion.id, opinion.version), _ok(OpinionKept.TYPE))
        self._emit(OpinionStored(msg.call_id, stored))

    async def next_event(
        self, match: Callable[[Event], bool] = lambda _e: True, timeout: float = 30.0
    ) -> Event:
        """The next event that matches (others are dropped): for scripts and tests."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self.events.get()
                if match(event):
                    return event

    # --- internals ---------------------------------------------------------------

    async def _ask(
        self, msg: ClientMessage, match: Callable[[ServerMessage], bool]
    ) -> ServerMessage:
        pending = _Pending(msg.TYPE, match)
        self._pending.append(pending)
        try:
            await self._send(msg)
            return await asyncio.wait_for(asyncio.shield(pending.future), REPLY_TIMEOUT_S)
        except TimeoutError:
            raise ConsultRefused("timeout", f"no answer to {msg.TYPE!r} from the server") from None
        finally:
            if pending in self._pending:
                self._pending.remove(pending)

    async def _send(self, msg: ClientMessage) -> None:
        if self._ws is None or not self._connected.is_set():
            raise ConsultRefused("offline", "not connected to the server; it is reconnecting")
        try:
            await self._ws.send(encode(msg))
        except ConnectionClosed:
            raise ConsultRefused("offline", "the connection to the server dropped") from None

    async def _connect(self) -> Ready:
        ws = await _open(self.credential.server, self.ssl_context)
        try:
            await ws.send(encode(Hello(self.credential.credential, signing_key=self._key())))
            reply = parse_consult_server(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
        except (ConnectionClosed, TimeoutError, ProtocolError) as exc:
            await ws.close()
            raise ConsultRefused("unreachable", f"signing in did not complete: {exc}") from None
        if isinstance(reply, ConsultError):
            await ws.close()
            raise ConsultRefused(reply.code.value, reply.message)
        if not isinstance(reply, Ready):
            await ws.close()
            raise ConsultRefused("bad_reply", f"unexpected reply {reply.TYPE!r}")
        self._ws, self.ready = ws, reply
        self._connected.set()
        logger.info("signed in to the consult service as device %s", self.device_id)
        return reply

    async def _run(self) -> None:
        attempt = 0
        while not self._closed:
            assert self._ws is not None
            pinger = asyncio.create_task(self._ping(self._ws))
            reason = "connection lost"
            try:
                async for data in self._ws:
                    attempt = 0
                    try:
                        self._received(parse_consult_server(data))
                    except ProtocolError as exc:
                        logger.warning("ignoring a malformed consult message: %s", exc.reason)
            except ConnectionClosed as exc:
                reason = exc.rcvd.reason if exc.rcvd else reason
            finally:
                pinger.cancel()
            code = self._ws.close_code
            self._connected.clear()
            self._fail_pending(ConsultRefused("offline", "the connection to the server dropped"))
            for call_id in sorted(self._ringing_out):
                self._emit(
                    CallFailed(
                        call_id,
                        CallFailure.INTERRUPTED,
                        "the connection to the server was lost while ringing: call again",
                    )
                )
            self._ringing_out.clear()
            final = code in (CLOSE_UNAUTHORIZED, CLOSE_REVOKED)
            self._emit(ConnectionLost(reason or "connection lost", final=final))
            if final or self._closed:
                return
            while not self._closed:
                await asyncio.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
                attempt += 1
                try:
                    ready = await self._connect()
                except ConsultRefused as exc:
                    if exc.code in ("unauthorized", "token_invalid", "unsupported_version"):
                        self._emit(ConnectionLost(exc.message, final=True))
                        return
                    continue
                self._emit(Reconnected(ready))
                break

    async def _ping(self, ws: ClientConnection) -> None:
        interval = self.ready.heartbeat_s if self.ready else 15.0
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(interval)
                await ws.send(encode(ConsultPing()))

    def _received(self, msg: ServerMessage) -> None:
        if isinstance(msg, ConsultError):
            for pending in self._pending:
                if not msg.re or msg.re == pending.sent:
                    self._pending.remove(pending)
                    if not pending.future.done():
                        pending.future.set_exception(ConsultRefused(msg.code.value, msg.message))
                    break
        else:
            for pending in self._pending:
                if pending.match(msg):
                    self._pending.remove(pending)
                    if not pending.future.done():
                        pending.future.set_result(msg)
                    break
        if isinstance(msg, CallFailed | CallReady):
            self._ringing_out.discard(msg.call_id)
        if isinstance(msg, OpinionArrived) and self.keep_opinion is not None:
            task = asyncio.ensure_future(self._keep(msg))
            self._keeping.add(task)
            task.add_done_callback(self._keeping.discard)
        elif not isinstance(msg, Ok):
            self._emit(msg)

    def _emit(self, event: Event) -> None:
        self.events.put_nowait(event)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                logger.exception("presence event handler failed")

    def _fail_pending(self, exc: ConsultRefused) -> None:
        for pending in self._pending:
            if not pending.future.done():
                pending.future.set_exception(exc)
                pending.future.exception()  # retrieved here; the asker re-raises it
        self._pending.clear()


def _ok(kind: str) -> Callable[[ServerMessage], bool]:
    return lambda m: isinstance(m, Ok) and m.re == kind
