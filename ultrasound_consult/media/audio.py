"""Two-way audio: the microphone to every peer, every peer to the speaker.

Capture delivers 20 ms blocks of 48 kHz mono int16 from its own thread: a real
microphone through PortAudio (``sounddevice``), or a tone or a WAV file played in
real time by :class:`SyntheticCapture`, which calls the very same delivery path, so
what tests hear is what a clinic's microphone goes through. :class:`AudioFanout`
gives each peer connection its own track (a track can feed one sender), keeping
only the newest blocks so a stalled peer never builds delay; muting sends silence.

Playback mixes every remote audio track through a small jitter buffer each (60 ms
target, 200 ms at most) into 20 ms blocks pulled by an output clock: the speaker's
own callback, or :class:`RecordingOutput` for tests and for ``--speaker record:``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import wave
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
BLOCK = 960  # 20 ms
#: Blocks kept per peer before the oldest is dropped (a peer not reading loses old audio).
FANOUT_DEPTH = 5
PLAYOUT_TARGET = 3 * BLOCK  # 60 ms
PLAYOUT_MAX = 10 * BLOCK  # 200 ms

Deliver = Callable[[np.ndarray], None]


class AudioError(RuntimeError):
    """No microphone or speaker (or a bad audio spec): the text says what to do."""


# --- capture ---------------------------------------------------------------------


class AudioCapture(ABC):
    """Delivers int16 mono blocks of :data:`BLOCK` samples from its own thread."""

    description = "audio"

    @abstractmethod
    def start(self, deliver: Deliver) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...


def _open_stream(output: bool, device: int | None, callback: Any, problem: str) -> Any:
    """A started PortAudio stream (48 kHz mono int16, 20 ms blocks), or :class:`AudioError`."""
    try:
        import sounddevice as sd

        kind = sd.OutputStream if output else sd.InputStream
        stream = kind(
            samplerate=SAMPLE_RATE,
            channels=1,
            dtype="int16",
            blocksize=BLOCK,
            device=device,
            callback=callback,
        )
        stream.start()
        return stream
    except Exception as exc:  # PortAudio raises its own kinds, or OSError without it
        raise AudioError(problem.format(exc=exc)) from None


def _close_stream(stream: Any) -> None:
    if stream is not None:
        stream.stop()
        stream.close()


class DeviceCapture(AudioCapture):
    """A microphone through PortAudio."""

    def __init__(self, device: int | None = None) -> None:
        self.device = device
        self._stream: Any = None
        self.description = f"microphone {device if device is not None else '(default)'}"

    def start(self, deliver: Deliver) -> None:
        def callback(indata: np.ndarray, frames: int, _time: object, status: object) -> None:
            deliver(indata[:, 0].copy())

        self._stream = _open_stream(
            False,
            self.device,
            callback,
            "the microphone could not be opened ({exc}). Plug one in or choose another "
            "in the settings; the call goes on without sound from here.",
        )

    def stop(self) -> None:
        _close_stream(self._stream)


class SyntheticCapture(AudioCapture):
    """A tone, or a WAV file, delivered in real time like a microphone's callback."""

    def __init__(self, samples: np.ndarray, description: str) -> None:
        self._samples = samples.astype(np.int16)
        self.description = description
        self._thread: threading.Thread | None = None
        self._running = threading.Event()

    @classmethod
    def tone(cls, hz: float = 440.0, level: float = 0.3) -> SyntheticCapture:
        n = SAMPLE_RATE  # one second loops seamlessly for whole-hertz tones
        t = np.arange(n) / SAMPLE_RATE
        return cls((np.sin(2 * np.pi * hz * t) * level * 32767).astype(np.int16), f"tone {hz:g} Hz")

    @classmethod
    def wav(cls, path: str | Path) -> SyntheticCapture:
        return cls(read_audio_file(path), f"file {Path(path).name}")

    def start(self, deliver: Deliver) -> None:
        self._running.set()
        self._thread = threading.Thread(
            target=self._play, args=(deliver,), name="audio-capture", daemon=True
        )
        self._thread.start()

    def _play(self, deliver: Deliver) -> None:
        position, t0, n = 0, time.perf_counter(), 0
        samples = np.concatenate([self._samples, self._samples[:BLOCK]])
        while self._running.is_set():
            block = samples[position : position + BLOCK]
            if len(block) < BLOCK:
                position = 0
                continue
            deliver(block.copy())
            position = (position + BLOCK) % len(self._samples)
            n += 1
            delay = t0 + n * BLOCK / SAMPLE_RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # pacing a real-time source, as a sound card does

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(1)


