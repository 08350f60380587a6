"""The signalling load benchmark (`ultrasound-consult bench --signaling`) runs and reports (small sizes; the figures come from full runs)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def bench(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "ultrasound_consult", "bench", "--signaling", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout
    return json.loads(out)


def test_single_process():
    result = bench("--clients", "60", "--rooms", "20")
    assert result["joined"] == 60 and result["errors"] == {}
    assert result["relays_sent"] == 40 * 4 and result["relays_delivered"] == result["relays_sent"]
    assert result["join_ms"]["p99"] is not None and result["messages_per_s"] > 0
    assert all(v and v > 0 for v in result["server_rss_mb"].values())


@pytest.mark.slow
def test_two_processes_behind_redis(redis_url):
    result = bench("--clients", "40", "--rooms", "20", "--processes", "2", "--redis", redis_url)
    assert result["processes"] == 2 and result["joined"] == 40
    assert result["relays_delivered"] == result["relays_sent"] == 80
    assert len(result["server_rss_mb"]) == 2


def test_hostile_flood_is_refused_while_valid_clients_join():
    result = bench("--hostile", "--messages", "2000")
    assert result["benchmark"] == "signaling_hostile"
    assert result["messages_sent"] == 2000
    closes = result["closes_by_code"]
    assert closes.get("1008", 0) >= 1, "a rate-limit flood is closed by the server"
    assert closes.get("4001", 0) >= 1, "an unsupported version ends with its own close code"
    assert result["refused_connections"] == {}
    answers = result["answers"]
    flood = result["by_kind"].get("flood_ping", 0)
    errors = sum(n for k, n in answers.items() if k.startswith("error:") and "rate" not in k)
    assert errors == result["messages_sent"] - flood, "every hostile message is answered"
    rss = result["server_rss_mb"]
    assert rss["before"] and rss["peak"] and rss["after"] < 2 * rss["before"]
    assert result["legit_joins"]["count"] >= 1 and result["legit_joins"]["errors"] == {}
