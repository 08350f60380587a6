"""Command line: ``ultrasound-consult [gui|station|expert|observer|demo|sources|enroll]``.

Qt is imported only by the commands that open windows, so headless runs work on
machines without display libraries.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ultrasound_consult import __version__
from ultrasound_consult.media.audio import AudioError, open_capture, open_output
from ultrasound_consult.media.camera import open_camera
from ultrasound_consult.media.capture import device_name
from ultrasound_consult.media.mask_store import MaskStore, MaskStoreError, parse_rect, source_key
from ultrasound_consult.media.privacy import DEFAULT_TOP_BAND, PrivacyMask
from ultrasound_consult.media.quality import DEFAULT_PRESET, PRESETS
from ultrasound_consult.media.source import SourceError
from ultrasound_consult.media.source_spec import SPEC_HELP, open_source, parse_source_spec
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.call import CallConfig, CallError

DEFAULT_SERVER = os.environ.get("ULTRASOUND_CONSULT_SERVER", "ws://127.0.0.1:8765/")


def _common(p: argparse.ArgumentParser, *, station: bool) -> None:
    p.add_argument(
        "--server", default=DEFAULT_SERVER, help="signalling server URL (default: %(default)s)"
    )
    p.add_argument(
        "--invite",
        metavar="CODE",
        help="the invite code or link you were given (it names the room); the server's "
        "administrator makes one with: python -m signaling_server invite --room ROOM --role ROLE",
    )
    p.add_argument(
        "--credential",
        type=Path,
        metavar="FILE",
        help="instead of --invite: this enrolled device's credential (from 'ultrasound-consult "
        "enroll'; default place if FILE is 'default'), to call or be called with --headless",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="with --credential: how long to wait for a ring or an answer (default 600)",
    )
    p.add_argument("--name", default="", help="your name as the others see it")
    p.add_argument(
        "--ca-file", default=None, help="extra CA certificate to trust for wss:// servers"
    )
    p.add_argument(
        "--relay-only",
        action="store_true",
        help="send media only through the TURN relay the server names "
        "(hides this computer's addresses)",
    )
    p.add_argument(
        "--headless", action="store_true", help="no window; print a JSON summary at exit"
    )
    p.add_argument(
        "--duration", type=float, default=None, help="end the call after this many seconds"
    )
    p.add_argument("--lang", default=None, choices=["auto", "en", "zh_CN"], help="window language")
    p.add_argument(
        "--record",
        type=Path,
        default=None,
        metavar="DIR",
        help="record the session into a new bundle (a folder) inside DIR",
    )
    p.add_argument(
        "--audio",
        default=None,
        metavar="SOURCE",
        help="what the others hear: mic (the default microphone), mic:N (device N from "
        "'ultrasound-consult sources'), tone:HZ, file:PATH or none "
        "(default: mic with a window, none with --headless)",
    )
    p.add_argument(
        "--speaker",
        default=None,
        metavar="OUTPUT",
        help="where the others' voices play: default, N (a device), record:PATH.wav or none "
        "(default: default with a window, none with --headless)",
    )
    if station:
        p.add_argument(
            "--call",
            metavar="TARGET",
            help="with --credential: call specialty:NAME (every on-duty expert of it rings) "
            "or device:ID (one person, from the directory)",
        )
        p.add_argument("--source", default="synthetic", help=f"video source: {SPEC_HELP}")
        p.add_argument(
            "--lecture",
            action="store_true",
            help="start the call as a lecture: the picture goes once to the server's SFU and "
            "every trainee watches from there (needs a server started with --sfu)",
        )
        p.add_argument(
            "--quality",
            default=DEFAULT_PRESET,
            choices=list(PRESETS),
            help="diagnostic: native resolution, high bitrate; balanced: up to 720 lines; "
            "weak: up to 540 lines at 15 fps for poor links (default: %(default)s)",
        )
        p.add_argument(
            "--camera",
            default=None,
            metavar="SOURCE",
            help="a second camera (probe hand or patient), sent small and only with bandwidth "
            "the ultrasound does not need: device:N, testcard, file:PATH",
        )
        p.add_argument(
            "--mask-top",
            type=float,
            default=None,
            help="fraction of the height masked at the top, where scanners print the patient's "
            f"name (default: {DEFAULT_TOP_BAND}, or what was remembered for this source; "
            "sources with DICOM image regions mask outside them)",
        )
        p.add_argument(
            "--mask-rect",
            action="append",
            default=[],
            metavar="X0,Y0,X1,Y1",
            help="also black out this rectangle, as fractions of the frame (repeatable); "
            "e.g. 0.75,0,1,0.12 for a hospital number in the top-right corner",
        )
        p.add_argument(
            "--remember-mask",
            action="store_true",
            help="save --mask-top and --mask-rect for this source: later calls from it use "
            "them without being told",
        )
    else:
        p.add_argument(
            "--on-duty", action="store_true", help="with --credential: go on duty when signed in"
        )
        p.add_argument(
            "--auto-accept",
            action="store_true",
            help="with --credential --headless: answer the first ring (automation, tests)",
        )
        p.add_argument(
            "--auto-annotate",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="headless only: draw a mark or arrow every SECONDS and move the pointer (testing)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ultrasound-consult",
        description="Remote ultrasound consultation: "
        "stream a scanner to an expert who guides the scan.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument(
        "--reset-settings",
        action="store_true",
        help="forget the remembered server, name, role, devices, language, shortcuts and "
        "recent rooms, then exit (privacy masks are kept)",
    )
    # Also before the command (``ultrasound-consult --lang zh_CN``, as the README shows);
    # a command's own --lang wins.
    parser.add_argument(
        "--lang", dest="lang_all", default=None, choices=["auto", "en", "zh_CN"],
        help="window language",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command")
    gui = sub.add_parser("gui", help="open the app (the default)")
    gui.add_argument("--lang", default=None, choices=["auto", "en", "zh_CN"])
    gui.add_argument(
        "--first-screen",
        type=Path,
        default=None,
        metavar="PNG",
        help="open the first screen, save it to PNG, print one JSON line and exit "
        "(checks an installation; QT_QPA_PLATFORM=offscreen needs no display)",
    )
    _common(
        sub.add_parser("station", help="send a scanner's video (the township clinic)"), station=True
    )
    _common(sub.add_parser("expert", help="watch and guide (the remote expert)"), station=False)
    _common(sub.add_parser("trainer", help="watch and guide a teaching session"), station=False)
    _common(sub.add_parser("observer", help="watch only (a trainee)"), station=False)
    demo = sub.add_parser(
        "demo", help="a local consult: server, station and expert on this machine"
    )
    demo.add_argument("--duration", type=float, default=None, help="close after this many seconds")
    demo.add_argument(
        "--output", type=Path, default=Path("demo-output"), help="where screenshots go"
    )
    demo.add_argument(
        "--source", default="synthetic:1024x768@30", help=f"station source: {SPEC_HELP}"
    )
    demo.add_argument("--lang", default=None, choices=["auto", "en", "zh_CN"])
    demo.add_argument("--autopilot", action="store_true", help="let a scripted expert draw")
    demo.add_argument(
        "--lecture",
        action="store_true",
        help="a local lecture instead: Janus (the SFU), server, station, trainer, trainees",
    )
    enroll = sub.add_parser(
        "enroll",
        help="enroll this computer with the one-time code IT gave you",
        description="Redeems a one-time enrollment code (from 'python -m signaling_server "
        "enroll') for this device's long-lived credential, stored owner-only.",
    )
    enroll.add_argument("code", help="the code (e.g. K7Q2-9MXD-4TRA) or the QR code's text")
    enroll.add_argument("--server", default=None, help="the signalling server URL")
    enroll.add_argument(
        "--credential", type=Path, default=None, help="where to store it (default: settings)"
    )
    replay = sub.add_parser("replay", help="replay a recorded session (QC review)")
    replay.add_argument("bundle", type=Path, help="the recording's folder")
    replay.add_argument(
        "--check",
        action="store_true",
        help="no window: check the recording and print one JSON line (frames, events, problems)",
    )
    replay.add_argument("--lang", default=None, choices=["auto", "en", "zh_CN"])
    from ultrasound_consult.record.commands import add_export_arguments

    add_export_arguments(
        sub.add_parser("export", help="export a recording: MP4, PNG, DICOM, WebVTT, report")
    )
    sources = sub.add_parser("sources", help="list capture devices and the modes they offer")
    sources.add_argument("--json", action="store_true", help="one JSON object per device")
    bench = sub.add_parser(
        "bench",
        help="measure a real station -> expert call on this machine (JSON)",
        description="Runs a station and an expert as separate processes with their windows "
        "offscreen, with our media settings and then with stock aiortc's, and prints one "
        "JSON object: latency source -> painted, frame rates, SSIM/PSNR, bitrate, CPU per "
        "side, annotation latency.",
    )
    bench.add_argument("--source", default="synthetic", help=f"station source: {SPEC_HELP}")
    bench.add_argument("--resolution", default="1024x768", help="for the synthetic source (WxH)")
    bench.add_argument("--fps", type=float, default=30.0, help="for the synthetic source")
    bench.add_argument("--codec", default="vp8", choices=["vp8", "h264"])
    bench.add_argument("--quality", default=DEFAULT_PRESET, choices=list(PRESETS))
    bench.add_argument("--bitrate", type=float, default=None, help="override the preset, Mbps")
    bench.add_argument("--duration", type=float, default=20.0, help="measured seconds per variant")
    bench.add_argument(
        "--warmup", type=float, default=10.0, help="seconds before measuring (the bitrate climbs)"
    )
    bench.add_argument(
        "--network",
        default="none",
        help="impairment: a profile name (none, rtt40-loss1, 4g, township, township-bursty, "
        "4g-step, step-down, step-up, outage) or delay=20ms,jitter=5ms,loss=1%%,ge=0.5%%:25%%,"
        "rate=4mbit,rate=1.5mbit@20s,down=5s@10s",
    )
    bench.add_argument(
        "--camera",
        default=None,
        metavar="SOURCE",
        help="also send a second camera (e.g. testcard:1280x720@30) to measure its cost",
    )
    bench.add_argument(
        "--hands",
        action="store_true",
        help="the expert's hands under load: every annotation kind, a live pointer at mouse "
        "rate and a 10,000-point stroke mid-window",
    )
    bench.add_argument("--no-stock", action="store_true", help="skip the stock aiortc comparison")
    bench.add_argument(
        "--replay",
        type=float,
        default=None,
        metavar="MINUTES",
        help="instead of a call: record a bundle this long, then time opening and seeking it",
    )
    bench.add_argument(
        "--audio",
        action="store_true",
        help="voice both ways (a tone each way) and count the playback's underruns",
    )
    bench.add_argument(
        "--weak-networks",
        action="store_true",
        help="every named link profile (4g, township, capacity steps...), ours and stock "
        "aiortc in the same run; with --plot DIR, a PNG per profile",
    )
    bench.add_argument(
        "--ladder",
        action="store_true",
        help="instead of a call: SSIM inside the image per bitrate for each step of the "
        "degradation ladder (lines, frame rate)",
    )
    bench.add_argument(
        "--record",
        action="store_true",
        help="run the call again with both sides recording and compare frame rate and latency",
    )
    bench.add_argument(
        "--plot",
        default=None,
        metavar="PNG",
        help="also draw the per-second series (rate, latency, frame rate) to this PNG",
    )
    bench.add_argument(
        "--lecture",
        default=None,
        metavar="N[,N...]",
        help="instead of a call: a lecture through a real Janus and signalling server with N "
        "trainees per step (e.g. 1,4,16,30): the station's uplink and CPU, Janus's CPU, "
        "trainees' frame rate, SFU vs direct latency, annotation latency (fan-out vs Janus "
        "data channel); --resolution and --quality set the picture",
    )
    bench.add_argument(
        "--lecture-window", type=float, default=4.0, help="with --lecture: seconds per step"
    )
    bench.add_argument(
        "--lecture-warmup", type=float, default=2.0, help="with --lecture: seconds before each"
    )
    bench.add_argument(
        "--lecture-messages",
        type=int,
        default=100,
        help="with --lecture: annotation messages per way and step (one per 20 ms)",
    )
    bench.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    from ultrasound_consult.benchmark.signaling_load import add_arguments as signaling_arguments

    signaling = bench.add_argument_group(
        "signalling server load (--signaling)",
        "instead of a call: many WebSocket clients against real server processes",
    )
    signaling.add_argument(
        "--signaling",
        action="store_true",
        help="instead of a call: the signalling server under load (or --hostile: under attack)",
    )
    signaling_arguments(signaling)
    return parser


def _private_by_default() -> None:
    """Settings, masks, logs and recordings are owner-only (they hold invite codes and
    clinical data); files an older version left readable are fixed here."""
    from ultrasound_consult.logs import LOG_NAME, log_dir, quiet_libraries
    from ultrasound_consult.media.mask_store import config_dir
    from ultrasound_consult.private_files import private_umask, tighten

    private_umask()
    quiet_libraries()
    tighten(config_dir(), ("settings.ini", "masks.json"))
    tighten(log_dir(), (LOG_NAME, *(f"{LOG_NAME}.{i}" for i in range(1, 4))))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; ``--lang`` may come before the command or after it."""
    args = build_parser().parse_args(argv)
    if getattr(args, "lang", None) is None:
        args.lang = args.lang_all
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _private_by_default()
    if args.reset_settings:
        from ultrasound_consult.ui.settings import reset_settings

        print(f"settings reset: {reset_settings()} (privacy masks kept)")
        return 0
    command = args.command or "gui"
    if command in ("gui", "station", "expert", "trainer", "observer", "demo", "replay"):
        from ultrasound_consult.logs import start_file_log

        start_file_log()
    try:
        if command in ("station", "expert", "trainer", "observer"):
            return _run_call(args, Role(command))
        if command == "demo":
            return _run_gui_command(lambda: _demo(args), needs_display=False)
        if command == "sources":
            return _sources(args)
        if command == "enroll":
            return _enroll(args)
        if command == "bench":
            return _bench(args)
        if command == "replay":
            if args.check:
                from ultrasound_consult.record.commands import check_command

                return check_command(args.bundle)
            return _run_gui_command(lambda: _replay(args))
        if command == "export":
            from ultrasound_consult.record.commands import export_command

            return export_command(args)
        return _run_gui_command(lambda: _gui(args))
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _enroll(args: argparse.Namespace) -> int:
    import asyncio
    from urllib.parse import parse_qs, urlsplit

    from ultrasound_consult.session.presence import ConsultRefused, redeem

    code, server = args.code.strip(), args.server
    if code.startswith("ultrasound-consult://enroll"):  # the QR code's text
        query = parse_qs(urlsplit(code).query)
        code = query.get("code", [""])[0]
        server = server or query.get("server", [None])[0]
    server = server or DEFAULT_SERVER
    try:
        credential = asyncio.run(redeem(server, code))
    except ConsultRefused as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    path = credential.save(args.credential)
    print(
        f"enrolled as {credential.kind} {credential.name!r} on {server}; "
        f"the credential is in {path} (owner-only; keep it private)"
    )
    return 0


