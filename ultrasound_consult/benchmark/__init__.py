"""Every benchmark, in one package; each prints one JSON object. Figures come from here,
never from tests.

The top layer: it may use ui/, session/ and everything below, and only ``cli.py`` imports
it (``ultrasound-consult bench``). Only ``role_window`` (one side of a measured call with
its real window) and ``plot`` (the per-second PNG) import Qt. Nothing here runs in a
normal call.
"""
