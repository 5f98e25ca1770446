"""Binary display documents over HTTP: gzip when the client takes it, ETags for revalidation."""

from __future__ import annotations

import gzip

from fastapi import Request, Response

#: Media type of makeready.rendering.display's binary document.
DISPLAY_MEDIA_TYPE = "application/vnd.makeready.rendering.display"


def display_response(request: Request, compressed: bytes, etag: str) -> Response:
    """``compressed`` (gzip of the document) as is, or unpacked for a client without gzip.

    ``etag`` identifies the content (a blob hash): a matching ``If-None-Match`` gets 304.
    """
    headers = {"ETag": f'"{etag}"', "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            compressed, media_type=DISPLAY_MEDIA_TYPE, headers={**headers, "Content-Encoding": "gzip"}
        )
    return Response(gzip.decompress(compressed), media_type=DISPLAY_MEDIA_TYPE, headers=headers)