def read_audio_file(path: str | Path) -> np.ndarray:
    """Any audio file PyAV reads, as 48 kHz mono int16."""
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise AudioError(f"cannot read {path} as audio ({exc})") from None
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    chunks = []
    with container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
    if not chunks:
        raise AudioError(f"{path} holds no audio")
    return np.concatenate(chunks).astype(np.int16)


def open_capture(spec: str) -> AudioCapture | None:
    """``mic[:N]``, ``tone[:HZ]``, ``file:PATH`` or ``none``."""
    kind, _, arg = spec.partition(":")
    if kind == "none":
        return None
    if kind == "mic":
        return DeviceCapture(int(arg) if arg else None)
    if kind == "tone":
        return SyntheticCapture.tone(float(arg) if arg else 440.0)
    if kind == "file":
        return SyntheticCapture.wav(arg)
    raise AudioError(f"unknown audio source {spec!r}: use mic, mic:N, tone:HZ, file:PATH or none")


class AudioFanout:
    """One capture, one outgoing track per peer; mute sends silence."""

    def __init__(self, capture: AudioCapture) -> None:
        self.capture = capture
        self.muted = False
        self._tracks: list[OutgoingAudioTrack] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.blocks = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.capture.start(self._from_thread)

    def stop(self) -> None:
        self.capture.stop()
        for track in self._tracks:
            track.stop()

    def track(self) -> OutgoingAudioTrack:
        track = OutgoingAudioTrack(self)
        self._tracks.append(track)
        return track

    def _from_thread(self, block: np.ndarray) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closing
                self._loop.call_soon_threadsafe(self._push, block)

    def _push(self, block: np.ndarray) -> None:
        self.blocks += 1
        if self.muted:
            block = np.zeros_like(block)
        for track in list(self._tracks):
            if track.readyState == "ended":
                self._tracks.remove(track)
            else:
                track.push(block)


class OutgoingAudioTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, fanout: AudioFanout) -> None:
        super().__init__()
        self._queue: deque[np.ndarray] = deque(maxlen=FANOUT_DEPTH)
        self._fresh = asyncio.Event()
        self._pts = 0

    def push(self, block: np.ndarray) -> None:
        self._queue.append(block)
        self._fresh.set()

    async def recv(self) -> av.AudioFrame:
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._fresh.clear()
            await self._fresh.wait()
        block = self._queue.popleft()
        frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = Fraction(1, SAMPLE_RATE)
        self._pts += len(block)
        return frame

    def stop(self) -> None:
        super().stop()
        self._fresh.set()


# --- playback ----------------------------------------------------------------------


class PlayoutBuffer:
    """One remote stream's samples awaiting playback (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._samples = np.zeros(0, np.int16)
        self._primed = False
        self.underruns = 0

    def write(self, samples: np.ndarray) -> None:
        with self._lock:
            self._samples = np.concatenate([self._samples, samples])
            if len(self._samples) > PLAYOUT_MAX:  # too far behind: catch up, drop the oldest
                self._samples = self._samples[-PLAYOUT_TARGET:]
            if len(self._samples) >= PLAYOUT_TARGET:
                self._primed = True

    def read(self, n: int) -> np.ndarray:
        with self._lock:
            if not self._primed or len(self._samples) < n:
                if self._primed:
                    self.underruns += 1
                    self._primed = False  # rebuild the cushion before playing on
                return np.zeros(n, np.int16)
            out, self._samples = self._samples[:n], self._samples[n:]
            return out


class AudioOutput(ABC):
    """Pulls mixed blocks from the player at the output's own clock."""

    @abstractmethod
    def start(self, pull: Callable[[int], np.ndarray]) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...


