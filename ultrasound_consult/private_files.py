"""Owner-only files: settings (with live invite codes), masks, logs and recordings.

Everything the app writes holds either a secret (an invite code lets someone into a
room) or clinical data (recordings, snapshots), so it is readable by its owner only:
files 0600, folders 0700. The app also starts with umask 077, so files made by
libraries (the video muxer, Qt's settings writer, log rotation) are private too.
Sharing a recording is a deliberate act (README: "Sharing a recording").
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed; the folder itself is made owner-only."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    make_private(path)
    return path


def make_private(path: Path) -> None:
    """Owner-only permissions for an existing file or folder (nothing on Windows, where
    the user's profile folders are private already)."""
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        os.chmod(path, DIR_MODE if Path(path).is_dir() else FILE_MODE)


def private_umask() -> None:
    """Files and folders made from now on by this process are owner-only."""
    if sys.platform != "win32":
        os.umask(UMASK)


def tighten(folder: Path, names: tuple[str, ...] = ()) -> None:
    """Make an existing folder (and the named files in it) owner-only: files left 0644 by
    an older version are fixed at the next start."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    make_private(folder)
    for name in names:
        path = folder / name
        if path.exists():
            make_private(path)
