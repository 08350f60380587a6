"""A real PostgreSQL (Debian package) in a temporary folder, on a free loopback port.

PostgreSQL refuses to run as root, so as root (CI) the cluster belongs to the
``postgres`` user and its programs run through ``runuser``; as anyone else they run
as that user. Trust authentication on loopback only: the cluster lives for one test
session and holds only test data.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(
            "PostgreSQL is not installed (./dev test installs it: apt-get install postgresql)"
        )
    return candidates[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="uc-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        self._proc: subprocess.Popen[bytes] | None = None

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self._as_root else list(args)

    @property
    def url(self) -> str:
        user = "postgres" if self._as_root else os.environ.get("USER", "postgres")
        return f"postgresql://{user}@127.0.0.1:{self.port}/postgres"

    def start(self) -> PostgresCluster:
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            self._cmd(
                _bin("initdb"),
                "-D",
                str(self.data),
                "--auth=trust",
                "-U",
                "postgres" if self._as_root else os.environ.get("USER", "postgres"),
                "--no-sync",
                "-E",
                "UTF8",
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        log = self.root / "postgres.log"
        subprocess.run(
            self._cmd(
                _bin("pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )
        return self

    def new_database(self, name: str) -> str:
        """A fresh, empty database; its URL."""
        subprocess.run(
            self._cmd(
                _bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.url.split("//")[1].split("@")[0],
                name,
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        subprocess.run(
            self._cmd(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)
