"""What the two clients share: requests as data, and errors.

Every SDK operation is written once, as a generator that *yields* what it needs — a
:class:`Call` (one HTTP request) or a :class:`Pause` (wait before polling again) — and
*returns* its typed result. :class:`~makeready.client.Client` drives the generators with
blocking httpx calls and ``time.sleep``, :class:`~makeready.client.AsyncClient` with
``await``; sign-in, CSRF, token refresh and ``Retry-After`` live in those drivers. So the
sync and async clients cannot drift apart: they run the same operations.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx

from makeready.wire import Problem

__all__ = [
    "Call",
    "FileInput",
    "Op",
    "Pause",
    "ProgressCallback",
    "ServerError",
    "TaskFailedError",
    "WaitTimeoutError",
    "problem_of",
]

T = TypeVar("T")

#: A file to upload: a path, ``(name, bytes)`` or ``(name, open binary file)``.
FileInput = str | Path | tuple[str, bytes] | tuple[str, IO[bytes]]

#: ``progress(fraction, stage)`` — fraction 0..1; the same shape the server's jobs report.
ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class Call:
    """One HTTP request of an operation.

    ``files`` entries are ``(form field, FileInput)``; paths are opened by the driver for the
    length of the request. ``download`` names a file the body is streamed into (the
    operation then receives that path instead of parsed JSON). ``auth`` False sends neither
    token nor CSRF header (the sign-in itself).
    """

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, Any] | None = None
    files: list[tuple[str, FileInput]] = field(default_factory=list)
    download: Path | None = None
    auth: bool = True


@dataclass(frozen=True)
class Pause:
    """Wait this many seconds (between polls)."""

    seconds: float


#: An operation: yields Calls and Pauses, receives each Call's JSON (or download path), returns T.
Op = Generator[Call | Pause, Any, T]


class ServerError(Exception):
    """The server answered with an error (problem JSON).

    Attributes
    ----------
    status : int
        HTTP status.
    code : str
        makeready's stable error code, e.g. ``catalog.not_found`` (docs/errors.md).
    message : str
        What went wrong, for people.
    problem : Problem
        The whole problem document.

    """

    def __init__(self, status: int, problem: Problem) -> None:
        self.status, self.problem = status, problem
        self.code = problem.code
        self.message = problem.message or problem.detail or problem.title
        super().__init__(f"{status} {self.code}: {self.message}")


class TaskFailedError(Exception):
    """A task or an analysis ended in error; ``code`` and ``message`` say why."""

    def __init__(self, what: str, error: dict[str, Any] | None) -> None:
        error = error or {}
        self.code = str(error.get("code", "job.failed"))
        self.message = str(error.get("message", ""))
        self.error = error
        super().__init__(f"{what} failed: {self.code}: {self.message}")


class WaitTimeoutError(TimeoutError):
    """Waiting for a task, an analysis or a batch took longer than the timeout given."""


def problem_of(reply: httpx.Response) -> Problem:
    """The problem document of an error answer (also for non-JSON answers of proxies)."""
    try:
        body = reply.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return Problem(status=reply.status_code, title=reply.reason_phrase, detail=reply.text[:500])
    # OAuth errors carry ``error``/``error_description`` rather than a code.
    body.setdefault("code", body.get("error") or "http.error")
    body.setdefault("detail", body.get("error_description") or "")
    body.setdefault("status", reply.status_code)
    return Problem.model_validate(body)


def file_part(name: str, given: FileInput, opened: Callable[[Path], IO[bytes]]) -> tuple[str, Any]:
    """A multipart ``files`` entry for ``given`` (``opened`` opens paths for the request)."""
    if isinstance(given, str | Path):
        path = Path(given)
        return (name, (path.name, opened(path), "application/octet-stream"))
    filename, content = given
    return (name, (filename, content, "application/octet-stream"))
