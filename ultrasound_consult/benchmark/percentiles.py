"""Distribution figures for the benchmarks: nearest-rank percentiles and their summary."""

from __future__ import annotations

import math


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q / 100 * len(ordered)))) - 1]


def summary(values: list[float], *qs: float, digits: int = 1) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for q in qs:
        v = percentile(values, q)
        key = "max" if q == 100 else f"p{q:g}"
        out[key] = None if v is None else round(v, digits)
    return out
