"""The server as an IT person installs it: its own wheel (packaging/server) in a fresh venv
holding nothing else, started from its console script, and a real call through it (the
apps from this checkout's environment)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ultrasound_consult import __version__

REPO = Path(__file__).resolve().parents[1]
SERVER_PACKAGING = REPO / "packaging" / "server"
#: The issue's figure for ``pip install`` of the wheel into a fresh venv.
INSTALL_GOAL_S = 30.0
#: What only the app needs: none of it may reach a server.
APP_ONLY = {"pyside6", "pyside6-essentials", "shiboken6", "aiortc", "av", "opencv-python-headless",
            "numpy", "pyqtgraph", "pydicom", "pillow", "sounddevice"}  # fmt: skip


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def clean_env(**extra: str) -> dict[str, str]:
    """No PYTHONPATH: the venv must run from what the wheel installed, not this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def server_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("server-wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
         str(SERVER_PACKAGING)],
        check=True, capture_output=True, timeout=300, env=clean_env(),
    )  # fmt: skip
    (wheel,) = out.glob("ultrasound_consult_server-*.whl")
    venv = out / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=clean_env()
    )
    started = time.monotonic()
    subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True, capture_output=True, timeout=300, env=clean_env(),
    )  # fmt: skip
    took = time.monotonic() - started
    print(f"server wheel {wheel.name}: installed into a fresh venv in {took:.1f} s")
    assert took < INSTALL_GOAL_S
    return venv


@pytest.fixture
def wheel_server(server_venv: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The installed ``ultrasound-consult-server`` on port 0, as under systemd; yields its
    URL and secret."""
    secret = tmp_path / "state" / "signaling.secret"
    config = tmp_path / "server.toml"
    config.write_text('host = "127.0.0.1"\nport = 0\nlog_level = "INFO"\n')
    proc = subprocess.Popen(
        [str(server_venv / "bin/ultrasound-consult-server"), "--config", str(config),
         "--secret-file", str(secret)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=clean_env(JOURNAL_STREAM="8:12345"),  # as systemd sets it for a service
    )  # fmt: skip
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(20)
    try:
        assert first and first[0].startswith("ws://"), first or proc.stderr.read()
        yield first[0].strip(), secret
    finally:
        proc.terminate()
        proc.wait(10)
        err = proc.stderr.read()
        # Its log, on stderr, with the level as the journal reads it (journalctl -p).
        assert "<6>INFO signaling_server: listening on" in err, err


def test_wheel_holds_the_server_and_the_protocol_only(server_venv):
    site = next((server_venv / "lib").glob("python3*/site-packages"))
    ours = sorted(
        p.relative_to(site).as_posix() for p in (site / "ultrasound_consult").rglob("*.py")
    )
    assert "ultrasound_consult/__init__.py" in ours
    assert all(p == "ultrasound_consult/__init__.py" or p.startswith("ultrasound_consult/protocol/")
               for p in ours), ours  # fmt: skip
    installed = subprocess.run(
        [str(server_venv / "bin/python"), "-m", "pip", "list", "--format", "json"],
        capture_output=True, text=True, check=True, env=clean_env(),
    )  # fmt: skip
    names = {canonical(p["name"]) for p in json.loads(installed.stdout)}
    declared = tomllib.loads((SERVER_PACKAGING / "pyproject.toml").read_text())
    wanted = {
        canonical(re.match(r"[A-Za-z0-9_.-]+", d)[0]) for d in declared["project"]["dependencies"]
    }
    assert "ultrasound-consult-server" in names and wanted <= names
    assert names & APP_ONLY == set(), "the server's venv holds the app's libraries"
    for heavy in ("PySide6", "aiortc", "cv2", "av", "numpy"):
        probe = subprocess.run(
            [str(server_venv / "bin/python"), "-c", f"import {heavy}"],
            capture_output=True, env=clean_env(),
        )  # fmt: skip
        assert probe.returncode != 0, f"{heavy} importable in the server's venv"


def test_wheel_matches_the_repository_sources(tmp_path):
    """One copy of the protocol: the wheel's modules are the repository's, byte for byte,
    and a module added to signaling_server/ or protocol/ ships without editing anything."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path),
         str(SERVER_PACKAGING)],
        check=True, capture_output=True, timeout=300, env=clean_env(),
    )  # fmt: skip
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        shipped = {n for n in z.namelist() if n.endswith(".py")}
        for name in shipped:
            assert z.read(name) == (REPO / name).read_bytes(), name
    # Subpackages too: a new one must be listed in packaging/server/pyproject.toml.
    expected = {
        p.relative_to(REPO).as_posix()
        for folder in ("signaling_server", "ultrasound_consult/protocol")
        for p in (REPO / folder).rglob("*.py")
        if "__pycache__" not in p.parts
    }
    expected.add("ultrasound_consult/__init__.py")
    assert shipped == expected


