"""Shell completion of catalog names (materials, processes, machines, printer types)."""

from __future__ import annotations

from collections.abc import Iterable


def _matching(names: Iterable[str], incomplete: str) -> list[str]:
    start = incomplete.casefold()
    return [n for n in names if n.casefold().startswith(start)]


def materials(incomplete: str) -> list[str]:
    """Material names of the shipped catalog."""
    from makeready.catalog import Catalog

    return _matching(Catalog.default().materials, incomplete)


def processes(incomplete: str) -> list[str]:
    """Process acronyms (slm, sls, fdm, …, milling)."""
    from makeready.catalog import Catalog

    return _matching(Catalog.default().processes, incomplete)


def machines(incomplete: str) -> list[str]:
    """Machine names."""
    from makeready.catalog import Catalog

    return _matching(Catalog.default().machines, incomplete)


def printer_types(incomplete: str) -> list[str]:
    """Printer type names (3D Print API print definitions)."""
    from makeready.print_definitions import PrintDefinitions

    return _matching((p.name for p in PrintDefinitions.default().printer_types.values()), incomplete)
