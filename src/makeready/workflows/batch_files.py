"""What a batch screens: part files, folders of them, zips of them and parts lists (CSV).

:func:`batch_items` turns the paths a user gives into :class:`BatchItem` s, one per part
file (a zip of parts gives one per member), and the refusals of what cannot be read;
:func:`archive_members` tells a zip of parts from a part file (a 3MF is a zip too).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from makeready.errors import MakereadyError
from makeready.geometry.formats import sniff
from makeready.geometry.formats.archive import SafeZip
from makeready.geometry.formats.threemf import is_3mf_package
from makeready.limits import DEFAULT_LIMITS, LoadLimits

__all__ = ["PART_SUFFIXES", "BatchItem", "Refusal", "archive_members", "batch_items"]

#: File name endings read as parts when screening folders and archives.
PART_SUFFIXES = frozenset({".stl", ".obj", ".3mf", ".ply", ".off", ".step", ".stp"})


@dataclass(frozen=True, slots=True)
class Refusal:
    """A file that cannot be screened: its name and why (an error code and message)."""

    basename: str
    code: str
    message: str


@dataclass(frozen=True)
class BatchItem:
    """One part to screen and the options it is screened with.

    ``path`` is the file on disk; ``member`` the part file inside it when ``path`` is a zip
    of parts. ``mat_name``, ``prc_acronym`` and ``lot_size`` choose the primary chain;
    ``nst_style`` the nesting of additive builds (None: the costing configuration's).
    """

    path: str
    member: str | None
    mat_name: str
    prc_acronym: str
    lot_size: int
    nst_style: str | None = None

    @property
    def options(self) -> dict[str, Any]:
        """The analysis options, as a part stores them."""
        options: dict[str, Any] = {
            "mat_name": self.mat_name,
            "prc_acronym": self.prc_acronym,
            "lot_size": self.lot_size,
        }
        if self.nst_style is not None:
            options["nst_style"] = self.nst_style
        return options

    @property
    def basename(self) -> str:
        """The part file's own name."""
        return PurePosixPath(self.member).name if self.member else Path(self.path).name

    @property
    def key(self) -> str:
        """A unique id of the part within the batch: its path, and the zip member if any."""
        return f"{self.path}!{self.member}" if self.member else self.path

    def read(self, limits: LoadLimits = DEFAULT_LIMITS) -> bytes:
        """The part file's bytes."""
        if self.member is None:
            return Path(self.path).read_bytes()
        return SafeZip(Path(self.path).read_bytes(), limits).read(self.member)


def archive_members(name: str, data: bytes, limits: LoadLimits) -> list[str] | None:
    """The part files inside ``data`` when it is a zip of parts (not a 3MF); None for a part file.

    Raises
    ------
    MakereadyError
        ``zip.*`` for damaged or hostile archives, ``zip.no_part`` for one without part files.

    """
    if sniff(data, name) != "zip":
        return None
    archive = SafeZip(data, limits)
    if is_3mf_package(archive):  # a 3MF is a zip too, but one part
        return None
    inside = [n for n in archive.names() if PurePosixPath(n).suffix.lower() in PART_SUFFIXES]
    if not inside:
        raise MakereadyError("zip.no_part", f"{name} holds no part file ({', '.join(sorted(PART_SUFFIXES))})")
    return inside


#: Column names a parts list (CSV) may use for each option, first the canonical one.
_CSV_COLUMNS = {
    "file": ("file", "path", "filename"),
    "mat_name": ("mat_name", "material"),
    "prc_acronym": ("prc_acronym", "process"),
    "lot_size": ("lot_size", "lot", "quantity"),
    "nst_style": ("nst_style", "nesting"),
}


def _read_rows(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise MakereadyError("batch.invalid_list", f"{path.name} is not UTF-8 text: {error}") from None
    try:  # spreadsheets export ',' or ';' (or tabs) depending on the locale
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel  # one column: nothing to sniff
    return list(csv.DictReader(io.StringIO(text, newline=""), dialect=dialect))


def _lot_size(value: str, where: str) -> int:
    try:
        lot = int(value)
    except ValueError:
        lot = 0
    if lot < 1:
        raise MakereadyError("batch.invalid_list", f"{where}: lot size {value!r} is not a whole number >= 1")
    return lot


def _csv_items(path: Path, default: BatchItem) -> list[BatchItem]:
    """Items of a parts list: a ``file`` column (relative to the list) and optional options."""
    rows = _read_rows(path)
    columns = {name.strip().lower(): name for name in (rows[0].keys() if rows else []) if name}
    chosen = {
        key: next((columns[c] for c in names if c in columns), None) for key, names in _CSV_COLUMNS.items()
    }
    if chosen["file"] is None:
        found = ", ".join(columns) or "none"
        raise MakereadyError("batch.invalid_list", f"{path.name} has no 'file' column (columns: {found})")
    items = []
    for number, row in enumerate(rows, 2):  # line 1 is the header
        where = f"{path.name} line {number}"
        values = {key: (row.get(column) or "").strip() for key, column in chosen.items() if column}
        if not values["file"]:
            raise MakereadyError("batch.invalid_list", f"{where}: no file named")
        changes: dict[str, Any] = {
            k: v for k, v in values.items() if v and k in ("mat_name", "prc_acronym", "nst_style")
        }
        if values.get("lot_size"):
            changes["lot_size"] = _lot_size(values["lot_size"], where)
        target = Path(values["file"])
        items.append(
            replace(default, path=str(target if target.is_absolute() else path.parent / target), **changes)
        )
    return items


def batch_items(
    paths: list[str],
    mat_name: str,
    prc_acronym: str,
    lot_size: int,
    limits: LoadLimits = DEFAULT_LIMITS,
    nst_style: str | None = None,
) -> tuple[list[BatchItem], list[Refusal]]:
    """What to screen: part files, folders of them (recursively), zips of them and parts lists.

    A ``.csv`` is a parts list (columns ``file`` and optionally ``material``, ``process``,
    ``lot_size``, ``nesting``, per row; relative paths are read from the list's folder). Zips inside
    folders are opened too. Options missing from a row are the ones given here.

    Returns
    -------
    items, refused
        The parts in order, and the files that cannot be screened (missing files, damaged
        zips).

    Raises
    ------
    MakereadyError
        ``file.not_found`` when a path given does not exist, ``batch.invalid_list`` for a
        parts list that cannot be read.

    """
    default = BatchItem("", None, mat_name, prc_acronym, lot_size, nst_style)
    candidates: list[BatchItem] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file())
            candidates += [
                replace(default, path=str(p)) for p in found if p.suffix.lower() in (*PART_SUFFIXES, ".zip")
            ]
        elif path.suffix.lower() == ".csv" and path.is_file():
            candidates += _csv_items(path, default)
        elif path.exists():
            candidates.append(replace(default, path=str(path)))
        else:
            raise MakereadyError("file.not_found", f"no such file or folder: {given}")
    items: list[BatchItem] = []
    refused: list[Refusal] = []
    for item in candidates:
        try:
            data = Path(item.path).read_bytes()
            members = archive_members(item.basename, data, limits)
        except OSError as error:
            refused.append(Refusal(item.basename, "file.not_found", str(error)))
            continue
        except MakereadyError as error:
            refused.append(Refusal(item.basename, error.code, error.message))
            continue
        items += [item] if members is None else [replace(item, member=m) for m in members]
    return items, refused
