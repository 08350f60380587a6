"""``ultrasound-consult demo``: a whole consult on one machine, in one command.

Starts a real signalling server process, a station on the synthetic phantom and an
expert, both windows side by side and already connected. Click on the expert's
image to mark, drag to draw an arrow; the station shows it at once.

Without a display it says so and runs the same windows offscreen for a few seconds,
with a scripted expert, saves screenshots of both windows, and prints a summary.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer

from signaling_server.process import SignalingServerProcess
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.call import CallConfig
from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.ui.app import OpenCall, application, display_available, open_call
from ultrasound_consult.ui.expert_window import ExpertWindow
from ultrasound_consult.ui.screen_fit import half, place

logger = logging.getLogger(__name__)

OFFSCREEN_DURATION_S = 10.0
ROOM = "demo"


def no_display_notice(duration: float, output: Path) -> str:
    return (
        "No display found (DISPLAY and WAYLAND_DISPLAY are not set), so the demo windows "
        f"run offscreen for {duration:g} s and screenshots go to {output}/.\n"
        "To see the windows: run this on a desktop, or under a virtual screen "
        "(xvfb-run .venv/bin/ultrasound-consult demo).\n"
        "To run a call with no windows at all: ultrasound-consult station --headless ... "
        "and ultrasound-consult expert --headless ... (see README.md)."
    )


class Autopilot:
    """A scripted expert for unattended runs: marks and arrows through the real UI path."""

    def __init__(self, window: ExpertWindow, every_ms: int = 1500) -> None:
        self.window = window
        self.step = 0
        self.timer = QTimer(window, interval=every_ms, timeout=self.tick)  # type: ignore[call-arg]
        self.timer.start()

    def tick(self) -> None:
        if self.window.state != "connected" or self.window.view.frame_size is None:
            return
        self.step += 1
        a = self.step * 1.1
        x, y = 0.5 + 0.22 * math.cos(a), 0.55 + 0.2 * math.sin(a)
        if self.step % 3 == 0:
            self.window.add_arrow(x, y, 0.41, 0.47)
        else:
            self.window.add_mark(x, y)


def run_windows(
    app: Any, windows: dict[str, OpenCall], duration: float | None, shots: Path | None
) -> list[str]:
    """Run the demo's windows until they are closed (or ``duration`` has passed), saving
    each to ``shots/NAME.png`` first when ``shots`` is given; end their calls. Returns
    the screenshots' paths."""
    screenshots: list[str] = []

    def finish() -> None:
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            for name, o in windows.items():
                path = shots / f"{name}.png"
                o.window.grab().save(str(path))
                screenshots.append(str(path))
        for o in windows.values():
            o.window.close()
        app.quit()

    if duration:
        QTimer.singleShot(int(duration * 1000), finish)
    app.exec()
    for o in windows.values():
        o.window.end_call()
    return screenshots


def run_demo(
    *,
    duration: float | None = None,
    output: Path = Path("demo-output"),
    source_spec: str = "synthetic:1024x768@30",
    language: str | None = None,
    autopilot: bool = False,
) -> int:
    offscreen = not display_available()
    if offscreen:
        duration = duration or OFFSCREEN_DURATION_S
        autopilot = True
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        print(no_display_notice(duration, output), file=sys.stderr, flush=True)
    source = open_source(source_spec)
    server = SignalingServerProcess().start()
    print(f"Signalling server: {server.url}  room: {ROOM}", file=sys.stderr, flush=True)
    app = application(language)
    engine = EngineThread().start()
    opened: list[OpenCall] = []
    try:
        station_invite = server.invite(ROOM, Role.STATION.value)
        expert_invite = server.invite(ROOM, Role.EXPERT.value)
        print(
            f"Invites: station {station_invite}  expert {expert_invite}",
            file=sys.stderr,
            flush=True,
        )
        station = open_call(
            engine,
            CallConfig.from_invite(server.url, station_invite, "Township clinic"),
            source=source,
            mask=PrivacyMask(),
        )
        expert = open_call(engine, CallConfig.from_invite(server.url, expert_invite, "Dr. Expert"))
        opened = [station, expert]
        area = station.window.screen().availableGeometry()
        if offscreen:  # no screen: the screenshots show a clinic laptop's 1366x768
            for o in opened:
                o.window.resize(1366, 768)
        elif area.width() >= 1900:  # side by side, each on half of a big monitor
            place(station.window, half(area, 0))
            place(expert.window, half(area, 1))
        for o in opened:
            o.window.show()
        pilot = None
        if autopilot:
            assert isinstance(expert.window, ExpertWindow)  # the expert role opens one
            pilot = Autopilot(expert.window)  # noqa: F841 - kept alive
        shots = output if offscreen or output != Path("demo-output") else None
        screenshots = run_windows(
            app, {"demo-station": station, "demo-expert": expert}, duration, shots
        )
        summary: dict[str, Any] = {
            "demo": {
                "server": server.url,
                "room": ROOM,
                "offscreen": offscreen,
                "screenshots": screenshots,
            },
            "station": station.call.stats.summary(),
            "expert": expert.call.stats.summary(),
        }
        print(json.dumps(summary, ensure_ascii=False), flush=True)
        if screenshots:
            print(f"Screenshots: {', '.join(screenshots)}", file=sys.stderr)
        return 0
    finally:
        engine.stop()
        server.stop()
