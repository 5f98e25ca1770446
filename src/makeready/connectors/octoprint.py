"""OctoPrint's REST API (https://docs.octoprint.org/en/master/api/): status, upload and print, commands.

Requests send the key as ``X-Api-Key`` (an application key or a user's key). OctoPrint records
how each print of a file ended in the file's ``prints`` block (``success``/``failure`` counts and
``last.success``); a cancelled print counts as a failure there.
"""

from __future__ import annotations

from typing import IO, Any
from urllib.parse import quote

import httpx

from makeready.connectors.base import PrinterState, PrinterStatus, PrintOutcome
from makeready.errors import MakereadyError

__all__ = ["OctoPrint"]

#: Upload and start can take a while on a busy Raspberry Pi; status reads should not.
UPLOAD_TIMEOUT_S = 120.0
#: G-code is what OctoPrint prints (its ``.gco``/``.g`` spellings included).
PRINTABLE_SUFFIXES = (".gcode", ".gco", ".g")


class OctoPrint:
    """A connection to one OctoPrint server.

    Parameters
    ----------
    url : str
        The server's base URL, e.g. ``http://octopi.local``.
    api_key : str
        An OctoPrint application key (Settings > Application Keys) or a user's API key.
    timeout_s : float
        Limit of each status request, s (uploads get :data:`UPLOAD_TIMEOUT_S`).

    """

    def __init__(self, url: str, api_key: str, *, timeout_s: float = 10.0) -> None:
        if not api_key or not all(33 <= ord(c) <= 126 for c in api_key):
            raise MakereadyError("request.invalid", "an OctoPrint API key is printable ASCII without spaces")
        self.url = url.rstrip("/")
        try:
            self._client = httpx.Client(
                base_url=self.url, headers={"X-Api-Key": api_key}, timeout=timeout_s, follow_redirects=False
            )
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise MakereadyError(
                "request.invalid", f"{self.url} is not a usable printer URL: {exc}"
            ) from None

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _request(
        self, method: str, path: str, *, accept: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        try:
            reply = self._client.request(method, path, **kwargs)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError) as exc:
            raise MakereadyError(
                "request.invalid", f"{self.url} is not a usable printer URL: {exc}"
            ) from None
        except httpx.TimeoutException:
            raise MakereadyError(
                "printer.unreachable", f"OctoPrint at {self.url} did not answer in time"
            ) from None
        except httpx.HTTPError as exc:
            raise MakereadyError(
                "printer.unreachable", f"cannot reach OctoPrint at {self.url}: {exc}"
            ) from None
        if reply.status_code in accept or reply.is_success:
            return reply
        text = reply.text.strip()[:300]
        if reply.status_code in (401, 403):
            raise MakereadyError(
                "printer.unauthorized", f"OctoPrint at {self.url} refused the API key ({reply.status_code})"
            )
        if reply.status_code == 409:
            raise MakereadyError(
                "printer.not_ready", f"OctoPrint at {self.url}: {text or 'printer not ready'}"
            )
        if reply.status_code == 415:
            raise MakereadyError(
                "printer.unsupported_file", f"OctoPrint at {self.url} refused the file: {text}"
            )
        raise MakereadyError(
            "printer.error",
            f"OctoPrint at {self.url} answered {reply.status_code} to {method} {path}: {text}",
        )

    def identify(self) -> str:
        """``OctoPrint 1.11.8`` (the server's own ``text``)."""
        version = self._request("GET", "/api/version").json()
        return str(version.get("text") or f"OctoPrint {version.get('server', '?')}")

    def status(self) -> PrinterStatus:
        """From ``GET /api/job`` and, while a printer is connected, ``GET /api/printer``."""
        job = self._request("GET", "/api/job").json()
        printer = self._request("GET", "/api/printer", accept=(409,))
        file = (job.get("job") or {}).get("file") or {}
        progress = job.get("progress") or {}
        completion = progress.get("completion")
        common: dict[str, Any] = {
            "message": str(job.get("state", "")),
            "file_name": file.get("path") or file.get("name"),
            "progress": None if completion is None else min(max(float(completion) / 100.0, 0.0), 1.0),
            "seconds_printing": progress.get("printTime"),
            "seconds_left": progress.get("printTimeLeft"),
        }
        if printer.status_code == 409:  # no printer connected to the server
            state = PrinterState.ERROR if "error" in common["message"].lower() else PrinterState.OFFLINE
            return PrinterStatus(state=state, **common)
        body = printer.json()
        flags = (body.get("state") or {}).get("flags") or {}
        temperatures = {
            name: (reading.get("actual"), reading.get("target"))
            for name, reading in (body.get("temperature") or {}).items()
            if isinstance(reading, dict)
        }
        return PrinterStatus(state=_state(flags), temperatures=temperatures, **common)

    def upload(self, name: str, content: IO[bytes], *, start: bool) -> str:
        """``POST /api/files/local`` with ``print=true``; OctoPrint's path of the stored file."""
        if not name.lower().endswith(PRINTABLE_SUFFIXES):
            raise MakereadyError(
                "printer.unsupported_file", f"OctoPrint prints G-code; {name!r} is not a .gcode file"
            )
        if start:
            current = self.status()
            if current.state is not PrinterState.READY:
                code = "printer.busy" if current.state in _BUSY else "printer.not_ready"
                raise MakereadyError(
                    code,
                    f"the printer is {current.state.value} ({current.message}); it cannot start a job now",
                )
        reply = self._request(
            "POST",
            "/api/files/local",
            files={"file": (name, content, "application/octet-stream")},
            data={"select": str(start).lower(), "print": str(start).lower()},
            timeout=UPLOAD_TIMEOUT_S,
        )
        stored = (reply.json().get("files") or {}).get("local") or {}
        return str(stored.get("path") or stored.get("name") or name)

    def outcome(self, remote_name: str) -> PrintOutcome | None:
        """From the file's ``prints.last.success``; None before its first print ended."""
        reply = self._request("GET", f"/api/files/local/{quote(remote_name)}", accept=(404,))
        if reply.status_code == 404:
            return None
        last = ((reply.json().get("prints") or {}).get("last")) or {}
        if "success" not in last:
            return None
        return PrintOutcome.SUCCESS if last["success"] else PrintOutcome.FAILURE

    def command(self, command: str) -> None:
        """``POST /api/job``: cancel, or pause with action pause/resume."""
        bodies = {
            "cancel": {"command": "cancel"},
            "pause": {"command": "pause", "action": "pause"},
            "resume": {"command": "pause", "action": "resume"},
        }
        if command not in bodies:
            raise MakereadyError(
                "request.invalid", f"unknown printer command {command!r}: pause, resume or cancel"
            )
        self._request("POST", "/api/job", json=bodies[command])


_BUSY = (PrinterState.PRINTING, PrinterState.PAUSED, PrinterState.BUSY)


def _state(flags: dict[str, Any]) -> PrinterState:
    """The printer's state from OctoPrint's state flags (the order matters: several can be set)."""
    if flags.get("error"):
        return PrinterState.ERROR
    if flags.get("cancelling") or flags.get("pausing") or flags.get("resuming") or flags.get("finishing"):
        return PrinterState.BUSY
    if flags.get("paused"):
        return PrinterState.PAUSED
    if flags.get("printing"):
        return PrinterState.PRINTING
    if flags.get("closedOrError") or not flags.get("operational"):
        return PrinterState.OFFLINE
    return PrinterState.READY if flags.get("ready", True) else PrinterState.BUSY
