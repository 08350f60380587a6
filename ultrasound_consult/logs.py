"""The app's log file: what the About dialog points to when someone must look closer.

Dialogs never show stack traces; the details go here. One rotating file
(``ultrasound-consult.log``, 2 MB x 3) in the user's state directory
(``ULTRASOUND_CONSULT_LOGS`` overrides). Invite codes and join links are secrets
(they let someone into a room), so the file handler masks them: a code keeps its
room and role letter, its signature is replaced by ``****``.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path

from ultrasound_consult.private_files import make_private, private_dir

LOG_NAME = "ultrasound-consult.log"
MAX_BYTES = 2_000_000
BACKUPS = 3

# room . role+expiry . MAC in 4-character groups (see protocol/invite.py)
_INVITE = re.compile(
    r"\b([A-Za-z0-9_.:-]{1,64}\.[A-Za-z][0-9A-Za-z]{2,12})\.[0-9A-Za-z]{4}(?:-?[0-9A-Za-z]{4}){3}\b"
)
_CODE_PARAM = re.compile(r"((?:code|token|secret)=)[^&\s'\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with invite signatures and ``code=``/``token=``/``secret=`` values masked."""
    return _CODE_PARAM.sub(r"\1****", _INVITE.sub(r"\1.****", text))


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_dir() -> Path:
    override = os.environ.get("ULTRASOUND_CONSULT_LOGS")
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "ultrasound-consult" / "logs"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / "ultrasound-consult"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "ultrasound-consult"


_handler: logging.Handler | None = None

#: Loggers of libraries that print secrets at DEBUG (websockets: every frame, invite
#: codes and keys with them): never below INFO, whatever the program's level.
CHATTY = ("websockets", "websockets.client", "websockets.server")


def quiet_libraries() -> None:
    for name in CHATTY:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


def log_file() -> Path:
    return log_dir() / LOG_NAME


def start_file_log(level: int = logging.INFO) -> Path | None:
    """Log to :func:`log_file` as well (once per process); None if it cannot be written."""
    global _handler
    path = log_file()
    if _handler is not None:
        return path
    try:
        private_dir(path.parent)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
        make_private(path)
    except OSError as exc:
        logging.getLogger(__name__).warning("no log file (%s): logging to the console only", exc)
        return None
    handler.setLevel(level)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    if root.level > level or root.level == logging.NOTSET:
        for other in root.handlers:  # the console keeps the verbosity it had
            if other.level == logging.NOTSET:
                other.setLevel(root.level or logging.WARNING)
        root.setLevel(level)
    root.addHandler(handler)
    _handler = handler
    return path
