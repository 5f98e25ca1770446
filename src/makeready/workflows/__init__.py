"""Workflows: what a user asks for, from a loaded part to a typed result.

* :mod:`~makeready.workflows.quote` — the manufacturing analysis: mesh checks, wall thickness,
  and every process chain oriented, checked and costed (:class:`~makeready.workflows.quote.QuoteResult`).
* :mod:`~makeready.workflows.trays` — print preparation: a tray created, repaired, oriented,
  positioned and supported, then sliced into a printable.
* :mod:`~makeready.workflows.tray_files` — a prepared tray as a device-independent raw file and
  its translation to another printer.
* :mod:`~makeready.workflows.screening` — batch screening: many parts quoted and ranked.

Workflows call the geometry, costing and printables packages and return value objects; the wire
shapes of the external APIs are made from those by :mod:`makeready.rendering`.
"""
