"""Logging for the server under attack: repeated lines are counted, not written.

A flood makes the same line (or traceback) thousands of times a second: 155,093
tracebacks, 69 MB of stderr in two minutes, were measured once. :class:`RepeatFilter`
lets the first few of each kind through per window and then counts the rest, and
:meth:`RepeatFilter.flush` (called by the server's housekeeping) says how many were
held back. Also: the websockets library's loggers are kept at INFO whatever our level,
because at DEBUG they print every frame, invite codes included.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TextIO

WINDOW_S = 60.0
#: Lines of one kind let through per window before the rest are only counted.
BURST = 5


@dataclass
class _Seen:
    window_start: float
    passed: int = 0
    held: int = 0


class RepeatFilter(logging.Filter):
    """Passes the first :data:`BURST` records of each (logger, level, format) per window."""

    def __init__(
        self,
        *,
        window_s: float = WINDOW_S,
        burst: int = BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.window_s, self.burst, self.clock = window_s, burst, clock
        self._seen: dict[tuple[str, int, str], _Seen] = {}
        self.held_total = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "repeat_summary", False):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        seen = self._seen.get(key)
        if seen is None or now - seen.window_start >= self.window_s:
            if seen is not None and seen.held:
                self._summary(key, seen)
            seen = self._seen[key] = _Seen(now)
            if len(self._seen) > 10_000:  # formats are few; a bound all the same
                self._seen.clear()
                self._seen[key] = seen
        if seen.passed < self.burst:
            seen.passed += 1
            return True
        seen.held += 1
        self.held_total += 1
        return False

    def flush(self) -> None:
        """Report kinds whose window has ended with lines held back."""
        now = self.clock()
        for key, seen in list(self._seen.items()):
            if now - seen.window_start >= self.window_s:
                if seen.held:
                    self._summary(key, seen)
                del self._seen[key]

    def _summary(self, key: tuple[str, int, str], seen: _Seen) -> None:
        name, level, fmt = key
        logging.getLogger(name).log(
            level,
            "(%d more like %r in the last %.0f s, not written)",
            seen.held,
            fmt[:120],
            self.window_s,
            extra={"repeat_summary": True},
        )
        seen.held = 0


_installed: list[RepeatFilter] = []


class JournalFormatter(logging.Formatter):
    """Under systemd (which sets ``JOURNAL_STREAM``) the journal stamps the time itself
    and reads the level from a ``<N>`` prefix: ``journalctl -p warning`` then works."""

    PRIORITIES: ClassVar[dict[int, int]] = {
        logging.DEBUG: 7,
        logging.INFO: 6,
        logging.WARNING: 4,
        logging.ERROR: 3,
    }

    def format(self, record: logging.LogRecord) -> str:
        priority = self.PRIORITIES.get(record.levelno, 2)
        return f"<{priority}>{super().format(record)}"


def configure_logging(level: str, stream: TextIO) -> RepeatFilter:
    """The server's logging: ``level`` for us, INFO at most for websockets, repeats counted."""
    handler = logging.StreamHandler(stream)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    repeats = RepeatFilter()
    handler.addFilter(repeats)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_websockets()
    _installed.append(repeats)
    return repeats


def quiet_websockets() -> None:
    """At DEBUG, websockets logs every frame (invite codes and keys with them): never below
    INFO, whatever the program's level."""
    for name in ("websockets", "websockets.client", "websockets.server"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


def flush_repeats() -> None:
    for repeats in _installed:
        repeats.flush()
