"""Helpers for consult-service tests: a real server process, devices enrolled in its
real database, and signed-in presence clients."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from signaling_server.enrollment import DeviceKind
from signaling_server.process import SignalingServerProcess
from signaling_server.store import ConsultStore
from ultrasound_consult.protocol.consult import CallReady, Duty
from ultrasound_consult.session.presence import (
    DeviceCredential,
    Event,
    PresenceClient,
    redeem,
)


def free_port() -> int:
    """A loopback port free now (a server restarted on it keeps its URL)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ConsultServer:
    """A signalling server process and its consult database (SQLite unless given)."""

    def __init__(
        self,
        *,
        ring_timeout: str = "3s",
        database: str | None = None,
        extra_args: list[str] | None = None,
        secret_file: Path | None = None,
        port: int = 0,
        log_file: Path | None = None,
    ) -> None:
        args = ["--ring-timeout", ring_timeout, *(extra_args or [])]
        if database:
            args += ["--database", database]
        self.process = SignalingServerProcess(
            port=port,
            extra_args=args,
            secret_file=secret_file,
            log_level="INFO",
            log_file=log_file,
        )
        self._database = database

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def database(self) -> str:
        return self._database or str(self.process.secret_file.parent / "consult.db")

    def start(self) -> ConsultServer:
        self.process.start()
        return self

    def stop(self) -> None:
        self.process.stop()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "signaling_server", *args, "--database", self.database],
            capture_output=True,
            text=True,
            timeout=60,
        )

    def enroll_code(
        self, kind: DeviceKind, name: str, *, site: str = "", specialty: str = ""
    ) -> str:
        store = ConsultStore(self.database)
        try:
            specialties = [s for s in specialty.split(",") if s]
            return store.enroll(kind, name, site=site, specialties=specialties, ttl_s=600).code
        finally:
            store.close()

    async def device(
        self,
        kind: DeviceKind,
        name: str,
        *,
        site: str = "",
        specialty: str = "",
        server_url: str | None = None,
    ) -> DeviceCredential:
        code = self.enroll_code(kind, name, site=site, specialty=specialty)
        credential = await redeem(self.url, code)
        if server_url:
            credential = DeviceCredential(
                server_url,
                credential.device_id,
                credential.kind,
                credential.name,
                credential.credential,
            )
        return credential


@contextlib.asynccontextmanager
async def signed_in(
    credential: DeviceCredential, duty: Duty | None = None, **kwargs: Any
) -> AsyncIterator[PresenceClient]:
    client = PresenceClient(credential, **kwargs)
    await client.start()
    if duty is not None:
        await client.set_duty(duty)
    try:
        yield client
    finally:
        await client.close()


def of_type(kind: type, **fields: Any) -> Callable[[Event], bool]:
    def match(event: Event) -> bool:
        return isinstance(event, kind) and all(getattr(event, k) == v for k, v in fields.items())

    return match


async def call_ready(client: PresenceClient, call_id: str) -> CallReady:
    event = await client.next_event(of_type(CallReady, call_id=call_id), timeout=10)
    assert isinstance(event, CallReady)
    return event


def drain(client: PresenceClient) -> list[Event]:
    out = []
    while not client.events.empty():
        out.append(client.events.get_nowait())
    return out


def json_lines(text: str) -> Any:
    return json.loads(text)
