"""Real scanner files for the tests, taken from the Python packages that ship them.

- ``examples_ybr_color.dcm`` (SonoSite cardiac cine, 30 frames, calibrated, JPEG Baseline)
  is inside the pydicom wheel itself: no download.
- ``GREYSCALE_IMAGE.dcm`` (Philips EPIQ frame with a test patient's identity burned into
  the top band) comes from ``deid-data``, a pinned ``test`` extra in pyproject.toml.

Both are MIT licensed. Nothing is fetched at test time, so a clone anywhere passes.
"""

from __future__ import annotations

from pathlib import Path

from pydicom.data import get_testdata_file

INSTALL_HINT = 'install the test extra: pip install -e ".[test]" (./dev test does this)'


class SampleMissing(LookupError):
    """A sample file is not installed; the message says how to install it."""


def color_cine() -> Path:
    """SonoSite Turbo cine: 320x240 RGB, 30 frames, FrameTime 33.3 ms, 0.05105 cm/px."""
    # download=False: this file is in pydicom's wheel; never reach for the network.
    found = get_testdata_file("examples_ybr_color.dcm", download=False)
    if found is None:
        raise SampleMissing("pydicom's bundled examples_ybr_color.dcm is missing")
    return Path(str(found))


def grey_banner_frame() -> Path:
    """Philips EPIQ 1024x768 MONOCHROME2 frame, patient banner burned in (y about 0-50)."""
    try:
        from deid_data.data import get_dataset
    except ImportError:
        raise SampleMissing(f"deid-data is not installed; {INSTALL_HINT}") from None
    path = Path(get_dataset("ultrasounds")) / "GREYSCALE_IMAGE.dcm"
    if not path.is_file():
        raise SampleMissing(f"{path} is missing; {INSTALL_HINT}")
    return path
