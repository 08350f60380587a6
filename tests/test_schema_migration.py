"""Files written by 0.1.0 (tests/fixtures/v0.1.0/, made by that release's own code) open in
this release and go through any migration step a later release adds; files from a newer
release are refused in words and left exactly as they were."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ultrasound_consult import schema
from ultrasound_consult.media import mask_store
from ultrasound_consult.media.mask_store import MaskSchemaError, MaskStore
from ultrasound_consult.record import bundle as bundle_format
from ultrasound_consult.record.commands import check_command
from ultrasound_consult.record.session_bundle import SessionBundle
from ultrasound_consult.ui import settings as app_settings
from ultrasound_consult.ui.settings import AppSettings

V010 = Path(__file__).with_name("fixtures") / "v0.1.0"


@pytest.fixture
def old_files(tmp_path: Path) -> Path:
    """A copy: opening may migrate settings and masks on disk, never the fixtures."""
    copy = tmp_path / "v0.1.0"
    shutil.copytree(V010, copy)
    return copy


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def add_marker(document: dict) -> dict:
    return {**document, "migrated_from_1": True}


# --- the mechanism ---------------------------------------------------------------------


def test_steps_run_in_order_and_stamp_the_schema():
    seen = []
    steps = {1: lambda d: seen.append(1) or {**d, "a": 1}, 2: lambda d: seen.append(2) or d}
    doc, found = schema.migrate({"x": 0}, what="t", current=3, steps=steps)
    assert (doc, found, seen) == ({"x": 0, "a": 1, "schema": 3}, 1, [1, 2])


def test_newer_schemas_and_gaps_are_refused_in_words():
    with pytest.raises(schema.SchemaError, match=r"newer ultrasound-consult.*Update"):
        schema.migrate({"schema": 5}, what="t", current=1, steps={})
    with pytest.raises(schema.SchemaError, match="no migration from schema 1 to 2"):
        schema.migrate({"schema": 1}, what="t", current=2, steps={})
    with pytest.raises(schema.SchemaError, match="not a schema number"):
        schema.migrate({"schema": True}, what="t", current=1, steps={})


# --- settings.ini ------------------------------------------------------------------------


def test_settings_of_0_1_0_read_whole_and_get_a_schema(old_files, qapp):
    s = AppSettings(old_files / "settings.ini")
    assert s.server == "wss://consult.example:8765/" and s.name == "Township A"
    assert (s.role, s.language, s.preset) == ("expert", "zh_CN", "balanced")
    assert (s.source, s.microphone) == ("device:0", "mic:1")
    assert s.shortcut("mute") == "Ctrl+Shift+M" and s.shortcut("record") == "Ctrl+R"
    assert s.window_geometry == "10,20,1200,700"
    (room,) = s.recent_rooms()
    assert (room.room, room.role, room.code) == ("clinic-12", "expert", "")  # expired: forgotten
    assert "schema=1" in (old_files / "settings.ini").read_text()


def test_settings_of_0_1_0_go_through_a_later_step(old_files, qapp, monkeypatch):
    monkeypatch.setattr(app_settings, "SETTINGS_SCHEMA", 2)
    monkeypatch.setattr(app_settings, "SETTINGS_STEPS", {1: add_marker})
    s = AppSettings(old_files / "settings.ini")
    assert s.q.value("migrated_from_1") in (True, "true")
    assert s.name == "Township A" and s.shortcut("mute") == "Ctrl+Shift+M"
    text = (old_files / "settings.ini").read_text()
    assert "schema=2" in text and "Township A" in text


def test_settings_from_a_newer_release_are_used_and_never_written(old_files, qapp):
    path = old_files / "settings.ini"
    path.write_text(path.read_text().replace("[General]\n", "[General]\nschema=99\n"))
    before = path.read_bytes()
    s = AppSettings(path)
    assert s.read_only and s.name == "Township A"
    s.name = "Someone else"
    assert path.read_bytes() == before


# --- masks.json --------------------------------------------------------------------------


def test_masks_of_0_1_0_load(old_files):
    store = MaskStore(old_files / "masks.json")
    magewell = store.load("device:Magewell USB Capture HDMI")
    assert magewell.top_band == 0.12 and magewell.rects == ((0.75, 0.0, 1.0, 0.12),)
    assert store.load("synthetic").top_band == 0.1


def test_masks_of_0_1_0_go_through_a_later_step(old_files, monkeypatch):
    monkeypatch.setattr(mask_store, "SCHEMA", 2)
    monkeypatch.setattr(mask_store, "STEPS", {1: add_marker})
    store = MaskStore(old_files / "masks.json")
    assert store.load("device:Magewell USB Capture HDMI").rects == ((0.75, 0.0, 1.0, 0.12),)
    store.save("synthetic", store.load("synthetic"))
    saved = json.loads((old_files / "masks.json").read_text())
    assert saved["schema"] == 2 and saved["migrated_from_1"] is True
    assert set(saved["sources"]) == {"device:Magewell USB Capture HDMI", "synthetic"}


def test_masks_from_a_newer_release_are_neither_used_nor_overwritten(old_files):
    path = old_files / "masks.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "schema": 99}))
    before = path.read_bytes()
    store = MaskStore(path)
    with pytest.raises(MaskSchemaError, match="newer ultrasound-consult"):
        store.load("synthetic")
    with pytest.raises(MaskSchemaError):
        store.save("synthetic", mask_store.PrivacyMask(top_band=0.2))
    assert path.read_bytes() == before  # not replaced, not moved aside as "damaged"


# --- recordings --------------------------------------------------------------------------


def test_a_recording_of_0_1_0_opens_whole_and_is_not_changed(old_files, capsys):
    folder = old_files / "bundle"
    before = snapshot(folder)
    assert check_command(folder) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["schema"] == 1 and report["problems"] == []
    assert report["tracks"]["ultrasound"]["frames"] >= 10
    assert report["events"]["by_type"]["ann.add"] >= 1
    assert snapshot(folder) == before


def test_a_recording_of_0_1_0_goes_through_a_later_step(old_files, monkeypatch):
    monkeypatch.setattr(bundle_format, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(
        bundle_format, "SESSION_STEPS", {1: lambda d: {**d, "source": d["source"] + " (v1)"}}
    )
    before = snapshot(old_files / "bundle")
    bundle = SessionBundle.open(old_files / "bundle")
    assert bundle.info.schema == 2 and bundle.info.source.endswith("(v1)")
    assert bundle.problems == []
    assert snapshot(old_files / "bundle") == before  # migrated in memory only


def test_a_recording_from_a_newer_release_says_to_update(old_files, capsys):
    session = old_files / "bundle" / "session.json"
    session.write_text(json.dumps({**json.loads(session.read_text()), "schema": 99}))
    assert check_command(old_files / "bundle") == 1
    report = json.loads(capsys.readouterr().out)
    assert any("newer ultrasound-consult" in p and "Update" in p for p in report["problems"])
