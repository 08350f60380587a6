"""The app bundle as a clinic gets it: built from packaging/ultrasound-consult.spec with
PyInstaller, then run through its own binary with no Python in its environment.

The build takes about half a minute here; it runs once per session (``bundle`` fixture)
and every test below uses the same folder.
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ultrasound_consult import APP_ID, __version__

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "packaging" / "ultrasound-consult.spec"
#: The issue's goal is 350 MB; today's bundle is 459 MB (438 MiB) (OpenCV and PyAV each carry
#: their own FFmpeg, OpenCV also OpenBLAS: docs in packaging/README.md). This guards
#: against growth: a new dependency or a trim undone fails here.
SIZE_BUDGET_MB = 480
#: Generous against a loaded CI machine; ultrasound_consult/benchmark/startup.py reports
#: the real figure, about 1 s cold here.
FIRST_SCREEN_LIMIT_S = 10.0


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    started = time.monotonic()
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(out / "dist"), "--workpath", str(out / "work"), str(SPEC)],
        capture_output=True, text=True, timeout=900, cwd=REPO,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    print(f"bundle built in {time.monotonic() - started:.1f} s")
    return out / "dist" / "ultrasound-consult"


def no_python_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a clinic PC has: a PATH without our venv, no PYTHON* variables, its own home."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    assert not any(k.startswith("PYTHON") for k in env)
    return env


def run(binary: Path, *args: str, env: dict[str, str], timeout: float = 60):
    return subprocess.run(
        [str(binary), *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def folder_mb(folder: Path) -> float:
    """Bytes on disk as a user counts them; PyInstaller's symlinks count once."""
    files = (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) / 1e6


@pytest.mark.slow
def test_bundle_states_its_version(bundle, tmp_path):
    done = run(bundle / "ultrasound-consult", "--version", env=no_python_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"ultrasound-consult {__version__}"


@pytest.mark.slow
def test_bundle_carries_what_it_needs_and_not_more(bundle):
    internal = bundle / "_internal"
    names = {p.relative_to(internal).as_posix() for p in internal.rglob("*")}
    assert "ultrasound_consult/ui/i18n/ultrasound_consult_zh_CN.qm" in names
    assert "ultrasound_consult/ui/icons/ultrasound-consult.png" in names
    assert "fonts/wqy-microhei.ttc" in names and "fonts/fonts-LICENSE.txt" in names
    assert "libportaudio.so.2" in names
    plugins = "PySide6/Qt/plugins/platforms/"
    assert {n for n in names if n.startswith(plugins)} == {
        plugins + "libqxcb.so",
        plugins + "libqoffscreen.so",
    }
    assert "libxcb-cursor.so.0" in names  # what the xcb platform needs on a bare desktop
    qt_words = {Path(n).name for n in names if n.startswith("PySide6/Qt/translations/")}
    assert qt_words == {"qtbase_zh_CN.qm"}
    # Trimmed: Qt Quick/QML, the GTK theme (cairo, pango), the test data.
    for absent in ("PySide6/QtQml.abi3.so", "libcairo.so.2", "PySide6/Qt/plugins/platformthemes",
                   "deid_data", "PySide6/Qt/lib/libQt6Svg.so.6"):  # fmt: skip
        assert absent not in names, absent
    size = folder_mb(bundle)
    print(f"bundle: {size:.0f} MB unpacked")
    assert size < SIZE_BUDGET_MB


@pytest.mark.slow
def test_bundle_first_screen_offscreen(bundle, tmp_path, artifacts):
    png = artifacts / "bundle_first_screen_zh_CN.png"
    png.unlink(missing_ok=True)
    env = no_python_env(tmp_path, QT_QPA_PLATFORM="offscreen")
    started = time.monotonic()
    done = run(
        bundle / "ultrasound-consult", "gui", "--first-screen", str(png), "--lang", "zh_CN",
        env=env,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["saved"] and report["size"][0] >= 600 and report["size"][1] >= 500
    assert png.stat().st_size > 20_000  # a real screen, not an empty image
    print(f"first screen after {elapsed:.2f} s")
    assert elapsed < FIRST_SCREEN_LIMIT_S


@pytest.mark.slow
def test_bundle_headless_call(bundle, tmp_path, signaling_server, room):
    """Station and expert both from the bundle against a local server for 5 s; the
    station's invite is minted by the bundle's own server module (as the demo does)."""
    binary = bundle / "ultrasound-consult"
    env = no_python_env(tmp_path)
    minted = run(
        binary, "-m", "signaling_server", "invite", "--room", room, "--role", "station",
        "--secret-file", str(signaling_server.secret_file), "--json", env=env,
    )  # fmt: skip
    assert minted.returncode == 0, minted.stderr
    station_code = json.loads(minted.stdout)["code"]
    expert_code = signaling_server.invite(room, "expert")
    common = ["--server", signaling_server.url, "--headless"]
    station = subprocess.Popen(
        [str(binary), "station", *common, "--invite", station_code, "--duration", "7",
         "--source", "synthetic:640x480@30", "--audio", "tone:440"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    expert = run(
        binary, "expert", *common, "--invite", expert_code, "--duration", "5",
        "--auto-annotate", "0.5", env=env, timeout=90,
    )  # fmt: skip
    st_out, st_err = station.communicate(timeout=90)
    assert expert.returncode == 0 and station.returncode == 0, (expert.stderr, st_err)
    ex = json.loads(expert.stdout.strip().splitlines()[-1])
    st = json.loads(st_out.strip().splitlines()[-1])
    assert ex["state"] == "connected" and st["role"] == "station"
    assert ex["video"]["resolution"] == "640x480" and ex["video"]["frames_received"] > 30
    assert ex["annotations"]["sent"] >= 3
    assert ex["annotations"]["acknowledged"] == ex["annotations"]["sent"]


@pytest.mark.slow
def test_desktop_entry_installs_for_the_user(bundle, tmp_path):
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(bundle / "ultrasound-consult.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Icon"] == APP_ID
    assert desktop["Name[zh_CN]"] and desktop["Categories"].endswith(";")
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share")}
    done = subprocess.run(
        [str(bundle / "install-desktop-entry.sh")], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    installed = tmp_path / "share" / "applications" / f"{APP_ID}.desktop"
    assert f'Exec="{bundle}/ultrasound-consult"' in installed.read_text()
    checked = subprocess.run(
        ["desktop-file-validate", str(installed)], capture_output=True, text=True
    )
    assert checked.returncode == 0 and checked.stdout == "", checked.stdout
    assert (tmp_path / "share/icons/hicolor/256x256/apps" / f"{APP_ID}.png").stat().st_size > 1000
    subprocess.run([str(bundle / "install-desktop-entry.sh"), "--uninstall"], check=True, env=env)
    assert not installed.exists()
