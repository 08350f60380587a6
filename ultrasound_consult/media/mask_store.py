"""Privacy-mask rectangles remembered per source, so a clinic sets them up once.

Scanners burn identity in more places than the top band (a hospital number in a
corner, a name in a side panel); the station user draws rectangles over them once
for that scanner's output, and they apply to every later call from that source.

Stored as JSON in the user's configuration directory (``masks.json``), written
atomically (a crash never leaves half a file); a damaged file is set aside and
reported, never silently ignored, because a lost mask is a privacy problem.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from ultrasound_consult.media.privacy import DEFAULT_TOP_BAND, NormRect, PrivacyMask
from ultrasound_consult.media.source_spec import SourceSpec, parse_source_spec
from ultrasound_consult.schema import Migration, SchemaError, migrate

logger = logging.getLogger(__name__)

SCHEMA = 1
#: masks.json's migrations, ``{from_schema: step}`` (see :mod:`ultrasound_consult.schema`).
STEPS: dict[int, Migration] = {}


class MaskStoreError(RuntimeError):
    """The stored masks cannot be read or written: the text says what to do."""


class MaskSchemaError(MaskStoreError):
    """masks.json is from a newer release: used by none, overwritten by none."""


def config_dir() -> Path:
    """Where the app keeps its settings (``ULTRASOUND_CONSULT_CONFIG`` overrides)."""
    override = os.environ.get("ULTRASOUND_CONSULT_CONFIG")
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home())) / "ultrasound-consult"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "ultrasound-consult"
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "ultrasound-consult"


def source_key(spec: SourceSpec | str, device_name: str | None = None) -> str:
    """What identifies a source across calls: a device by its name (its index can change
    when cables move), a file by its name, the phantom as itself. Modes do not matter:
    rectangles are fractions of the frame."""
    if isinstance(spec, str):
        spec = parse_source_spec(spec)
    if spec.kind == "device":
        return f"device:{device_name}" if device_name else f"device:{spec.device}"
    if spec.kind in ("dicom", "file"):
        return f"{spec.kind}:{Path(spec.path or '').name}"
    return spec.kind


def parse_rect(text: str) -> NormRect:
    """``X0,Y0,X1,Y1`` as fractions of the width and height (0..1)."""
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(
            f"mask rectangle {text!r}: give X0,Y0,X1,Y1 as fractions of the frame, "
            "e.g. 0.75,0,1,0.12 for the top-right corner"
        ) from None
    rect = (x0, y0, x1, y1)
    PrivacyMask(rects=(rect,))  # validates
    return rect


class MaskStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "masks.json"

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"schema": SCHEMA, "sources": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
                raise ValueError("not a mask file")
            return migrate(data, what=str(self.path), current=SCHEMA, steps=STEPS)[0]
        except SchemaError as exc:
            raise MaskSchemaError(str(exc)) from None
        except (OSError, ValueError) as exc:
            kept = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
            try:
                self.path.replace(kept)
            except OSError:
                kept = self.path
            raise MaskStoreError(
                f"the saved privacy masks could not be read ({exc}); the file was kept as "
                f"{kept}. Draw the mask rectangles for this source again."
            ) from None

    def load(self, key: str) -> PrivacyMask | None:
        """The mask saved for this source, or None. Raises :class:`MaskStoreError`."""
        entry = self._read()["sources"].get(key)
        if entry is None:
            return None
        try:
            return PrivacyMask(
                top_band=float(entry.get("top_band", DEFAULT_TOP_BAND)),
                rects=tuple(tuple(float(v) for v in r) for r in entry.get("rects", ())),  # type: ignore[misc]
            )
        except (TypeError, ValueError) as exc:
            raise MaskStoreError(
                f"the saved mask for {key} is not valid ({exc}); draw it again"
            ) from None

    def save(self, key: str, mask: PrivacyMask) -> None:
        """Remember ``mask`` for this source (atomically). Raises :class:`MaskStoreError`."""
        try:
            data = self._read()
        except MaskSchemaError:
            raise
        except MaskStoreError:
            data = {"schema": SCHEMA, "sources": {}}
        data["sources"][key] = {
            "top_band": mask.top_band,
            "rects": [list(r) for r in mask.rects],
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise MaskStoreError(
                f"the privacy mask could not be saved to {self.path} ({exc.strerror or exc}); "
                "it applies to this call only"
            ) from None
        logger.info("saved the privacy mask for %s (%d rectangles)", key, len(mask.rects))
