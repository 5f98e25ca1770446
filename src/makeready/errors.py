"""One exception type for unusable input, with stable dotted codes.

Defects of a readable part (holes, flipped triangles, thin walls…) are *data* and are
reported, never raised. ``MakereadyError`` is raised only when input cannot be used at all:
an empty or truncated file, an unknown format, a zip bomb, a 3MF that violates its
specification. Its ``code`` is stable and documented in ``docs/errors.md``; the CLI prints it
and exits with status 2, and the service maps it to RFC 9457 problem JSON.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

__all__ = ["ERROR_CODES", "MakereadyError", "unknown_name"]

#: Every code the library raises, with the one-line meaning shown to users.
ERROR_CODES: dict[str, str] = {
    "file.empty": "the file holds no bytes",
    "file.not_found": "the path does not exist or cannot be read",
    "file.too_large": "the file is larger than the configured byte limit",
    "file.too_many_triangles": "the part has more triangles than the configured limit",
    "file.unsupported_format": "the content is not a format makeready reads",
    "file.truncated": "the file ends before the data its header announces",
    "file.invalid_number": "a coordinate is not a finite number (NaN, infinity or malformed)",
    "file.index_out_of_range": "a face refers to a vertex that does not exist",
    "file.no_triangles": "the file is readable but holds no triangles to analyse",
    "file.unknown_units": "the unit name is not one makeready knows",
    "stl.invalid": "the STL is malformed",
    "obj.invalid": "the OBJ is malformed",
    "ply.invalid": "the PLY is malformed",
    "off.invalid": "the OFF is malformed",
    "zip.invalid": "the archive is damaged or not a zip",
    "zip.bomb": "the archive expands beyond the size or ratio limits",
    "zip.path_traversal": "an archive entry name escapes the archive (absolute path or '..')",
    "zip.no_part": "the archive holds no readable part file",
    "batch.invalid_list": "a parts list (CSV) cannot be read: no file column, a bad lot size or an empty row",
    "3mf.invalid": "the 3MF violates the 3MF specification (the rule is named in the message)",
    "3mf.xml_forbidden": "the 3MF XML uses a DOCTYPE or entities, which 3MF forbids",
    "3mf.unsupported_extension": "the 3MF requires an extension makeready does not implement",
    "step.invalid": "the STEP file could not be read by OpenCascade",
    "step.unavailable": "STEP support needs OpenCascade (the cadquery-ocp-novtk package)",
    "request.invalid": "an option or parameter has a value makeready does not accept",
    "catalog.not_found": "no material, machine or process in the catalog has that name",
    "catalog.invalid": "a catalog record or override has an unknown field or a bad value",
    "tray.incompatible": "the profile or material is not for the tray's printer type",
    "tray.not_ready": "the tray must be prepared before its printable is generated",
    "part.not_analysed": "the part's analysis has not finished, or predates the viewer: wait, or rerun it",
    "tray.does_not_fit": "a mesh fits nowhere on the printer's plate",
    "printable.does_not_fit": "the part does not fit the printer's build volume",
    "printable.unsupported": "makeready cannot write a file this printer reads (a proprietary format)",
    "printable.empty": "the part slices to nothing: no layer holds any of it (check its units)",
    # The service's codes (RFC 9457 problem JSON; the HTTP status is in docs/errors.md).
    "request.not_found": "no such resource, or it belongs to someone else",
    "request.method_not_allowed": "the resource does not accept this HTTP method",
    "request.unsupported_media_type": "the request body is not in a media type this endpoint reads",
    "request.rate_limited": "polled faster than the configured rate; retry after the given seconds",
    "auth.required": "sign in: send a bearer token or a session cookie",
    "auth.invalid_token": "the token is malformed, forged, expired or not for this service",
    "auth.invalid_grant": "the username, password or refresh token is wrong or expired",
    "auth.invalid_client": "the client id or client secret is wrong",
    "auth.unsupported_grant_type": "the token endpoint does not offer this grant type",
    "auth.insufficient_scope": "the token lacks the scope this request needs",
    "auth.csrf_failed": "a cookie-signed-in request must send the csrftoken cookie's value as X-CSRFToken",
    "job.failed": "the job failed unexpectedly on every attempt (a bug: the reason is in the message)",
    "job.crashed": (
        "the job's process crashed in native code or ran out of its memory limit,"
        " or its worker was killed every time it tried"
    ),
    "job.timeout": "the job ran longer than its time limit (MAKEREADY_JOB_TIME_LIMIT_S)",
    "upload.unsafe_name": "the uploaded file name holds a path, '..' or control characters",
    "request.malformed": "the request body cannot be parsed (broken multipart or form encoding)",
    "server.unreachable": "the makeready server cannot be reached (wrong URL, not running, or the network)",
    "printer.unreachable": "the printer's server (OctoPrint) cannot be reached: wrong URL, off, or network",
    "printer.unauthorized": "the printer's server refused the API key",
    "printer.not_ready": "the printer cannot take the request now (not connected, or no job to control)",
    "printer.busy": "the printer is printing, paused or busy; start the job when it is ready",
    "printer.unsupported_file": "the printer's server does not print this kind of file",
    "printer.error": "the printer's server answered with an error (its words are in the message)",
    "printer.secret_unreadable": "a stored printer key cannot be decrypted: MAKEREADY_SECRET_KEY changed",
    "backup.invalid": "the file is not a makeready backup, or it is damaged",
    "backup.newer": "the backup was made by a newer makeready: its schema revision is unknown here",
    "backup.target_not_empty": (
        "restore needs an empty database: a new data directory or database, before its server first starts"
    ),
    "backup.incomplete": "a blob the database refers to is missing from the blob store; run the backup again",
    "internal.error": "an unexpected error in makeready (a bug: please report it with the error_id)",
}


class MakereadyError(Exception):
    """Unusable input, with a stable machine-readable code.

    Parameters
    ----------
    code : str
        A dotted code from :data:`ERROR_CODES`, e.g. ``"file.truncated"``.
    message : str
        A sentence for people that says what is wrong and, where possible, where.
    **details : Any
        Extra facts for machines (e.g. ``rule="3MF core 3.4.3"``, ``expected_bytes=…``).

    """

    def __init__(self, code: str, message: str, **details: Any) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unregistered error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """Return the error as a JSON-ready mapping (``code``, ``message``, ``details``)."""
        return {"code": self.code, "message": self.message, "details": dict(self.details)}


def unknown_name(kind: str, given: str, known: Iterable[str]) -> MakereadyError:
    """``catalog.not_found`` for a name that matches nothing, with the closest names suggested.

    Names are compared case- and space-insensitively, as the lookups do; the message ends
    with every known name so nothing has to be guessed.
    """
    names = list(known)
    folded = {"".join(n.split()).casefold(): n for n in names}
    wanted = "".join(given.split()).casefold()
    close = [folded[m] for m in difflib.get_close_matches(wanted, list(folded), n=3, cutoff=0.5)]
    close += [n for key, n in folded.items() if wanted and key.startswith(wanted) and n not in close]
    hint = f"; did you mean {', '.join(close[:3])}?" if close else "."
    return MakereadyError(
        "catalog.not_found", f"no {kind} named {given!r}{hint} Known: {', '.join(names)}", kind=kind
    )
