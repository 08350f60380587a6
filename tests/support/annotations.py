"""Example annotations of every kind, for model, wire and UI tests."""

from __future__ import annotations

import math

from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind

EXAMPLES = {
    AnnotationKind.MARK: ((0.5, 0.5),),
    AnnotationKind.ARROW: ((0.1, 0.1), (0.4, 0.3)),
    AnnotationKind.STROKE: tuple((i / 50, 0.5 + 0.2 * math.sin(i / 5)) for i in range(50)),
    AnnotationKind.ELLIPSE: ((0.2, 0.2), (0.5, 0.4)),
    AnnotationKind.RECT: ((0.6, 0.6), (0.9, 0.8)),
    AnnotationKind.TEXT: ((0.3, 0.9),),
    AnnotationKind.CALIPER: ((0.2, 0.5), (0.7, 0.5)),
    AnnotationKind.AREA: ((0.3, 0.5), (0.7, 0.5), (0.5, 0.6)),
}


def ann(kind: AnnotationKind, i: int = 1, author: str = "Dr 王", **kw) -> Annotation:
    """Annotation ``a{i}`` of ``kind`` with its example points (text gets a label)."""
    label = kw.pop("label", "肝 liver" if kind is AnnotationKind.TEXT else "")
    return Annotation(
        id=f"a{i}", kind=kind, points=EXAMPLES[kind], author=author, label=label,
        created_ms=1_700_000_000_000, media_ts=3.25, **kw,
    )  # fmt: skip
