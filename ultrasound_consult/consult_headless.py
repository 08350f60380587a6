"""Headless modes of an enrolled device, for automation, tests and benchmarks.

``ultrasound-consult expert --credential FILE --on-duty --auto-accept --headless``
signs in, goes on duty, answers the first ring and runs the call;
``ultrasound-consult station --credential FILE --call specialty:msk --headless`` calls
and runs the call once someone answers. Either prints the usual JSON summary of the
call plus ``consult``: the call's id and setup times, as Unix times and seconds from
the first step (ring sent or received, accepted, connected, first frame).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from ultrasound_consult.headless import (
    EXIT_BAD_INPUT,
    EXIT_CALL_FAILED,
    ProgressLog,
    run_headless,
)
from ultrasound_consult.protocol.consult import CallFailed, CallReady, Duty, Ring, Ringing
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.call import CallConfig
from ultrasound_consult.session.observer import CallState
from ultrasound_consult.session.presence import (
    ConnectionLost,
    ConsultRefused,
    DeviceCredential,
    PresenceClient,
)

#: How long to wait for a ring (expert) or an answer (station) by default.
DEFAULT_WAIT_S = 600.0


class TimedLog(ProgressLog):
    """The progress log, also noting when the call connected and the first frame came."""

    def __init__(self) -> None:
        super().__init__()
        self.connected_at: float | None = None
        self.first_frame_at: float | None = None

    def on_state(self, state: CallState, detail: str) -> None:
        if state is CallState.CONNECTED and self.connected_at is None:
            self.connected_at = time.time()
        super().on_state(state, detail)

    def on_remote_frame(self, frame: Any) -> None:
        if self.first_frame_at is None:
            self.first_frame_at = time.time()
        super().on_remote_frame(frame)


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


async def _answered(client: PresenceClient, call_id: str, wait_s: float) -> CallReady | str:
    """The station's wait: ``call_ready``, or why not."""
    async with asyncio.timeout(wait_s):
        while True:
            event = await client.events.get()
            if isinstance(event, CallReady) and event.call_id == call_id:
                return event
            if isinstance(event, CallFailed) and event.call_id == call_id:
                return f"{event.reason.value}: {event.message}"
            if isinstance(event, ConnectionLost) and event.final:
                return f"signed out: {event.reason}"


async def _rang(client: PresenceClient, wait_s: float) -> CallReady | str:
    """The expert's wait: answer the first ring; ``call_ready`` or why not."""
    async with asyncio.timeout(wait_s):
        while True:
            event = await client.events.get()
            if isinstance(event, Ring):
                _say(f"ringing: {event.caller.name} ({event.target}); accepting")
                await client.accept(event.call_id)
            elif isinstance(event, CallReady):
                return event
            elif isinstance(event, ConnectionLost) and event.final:
                return f"signed out: {event.reason}"


async def run_consult_headless(
    credential: DeviceCredential,
    role: Role,
    *,
    call_target: str | None = None,
    on_duty: bool = False,
    auto_accept: bool = False,
    wait_s: float = DEFAULT_WAIT_S,
    duration: float | None = None,
    **call_kwargs: Any,
) -> tuple[dict[str, Any], int]:
    client = PresenceClient(credential)
    setup: dict[str, Any] = {}
    try:
        ready = await client.start()
    except ConsultRefused as exc:
        return {"role": role.value, "errors": [f"{exc.code}: {exc.message}"]}, EXIT_CALL_FAILED
    _say(f"signed in as {ready.device.name} ({ready.device.kind.value})")
    try:
        if on_duty:
            await client.set_duty(Duty.ON)
            _say("on duty")
        if call_target is not None:
            t0 = time.time()
            placed = await client.call(call_target)
            if isinstance(placed, CallFailed):
                return {
                    "role": role.value,
                    "consult": {"call_id": placed.call_id, "failed": placed.reason.value},
                    "errors": [placed.message],
                }, EXIT_CALL_FAILED
            assert isinstance(placed, Ringing)
            setup.update(
                call_id=placed.call_id, started=t0, ring_sent=time.time(), rung=placed.rung
            )
            _say(f"ringing {placed.rung} device(s)")
            outcome = await _answered(client, placed.call_id, wait_s)
        elif auto_accept:
            outcome = await _rang(client, wait_s)
            if isinstance(outcome, CallReady):
                setup.update(call_id=outcome.call_id)
        else:
            return {"role": role.value, "errors": ["give --call or --auto-accept"]}, EXIT_BAD_INPUT
    except TimeoutError:
        outcome = "nothing happened in time (--wait)"
    except ConsultRefused as exc:
        outcome = f"{exc.code}: {exc.message}"
    if not isinstance(outcome, CallReady):
        await client.close()
        return {"role": role.value, "consult": setup, "errors": [outcome]}, EXIT_CALL_FAILED
    setup["accepted"] = time.time()
    _say(f"call with {outcome.peer.name}: joining room {outcome.room}")
    config = CallConfig.from_invite(credential.server, outcome.token, credential.name)
    log = TimedLog()
    summary, code = await run_headless(config, duration=duration, log=log, **call_kwargs)
    with contextlib.suppress(ConsultRefused):
        await client.hang_up(outcome.call_id, recorded=call_kwargs.get("record") is not None)
    await client.close()
    setup["connected"] = log.connected_at
    setup["first_frame"] = log.first_frame_at
    base = setup.get("started") or setup["accepted"]
    setup["seconds"] = {
        k: round(setup[k] - base, 3)
        for k in ("ring_sent", "accepted", "connected", "first_frame")
        if setup.get(k) is not None
    }
    if log.first_frame_at is not None:
        setup["accept_to_first_frame_s"] = round(log.first_frame_at - setup["accepted"], 3)
    summary["consult"] = setup
    return summary, code


def run_consult_headless_main(credential_file: Path | None, role: Role, **kwargs: Any) -> int:
    try:
        credential = DeviceCredential.load(credential_file)
    except ConsultRefused as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    summary, code = asyncio.run(run_consult_headless(credential, role, **kwargs))
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return code
