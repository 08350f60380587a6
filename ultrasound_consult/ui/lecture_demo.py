"""``ultrasound-consult demo --lecture``: a whole lecture on one machine, in one command.

Starts a real Janus (the Debian package, configured from deploy/janus/ on loopback), a
signalling server process with ``--sfu``, and three windows: the station (on the
synthetic phantom, publishing once to Janus), the trainer (peer to peer with the
station, with the Lecture panel) and one trainee watching through Janus, plus a few
trainees without windows, so the trainer's roster has people in it.

Without a display the windows run offscreen for a few seconds: the trainer draws, a
trainee raises a hand and asks a question; screenshots are saved and a JSON summary
printed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer

from signaling_server.janus_process import JanusMissing, JanusProcess
from signaling_server.process import SignalingServerProcess
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.call import CallConfig, ConsultCall
from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.session.observer import CallObserver
from ultrasound_consult.ui.app import OpenCall, application, display_available, open_call
from ultrasound_consult.ui.demo import (
    OFFSCREEN_DURATION_S,
    Autopilot,
    no_display_notice,
    run_windows,
)
from ultrasound_consult.ui.expert_window import ExpertWindow
from ultrasound_consult.ui.screen_fit import place

ROOM = "lecture-demo"
HEADLESS_TRAINEES = 3
QUESTION = "这是胆囊结石吗?后方有声影。"


def janus_missing_notice(exc: Exception) -> str:
    return (
        f"The lecture demo needs Janus, the SFU that carries lectures: {exc}.\n"
        "Install it with ./dev demo --lecture (or: sudo apt-get install janus), then run "
        "this again."
    )


def run_lecture_demo(
    *,
    duration: float | None = None,
    output: Path = Path("demo-output"),
    source_spec: str = "synthetic:1024x768@30",
    language: str | None = None,
    trainees: int = HEADLESS_TRAINEES,
    autopilot: bool = False,
) -> int:
    try:
        janus = JanusProcess().start()
    except (JanusMissing, OSError, RuntimeError) as exc:
        print(janus_missing_notice(exc), file=sys.stderr)
        return 2
    offscreen = not display_available() or os.environ.get("QT_QPA_PLATFORM") == "offscreen"
    if offscreen:
        autopilot = True
        duration = duration or OFFSCREEN_DURATION_S
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        print(no_display_notice(duration, output), file=sys.stderr, flush=True)
    secret = Path(tempfile.mkdtemp(prefix="uc-lecture-demo-")) / "sfu.secret"
    secret.write_text(janus.secret + "\n")
    secret.chmod(0o600)
    server = SignalingServerProcess(
        extra_args=["--sfu", f"janus:{janus.url}", "--sfu-secret-file", str(secret)]
    ).start()
    print(f"Janus: {janus.url}  signalling server: {server.url}  room: {ROOM}", file=sys.stderr)
    app = application(language)
    engine = EngineThread().start()
    extras: list[ConsultCall] = []
    try:

        def config(role: Role, name: str, **kw: Any) -> CallConfig:
            return CallConfig.from_invite(server.url, server.invite(ROOM, role.value), name, **kw)

        station = open_call(
            engine,
            config(Role.STATION, "Township clinic", lecture=True),
            source=open_source(source_spec),
            mask=PrivacyMask(),
        )
        trainer = open_call(engine, config(Role.TRAINER, "Prof. Wang"))
        trainee = open_call(engine, config(Role.OBSERVER, "学员 Li"))
        opened = [station, trainer, trainee]
        for i in range(trainees):
            extras.append(_headless_trainee(engine, config(Role.OBSERVER, f"学员 {i + 2}")))
        _arrange(opened, offscreen)
        for o in opened:
            o.window.show()
        pilot = None
        if autopilot:
            assert isinstance(trainer.window, ExpertWindow)
            pilot = Autopilot(trainer.window)  # noqa: F841 - kept alive
            QTimer.singleShot(4000, lambda: _ask(trainee))
        shots = output if offscreen or output != Path("demo-output") else None
        names = ("lecture-station", "lecture-trainer", "lecture-trainee")
        screenshots = run_windows(app, dict(zip(names, opened, strict=True)), duration, shots)
        summary = {
            "lecture_demo": {
                "janus": janus.url,
                "server": server.url,
                "room": ROOM,
                "offscreen": offscreen,
                "screenshots": screenshots,
                "trainees": 1 + len(extras),
            },
            "station": station.call.stats.summary(),
            "trainee": trainee.call.stats.summary(),
        }
        print(json.dumps(summary, ensure_ascii=False), flush=True)
        return 0
    finally:
        for call in extras:
            engine.submit(call.stop()).result(10)
        engine.stop()
        server.stop()
        janus.stop()


def _headless_trainee(engine: EngineThread, config: CallConfig) -> ConsultCall:
    async def start() -> ConsultCall:
        call = ConsultCall(config, CallObserver())
        await call.start()
        return call

    return engine.submit(start()).result(15)


def _ask(trainee: OpenCall) -> None:
    """The offscreen run's trainee raises a hand and asks (as its buttons would)."""

    def ask() -> None:
        lecture = trainee.call.lecture
        if lecture.on:
            lecture.raise_hand(True)
            lecture.ask(QUESTION)

    trainee.bridge.call(ask)


def _arrange(opened: list[OpenCall], offscreen: bool) -> None:
    if offscreen:  # no screen: the screenshots show a clinic laptop's 1366x768
        for o in opened:
            o.window.resize(1366, 768)
        return
    area = opened[0].window.screen().availableGeometry()
    if area.width() < 1900:
        return
    third = area.width() // 3
    for i, o in enumerate(opened):
        rect = area.adjusted(i * third, 0, 0, 0)
        rect.setWidth(third)
        place(o.window, rect)
