"""What the user picks a source from: capture devices found now, the remembered one,
and the test sources (the phantom, a test card), as (label, source spec) pairs."""

from __future__ import annotations

import logging
from dataclasses import replace

from ultrasound_consult.media.mask_store import MaskStore, MaskStoreError, source_key
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source_spec import parse_source_spec
from ultrasound_consult.ui.i18n import tr

logger = logging.getLogger(__name__)


def source_choices(remembered: str = "") -> list[tuple[str, str]]:
    from ultrasound_consult.media.capture import list_capture_devices

    choices: list[tuple[str, str]] = []
    try:
        devices = list_capture_devices()
    except Exception:  # a device listing must never stop the app
        logger.warning("listing capture devices failed", exc_info=True)
        devices = []
    for d in devices:
        busy = " — " + tr("in use by another program?") if d.problem else ""
        choices.append((f"{d.name or d.path} (device:{d.index}){busy}", f"device:{d.index}"))
    choices.append((tr("Test phantom (no scanner)"), "synthetic"))
    choices.append((tr("Test card"), "testcard"))
    if remembered and remembered not in {spec for _, spec in choices}:
        choices.insert(0, (remembered, remembered))
    return choices


def audio_devices() -> list[dict]:
    """PortAudio's devices (name, input and output channels), [] if it cannot tell."""
    try:
        import sounddevice as sd

        return [dict(d, index=i) for i, d in enumerate(sd.query_devices())]
    except Exception:  # no PortAudio, no sound server: the defaults still work
        logger.info("listing sound devices failed", exc_info=True)
        return []


def audio_choices(kind: str, remembered: str = "") -> list[tuple[str, str]]:
    """Microphones (``kind="input"``: specs ``mic``, ``mic:N``, ``none``) or speakers
    (``"output"``: ``default``, ``N``, ``none``) found now, as (label, spec)."""
    if kind == "input":
        choices = [(tr("Default microphone"), "mic")]
        for d in audio_devices():
            if d.get("max_input_channels", 0) > 0:
                choices.append((f"{d['name']} (mic:{d['index']})", f"mic:{d['index']}"))
        choices.append((tr("No microphone"), "none"))
    else:
        choices = [(tr("Default speaker"), "default")]
        for d in audio_devices():
            if d.get("max_output_channels", 0) > 0:
                choices.append((f"{d['name']} ({d['index']})", str(d["index"])))
        choices.append((tr("No sound"), "none"))
    if remembered and remembered not in {spec for _, spec in choices}:
        choices.insert(0, (remembered, remembered))
    return choices


def chosen_spec(combo) -> str:
    """The source spec an editable combo of :func:`source_choices` names: the spec of
    the label shown, or what the user typed (a spec)."""
    text = combo.currentText().strip()
    index = combo.findText(text)
    if index >= 0 and combo.itemData(index):
        return str(combo.itemData(index))
    return text


def mask_key(spec: str) -> str:
    """The key a source's privacy mask is remembered under (a capture card by its name,
    so the mask follows the card, not the USB port)."""
    from ultrasound_consult.media.capture import device_name

    parsed = parse_source_spec(spec)
    name = device_name(parsed.device) if parsed.device is not None else None
    return source_key(parsed, name)


def remember_mask_rects(spec: str, rects: tuple[tuple[float, float, float, float], ...]) -> None:
    """Save the areas the sonographer covered for this source (the band stays as it is).
    Raises :class:`MaskStoreError` or ``ValueError`` with a reason."""
    current, _ = remembered_mask(spec)
    MaskStore().save(mask_key(spec), replace(current, rects=rects))


def remembered_mask(spec: str) -> tuple[PrivacyMask, str]:
    """The privacy mask saved for this source (or the default band) and a problem to
    show ("" if none). A damaged mask file is reported: the default band still applies."""
    try:
        from ultrasound_consult.media.capture import device_name

        parsed = parse_source_spec(spec)
        name = device_name(parsed.device) if parsed.device is not None else None
        key = source_key(parsed, name)
        saved = MaskStore().load(key)
    except (MaskStoreError, ValueError) as exc:
        return PrivacyMask(), str(exc)
    return saved or PrivacyMask(), ""
