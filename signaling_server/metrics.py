"""``/metrics`` in the Prometheus text exposition format (version 0.0.4).

A handful of counters and gauges: written out by hand rather than pulling
prometheus_client (and its process-global registry) onto a bare server host.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServerGauges:
    """What ``/metrics`` shows, read from the server at the moment of the request.

    A plain snapshot, so this module needs nothing of the server (no import cycle) and
    a test can render any state.
    """

    connections: int
    peers: int
    rooms: int
    started_at: float
    #: Running totals by name: "messages", "joins", "relayed".
    counters: Mapping[str, int] = field(default_factory=dict)
    #: Refusals by reason.
    rejects: Mapping[str, int] = field(default_factory=dict)


def _rss_bytes() -> int:
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: peak RSS is the best we have
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def render_metrics(gauges: ServerGauges) -> str:
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(f"{name}{labels} {value:g}" for labels, value in samples)

    metric(
        "uc_signaling_connections",
        "gauge",
        "Open WebSocket connections.",
        [("", gauges.connections)],
    )
    metric(
        "uc_signaling_peers",
        "gauge",
        "Peers joined to a room on this process.",
        [("", gauges.peers)],
    )
    metric(
        "uc_signaling_rooms",
        "gauge",
        "Rooms with a peer on this process.",
        [("", gauges.rooms)],
    )
    metric(
        "uc_signaling_messages_total",
        "counter",
        "Messages received.",
        [("", gauges.counters.get("messages", 0))],
    )
    metric(
        "uc_signaling_joins_total",
        "counter",
        "Successful joins.",
        [("", gauges.counters.get("joins", 0))],
    )
    metric(
        "uc_signaling_relayed_total",
        "counter",
        "Offers, answers, candidates and app messages relayed.",
        [("", gauges.counters.get("relayed", 0))],
    )
    metric(
        "uc_signaling_rejects_total",
        "counter",
        "Rejected messages and connections, by reason.",
        [(f'{{reason="{reason}"}}', n) for reason, n in sorted(gauges.rejects.items())]
        or [('{reason="none"}', 0)],
    )
    metric(
        "uc_signaling_resident_memory_bytes",
        "gauge",
        "Resident memory of this process.",
        [("", _rss_bytes())],
    )
    metric(
        "uc_signaling_start_time_seconds",
        "gauge",
        "When this process started (Unix time).",
        [("", gauges.started_at)],
    )
    return "\n".join(lines) + "\n"
