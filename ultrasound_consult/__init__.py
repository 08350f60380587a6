"""ultrasound-consult: remote ultrasound consultation and teaching over WebRTC.

Importing this package is cheap and pulls in neither Qt nor aiortc, so that the
signalling server can share :mod:`ultrasound_consult.protocol` on a bare host.
"""

__version__ = "0.1.0"

#: The app's id: its Linux desktop entry is ``APP_ID.desktop`` (packaging/linux), which
#: the taskbar matches to the window; About shows it.
APP_ID = "org.ultrasound_consult.UltrasoundConsult"
