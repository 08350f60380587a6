"""Start a real signalling server process on this machine (demo and tests).

Runs ``python -m signaling_server --port 0`` and reads the URL it prints first, so
the demo and the tests exercise exactly what a clinic deploys.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

STARTUP_TIMEOUT_S = 15.0


class LocalSignalingServer:
    def __init__(
        self, *, host: str = "127.0.0.1", log_level: str = "WARNING", log_file: Path | None = None
    ) -> None:
        self.host = host
        self.log_level = log_level
        self.log_file = log_file
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> LocalSignalingServer:
        stderr = open(self.log_file, "a") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "signaling_server",
                "--host",
                self.host,
                "--port",
                "0",
                "--log-level",
                self.log_level,
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        line: list[str] = []
        reader = threading.Thread(
            target=lambda: line.append(self.process.stdout.readline()), daemon=True
        )  # type: ignore[union-attr]
        reader.start()
        reader.join(STARTUP_TIMEOUT_S)
        if not line or not line[0].startswith("ws"):
            self.stop()
            raise RuntimeError(
                "the local signalling server did not start"
                + (f"; see {self.log_file}" if self.log_file else "")
            )
        self.url = line[0].strip()
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None

    def __enter__(self) -> LocalSignalingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
