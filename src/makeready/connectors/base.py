"""What every printer connection answers, and how a print job's status follows from it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import IO, Protocol

__all__ = [
    "CONNECTION_KINDS",
    "JobStatus",
    "PrintOutcome",
    "PrinterConnector",
    "PrinterState",
    "PrinterStatus",
    "connector",
    "job_status",
]

#: The print servers makeready can drive.
CONNECTION_KINDS = ("octoprint",)


class PrinterState(enum.StrEnum):
    """What the printer is doing, as the API's ``printer_status`` reports it."""

    OFFLINE = "offline"  # the print server answers, but no printer is connected to it
    READY = "ready"
    PRINTING = "printing"
    PAUSED = "paused"
    BUSY = "busy"  # connecting, cancelling, finishing: wait
    ERROR = "error"


class JobStatus(enum.StrEnum):
    """A print job's ``job_status``."""

    SENT = "sent"  # uploaded, not started
    PRINTING = "printing"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """No further change will come from the printer."""
        return self in (JobStatus.COMPLETED, JobStatus.CANCELLED, JobStatus.FAILED)


class PrintOutcome(enum.StrEnum):
    """How the printer recorded the last print of a file."""

    SUCCESS = "success"
    FAILURE = "failure"  # cancelled or failed: the print server does not tell them apart


@dataclass(frozen=True, kw_only=True)
class PrinterStatus:
    """One reading of a printer.

    Attributes
    ----------
    state : PrinterState
    message : str
        The print server's own words for the state (e.g. OctoPrint's ``"Printing from SD"``).
    file_name : str or None
        The file of the current (or last) job on the printer.
    progress : float or None
        Share of that job done, 0..1 (by file position for G-code).
    seconds_printing, seconds_left : float or None
        Elapsed and estimated remaining print time, s.
    temperatures : dict
        Heater name (``tool0``, ``bed``) -> (actual, target) in degrees C.

    """

    state: PrinterState
    message: str = ""
    file_name: str | None = None
    progress: float | None = None
    seconds_printing: float | None = None
    seconds_left: float | None = None
    temperatures: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)


class PrinterConnector(Protocol):
    """A connection to one print server. Errors are ``MakereadyError`` with a ``printer.*`` code."""

    def identify(self) -> str:
        """The server's name and version; raises when it cannot be reached or refuses the key."""
        ...

    def status(self) -> PrinterStatus:
        """The printer's state now."""
        ...

    def upload(self, name: str, content: IO[bytes], *, start: bool) -> str:
        """Store a printable on the print server (and start printing it); its name there."""
        ...

    def outcome(self, remote_name: str) -> PrintOutcome | None:
        """How the last print of ``remote_name`` ended, None while it has not ended."""
        ...

    def command(self, command: str) -> None:
        """``pause``, ``resume`` or ``cancel`` the current job."""
        ...


def connector(kind: str, url: str, api_key: str, *, timeout_s: float = 10.0) -> PrinterConnector:
    """The connection of ``kind`` (one of :data:`CONNECTION_KINDS`) to the server at ``url``."""
    if kind == "octoprint":
        from makeready.connectors.octoprint import OctoPrint

        return OctoPrint(url, api_key, timeout_s=timeout_s)
    from makeready.errors import MakereadyError

    raise MakereadyError(
        "request.invalid", f"unknown printer connection {kind!r}; one of {', '.join(CONNECTION_KINDS)}"
    )


def job_status(
    current: JobStatus,
    remote_name: str,
    printer: PrinterStatus,
    outcome: PrintOutcome | None,
    *,
    cancel_requested: bool,
) -> tuple[JobStatus, float | None]:
    """A job's status and progress (0..1, None when unknown) after reading its printer.

    A finished job stays as it ended. While the printer works on the job's file, its state
    says printing or paused; once the printer has recorded an outcome for the file, the job is
    completed (success) or cancelled/failed (failure: cancelled when makeready asked for it).
    """
    if current.finished:
        return current, 1.0 if current is JobStatus.COMPLETED else None
    on_printer = printer.file_name == remote_name
    if on_printer and printer.state is PrinterState.PRINTING:
        return JobStatus.PRINTING, printer.progress
    if on_printer and printer.state is PrinterState.PAUSED:
        return JobStatus.PAUSED, printer.progress
    if outcome is PrintOutcome.SUCCESS:
        return JobStatus.COMPLETED, 1.0
    if outcome is PrintOutcome.FAILURE:
        return (
            JobStatus.CANCELLED if cancel_requested else JobStatus.FAILED
        ), printer.progress if on_printer else None
    return current, printer.progress if on_printer else None
