"""What a running signalling server says about itself: gauges read from its ``/metrics``.

The server's loopback-only ``/metrics`` (Prometheus text) is the benchmarks' window into
its memory and connection count; the load and hostile benchmarks both read it here.
"""

from __future__ import annotations

import urllib.request


def gauge(url: str, name: str) -> float | None:
    """The value of the unlabelled sample ``name``, or None when the server does not say."""
    try:
        with urllib.request.urlopen(
            url.replace("ws", "http", 1).rstrip("/") + "/metrics", timeout=10
        ) as resp:
            for line in resp.read().decode().splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == name:
                    return float(parts[1])
    except OSError:
        return None
    return None


def server_rss_mb(url: str) -> float | None:
    rss = gauge(url, "uc_signaling_resident_memory_bytes")
    return None if rss is None else round(rss / 1e6, 1)


def server_connections(url: str) -> float | None:
    return gauge(url, "uc_signaling_connections")
