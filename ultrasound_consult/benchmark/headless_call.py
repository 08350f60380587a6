"""A real call between two headless processes, as in the issue's acceptance check.

    python -m ultrasound_consult.benchmark.headless_call --seconds 30 --source synthetic:1024x768@30

Starts a signalling server process, a headless station and a headless expert that
draws a mark every second, waits for both to finish, and prints one JSON object
with both summaries, CPU time per process, and the machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from signaling_server.process import SignalingServerProcess
from ultrasound_consult.benchmark.machine import machine


def run(seconds: float, source: str, annotate_every: float) -> dict:
    with SignalingServerProcess() as server:
        common = ["--server", server.url, "--headless"]
        cli = [sys.executable, "-m", "ultrasound_consult"]
        station = subprocess.Popen(
            [
                *cli,
                "station",
                *common,
                "--invite",
                server.invite("bench", "station"),
                "--name",
                "Station",
                "--source",
                source,
                "--duration",
                str(seconds + 4),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        expert = subprocess.Popen(
            [
                *cli,
                "expert",
                *common,
                "--invite",
                server.invite("bench", "expert"),
                "--name",
                "Expert",
                "--duration",
                str(seconds),
                "--auto-annotate",
                str(annotate_every),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        started = time.perf_counter()
        results, cpu = {}, {}
        for name, proc in (("expert", expert), ("station", station)):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            out, _ = proc.communicate(timeout=seconds + 120)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            results[name] = json.loads(out.strip().splitlines()[-1])
            cpu[name] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        wall = time.perf_counter() - started
    return {
        "benchmark": "headless_call",
        "seconds": seconds,
        "source": source,
        "wall_s": round(wall, 1),
        # CPU of each whole process (start-up and import included), as % of one core.
        "cpu_percent_of_one_core": {
            k: round(100 * v / results[k]["duration_s"], 1) for k, v in cpu.items()
        },
        "expert": results["expert"],
        "station": results["station"],
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--source", default="synthetic:1024x768@30")
    parser.add_argument("--annotate-every", type=float, default=1.0)
    args = parser.parse_args()
    print(json.dumps(run(args.seconds, args.source, args.annotate_every)))


if __name__ == "__main__":
    main()
