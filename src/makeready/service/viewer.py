"""The web viewer: static files shipped in the package (makeready/viewer), no Node at run time."""

from __future__ import annotations

from pathlib import Path

from fastapi import Response
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles

import makeready

VIEWER_DIR = Path(makeready.__file__).parent / "viewer"

#: The page loads only its own scripts, styles and API: no inline code, nothing from elsewhere.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def viewer_page() -> Response:
    """The viewer's single page."""
    return FileResponse(VIEWER_DIR / "index.html", media_type="text/html", headers=_PAGE_HEADERS)


class ViewerFiles(StaticFiles):
    """The viewer's scripts, styles and vendored libraries (revalidated by ETag)."""

    def __init__(self) -> None:
        super().__init__(directory=VIEWER_DIR, check_dir=True)
