"""What each printer reads: its own start and end G-code, or why makeready cannot write its file.

The table is ``data/catalog/printer_files.json``, keyed by the catalog machine name.

A printable a printer cannot read is as useless as one outside its bed: the Stratasys F370
takes only GrabCAD Print jobs and the Form 3 only PreForm files, so both are refused with
``printable.unsupported`` rather than handed a G-code or image stack they will not open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from makeready.errors import MakereadyError
from makeready.printables.sl1 import Sl1Display

__all__ = ["GcodeBlocks", "gcode_blocks", "png_naming", "require_writable", "sl1_display"]


@dataclass(frozen=True, slots=True)
class GcodeBlocks:
    """A printer's start and end G-code, with placeholders filled by :meth:`render`."""

    flavor: str
    start: tuple[str, ...]
    end: tuple[str, ...]

    def render(self, lines: tuple[str, ...], **values: float) -> str:
        """The block with ``{bed_temp}``, ``{nozzle_temp}``… filled in (one line each)."""
        formatted = {k: f"{v:g}" for k, v in values.items()}
        return "".join(line.format_map(formatted) + "\n" for line in lines)


@cache
def _table() -> dict[str, Any]:
    text = resources.files("makeready").joinpath("data", "catalog", "printer_files.json").read_text("utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


def require_writable(machine: str) -> None:
    """Raise ``printable.unsupported`` when ``machine`` reads only a proprietary format."""
    entry = _table().get(machine)
    if entry is not None and entry.get("format") == "unsupported":
        raise MakereadyError(
            "printable.unsupported",
            f"the {machine} reads only {entry['reads']}; makeready cannot write that format "
            "(export the part as 3MF or STL and prepare it there)",
            printer=machine,
        )


def gcode_blocks(machine: str) -> GcodeBlocks | None:
    """The printer's own start and end G-code, or None for a generic Marlin printer."""
    entry = _table().get(machine)
    if entry is None or entry.get("format") != "gcode":
        return None
    return GcodeBlocks(str(entry["flavor"]), tuple(entry["start"]), tuple(entry["end"]))


def png_naming(machine: str) -> Literal["generic", "ember"]:
    """How the printer's image stack is laid out: the Ember's print file or the generic stack."""
    entry = _table().get(machine)
    return "ember" if entry is not None and entry.get("format") == "ember" else "generic"


def sl1_display(machine: str) -> Sl1Display | None:
    """The SL1-family printer's display and tilt times, or None when it reads no ``.sl1``."""
    entry = _table().get(machine)
    if entry is None or entry.get("format") != "sl1":
        return None
    return Sl1Display.from_record(entry)
