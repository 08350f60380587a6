"""Annotations as data: the scene both sides converge on, plus geometry helpers.

Pure: no Qt, no aiortc, no I/O. The wire form of an annotation lives in
:mod:`ultrasound_consult.protocol.annotation`; this package keeps state and maths.
"""

from ultrasound_consult.annotate.scene import AnnotationScene, PointerBoard
from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind

__all__ = ["Annotation", "AnnotationKind", "AnnotationScene", "PointerBoard"]
