"""What the app remembers between runs: server, name, role, devices, preset, language,
shortcuts and recent rooms, in a QSettings INI file next to the privacy masks.

The file is ``settings.ini`` in :func:`~ultrasound_consult.media.mask_store.config_dir`
(``ULTRASOUND_CONSULT_CONFIG`` moves both). Privacy-mask rectangles per source stay in
``masks.json`` (:mod:`ultrasound_consult.media.mask_store`): the headless station uses
them too, and a damaged mask file must be reported, never read as "no mask".
``ultrasound-consult --reset-settings`` empties this file and keeps the masks: losing
a mask would let a patient's name out.

Invite codes are secrets: recent rooms keep the room, the role and the server, and the
code only until it expires (it is what lets the user rejoin with one click).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from PySide6.QtCore import QSettings

from ultrasound_consult.media.mask_store import config_dir
from ultrasound_consult.media.quality import DEFAULT_PRESET, PRESETS
from ultrasound_consult.private_files import make_private, private_dir
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.invite import parse_invite
from ultrasound_consult.schema import Migration, SchemaError, migrate
from ultrasound_consult.ui.i18n import LANGUAGES

logger = logging.getLogger(__name__)

SETTINGS_FILE = "settings.ini"
#: The file's format (``schema`` under [General]); 0.1.0 wrote none, which counts as 1.
SETTINGS_SCHEMA = 1
#: ``{from_schema: step}`` over the file's keys (see :mod:`ultrasound_consult.schema`).
SETTINGS_STEPS: dict[int, Migration] = {}
DEFAULT_SERVER = "ws://127.0.0.1:8765/"
MAX_RECENT = 8
#: The first screen's choices; "teaching" is the trainer's or an observer's (the invite says which).
ROLES = ("station", "expert", "teaching", "review")

#: Actions a user can rebind, with their default keys. Foot pedals and presenter
#: remotes send keys too: PageDown / PageUp are what most of them send out of the box.
DEFAULT_SHORTCUTS: dict[str, str] = {
    "cue_done": "Space",
    "cue_done_pedal": "PgDown",
    "cue_cant": "Backspace",
    "cue_cant_pedal": "PgUp",
    "mute": "Ctrl+M",
    "record": "Ctrl+R",
    "end_call": "Ctrl+W",
    "zoom_in": "+",
    "zoom_out": "-",
    "zoom_fit": "0",
}


@dataclass(frozen=True)
class RecentRoom:
    room: str
    role: str
    server: str
    code: str  # empty once expired
    name: str
    joined_at: float
    expires_at: float | None = None

    @property
    def usable(self) -> bool:
        return bool(self.code) and (self.expires_at is None or self.expires_at > time.time())


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


class AppSettings:
    """Typed access to the QSettings file; every setter writes through at once."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_path()
        private_dir(self.path.parent)  # invite codes live here: owner-only
        self.q = QSettings(str(self.path), QSettings.Format.IniFormat)
        #: A file from a newer release is used as it is and never written (this release
        #: would drop what it does not know); changes last until the app closes.
        self.read_only = False
        self._migrate()

    def _migrate(self) -> None:
        document = {key: self.q.value(key) for key in self.q.allKeys()}
        if isinstance(document.get("schema"), str) and document["schema"].isdigit():
            document["schema"] = int(document["schema"])  # INI holds text
        try:
            migrated, found = migrate(
                document,
                what=f"the settings file {self.path}",
                current=SETTINGS_SCHEMA,
                steps=SETTINGS_STEPS,
            )
        except SchemaError as exc:
            logger.warning("%s. Using it as it is; changes are not saved.", exc)
            self.read_only = True
            return
        if found == SETTINGS_SCHEMA and "schema" in document:
            return
        self.q.clear()
        for key, value in migrated.items():
            self.q.setValue(key, value)
        self.q.sync()
        make_private(self.path)
        if found != SETTINGS_SCHEMA:
            logger.info("settings %s: schema %d -> %d", self.path, found, SETTINGS_SCHEMA)

    # --- plain values ------------------------------------------------------------

    def _str(self, key: str, default: str) -> str:
        value = self.q.value(key, default)
        return value if isinstance(value, str) else default

    def _set(self, key: str, value: object) -> None:
        if self.read_only:
            logger.info("settings from a newer release are not changed: %s not saved", key)
            return
        self.q.setValue(key, value)
        self.q.sync()
        make_private(self.path)
        if self.q.status() != QSettings.Status.NoError:
            logger.warning("settings could not be saved to %s", self.path)

    @property
    def server(self) -> str:
        return self._str("server", DEFAULT_SERVER)

    @server.setter
    def server(self, value: str) -> None:
        self._set("server", value.strip())

    @property
    def name(self) -> str:
        return self._str("name", "")

    @name.setter
    def name(self, value: str) -> None:
        self._set("name", value.strip()[:64])

    @property
    def role(self) -> str:
        value = self._str("role", "station")
        return value if value in ROLES else "station"

    @role.setter
    def role(self, value: str) -> None:
        self._set("role", value if value in ROLES else "station")

    @property
    def source(self) -> str:
        return self._str("devices/source", "synthetic")

    @source.setter
    def source(self, value: str) -> None:
        self._set("devices/source", value.strip())

    @property
    def camera(self) -> str:
        return self._str("devices/camera", "")

    @camera.setter
    def camera(self, value: str) -> None:
        self._set("devices/camera", value.strip())

    @property
    def microphone(self) -> str:
        return self._str("devices/microphone", "mic")

    @microphone.setter
    def microphone(self, value: str) -> None:
        self._set("devices/microphone", value.strip() or "mic")

    @property
    def speaker(self) -> str:
        return self._str("devices/speaker", "default")

    @speaker.setter
    def speaker(self, value: str) -> None:
        self._set("devices/speaker", value.strip() or "default")

    @property
    def preset(self) -> str:
        value = self._str("preset", DEFAULT_PRESET)
        return value if value in PRESETS else DEFAULT_PRESET

    @preset.setter
    def preset(self, value: str) -> None:
        self._set("preset", value if value in PRESETS else DEFAULT_PRESET)

    @property
    def language(self) -> str:
        """``auto`` (the system's), ``en`` or ``zh_CN``."""
        value = self._str("language", "auto")
        return value if value == "auto" or value in LANGUAGES else "auto"

    @language.setter
    def language(self, value: str) -> None:
        self._set("language", value if value == "auto" or value in LANGUAGES else "auto")

    @property
    def window_geometry(self) -> str:
        """Where the app's window was last (``x,y,w,h`` of its client area), or ""."""
        return self._str("window/geometry", "")

    @window_geometry.setter
    def window_geometry(self, value: str) -> None:
        self._set("window/geometry", value)

    # --- shortcuts -----------------------------------------------------------------

    def shortcut(self, action: str) -> str:
        return self._str(f"shortcuts/{action}", DEFAULT_SHORTCUTS[action])

    def set_shortcut(self, action: str, keys: str) -> None:
        if action not in DEFAULT_SHORTCUTS:
            raise KeyError(action)
        self._set(f"shortcuts/{action}", keys.strip())

    def shortcuts(self) -> dict[str, str]:
        return {action: self.shortcut(action) for action in DEFAULT_SHORTCUTS}

    # --- recent rooms --------------------------------------------------------------

    def recent_rooms(self) -> list[RecentRoom]:
        raw = self._str("recent/rooms", "[]")
        try:
            items = [RecentRoom(**item) for item in json.loads(raw)]
        except (TypeError, ValueError):
            logger.warning("the recent-rooms list in %s is damaged; starting a new one", self.path)
            return []
        now = time.time()
        # An expired code is no use and still a secret: forget it.
        return [
            r if r.expires_at is None or r.expires_at > now else replace(r, code="") for r in items
        ]

    def remember_room(self, server: str, code: str, name: str) -> None:
        try:
            invite = parse_invite(code)
        except ProtocolError:
            return
        entry = RecentRoom(
            room=invite.room,
            role=invite.role.value,
            server=server,
            code=code,
            name=name,
            joined_at=time.time(),
            expires_at=invite.expires_at,
        )
        rooms = [
            r
            for r in self.recent_rooms()
            if (r.room, r.role, r.server) != (entry.room, entry.role, entry.server)
        ]
        rooms.insert(0, entry)
        self._set("recent/rooms", json.dumps([asdict(r) for r in rooms[:MAX_RECENT]]))

    def forget_rooms(self) -> None:
        self._set("recent/rooms", "[]")

    # --- all -----------------------------------------------------------------------

    def reset(self) -> None:
        """Back to defaults (privacy masks are kept: see the module's docstring)."""
        self.q.clear()
        self.q.setValue("schema", SETTINGS_SCHEMA)
        self.q.sync()
        self.read_only = False


def reset_settings(path: Path | None = None) -> Path:
    """``--reset-settings``: empty the settings file; returns its path."""
    settings = AppSettings(path)
    settings.reset()
    return settings.path
