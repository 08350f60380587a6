"""Run the benchmark: our media settings and stock aiortc's, each as a real call.

For each variant it starts a station process and an expert process against a
signalling server process, lets them warm up, measures a window, and joins the
two sides' records:

* latency: station capture -> expert decoded, and -> painted in the expert's window
  (frames matched exactly by station media time, see ``media/rtp_clock.py``);
* frame rates sent and received; bitrate from the sender's RTP byte count;
* SSIM and PSNR of received frames against the very frame the station sent
  (regenerated from the deterministic source, masked, scaled as sent), inside the
  image region, computed after the call so the measurement does not load it;
* CPU of each process over the window; annotation op -> painted at the station;
* with an outage in the network profile, how long the picture takes to return.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from signaling_server.process import SignalingServerProcess
from ultrasound_consult.benchmark import frame_counter, netem
from ultrasound_consult.benchmark.machine import machine
from ultrasound_consult.benchmark.percentiles import summary
from ultrasound_consult.benchmark.similarity import luma, psnr, ssim
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.quality import preset as quality_preset
from ultrasound_consult.media.source import PacedSource
from ultrasound_consult.media.source_spec import open_source

ROLES = [sys.executable, "-m", "ultrasound_consult.benchmark.role_window"]


@dataclass
class BenchOptions:
    source: str = "synthetic:1024x768@30"
    quality: str = "diagnostic"
    codec: str = "vp8"
    bitrate_mbps: float | None = None
    duration: float = 20.0
    #: The first seconds of a call climb to the preset's bitrate (BitratePolicy).
    warmup: float = 10.0
    network: str = "none"
    #: A second camera sent with the ultrasound (its cost on the ultrasound is the point).
    camera: str | None = None
    compare_stock: bool = True
    #: The expert's hands under load: every annotation kind, a live pointer at mouse
    #: rate, and a 10,000-point stroke mid-window.
    hands: bool = False
    #: Run the call a second time with both sides recording, and compare.
    record: bool = False
    #: Voice both ways (a tone each way), with the playback's underruns counted.
    audio: bool = False
    quality_samples: int = 40


def run_variant(
    server: SignalingServerProcess,
    opts: BenchOptions,
    *,
    stock: bool,
    workdir: Path,
    record: bool = False,
) -> dict[str, Any]:
    room = f"bench-{'stock' if stock else 'tuned'}-{time.monotonic_ns()}"
    start = time.monotonic() + 2.0  # both processes count the network schedule from here
    common = [
        "--server",
        server.url,
        "--start",
        repr(start),
        "--warmup",
        str(opts.warmup),
        "--duration",
        str(opts.duration),
        "--network",
        opts.network,
        "--quality",
        opts.quality,
        "--codec",
        opts.codec,
        *(["--hands"] if opts.hands else []),
        *(["--audio"] if opts.audio else []),
    ]
    if opts.bitrate_mbps:
        common += ["--bitrate", str(opts.bitrate_mbps)]
    if stock:
        common.append("--stock")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    outs = {role: workdir / f"{room}-{role}.json" for role in ("station", "expert")}
    recording = {
        r: ["--record", str(workdir / f"{room}-{r}-bundle")] if record else [] for r in outs
    }
    procs = {
        "station": subprocess.Popen(
            [
                *ROLES,
                "station",
                *common,
                "--invite",
                server.invite(room, "station"),
                "--source",
                opts.source,
                *(["--camera", opts.camera] if opts.camera else []),
                "--out",
                str(outs["station"]),
                *recording["station"],
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ),
        "expert": subprocess.Popen(
            [
                *ROLES,
                "expert",
                *common,
                "--invite",
                server.invite(room, "expert"),
                "--out",
                str(outs["expert"]),
                *recording["expert"],
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ),
    }
    timeout = opts.warmup + opts.duration + 90
    errors: list[str] = []
    logged: list[str] = []  # tracebacks a process logged and survived
    for role, proc in procs.items():
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if proc.returncode != 0 or not outs[role].exists():
            errors.append(f"{role} process failed ({proc.returncode}): {err[-800:]}")
        elif "Traceback" in err:
            logged.append(f"{role}: {err[err.index('Traceback') :][:1500]}")
    if errors:
        return {"errors": errors}
    station = json.loads(outs["station"].read_text())
    expert = json.loads(outs["expert"].read_text())
    result = analyse(station, expert, outs["expert"].with_suffix(".npz"), opts)
    if logged:
        result["logged_errors"] = logged
    if record:
        result["recorded"] = {
            r: side.get("recording") for r, side in (("station", station), ("expert", expert))
        }
    return result


def analyse(
    station: dict[str, Any], expert: dict[str, Any], samples: Path, opts: BenchOptions
) -> dict[str, Any]:
    w0, w1 = expert["window"]
    captured = station["captured"]
    decoded_ms, painted_ms = [], []
    for k, t in expert["decoded"].items():
        if k in captured and w0 <= t < w1:
            decoded_ms.append((t - captured[k]) * 1000)
    for k, t in expert["painted"].items():
        if k in captured and w0 <= t < w1:
            painted_ms.append((t - captured[k]) * 1000)
    sent_in_window = sum(1 for t in captured.values() if w0 <= t < w1)
    painted_in_window = sum(1 for t in expert["painted"].values() if w0 <= t < w1)
    ann = [
        (station["annotations_painted"][a] - t) * 1000
        for a, t in expert["annotations_sent"].items()
        if a in station["annotations_painted"] and w0 <= t < w1
    ]
    duration = w1 - w0
    result: dict[str, Any] = {
        "latency_ms": summary(painted_ms, 50, 95, 100),
        "decode_latency_ms": summary(decoded_ms, 50, 95, 100),
        "fps_sent": round(sent_in_window / duration, 1),
        "fps_received": round(expert["frames_in_window"] / duration, 1),
        "fps_painted": round(painted_in_window / duration, 1),
        "bitrate_mbps": station["bitrate_mbps"],
        "cpu_percent": {"station": station["cpu_percent"], "expert": expert["cpu_percent"]},
        "annotation_ms": summary(ann, 50, 95),
        "annotations_measured": len(ann),
    }
    result.update(image_quality(samples, opts))
    result["call_errors"] = {
        "station": station.get("stats", {}).get("errors", []),
        "expert": expert.get("stats", {}).get("errors", []),
    }
    if "encoder" in station:
        result["encoder"] = station["encoder"]
    if "receive" in expert:
        result["receive"] = expert["receive"]
    fec_sent = station.get("stats", {}).get("fec", {})
    fec_received = expert.get("stats", {}).get("fec", {})
    if fec_sent.get("parity_sent"):
        result["fec"] = {
            "parity_sent": fec_sent.get("parity_sent"),
            "parity_received": fec_received.get("parity_received"),
            "packets_recovered": fec_received.get("packets_recovered"),
            "parity_mbps_in_window": station.get("fec_mbps"),
        }
    if opts.camera:
        camera = expert.get("stats", {}).get("camera", {})
        result["camera"] = {
            "fps_received": camera.get("fps_received"),
            "resolution": camera.get("resolution"),
            "bitrate_mbps": station.get("camera_encoder", {}).get("output_mbps"),
        }
    if opts.hands:
        result["hands"] = hands_figures(station, expert, captured, w0, w1)
    profile = netem.parse_profile(opts.network)
    if profile.down_s:
        result["recovery_s"] = recovery_after_outage(expert, profile, captured)
    if opts.audio:
        result["audio"] = {
            side: data.get("stats", {}).get("audio")
            for side, data in (("station", station), ("expert", expert))
        }
    result["series"] = per_second(station, expert)
    if profile.rate_steps:
        result["capacity_steps"] = step_figures(station, expert, profile, result["series"])
    return result


#: A frame later than this after a capacity drop counts as "not yet recovered".
STEP_LATENCY_MS = 250.0


def per_second(station: dict[str, Any], expert: dict[str, Any]) -> list[dict[str, Any]]:
    """Frames painted and their latency, second by second, with the station's rate control
    (seconds from the start of the measured window; warm-up seconds are negative)."""
    w0, w1 = expert["window"]
    captured = station["captured"]
    first = -math.ceil(w0 - expert["start"])
    rows: dict[int, dict[str, Any]] = {}
    for second in range(first, int(w1 - w0)):
        lo, hi = w0 + second, w0 + second + 1
        lat = [
            (t - captured[k]) * 1000
            for k, t in expert["painted"].items()
            if lo <= t < hi and k in captured
        ]
        rows[second] = {
            "t": second,
            "fps_painted": len(lat),
            "latency_ms": summary(lat, 50, 100),
        }
    for sample in station.get("series", []):
        second = math.floor(sample["t"] - 0.5)  # a sample covers the second before it
        if second in rows:
            rows[second].update({k: v for k, v in sample.items() if k != "t"})
    return [rows[k] for k in sorted(rows)]


def settled_after(
    painted: dict[str, float], captured: dict[str, float], t_step: float, t_end: float
) -> float | None:
    """Seconds from ``t_step`` until latency stays under STEP_LATENCY_MS for SETTLE_S:
    a late frame after that (a keyframe at a change of rung) is counted apart."""
    frames = sorted(
        (t, (t - captured[k]) * 1000)
        for k, t in painted.items()
        if t_step <= t < t_end and k in captured
    )
    for i, (t, _) in enumerate(frames):
        window = [ms for u, ms in frames[i:] if u < t + SETTLE_S]
        if frames[-1][0] >= t + SETTLE_S and all(ms <= STEP_LATENCY_MS for ms in window):
            return round(t - t_step, 2)
    return None


#: How long latency must stay down to count as settled.
SETTLE_S = 3.0


def step_figures(
    station: dict[str, Any],
    expert: dict[str, Any],
    profile: netem.NetworkProfile,
    series: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """For each change of capacity: how long until latency is back under
    :data:`STEP_LATENCY_MS` (a drop), or the rate sent reaches 75% of the new capacity
    (a rise)."""
    captured = station["captured"]
    w0, w1 = expert["window"]
    out = []
    previous = profile.rate_bps
    steps = list(profile.rate_steps)
    for i, (at, bps) in enumerate(steps):
        t_step = expert["start"] + at
        t_next = expert["start"] + steps[i + 1][0] if i + 1 < len(steps) else w1
        figure: dict[str, Any] = {
            "at_s": round(t_step - w0, 1),
            "from_mbit": None if previous is None else previous / 1e6,
            "to_mbit": bps / 1e6,
        }
        if previous is not None and bps < previous:
            late = [
                t
                for k, t in expert["painted"].items()
                if t_step <= t < t_next
                and k in captured
                and (t - captured[k]) * 1000 > STEP_LATENCY_MS
            ]
            figure["latency_back_under_250ms_s"] = round(max(late) - t_step, 2) if late else 0.0
            figure["latency_settled_under_250ms_s"] = settled_after(
                expert["painted"], captured, t_step, t_next
            )
        else:
            reach = 0.75 * bps / 1e6
            hit = [
                row["t"] + 1 - (t_step - w0)
                for row in series
                if row.get("sent_mbps") is not None
                and row["t"] + 1 >= t_step - w0
                and w0 + row["t"] < t_next
                and row["sent_mbps"] >= reach
            ]
            figure[f"time_to_{reach:g}mbps_s"] = round(min(hit), 1) if hit else None
        out.append(figure)
        previous = bps
    return out


def hands_figures(
    station: dict[str, Any],
    expert: dict[str, Any],
    captured: dict[str, float],
    w0: float,
    w1: float,
) -> dict[str, Any]:
    """Pointer rate at the station, and what a 10,000-point stroke does to the video."""
    arrivals = [t for t in station.get("pointer_received", []) if w0 <= t < w1]
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(arrivals)]
    out: dict[str, Any] = {
        "pointer_hz_at_station": round(len(arrivals) / (w1 - w0), 1),
        "pointer_gap_ms": summary(gaps, 50, 95, 100),
    }
    sent = expert.get("stroke", {}).get("sent")
    whole = station.get("stroke", {}).get("painted_whole")
    if sent is not None:
        before, during = [], []
        for k, t in expert["painted"].items():
            if k not in captured:
                continue
            ms = (t - captured[k]) * 1000
            if sent - 2.0 <= captured[k] < sent:
                before.append(ms)
            elif sent <= captured[k] < sent + 2.0:
                during.append(ms)
        station_paints = [t for t in station["painted"].values() if sent <= t < sent + 2.0]
        out["annotation_ms_outside_stroke"] = summary(
            [
                (station["annotations_painted"][a] - t) * 1000
                for a, t in expert["annotations_sent"].items()
                if a in station["annotations_painted"]
                and w0 <= t < w1
                and not sent - 0.1 <= t < sent + 2.0
            ],
            50,
            95,
            100,
        )
        out["stroke_10000"] = {
            "sent_to_painted_whole_ms": None if whole is None else round((whole - sent) * 1000, 1),
            "video_latency_ms_2s_before": summary(before, 50, 95, 100),
            "video_latency_ms_2s_after": summary(during, 50, 95, 100),
            "station_fps_painted_2s_after": round(len(station_paints) / 2.0, 1),
            "station_stroke_points_painted": station.get("stroke", {}).get("most_points"),
        }
    return out


def recovery_after_outage(
    expert: dict[str, Any], profile: netem.NetworkProfile, captured: dict[str, float]
) -> float | None:
    """Seconds from the link coming back to the first frame painted that was captured after."""
    link_up = expert["start"] + profile.down_at_s + profile.down_s
    fresh = [
        t
        for k, t in expert["painted"].items()
        if t >= link_up and k in captured and captured[k] >= link_up
    ]
    return round(min(fresh) - link_up, 2) if fresh else None


def regenerable_source(spec: str) -> PacedSource:
    """The source ``spec`` names, which renders frame *n* again on demand: quality is
    measured against the very frame that was sent, so a live device cannot serve."""
    source = open_source(spec)
    if not isinstance(source, PacedSource):
        raise ValueError(
            f"{spec}: the benchmark needs a source it can render again (synthetic, file: "
            "or dicom:), not a live device"
        )
    return source


def image_quality(samples: Path, opts: BenchOptions) -> dict[str, Any]:
    """SSIM and PSNR of received frames against what was sent, inside the image."""
    if not samples.exists():
        return {"ssim": None, "psnr_db": None}
    data = np.load(samples)
    stamps = data["media_ts"]
    picks = np.linspace(0, len(stamps) - 1, min(opts.quality_samples, len(stamps))).astype(int)
    source = regenerable_source(opts.source)
    fps = source.info.fps
    mask = PrivacyMask()
    order = sorted(set(picks), key=lambda i: round(stamps[i] * fps))  # sources render forwards
    ssims, psnrs = [], []
    counters = {"read": 0, "matching": 0}
    for i in range(len(stamps)):  # every sample: the burned-in counter against the RTP mapping
        number = frame_counter.read(data[f"y{i}"], source.info.height)
        if number is not None:
            counters["read"] += 1
            expected = round(float(stamps[i]) * fps) % (1 << frame_counter.BITS)
            counters["matching"] += number == expected
    for i in order:
        received = data[f"y{i}"]
        number = round(float(stamps[i]) * fps)
        sent = luma(source.render(number)).copy()
        mask.plan(sent.shape[1], sent.shape[0], source.info.image_regions).apply(sent)
        sent.flags.writeable = True
        frame_counter.stamp(sent, number)  # the station's frames carried it too
        sent = sent[: sent.shape[0] - sent.shape[0] % 2, : sent.shape[1] - sent.shape[1] % 2]
        # Compare in the decoder's terms: limited-range luma back to full range.
        received = np.clip((received.astype(np.float32) - 16) * (255 / 219), 0, 255).astype(
            np.uint8
        )
        if sent.shape != received.shape:
            # A lower rung of the ladder sent fewer lines: compare what the expert sees,
            # the picture scaled back up to the source's size.
            received = cv2.resize(
                received, (sent.shape[1], sent.shape[0]), interpolation=cv2.INTER_LINEAR
            )
        y0, y1, x0, x1 = image_box(sent)
        ssims.append(ssim(sent[y0:y1, x0:x1], received[y0:y1, x0:x1]))
        psnrs.append(psnr(sent[y0:y1, x0:x1], received[y0:y1, x0:x1]))
    return {
        "ssim": summary(ssims, 50, 5, digits=4),
        "psnr_db": summary(psnrs, 50, 5, digits=2),
        "quality_frames": len(ssims),
        "frame_counter_check": {"samples": len(stamps), **counters},
    }


def image_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """The bounding box of the image content (the scan sector, not the black around it)."""
    rows = np.flatnonzero((image > 12).sum(axis=1) > image.shape[1] * 0.05)
    cols = np.flatnonzero((image > 12).sum(axis=0) > image.shape[0] * 0.05)
    if len(rows) < 16 or len(cols) < 16:
        return 0, image.shape[0], 0, image.shape[1]
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def run_bench(opts: BenchOptions) -> dict[str, Any]:
    quality_preset(opts.quality)  # fail early on a typo
    netem.parse_profile(opts.network)
    source = regenerable_source(opts.source)  # fail early: quality needs it again
    with tempfile.TemporaryDirectory(prefix="uc-bench-") as tmp, SignalingServerProcess() as server:
        tuned = run_variant(server, opts, stock=False, workdir=Path(tmp))
        result: dict[str, Any] = {
            "benchmark": "call",
            "source": source.info.description,
            "quality": opts.quality,
            "codec": opts.codec.upper(),
            "bitrate_override_mbps": opts.bitrate_mbps,
            "network": netem.parse_profile(opts.network).describe(),
            "duration_s": opts.duration,
            **tuned,
        }
        if opts.record:
            recorded = run_variant(server, opts, stock=False, workdir=Path(tmp), record=True)
            result["with_recording"] = recorded
            result["recording_effect"] = {
                "fps_received": [tuned.get("fps_received"), recorded.get("fps_received")],
                "latency_p50_ms": [
                    tuned.get("latency_ms", {}).get("p50"),
                    recorded.get("latency_ms", {}).get("p50"),
                ],
                "latency_p95_ms": [
                    tuned.get("latency_ms", {}).get("p95"),
                    recorded.get("latency_ms", {}).get("p95"),
                ],
                "cpu_percent": [tuned.get("cpu_percent"), recorded.get("cpu_percent")],
                "recorded": recorded.get("recorded"),
                "note": "[without recording, with both sides recording]",
            }
        if opts.compare_stock:
            stock = run_variant(server, opts, stock=True, workdir=Path(tmp))
            result["stock_aiortc"] = stock
            result["ratio_to_stock"] = ratios(tuned, stock)
    result["machine"] = machine()
    return result


def ratios(tuned: dict[str, Any], stock: dict[str, Any]) -> dict[str, float | None]:
    def r(a: float | None, b: float | None) -> float | None:
        return None if not a or not b else round(a / b, 3)

    def get(d: dict[str, Any], *path: str) -> Any:
        for p in path:
            d = d.get(p) if isinstance(d, dict) else None  # type: ignore[assignment]
        return d

    return {
        "latency_p50": r(get(tuned, "latency_ms", "p50"), get(stock, "latency_ms", "p50")),
        "latency_p95": r(get(tuned, "latency_ms", "p95"), get(stock, "latency_ms", "p95")),
        "fps_received": r(tuned.get("fps_received"), stock.get("fps_received")),
        "ssim_p50": r(get(tuned, "ssim", "p50"), get(stock, "ssim", "p50")),
        "bitrate": r(tuned.get("bitrate_mbps"), stock.get("bitrate_mbps")),
    }
