"""A frame counter burned into the picture: an independent check of the benchmark's
frame identity (and so of its latency).

The benchmark matches each received frame to the source frame it came from through
the RTP timestamp (``media/rtp_clock.py``). To confirm that mapping without trusting
it, the benchmark's station writes the frame's number into the picture as
:data:`BITS` black or white blocks near its bottom-left corner (not in the masked
band: the privacy mask is applied again as the frame is converted for the encoder,
so nothing written there could leave the station), and the runner reads them back
from the frames the expert received. The quality reference gets the same blocks.
"""

from __future__ import annotations

import numpy as np

BITS = 12
BLOCK = 16
FROM_BOTTOM = 2 * BLOCK
LEFT = 16


def stamp(image: np.ndarray, number: int) -> None:
    """Write ``number`` (mod 2**BITS) into ``image`` in place."""
    value = number % (1 << BITS)
    top = image.shape[0] - FROM_BOTTOM
    for bit in range(BITS):
        x = LEFT + bit * BLOCK
        image[top : top + BLOCK, x : x + BLOCK] = 255 if value >> bit & 1 else 0


def read(luma: np.ndarray, source_height: int) -> int | None:
    """The number in a received frame's luma (any size the ladder sent), or None."""
    scale = luma.shape[0] / source_height
    top = source_height - FROM_BOTTOM
    value = 0
    for bit in range(BITS):
        y = int((top + BLOCK / 2) * scale)
        x = int((LEFT + bit * BLOCK + BLOCK / 2) * scale)
        r = max(1, int(BLOCK * scale / 4))
        patch = luma[y - r : y + r, x - r : x + r]
        if patch.size == 0:
            return None
        level = float(patch.mean())
        if 90 < level < 160:
            return None  # neither black nor white: not a counter
        value |= (level >= 128) << bit
    return value