@pytest.mark.slow
def test_call_through_the_installed_server(server_venv, wheel_server, tmp_path):
    url, secret = wheel_server
    script = str(server_venv / "bin/ultrasound-consult-server")

    def invite(role: str) -> str:
        out = subprocess.run(
            [script, "invite", "--room", "wheel-1", "--role", role, "--secret-file", str(secret),
             "--json"],
            capture_output=True, text=True, check=True, env=clean_env(),
        )  # fmt: skip
        return json.loads(out.stdout)["code"]

    cli = [sys.executable, "-m", "ultrasound_consult"]
    station = subprocess.Popen(
        [*cli, "station", "--server", url, "--invite", invite("station"), "--headless",
         "--duration", "7", "--source", "synthetic:640x480@30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    expert = subprocess.run(
        [*cli, "expert", "--server", url, "--invite", invite("expert"), "--headless",
         "--duration", "5", "--auto-annotate", "0.5"],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    _, st_err = station.communicate(timeout=90)
    assert expert.returncode == 0 and station.returncode == 0, (expert.stderr, st_err)
    ex = json.loads(expert.stdout.strip().splitlines()[-1])
    assert ex["state"] == "connected" and ex["video"]["frames_received"] > 30
    assert ex["annotations"]["acknowledged"] == ex["annotations"]["sent"] >= 3


def test_installed_server_states_its_version(server_venv):
    done = subprocess.run(
        [str(server_venv / "bin/ultrasound-consult-server"), "--version"],
        capture_output=True, text=True, env=clean_env(),
    )  # fmt: skip
    assert (
        done.returncode == 0 and done.stdout.strip() == f"ultrasound-consult-server {__version__}"
    )


def test_check_config_of_the_example_and_of_mistakes(server_venv, tmp_path):
    script = str(server_venv / "bin/ultrasound-consult-server")
    env = clean_env(ULTRASOUND_CONSULT_SECRET_FILE=str(tmp_path / "state" / "secret"))
    ok = subprocess.run(
        [script, "check-config", "--config", str(SERVER_PACKAGING / "server.toml")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "listen on 0.0.0.0:8765" in ok.stdout and "configuration OK" in ok.stdout
    for text, said in [
        ('port = "8765"\n', "port must be a whole number"),
        ("prot = 8765\n", "unknown settings ['prot']"),
        ('redis = "redis://127.0.0.1:6379/0"\n', "ultrasound-consult-server[redis]"),
        ('tls_cert = "/nonexistent.pem"\ntls_key = "/nonexistent.key"\n', "cannot use the TLS"),
        ('metrics = "token"\n', "--metrics token needs --metrics-token-file"),
    ]:
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        done = subprocess.run(
            [script, "check-config", "--config", str(bad)], capture_output=True, text=True, env=env
        )
        assert done.returncode == 2 and said in done.stderr, (text, done.stderr)


def test_systemd_unit_verifies(server_venv, tmp_path):
    unit = (SERVER_PACKAGING / "ultrasound-consult-server.service").read_text()
    assert "DynamicUser=yes" in unit and "ProtectSystem=strict" in unit
    assert "NoNewPrivileges=yes" in unit and "StateDirectory=" in unit
    here = tmp_path / "ultrasound-consult-server.service"
    here.write_text(unit.replace("/opt/ultrasound-consult-server", str(server_venv)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(here)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr
