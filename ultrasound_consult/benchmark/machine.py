"""What machine a benchmark ran on, for the README's tables (every benchmark's "machine")."""

from __future__ import annotations

import contextlib
import os
import platform
from importlib import metadata

#: The libraries whose version moves the figures.
PACKAGES = ("aiortc", "av", "PySide6-Essentials", "websockets", "numpy", "opencv-python-headless")


def machine() -> dict[str, object]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for package in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "packages": versions,
    }
