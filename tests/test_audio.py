"""Two-way audio: tones through real Opus over real aiortc peers, mute, missing devices."""

from __future__ import annotations

import contextlib
import wave
from collections.abc import AsyncIterator

import numpy as np
import pytest

from tests.support.observers import RecordingObserver
from ultrasound_consult.media.audio import (
    BLOCK,
    FANOUT_DEPTH,
    PLAYOUT_MAX,
    PLAYOUT_TARGET,
    SAMPLE_RATE,
    AudioCapture,
    AudioError,
    AudioFanout,
    AudioOutput,
    DeviceCapture,
    DeviceOutput,
    PlayoutBuffer,
    RecordingOutput,
    SyntheticCapture,
    dominant_hz,
    open_capture,
    open_output,
)
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.session.call import CallConfig, ConsultCall
from ultrasound_consult.session.observer import CallState


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


def tone_purity(samples: np.ndarray, hz: float) -> float:
    """Share of the signal's energy within 20 Hz of ``hz`` (a clean tone is near 1)."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples)))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)
    return float(spectrum[np.abs(freqs - hz) <= 20].sum() / spectrum.sum())


# --- pieces ----------------------------------------------------------------------------


def test_playout_buffer_waits_for_its_cushion_and_catches_up():
    buf = PlayoutBuffer()
    buf.write(np.ones(PLAYOUT_TARGET - 1, np.int16))
    assert not buf.read(BLOCK).any(), "silence until 60 ms are buffered"
    buf.write(np.ones(1, np.int16))
    assert buf.read(BLOCK).all()
    # Drain it: one underrun, then silence until the cushion is rebuilt.
    while len(buf._samples) >= BLOCK:
        buf.read(BLOCK)
    assert not buf.read(BLOCK).any() and buf.underruns == 1
    # A burst after a stall never keeps more than 200 ms: the oldest goes.
    buf.write(np.arange(PLAYOUT_MAX + BLOCK, dtype=np.int16))
    assert len(buf._samples) <= PLAYOUT_MAX
    assert buf.read(1)[0] > BLOCK, "the newest samples were kept"


def test_tone_and_file_sources(tmp_path):
    tone = SyntheticCapture.tone(440)
    assert abs(dominant_hz(tone._samples) - 440) < 2
    path = tmp_path / "voice.wav"
    t = np.arange(SAMPLE_RATE // 2) / 16_000
    with wave.open(str(path), "wb") as w:  # a 16 kHz file, as speech recorders write
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes((np.sin(2 * np.pi * 660 * t) * 8000).astype(np.int16).tobytes())
    samples = open_capture(f"file:{path}")._samples  # type: ignore[union-attr]
    assert abs(len(samples) - SAMPLE_RATE * 1.5) < 200, "resampled to 48 kHz"
    assert abs(dominant_hz(samples) - 660) < 2


def test_bad_audio_specs_say_what_is_accepted(tmp_path):
    with pytest.raises(AudioError, match="mic, mic:N, tone:HZ"):
        open_capture("microphone")
    with pytest.raises(AudioError, match="default, N, record:PATH"):
        open_output("loud")
    (tmp_path / "empty.wav").write_bytes(b"not audio")
    with pytest.raises(AudioError, match="cannot read"):
        open_capture(f"file:{tmp_path / 'empty.wav'}")
    assert open_capture("none") is None and open_output("none") is None
    assert isinstance(open_capture("mic:3"), DeviceCapture)
    assert isinstance(open_output("2"), DeviceOutput)


def test_missing_devices_raise_a_clear_error():
    with pytest.raises(AudioError, match="microphone could not be opened"):
        DeviceCapture(4242).start(lambda block: None)
    with pytest.raises(AudioError, match="speaker could not be opened"):
        DeviceOutput(4242).start(lambda n: np.zeros(n, np.int16))


async def test_a_peer_that_stops_reading_never_builds_delay():
    class Manual(AudioCapture):
        def start(self, deliver):
            self.deliver = deliver

        def stop(self):
            pass

    capture = Manual()
    fanout = AudioFanout(capture)
    fanout.start()
    track = fanout.track()
    for i in range(20):
        fanout._push(np.full(BLOCK, i, np.int16))
    assert len(track._queue) == FANOUT_DEPTH
    frame = await track.recv()
    assert frame.to_ndarray()[0, 0] == 20 - FANOUT_DEPTH, "the oldest were dropped"
    fanout.muted = True
    fanout._push(np.full(BLOCK, 99, np.int16))
    assert not track._queue[-1].any(), "muted sends silence, keeping the stream's timing"
    fanout.stop()


# --- in a call ----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def audio_party(
    url: str,
    code: str,
    *,
    station: bool,
    audio: AudioCapture | None,
    speaker: AudioOutput | None,
) -> AsyncIterator[tuple[ConsultCall, RecordingObserver]]:
    obs = RecordingObserver()
    call = ConsultCall(
        CallConfig.from_invite(url, code, "Clinic" if station else "Dr Li"),
        obs,
        source=open_source("synthetic:320x240@30") if station else None,
        mask=PrivacyMask(),
        audio=audio,
        speaker=speaker,
    )
    await call.start()
    try:
        yield call, obs
    finally:
        await call.stop()


async def test_both_sides_hear_each_other_and_mute_silences(signaling_url, invite):
    station_ear, expert_ear = RecordingOutput(), RecordingOutput()
    async with (
        audio_party(
            signaling_url,
            invite("station"),
            station=True,
            audio=SyntheticCapture.tone(440),
            speaker=station_ear,
        ) as (st, st_obs),
        audio_party(
            signaling_url,
            invite("expert"),
            station=False,
            audio=SyntheticCapture.tone(880),
            speaker=expert_ear,
        ) as (ex, ex_obs),
    ):
        await ex_obs.wait_for(lambda: ex_obs.state is CallState.CONNECTED, what="connected")

        def hears(ear: RecordingOutput, hz: float) -> bool:
            heard = ear.recent(0.5)
            return (
                len(heard) == SAMPLE_RATE // 2
                and rms(heard) > 1000
                and (abs(dominant_hz(heard) - hz) < 4)
            )

        await ex_obs.wait_for(lambda: hears(expert_ear, 440), what="expert hears 440 Hz")
        await st_obs.wait_for(lambda: hears(station_ear, 880), what="station hears 880 Hz")
        # Steady playback: a second of clean tone, no gaps or clicks smearing the spectrum.
        await ex_obs.wait_for(lambda: tone_purity(expert_ear.recent(1.0), 440) > 0.95, what="pure")

        st.mute(True)
        await ex_obs.wait_for(lambda: rms(expert_ear.recent(0.2)) < 50, what="silence when muted")
        assert hears(station_ear, 880), "muting one side leaves the other talking"
        st.mute(False)
        await ex_obs.wait_for(lambda: hears(expert_ear, 440), what="tone back after unmute")

        st.refresh_stats()
        summary = st.stats.summary()["audio"]
        assert summary["source"] == "tone 440 Hz" and summary["blocks_captured"] > 25
        assert summary["frames_received"] > 25 and summary["muted"] is False
        ex.refresh_stats()
        assert ex.stats.audio_frames_received > 25 and ex.stats.audio_source == "tone 880 Hz"


async def test_a_missing_microphone_and_speaker_leave_the_call_running(signaling_url, invite):
    async with (
        audio_party(
            signaling_url,
            invite("station"),
            station=True,
            audio=DeviceCapture(4242),
            speaker=DeviceOutput(4242),
        ) as (st, st_obs),
        audio_party(
            signaling_url,
            invite("expert"),
            station=False,
            audio=SyntheticCapture.tone(880),
            speaker=None,
        ) as (_ex, ex_obs),
    ):
        codes = {code for code, _ in st_obs.errors}
        assert {"microphone_unavailable", "speaker_unavailable"} <= codes
        message = dict(st_obs.errors)["microphone_unavailable"]
        assert "goes on without sound" in message
        await ex_obs.wait_for(lambda: ex_obs.remote_count >= 10, what="video despite no audio")
        assert st.media.fanout is None and st.media.player is None
        st.mute(True)  # harmless without a microphone
        assert st_obs.state is CallState.CONNECTED
