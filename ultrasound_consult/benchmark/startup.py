"""Time from starting the app to its first screen, packaged or from source.

    python -m ultrasound_consult.benchmark.startup --bundle dist/ultrasound-consult [--runs 5]

Each run starts ``ultrasound-consult gui --first-screen PNG`` offscreen with a fresh
home folder and times it from spawn to the JSON line the app prints once the first
screen is drawn. "cold" runs first drop the bundle's files (only those: other programs
keep theirs) from the page cache with ``posix_fadvise(DONTNEED)``, as after a reboot;
"warm" runs follow at once. ``--source`` also times ``python -m ultrasound_consult``
from this checkout for comparison. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ultrasound_consult.benchmark.runner import machine


def evict(folder: Path) -> int:
    """Drop ``folder``'s files from the page cache; returns how many were dropped."""
    count = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)  # dirty pages would stay cached
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                count += 1
            finally:
                os.close(fd)
    return count


def first_screen_s(command: list[str], env_extra: dict[str, str] | None = None) -> float:
    with tempfile.TemporaryDirectory(prefix="uc-startup-") as home:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/config",
            "XDG_STATE_HOME": f"{home}/state",
            "QT_QPA_PLATFORM": "offscreen",
            "LANG": "C.UTF-8",
            **(env_extra or {}),
        }
        png = Path(home) / "first.png"
        started = time.monotonic()
        proc = subprocess.Popen(
            [*command, "gui", "--first-screen", str(png)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        line = proc.stdout.readline()  # type: ignore[union-attr]
        elapsed = time.monotonic() - started
        proc.wait(60)
        if not line.startswith("{") or not json.loads(line)["saved"]:
            raise RuntimeError(f"no first screen from {command}: {line!r}")
        return elapsed


def summary(values: list[float]) -> dict[str, object]:
    return {
        "median_s": round(statistics.median(values), 3),
        "max_s": round(max(values), 3),
        "runs": [round(v, 3) for v in values],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True, help="the unpacked bundle folder")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--source", action="store_true", help="also time the source checkout")
    args = parser.parse_args()
    binary = [str(args.bundle / "ultrasound-consult")]
    cold, warm = [], []
    for _ in range(args.runs):
        evict(args.bundle)
        cold.append(first_screen_s(binary))
        warm.append(first_screen_s(binary))
    size = sum(
        p.stat().st_size for p in args.bundle.rglob("*") if p.is_file() and not p.is_symlink()
    )
    result: dict[str, object] = {
        "bundle": str(args.bundle),
        "bundle_mb": round(size / 1e6, 1),
        "bundle_mib": round(size / 2**20, 1),
        "files": sum(1 for _ in args.bundle.rglob("*")),
        "first_screen_cold": summary(cold),
        "first_screen_warm": summary(warm),
    }
    if args.source:
        repo = Path(__file__).resolve().parents[2]
        env = {"PYTHONPATH": str(repo)}
        result["first_screen_from_source_warm"] = summary(
            [
                first_screen_s([sys.executable, "-m", "ultrasound_consult"], env)
                for _ in range(args.runs)
            ]
        )
    result["machine"] = machine()
    result["load_average"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
