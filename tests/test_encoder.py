"""The station's VP8 encoder: rate, keyframes, and its place in aiortc's sender."""

from __future__ import annotations

import av
from aiortc import RTCPeerConnection
from aiortc.mediastreams import VideoStreamTrack

from ultrasound_consult.media.convert import to_video_frame
from ultrasound_consult.media.encoder import PresetVp8Encoder, install_encoder
from ultrasound_consult.media.phantom import PhantomGenerator
from ultrasound_consult.media.quality import BitratePolicy, preset

W, H, FPS = 640, 480, 30


def frames(n: int) -> list[av.VideoFrame]:
    gen = PhantomGenerator(W, H, FPS, seed=4)
    return [to_video_frame(gen.frame(i), i / FPS) for i in range(n)]


def encoder(name: str = "diagnostic") -> PresetVp8Encoder:
    return PresetVp8Encoder(BitratePolicy(preset(name), W * H * FPS), FPS)


def test_rate_follows_the_policy_and_the_stream_starts_with_a_keyframe():
    enc = encoder()
    for f in frames(90):
        payloads, _ = enc.encode(f)
        assert payloads
    produced = enc.bytes * 8 / (90 / FPS)
    assert 0.7 * enc.policy.current < produced < 1.3 * enc.policy.current
    assert enc.keyframes == 1 and enc.options["noise-sensitivity"] == "0"


def test_keyframe_requests_close_together_give_one_keyframe():
    now = [0.0]
    enc = PresetVp8Encoder(
        BitratePolicy(preset("diagnostic"), W * H * FPS), FPS, clock=lambda: now[0]
    )
    stream = frames(10)
    for f in stream[:3]:
        enc.encode(f)
        now[0] += 1 / FPS
    now[0] += 1.0
    enc.encode(stream[3], force_keyframe=True)
    now[0] += 1 / FPS
    enc.encode(stream[4], force_keyframe=True)  # a second PLI for the same loss
    assert enc.keyframes == 2
    now[0] += 1.0
    enc.encode(stream[5], force_keyframe=True)
    assert enc.keyframes == 3


def rate_over(enc: PresetVp8Encoder, stream: list[av.VideoFrame]) -> float:
    before = enc.bytes
    for f in stream:
        enc.encode(f)
    return (enc.bytes - before) * 8 / (len(stream) / FPS)


def test_a_new_bitrate_takes_effect_without_a_new_encoder_or_a_keyframe():
    enc = encoder()
    stream = frames(240)
    high = enc.policy.current
    rate_over(enc, stream[:30])  # settle
    assert 0.75 * high < rate_over(enc, stream[30:90]) < 1.25 * high
    enc.policy.current = high // 4
    rate_over(enc, stream[90:100])  # libvpx's buffer adjusts over a few frames
    low = rate_over(enc, stream[100:160])
    assert 0.7 * (high // 4) < low < 1.3 * (high // 4), "the encoder followed the new rate"
    enc.policy.current = high
    rate_over(enc, stream[160:170])
    assert 0.7 * high < rate_over(enc, stream[170:240]) < 1.3 * high, "and back up"
    assert enc.reconfigurations == 0 and enc.keyframes == 1, "no new encoder, no keyframe"
    assert enc.codec.bit_rate == enc.policy.ceiling


def test_a_new_size_or_preset_opens_a_new_encoder():
    enc = encoder()
    stream = frames(4)
    enc.encode(stream[0])
    enc.policy = BitratePolicy(preset("balanced"), W * H * FPS)
    enc.encode(stream[1])
    assert enc.reconfigurations == 1 and enc.keyframes == 2
    small = to_video_frame(PhantomGenerator(320, 240, FPS, seed=4).frame(2), 2 / FPS)
    enc.encode(small)
    assert enc.reconfigurations == 2 and enc.keyframes == 3


async def test_installs_into_a_real_aiortc_sender():
    pc = RTCPeerConnection()
    sender = pc.addTransceiver(VideoStreamTrack(), direction="sendonly").sender
    enc = encoder()
    assert install_encoder(sender, enc)
    assert sender._RTCRtpSender__encoder is enc
    assert install_encoder(sender, None) and sender._RTCRtpSender__encoder is None
    await pc.close()
