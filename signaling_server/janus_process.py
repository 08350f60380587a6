"""A real Janus (the Debian package's ``janus``) on loopback, configured from deploy/janus/.

The lecture benchmark (``bench --lecture``) and the tests (tests/support/janus.py's
fixture) both start it from here.

The shipped config files are the template: only the secret, the folders, the WebSocket
port and the RTP port range change, so the tests and the benchmark exercise what a
clinic deploys. The plugin and transport folders hold links to VideoRoom and the
WebSocket transport only, which is what makes Janus start in a fraction of a second.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from websockets.sync.client import connect
from websockets.typing import Subprotocol

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy" / "janus"
JANUS_LIB = Path("/usr/lib/x86_64-linux-gnu/janus")
STARTUP_TIMEOUT_S = 10.0
#: What Janus prints (log level 4 and up) once its WebSocket port is bound.
READY_LINE = b"WebSockets thread started"


class JanusMissing(RuntimeError):
    """The janus binary is not installed (``./dev test`` installs it)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _set(text: str, key: str, value: str) -> str:
    """Set ``key = value`` on every (uncommented) line that assigns ``key``."""
    pattern = re.compile(rf"^(\s*){re.escape(key)}\s*=.*$", re.MULTILINE)
    if not pattern.search(text):
        raise KeyError(f"{key} is not set in the template")
    return pattern.sub(lambda m: f"{m[1]}{key} = {value}", text)


class JanusProcess:
    """Janus on 127.0.0.1 with a generated config; ``url`` is its Janus API WebSocket."""

    def __init__(
        self,
        *,
        secret: str | None = None,
        package_folders: bool = False,
        session_timeout: int | None = None,
    ) -> None:
        """``package_folders``: load from the package's plugin folders as deployed (the
        config's ``disable`` lists then decide), instead of links to the two we use.
        ``session_timeout``: seconds before Janus drops a silent session (config: 60)."""
        if shutil.which("janus") is None:
            raise JanusMissing("janus is not installed: apt-get install janus (./dev test does)")
        self.secret = secret or secrets.token_hex(24)
        self.dir = Path(tempfile.mkdtemp(prefix="uc-janus-"))
        self.log_file = self.dir / "janus.log"
        self.port = _free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        # A range of its own, so that Janus processes of parallel runs don't collide.
        low = random.randrange(30000, 59000, 100)
        self.rtp_port_range = (low, low + 99)
        self.package_folders = package_folders
        self.session_timeout = session_timeout
        self.process: subprocess.Popen[bytes] | None = None
        #: Seconds from spawn to the first answered ``info`` request, per start.
        self.start_times: list[float] = []
        self._write_config()

    def _write_config(self) -> None:
        for kind, keep in (
            ("plugins", "libjanus_videoroom.so"),
            ("transports", "libjanus_websockets.so"),
        ):
            folder = self.dir / kind
            folder.mkdir()
            (folder / keep).symlink_to(JANUS_LIB / kind / keep)
        quoted = f'"{self.secret}"'
        core = (DEPLOY / "janus.jcfg").read_text()
        core = core.replace('"CHANGE-ME"', quoted)
        core = _set(core, "configs_folder", f'"{self.dir}"')
        if not self.package_folders:
            core = _set(core, "plugins_folder", f'"{self.dir / "plugins"}"')
            core = _set(core, "transports_folder", f'"{self.dir / "transports"}"')
        if self.session_timeout is not None:
            core = _set(core, "session_timeout", str(self.session_timeout))
        low, high = self.rtp_port_range
        core = _set(core, "rtp_port_range", f'"{low}-{high}"')
        (self.dir / "janus.jcfg").write_text(core)
        ws = (DEPLOY / "janus.transport.websockets.jcfg").read_text()
        ws = _set(ws, "ws_port", str(self.port))
        (self.dir / "janus.transport.websockets.jcfg").write_text(ws)
        room = (DEPLOY / "janus.plugin.videoroom.jcfg").read_text().replace('"CHANGE-ME"', quoted)
        (self.dir / "janus.plugin.videoroom.jcfg").write_text(room)
        assert '"CHANGE-ME"' not in core + room

    def start(self) -> JanusProcess:
        started = time.monotonic()
        self.process = subprocess.Popen(
            ["janus", "-F", str(self.dir), "-C", str(self.dir / "janus.jcfg"), "-o"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        listening = threading.Event()
        threading.Thread(target=self._copy_log, args=(self.process, listening), daemon=True).start()
        try:
            if not listening.wait(STARTUP_TIMEOUT_S):
                raise RuntimeError(
                    f"janus did not open its WebSocket within {STARTUP_TIMEOUT_S} s; {self.tail()}"
                )
            self._check_answers()
        except Exception:
            self.stop()
            raise
        self.start_times.append(time.monotonic() - started)
        return self

    def _copy_log(self, process: subprocess.Popen[bytes], listening: threading.Event) -> None:
        """Copy Janus's output to the log file and say when the WebSocket listens.

        Janus prints the line once libwebsockets has bound the port, so waiting on it
        waits on the event itself; when Janus exits, the pipe ends and so does this.
        """
        assert process.stdout is not None
        with process.stdout, open(self.log_file, "ab") as log:
            for line in process.stdout:
                log.write(line)
                log.flush()
                if READY_LINE in line:
                    listening.set()
        listening.set()  # exited: start() finds out from the info request

    def _check_answers(self) -> None:
        """One ``info`` round trip: the transport passes requests to the core."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"janus exited with {self.process.returncode}; {self.tail()}")
        with connect(self.url, subprotocols=[Subprotocol("janus-protocol")], open_timeout=5) as ws:
            ws.send(json.dumps({"janus": "info", "transaction": "ready"}))
            reply = json.loads(ws.recv(timeout=5))
        if reply.get("janus") != "server_info":
            raise RuntimeError(f"janus answered info with {reply}")

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
        self.process = None

    def kill(self) -> None:
        """Stop abruptly, as a crash would: every session, room and PeerConnection is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(5)
            self.process = None

    def restart(self) -> None:
        """Kill and start again on the same port and config (an IT person's ``restart``)."""
        self.kill()
        self.start()

    def tail(self, lines: int = 20) -> str:
        try:
            return "log: " + " | ".join(self.log_file.read_text().splitlines()[-lines:])
        except OSError:
            return "no log"

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> JanusProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
