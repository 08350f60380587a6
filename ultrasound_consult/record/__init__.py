"""Session bundles: recording, reading, replay state, exports (no Qt)."""
