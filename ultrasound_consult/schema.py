"""Schema versions of the files the app keeps, and their migration forward.

Settings (``settings.ini``), privacy masks (``masks.json``) and recordings
(``session.json``) each carry a schema number. A file from an older release is brought
forward one step at a time, in memory, when it is read; a file from a newer release is
refused with words saying what to update, never half-read (a misread privacy mask would
let a name out). 0.1.0 wrote masks and recordings at schema 1, and settings with no number
at all, which counts as 1.

Adding a format change: raise the module's current schema, and register the step from
the previous one: ``STEPS[old] = function(document) -> document``. Tests open the files
0.1.0 wrote (tests/fixtures/v0.1.0/) through every step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Migration = Callable[[dict[str, Any]], dict[str, Any]]


class SchemaError(ValueError):
    """A file's schema cannot be read by this release; the text says what to do."""


def schema_of(document: Mapping[str, Any], *, key: str = "schema", unnumbered: int = 1) -> int:
    """The schema number a document declares (``unnumbered`` when it has none)."""
    version = document.get(key, unnumbered)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SchemaError(f"schema {version!r} is not a schema number")
    return version


def migrate(
    document: dict[str, Any],
    *,
    what: str,
    current: int,
    steps: Mapping[int, Migration],
    key: str = "schema",
    unnumbered: int = 1,
) -> tuple[dict[str, Any], int]:
    """A copy of ``document`` brought to schema ``current`` (and numbered); returns it and
    the schema it had.

    Raises :class:`SchemaError` for a newer schema (written by a newer release) or a gap
    in ``steps`` (a bug: every step from 1 must be registered).
    """
    found = version = schema_of(document, key=key, unnumbered=unnumbered)
    if version > current:
        raise SchemaError(
            f"{what} was written by a newer ultrasound-consult (schema {version}; this "
            f"release reads up to {current}). Update ultrasound-consult to use it."
        )
    document = dict(document)
    while version < current:
        step = steps.get(version)
        if step is None:
            raise SchemaError(f"{what}: no migration from schema {version} to {version + 1}")
        document = step(document)
        version += 1
    document[key] = version  # also on an unnumbered document of the current schema
    return document, found
