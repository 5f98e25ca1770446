"""Bounds on what a single load may consume, so hostile files cannot exhaust the machine."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "LoadLimits"]


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True, slots=True)
class LoadLimits:
    """Limits applied while reading one part.

    Attributes
    ----------
    max_bytes : int
        Largest accepted input, in bytes (``MAKEREADY_MAX_BYTES``, default 1 GiB).
    max_triangles : int
        Largest accepted triangle count over all bodies (``MAKEREADY_MAX_TRIANGLES``, 25 M).
    max_unzipped_bytes : int
        Most bytes all archive entries may expand to together (2 GiB).
    max_zip_ratio : float
        Largest accepted expansion ratio of one archive entry (uncompressed / compressed).
        Real 3MF and STL compress 3-20x; 250x leaves room and stops bombs.
    max_zip_entries : int
        Most entries an archive may list (10 000).
    max_xml_depth : int
        Deepest nesting of 3MF components followed before the file is refused (64).

    """

    max_bytes: int = _env_int("MAKEREADY_MAX_BYTES", 1 << 30)
    max_triangles: int = _env_int("MAKEREADY_MAX_TRIANGLES", 25_000_000)
    max_unzipped_bytes: int = _env_int("MAKEREADY_MAX_UNZIPPED_BYTES", 2 << 30)
    max_zip_ratio: float = 250.0
    max_zip_entries: int = 10_000
    max_xml_depth: int = 64


DEFAULT_LIMITS = LoadLimits()
