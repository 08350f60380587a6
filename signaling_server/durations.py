"""Durations typed on a command line: ``90s``, ``30m``, ``8h``, ``7d`` (a bare number is
seconds). Shared by the server's commands (invites, enrollment codes)."""

from __future__ import annotations

import argparse
import re

_TTL_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> float:
    m = _TTL_RE.match(text.strip().lower())
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r}: use a duration like 90s, 30m, 2h or 7d")
    seconds = float(m[1]) * _UNITS[m[2]]
    # Invites expire on a whole minute (that keeps codes short): a few seconds is
    # allowed and lasts until the end of that minute, which "valid until" shows.
    if not 1 <= seconds <= 366 * 86400:
        raise argparse.ArgumentTypeError("a duration between 1 second and a year")
    return seconds
