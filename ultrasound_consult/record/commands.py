"""``ultrasound-consult replay BUNDLE --check`` and ``ultrasound-consult export ...``.

Each prints one JSON line on stdout (what was checked or written) and explains
failures on stderr with what to do; exit status 0 when it worked, 1 when the
bundle has problems (check) or the export failed, 2 for unusable input.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from pathlib import Path
from typing import Any

from ultrasound_consult.record.bundle import BundleError
from ultrasound_consult.record.export import (
    CueCaption,
    ExportError,
    export_mp4,
    export_png,
    export_vtt,
    plain_caption,
)
from ultrasound_consult.record.player import VideoReadError
from ultrasound_consult.record.review import load_reviews
from ultrasound_consult.record.session_bundle import SessionBundle

logger = logging.getLogger(__name__)


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("bundle", type=Path, help="the recording's folder")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--mp4", type=Path, metavar="OUT", help="a video clip (H.264 MP4)")
    what.add_argument("--dicom", type=Path, metavar="OUT", help="a multi-frame DICOM file")
    what.add_argument("--png", type=Path, metavar="OUT", help="one frame (with --at)")
    what.add_argument(
        "--vtt", type=Path, metavar="OUT", help="WebVTT captions: cues, markers, comments"
    )
    what.add_argument(
        "--report", type=Path, metavar="OUT", help="the review report (HTML, printable)"
    )
    p.add_argument(
        "--burn-in", action="store_true", help="draw the annotations and cues into the MP4"
    )
    p.add_argument("--clean", action="store_true", help="PNG without annotations")
    p.add_argument("--at", type=float, default=None, metavar="SECONDS", help="for --png: when")
    p.add_argument("--from", dest="start", type=float, default=None, metavar="SECONDS")
    p.add_argument("--to", dest="end", type=float, default=None, metavar="SECONDS")


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _json_line(obj: Any) -> str:
    """Strict JSON (a NaN from a damaged file must not make the output invalid JSON)."""
    try:
        return json.dumps(obj, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(obj), ensure_ascii=False, allow_nan=False)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _unreadable(exc: Exception) -> str:
    # Last line of defence for damaged input the readers did not foresee: a report,
    # never a traceback. The readers' own checks give the specific reasons.
    logger.debug("unreadable recording", exc_info=exc)
    return f"the recording is damaged in a way it cannot be read ({type(exc).__name__}: {exc})"


def check_command(folder: Path) -> int:
    try:
        bundle = SessionBundle.open(folder)
        report = bundle.check()
    except BundleError as exc:
        print(_json_line({"bundle": str(folder), "ok": False, "problems": [str(exc)]}))
        return 2
    except Exception as exc:
        print(_json_line({"bundle": str(folder), "ok": False, "problems": [_unreadable(exc)]}))
        return 2
    print(_json_line(report))
    return 0 if report["ok"] else 1


def export_command(args: argparse.Namespace, caption: CueCaption = plain_caption) -> int:
    try:
        bundle = SessionBundle.open(args.bundle)
    except BundleError as exc:
        return _fail(str(exc), 2)
    except Exception as exc:
        return _fail(_unreadable(exc), 2)
    result: dict[str, Any] = {"bundle": str(args.bundle)}
    try:
        if args.mp4:
            frames = export_mp4(
                bundle,
                args.mp4,
                annotated=args.burn_in,
                start_s=args.start,
                end_s=args.end,
                caption=caption,
            )
            result.update(mp4=str(args.mp4), frames=frames, burn_in=args.burn_in)
        elif args.png:
            if args.at is None:
                return _fail("--png needs --at SECONDS (the moment to export)", 2)
            index = export_png(bundle, args.png, args.at, annotated=not args.clean, caption=caption)
            result.update(png=str(args.png), frame=index)
        elif args.vtt:
            reviews, _ = load_reviews(args.bundle)
            export_vtt(bundle, args.vtt, reviews, caption=caption)
            result.update(vtt=str(args.vtt))
        elif args.dicom:
            from ultrasound_consult.record.dicom_export import export_dicom

            summary = export_dicom(bundle, args.dicom, start_s=args.start, end_s=args.end)
            result.update(
                dicom=str(args.dicom),
                sop_class=summary.sop_class,
                frames=summary.frames,
                calibrated=summary.calibrated,
            )
        elif args.report:
            from ultrasound_consult.record.report import write_report

            reviews, problems = load_reviews(args.bundle)
            write_report(bundle, args.report, reviews, caption=caption)
            result.update(report=str(args.report), reviews=len(reviews), review_problems=problems)
    except (ExportError, VideoReadError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"could not write the export: {exc}")
    except Exception as exc:
        return _fail(_unreadable(exc))
    if bundle.problems:
        result["problems"] = bundle.problems
    print(_json_line(result))
    return 0
