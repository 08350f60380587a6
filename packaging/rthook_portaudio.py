"""PyInstaller runtime hook: let sounddevice find the PortAudio the bundle carries.

sounddevice looks PortAudio up with ``ctypes.util.find_library("portaudio")``, which on
Linux searches only the system. The system's copy wins when there is one (it matches the
machine's ALSA/PulseAudio setup); the bundled one serves a PC without libportaudio2.
"""

import ctypes.util
import os
import sys

_bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "libportaudio.so.2")
if sys.platform.startswith("linux") and os.path.isfile(_bundled):
    _system_find_library = ctypes.util.find_library

    def _find_library(name: str) -> str | None:
        found = _system_find_library(name)
        if found is None and name == "portaudio":
            return _bundled
        return found

    ctypes.util.find_library = _find_library
