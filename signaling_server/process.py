"""Run a real signalling server process on this machine (the demo, tests, benchmarks).

Runs ``python -m signaling_server --port 0`` with a secret of its own and reads the
URL it prints first, so the demo and the tests exercise exactly what a clinic
deploys; invites are minted with the server's own ``invite`` command.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

STARTUP_TIMEOUT_S = 15.0


class SignalingServerProcess:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "WARNING",
        log_file: Path | None = None,
        secret_file: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.host, self.port = host, port
        self.log_level = log_level
        self.log_file = log_file
        self.extra_args = list(extra_args)
        self._tmp: str | None = None
        if secret_file is None:
            self._tmp = tempfile.mkdtemp(prefix="uc-signaling-")
            secret_file = Path(self._tmp) / "signaling.secret"
            secret_file.write_text(secrets.token_hex(32) + "\n")
            secret_file.chmod(0o600)
        self.secret_file = secret_file
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> SignalingServerProcess:
        stderr = open(self.log_file, "a") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "signaling_server",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--secret-file",
                str(self.secret_file),
                "--log-level",
                self.log_level,
                *self.extra_args,
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        line: list[str] = []
        stdout = self.process.stdout
        assert stdout is not None  # stdout=PIPE
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(STARTUP_TIMEOUT_S)
        if not line or not line[0].startswith("ws"):
            self.stop()
            raise RuntimeError(
                "the local signalling server did not start"
                + (f"; see {self.log_file}" if self.log_file else "")
            )
        self.url = line[0].strip()
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))
        return self

    def invite(self, room: str, role: str, ttl: str = "12h") -> str:
        """An invite code for ``role`` in ``room``, from ``python -m signaling_server invite``."""
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "signaling_server",
                "invite",
                "--room",
                room,
                "--role",
                role,
                "--ttl",
                ttl,
                "--secret-file",
                str(self.secret_file),
                "--json",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return str(json.loads(out.stdout)["code"])

    def kill(self) -> None:
        """Stop abruptly (SIGKILL), as a crash or a pulled plug would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(5)
            self._close_pipes()

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(5)
            self._close_pipes()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _close_pipes(self) -> None:
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        self.process = None

    def __enter__(self) -> SignalingServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
