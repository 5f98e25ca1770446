"""Connections to the servers that drive real printers (OctoPrint), and print jobs on them.

The Autodesk 3D Print API family registered printers that phoned home to the cloud; makeready
adapts that to what self-hosted printers run today: a printer is a connection to its print
server (URL and API key), a print job uploads a printable there and starts it, and the job's
status and progress are read back from the printer. This package speaks only HTTP (httpx);
the service stores printers and jobs and renders them on the API.
"""

from makeready.connectors.base import (
    CONNECTION_KINDS,
    JobStatus,
    PrinterConnector,
    PrinterState,
    PrinterStatus,
    connector,
    job_status,
)

__all__ = [
    "CONNECTION_KINDS",
    "JobStatus",
    "PrinterConnector",
    "PrinterState",
    "PrinterStatus",
    "connector",
    "job_status",
]
