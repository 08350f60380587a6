"""The review report as PDF, written by Qt's own PDF writer (no new dependency).

The HTML report (:mod:`ultrasound_consult.record.report`) embeds its key frames as
``data:`` URLs, which Qt's rich-text engine does not load; they become document
resources first. The page is A4 portrait with 15 mm margins, the way clinics print.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from PySide6.QtCore import QMarginsF, QUrl
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPdfWriter, QTextDocument

_DATA_IMAGE = re.compile(r"""src=(['"])data:image/(?:jpeg|png);base64,([A-Za-z0-9+/=]+)\1""")
#: Key frames are drawn this wide on the page, in points (A4 is 595 wide).
FRAME_WIDTH = 420


def html_to_pdf(html: str, out: Path, *, title: str = "") -> Path:
    """Write ``html`` (with embedded images) to ``out`` as PDF; returns ``out``.

    Raises ``OSError`` if the file cannot be written.
    """
    doc = QTextDocument()
    images: list[QImage] = []

    def resource(match: re.Match[str]) -> str:
        image = QImage.fromData(base64.b64decode(match[2]))
        name = f"frame-{len(images)}"
        images.append(image)
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
        return f"src='{name}' width='{FRAME_WIDTH}'"

    # Qt's rich text knows no <figure>: a paragraph each, the caption under the frame.
    html = (
        html.replace("<figure>", "<p>")
        .replace("</figure>", "</p>")
        .replace("<figcaption>", "<br>")
        .replace("</figcaption>", "")
    )
    doc.setHtml(_DATA_IMAGE.sub(resource, html))
    if title:
        doc.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, title)
    out = Path(out)
    writer = QPdfWriter(str(out))
    writer.setTitle(title or "ultrasound-consult report")
    writer.setCreator("ultrasound-consult")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter,
        )
    )  # fmt: skip
    doc.print_(writer)
    del writer  # closes the file
    if not out.is_file() or out.stat().st_size == 0:
        raise OSError(f"could not write {out}")
    return out
