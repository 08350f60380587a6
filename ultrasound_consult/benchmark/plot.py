"""A PNG of a benchmark run's per-second series: frame rate, latency and bitrate against
the controller's target, so that a change of capacity and the recovery can be seen.

    ultrasound-consult bench --network 4g-step --json --plot step.png

Drawn with pyqtgraph offscreen (the benchmark's own data, no window shown).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def plot_series(result: dict[str, Any], path: Path) -> Path:
    import pyqtgraph as pg
    import pyqtgraph.exporters
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    pg.setConfigOptions(background="w", foreground="k", antialias=True)
    series = result.get("series", [])
    t = [row["t"] for row in series]
    layout = pg.GraphicsLayoutWidget()
    layout.resize(1100, 800)
    title = f"{result.get('source', '')} - network {result.get('network', '')}"
    layout.addLabel(title, row=0, col=0)

    def panel(row: int, label: str, curves: list[tuple[str, str, str]]) -> Any:
        plot = layout.addPlot(row=row, col=0)
        plot.setLabel("left", label)
        plot.addLegend(offset=(10, 5))
        plot.showGrid(x=True, y=True, alpha=0.3)
        for key, name, colour in curves:
            xs = [x for x, r in zip(t, series, strict=True) if _value(r, key) is not None]
            ys = [_value(r, key) for r in series if _value(r, key) is not None]
            plot.plot(xs, ys, pen=pg.mkPen(colour, width=2), name=name)
        for step in result.get("capacity_steps", []):
            dashed = pg.mkPen("#888", style=Qt.PenStyle.DashLine)
            plot.addItem(pg.InfiniteLine(step["at_s"], pen=dashed))
        return plot

    panel(1, "Mbit/s", [("sent_mbps", "sent", "#1f77b4"), ("target_mbps", "target", "#ff7f0e")])
    panel(
        2,
        "latency ms",
        [("latency_ms.p50", "p50", "#2ca02c"), ("latency_ms.max", "max", "#d62728")],
    )
    bottom = panel(3, "frames/s", [("fps_painted", "painted", "#9467bd")])
    bottom.setLabel("bottom", "seconds from the start of the measured window")
    layout.show()  # offscreen: lays the plots out over the whole size
    app.processEvents()
    exporter = pyqtgraph.exporters.ImageExporter(layout.scene())
    exporter.parameters()["width"] = 1100
    path.parent.mkdir(parents=True, exist_ok=True)
    exporter.export(str(path))
    layout.close()
    return path


def _value(row: dict[str, Any], key: str) -> float | None:
    value: Any = row
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, int | float) else None
