"""Rendering of results on the external APIs' wire: names, shapes and units live here.

* :mod:`~makeready.rendering.spark` — the 3D Spark analysis API (``analysis_report`` and its blocks).
* :mod:`~makeready.rendering.print_api` — the Autodesk 3D Print API (problems, meshes, trays, cm).
* :mod:`~makeready.rendering.print_definitions` — its printer types, profiles and materials.
* :mod:`~makeready.rendering.documents` — makeready's own JSON of an analysis, repair, thickness.
* :mod:`~makeready.rendering.reports` — batch and part reports as CSV and XLSX.
* :mod:`~makeready.rendering.display` and :mod:`~makeready.rendering.visual` — what the viewer draws.

The API renderers (spark, print_api, documents, reports) take the workflows' and geometry's typed
results and compute nothing about the part; the viewer's document (display) also builds the
support structures and overhang flags it draws.
"""
