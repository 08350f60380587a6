"""The privacy mask: what it hides, on synthetic and on a real scanner frame."""

from __future__ import annotations

import numpy as np
import pytest

from ultrasound_consult.annotate.calibration import ImageRegion
from ultrasound_consult.media.dicom import DicomCineSource
from ultrasound_consult.media.phantom import SyntheticSource
from ultrasound_consult.media.pipeline import StationPipeline
from ultrasound_consult.media.privacy import MASK_VALUE, PrivacyMask


def test_top_band_default_is_ten_percent():
    plan = PrivacyMask().plan(1024, 768)
    image = np.full((768, 1024, 3), 200, np.uint8)
    plan.apply(image)
    assert (image[:77] == MASK_VALUE).all() and (image[77:] == 200).all()
    assert plan.fraction == pytest.approx(77 / 768)


def test_masked_frames_are_read_only():
    image = np.full((100, 100), 9, np.uint8)
    PrivacyMask().plan(100, 100).apply(image)
    with pytest.raises(ValueError):
        image[50, 50] = 1


def test_dicom_regions_mask_everything_outside():
    regions = (ImageRegion(10, 20, 59, 79),)
    image = np.full((100, 80), 255, np.uint8)
    PrivacyMask().plan(80, 100, regions).apply(image)
    assert (image[20:80, 10:60] == 255).all()
    outside = np.ones_like(image, bool)
    outside[20:80, 10:60] = False
    assert (image[outside] == MASK_VALUE).all()


def test_regions_that_do_not_fit_fall_back_to_the_top_band():
    image = np.full((100, 80), 255, np.uint8)
    PrivacyMask().plan(80, 100, (ImageRegion(0, 0, 500, 500),)).apply(image)
    assert (image[:10] == 0).all() and (image[10:] == 255).all()


def test_user_rectangles_add_to_the_band():
    image = np.full((100, 200), 255, np.uint8)
    PrivacyMask(rects=((0.5, 0.5, 1.0, 1.0),)).plan(200, 100).apply(image)
    assert (image[50:, 100:] == 0).all() and (image[:10] == 0).all()
    assert (image[10:50] == 255).all() and (image[50:, :100] == 255).all()


@pytest.mark.parametrize(
    "bad", [{"top_band": 0.9}, {"top_band": -0.1}, {"rects": ((0.5, 0.5, 0.2, 0.9),)}]
)
def test_invalid_masks_are_refused(bad):
    with pytest.raises(ValueError):
        PrivacyMask(**bad)


async def test_real_banner_never_leaves_the_pipeline(grey_banner_frame):
    src = DicomCineSource(grey_banner_frame)
    raw = src.render(0)
    assert raw[:30].max() > 200, "the test patient's name is burned into the top rows"
    pipeline = StationPipeline(src, PrivacyMask())
    seen = []
    pipeline.add_sink(seen.append)
    await pipeline.start()
    await pipeline.started.wait()
    await pipeline.stop()
    image = seen[0].image
    assert image[:38].max() == MASK_VALUE, "outside the DICOM image region (y < 38) is black"
    assert image[40:700, 100:900].max() > 50, "the image itself is untouched"


async def test_every_consumer_gets_masked_frames_only():
    src = SyntheticSource(320, 240, 30)
    assert src.render(0)[:10].max() > 150, "the phantom burns a banner into the top band"
    pipeline = StationPipeline(src, PrivacyMask(top_band=0.1))
    a, b = [], []
    pipeline.add_sink(a.append)
    pipeline.add_sink(b.append)
    await pipeline.start()
    await pipeline.started.wait()
    await pipeline.stop()
    for frame in a + b:
        assert frame.image[:24].max() == 0
        assert not frame.image.flags.writeable