class DeviceOutput(AudioOutput):
    def __init__(self, device: int | None = None) -> None:
        self.device = device
        self._stream: Any = None

    def start(self, pull: Callable[[int], np.ndarray]) -> None:
        def callback(outdata: np.ndarray, frames: int, _time: object, status: object) -> None:
            outdata[:, 0] = pull(frames)

        self._stream = _open_stream(
            True,
            self.device,
            callback,
            "the speaker could not be opened ({exc}). Check the headset or speaker; "
            "the call goes on without sound here.",
        )

    def stop(self) -> None:
        _close_stream(self._stream)


class RecordingOutput(AudioOutput):
    """An output clock in a thread that keeps (and optionally writes) what it played."""

    def __init__(self, path: str | Path | None = None, keep_seconds: float = 60.0) -> None:
        self.path = Path(path) if path else None
        self._keep = int(keep_seconds * SAMPLE_RATE / BLOCK)
        self.blocks: deque[np.ndarray] = deque(maxlen=self._keep)
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
        self._wav: wave.Wave_write | None = None

    def start(self, pull: Callable[[int], np.ndarray]) -> None:
        if self.path is not None:
            self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 - closed in stop()
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(SAMPLE_RATE)
        self._running.set()
        self._thread = threading.Thread(
            target=self._clock, args=(pull,), name="audio-output", daemon=True
        )
        self._thread.start()

    def _clock(self, pull: Callable[[int], np.ndarray]) -> None:
        t0, n = time.perf_counter(), 0
        while self._running.is_set():
            block = pull(BLOCK)
            self.blocks.append(block)
            if self._wav is not None:
                self._wav.writeframes(block.tobytes())
            n += 1
            delay = t0 + n * BLOCK / SAMPLE_RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # the clock of a sound card

    def recent(self, seconds: float) -> np.ndarray:
        blocks = list(self.blocks)[-int(seconds * SAMPLE_RATE / BLOCK) :]
        return np.concatenate(blocks) if blocks else np.zeros(0, np.int16)

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(1)
        if self._wav is not None:
            self._wav.close()


def open_output(spec: str) -> AudioOutput | None:
    """``default``, ``N`` (a device), ``record:PATH.wav`` or ``none``."""
    if spec == "none":
        return None
    if spec == "default":
        return DeviceOutput()
    if spec.isdigit():
        return DeviceOutput(int(spec))
    if spec.startswith("record:"):
        return RecordingOutput(spec.removeprefix("record:") or None)
    raise AudioError(f"unknown speaker {spec!r}: use default, N, record:PATH.wav or none")


class AudioPlayer:
    """Mixes every remote audio track into one output."""

    def __init__(self, output: AudioOutput) -> None:
        self.output = output
        self._buffers: dict[int, PlayoutBuffer] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.frames = 0
        self._underruns_done = 0

    @property
    def underruns(self) -> int:
        """Times a playing stream ran dry (the network stalled longer than the cushion)."""
        return self._underruns_done + sum(b.underruns for b in self._buffers.values())

    def start(self) -> None:
        self.output.start(self._mix)

    def add(self, track: MediaStreamTrack) -> None:
        buffer = PlayoutBuffer()
        self._buffers[id(track)] = buffer
        self._tasks.append(asyncio.get_running_loop().create_task(self._drain(track, buffer)))

    async def _drain(self, track: MediaStreamTrack, buffer: PlayoutBuffer) -> None:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        try:
            while True:
                frame = await track.recv()
                self.frames += 1
                for out in resampler.resample(frame):
                    buffer.write(out.to_ndarray().reshape(-1))
        except MediaStreamError:
            pass
        finally:
            gone = self._buffers.pop(id(track), None)
            if gone is not None:
                self._underruns_done += gone.underruns

    def _mix(self, n: int) -> np.ndarray:
        buffers = list(self._buffers.values())
        if not buffers:
            return np.zeros(n, np.int16)
        mixed = np.sum([b.read(n).astype(np.int32) for b in buffers], axis=0)
        return np.clip(mixed, -32768, 32767).astype(np.int16)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.output.stop()


def dominant_hz(samples: np.ndarray) -> float:
    """The strongest frequency in a block of samples (tests and the pre-call check)."""
    if len(samples) < 2:
        return 0.0
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.argmax(spectrum[1:]) + 1) * SAMPLE_RATE / len(samples)
