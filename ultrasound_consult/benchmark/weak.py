"""The weak-networks table: every named link profile, ours against stock aiortc, one run.

    ultrasound-consult bench --weak-networks --json [--plot-dir DIR]

Runs :func:`~ultrasound_consult.benchmark.runner.run_bench` once per profile (each is
itself our call and then stock aiortc's, in the same run) and prints one JSON object:
the full result per profile and a compact row per profile for README's table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ultrasound_consult.benchmark.machine import machine
from ultrasound_consult.benchmark.runner import BenchOptions, run_bench

#: (profile, measured seconds): the capacity steps need the longer window.
PROFILES: list[tuple[str, float]] = [
    ("none", 20.0),
    ("4g", 20.0),
    ("township", 20.0),
    ("township-bursty", 20.0),
    ("4g-step", 30.0),
    ("step-down", 20.0),
    ("step-up", 20.0),
]


def row(result: dict[str, Any]) -> dict[str, Any]:
    """The figures README's table shows for one variant."""

    def get(*path: str) -> Any:
        value: Any = result
        for p in path:
            value = value.get(p) if isinstance(value, dict) else None
        return value

    return {
        "latency_p50_ms": get("latency_ms", "p50"),
        "latency_p95_ms": get("latency_ms", "p95"),
        "fps_painted": result.get("fps_painted"),
        "ssim_p50": get("ssim", "p50"),
        "ssim_p5": get("ssim", "p5"),
        "bitrate_mbps": result.get("bitrate_mbps"),
        "keyframes_in_window": get("encoder", "keyframes_in_window"),
        "annotation_p95_ms": get("annotation_ms", "p95"),
        "capacity_steps": result.get("capacity_steps"),
        "rungs": rungs(result),
        "errors": result.get("errors"),
    }


def rungs(result: dict[str, Any]) -> dict[str, int]:
    """Seconds of the measured window spent at each rung of the ladder (lines @ fps cap)."""
    seen: dict[str, int] = {}
    for r in result.get("series") or []:
        if r.get("t", -1) < 0 or r.get("lines") is None:
            continue
        name = f"{r['lines']} lines @ {r.get('max_fps') or 'full'} fps"
        seen[name] = seen.get(name, 0) + 1
    return seen


def run_weak_networks(
    source: str,
    *,
    profiles: list[tuple[str, float]] | None = None,
    compare_stock: bool = True,
    on_result: Callable[[str, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    out: dict[str, Any] = {"benchmark": "weak-networks", "source": source, "profiles": {}}
    table = []
    for name, seconds in profiles or PROFILES:
        result = run_bench(
            BenchOptions(source=source, network=name, duration=seconds, compare_stock=compare_stock)
        )
        out["profiles"][name] = result
        table.append(
            {
                "profile": name,
                "network": result.get("network"),
                "ours": row(result),
                "stock": row(result["stock_aiortc"]) if "stock_aiortc" in result else None,
            }
        )
        if on_result is not None:
            on_result(name, result)
    out["table"] = table
    out["seconds"] = round(time.perf_counter() - started, 1)
    out["machine"] = machine()
    return out