def _run_enrolled(args: argparse.Namespace, role: Role) -> int:
    """A call through the consult service, with the device's credential (headless)."""
    from ultrasound_consult.consult_headless import run_consult_headless_main
    from ultrasound_consult.session.presence import ConsultRefused, DeviceCredential

    if not args.headless:
        print(
            "error: --credential runs with --headless; in the window, use the directory",
            file=sys.stderr,
        )
        return 2
    path = None if str(args.credential) == "default" else args.credential
    try:
        kind = DeviceCredential.load(path).kind
    except ConsultRefused as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    expected = {"station": "station", "expert": "expert", "trainer": "trainer"}.get(role.value)
    if kind != expected:
        print(f"error: this credential is a {kind}'s, not a {role.value}'s", file=sys.stderr)
        return 2
    call_target = getattr(args, "call", None)
    if role is Role.STATION and not call_target:
        print("error: a station with --credential needs --call specialty:NAME", file=sys.stderr)
        return 2
    if role is not Role.STATION and not args.auto_accept:
        print("error: headless, an expert with --credential needs --auto-accept", file=sys.stderr)
        return 2
    mask = None
    if role is Role.STATION:
        parse_source_spec(args.source)
        try:
            mask = _station_mask(args)
        except (ValueError, MaskStoreError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return run_consult_headless_main(
        path,
        role,
        call_target=call_target,
        on_duty=getattr(args, "on_duty", False),
        auto_accept=getattr(args, "auto_accept", False),
        wait_s=args.wait,
        duration=args.duration,
        source_spec=getattr(args, "source", None),
        mask=mask,
        auto_annotate=getattr(args, "auto_annotate", 0.0),
        record=args.record,
    )


def _run_call(args: argparse.Namespace, role: Role) -> int:
    if args.credential is not None:
        return _run_enrolled(args, role)
    if not args.invite:
        print(
            "error: give --invite CODE (or --credential FILE for an enrolled device)",
            file=sys.stderr,
        )
        return 2
    try:
        config = CallConfig.from_invite(
            args.server,
            args.invite,
            args.name,
            ca_file=args.ca_file,
            ice_transport_policy="relay" if args.relay_only else "all",
            quality=getattr(args, "quality", DEFAULT_PRESET),
            lecture=getattr(args, "lecture", False),
        )
    except CallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if config.role is not role:
        print(
            f"error: this invite is for the {config.role.value} role; run "
            f"'ultrasound-consult {config.role.value} ...' or ask for a {role.value} invite",
            file=sys.stderr,
        )
        return 2
    mask = None
    if role is Role.STATION:
        parse_source_spec(args.source)  # fail early on a typo
        if args.camera:
            parse_source_spec(args.camera)
        try:
            mask = _station_mask(args)
        except (ValueError, MaskStoreError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    audio_spec = args.audio or ("none" if args.headless else "mic")
    speaker_spec = args.speaker or ("none" if args.headless else "default")
    try:
        audio, speaker = open_capture(audio_spec), open_output(speaker_spec)
    except AudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.headless:
        from ultrasound_consult.headless import run_headless_main

        return run_headless_main(
            config,
            source_spec=getattr(args, "source", None),
            mask=mask,
            duration=args.duration,
            auto_annotate=getattr(args, "auto_annotate", 0.0),
            audio=audio,
            speaker=speaker,
            camera_spec=getattr(args, "camera", None),
            record=args.record,
        )

    def window() -> int:
        from ultrasound_consult.ui.app import run_call_window

        station = role is Role.STATION
        source = open_source(args.source) if station else None
        camera = open_camera(args.camera) if station and args.camera else None
        return run_call_window(
            config,
            source=source,
            mask=mask,
            language=args.lang,
            audio=audio,
            speaker=speaker,
            camera=camera,
        )

    return _run_gui_command(window)


def _station_mask(args: argparse.Namespace) -> PrivacyMask:
    """The mask asked for on the command line, or the one remembered for this source."""
    spec = parse_source_spec(args.source)
    key = source_key(spec, device_name(spec.device) if spec.device is not None else None)
    store = MaskStore()
    rects = tuple(parse_rect(r) for r in args.mask_rect)
    if rects or args.remember_mask:
        top = DEFAULT_TOP_BAND if args.mask_top is None else args.mask_top
        mask = PrivacyMask(top_band=top, rects=rects)
        if args.remember_mask:
            store.save(key, mask)
            print(f"privacy mask remembered for {key}: {_describe(mask)}", file=sys.stderr)
        return mask
    saved = store.load(key)
    if saved is None:
        top = DEFAULT_TOP_BAND if args.mask_top is None else args.mask_top
        return PrivacyMask(top_band=top)
    if args.mask_top is not None:
        saved = PrivacyMask(top_band=args.mask_top, rects=saved.rects)
    print(f"privacy mask for {key} (remembered): {_describe(saved)}", file=sys.stderr)
    return saved


def _describe(mask: PrivacyMask) -> str:
    return f"top {mask.top_band:.0%}" + (
        f" and {len(mask.rects)} rectangle(s)" if mask.rects else ""
    )


NO_DISPLAY = (
    "No display found (DISPLAY and WAYLAND_DISPLAY are not set). Run this on a desktop, "
    "under a virtual screen (xvfb-run ...), or add --headless to run the call without a window. "
    "'ultrasound-consult demo' also works without a display."
)


def _run_gui_command(run: Callable[[], int], *, needs_display: bool = True) -> int:
    try:
        from ultrasound_consult.ui.app import display_available
    except ImportError as exc:
        print(
            f"error: the windows need Qt, which failed to load ({exc}).\n"
            "Install the system libraries listed in README.md (./dev setup does it), "
            "or add --headless.",
            file=sys.stderr,
        )
        return 2
    if needs_display and not display_available():
        print(f"error: {NO_DISPLAY}", file=sys.stderr)
        return 2
    return run()


def _demo(args: argparse.Namespace) -> int:
    if args.lecture:
        from ultrasound_consult.ui.lecture_demo import run_lecture_demo

        return run_lecture_demo(
            duration=args.duration,
            output=args.output,
            source_spec=args.source,
            language=args.lang,
            autopilot=args.autopilot,
        )
    from ultrasound_consult.ui.demo import run_demo

    return run_demo(
        duration=args.duration,
        output=args.output,
        source_spec=args.source,
        language=args.lang,
        autopilot=args.autopilot,
    )


def _replay(args: argparse.Namespace) -> int:
    from ultrasound_consult.ui.replay_window import run_replay_window

    return run_replay_window(args.bundle, language=args.lang)


def _gui(args: argparse.Namespace) -> int:
    from ultrasound_consult.ui.launcher import run_app

    return run_app(
        language=getattr(args, "lang", None), first_screen_png=getattr(args, "first_screen", None)
    )


def _bench(args: argparse.Namespace) -> int:
    import json

    from ultrasound_consult.benchmark.machine import machine
    from ultrasound_consult.benchmark.runner import BenchOptions, run_bench

    if args.signaling:
        from ultrasound_consult.benchmark.signaling_load import run_command

        return run_command(args, build_parser())
    if args.weak_networks:
        from ultrasound_consult.benchmark.weak import run_weak_networks

        source = args.source
        if source == "synthetic":
            source = f"synthetic:{args.resolution}@{args.fps:g}"

        def plot(name: str, result: dict) -> None:
            if args.plot:
                from ultrasound_consult.benchmark.plot import plot_series

                result["plot"] = str(plot_series(result, Path(args.plot) / f"{name}.png"))

        result = run_weak_networks(source, compare_stock=not args.no_stock, on_result=plot)
        print(json.dumps(result))
        return 0
    if args.ladder:
        from ultrasound_consult.benchmark.ladder import run_ladder_bench

        source = args.source
        if source == "synthetic":
            source = f"synthetic:{args.resolution}@{args.fps:g}"
        print(json.dumps({**run_ladder_bench(source), "machine": machine()}))
        return 0
    if args.lecture:
        from ultrasound_consult.benchmark.lecture import LectureOptions, run_lecture_bench

        try:
            counts = [int(n) for n in args.lecture.split(",")]
        except ValueError:
            counts = []
        if not counts or min(counts) < 1:
            print("error: --lecture takes trainee counts, e.g. 1,4,16,30", file=sys.stderr)
            return 2
        lecture = LectureOptions(
            trainees=counts,
            size=args.resolution,
            preset=args.quality,
            window=args.lecture_window,
            warmup=args.lecture_warmup,
            messages=args.lecture_messages,
        )
        print(json.dumps(run_lecture_bench(lecture)))
        return 0
    if args.replay:
        from ultrasound_consult.benchmark.replay import run_replay_bench

        print(json.dumps({**run_replay_bench(args.replay), "machine": machine()}))
        return 0

    source = args.source
    if source == "synthetic":
        source = f"synthetic:{args.resolution}@{args.fps:g}"
    parse_source_spec(source)
    options = BenchOptions(
        source=source,
        quality=args.quality,
        codec=args.codec,
        bitrate_mbps=args.bitrate,
        duration=args.duration,
        warmup=args.warmup,
        network=args.network,
        camera=args.camera,
        compare_stock=not args.no_stock,
        hands=args.hands,
        record=args.record,
        audio=args.audio,
    )
    try:
        result = run_bench(options)
        if args.plot:
            from ultrasound_consult.benchmark.plot import plot_series

            try:
                result["plot"] = str(plot_series(result, Path(args.plot)))
            except Exception as exc:  # the figures matter more than their picture
                result["plot_error"] = repr(exc)
        print(json.dumps(result))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _sources(args: argparse.Namespace) -> int:
    import json

    from ultrasound_consult.media.capture import list_capture_devices

    devices = list_capture_devices()
    if args.json:
        for d in devices:
            print(json.dumps(d.to_dict()))
        return 0
    if not devices:
        print("No capture devices found. Plug in the capture card, then run this again.")
    for d in devices:
        print(f"device:{d.index}\t{d.name}\t{d.path}")
        if d.problem:
            print(f"    cannot list its modes: {d.problem} (is another program using it?)")
        for m in d.modes:
            print(f"    device:{d.index}:{m.width}x{m.height}@{m.fps[0]:g}\t{m}")
    print(
        "Open a mode with --source device:N:WxH@FPS (the native mode of the scanner's "
        "output: do not rescale). Other sources: synthetic[:WxH[@FPS]], dicom:PATH, "
        "file:PATH, testcard (for --camera)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
