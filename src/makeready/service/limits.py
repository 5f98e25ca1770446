"""Request body limits, enforced while the body streams in (not after it is on disk)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from makeready.service.problems import ApiError, problem

__all__ = ["BodyLimit"]


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413 ``file.too_large``.

    A declared ``Content-Length`` over the limit is refused before reading; a chunked body is
    counted as it arrives and refused at the first byte past the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size > self.max_bytes:
                response = problem("file.too_large", self._message(size), instance=scope.get("path", ""))
                await response(scope, receive, send)
                return
        seen = [0]

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > self.max_bytes:
                    raise ApiError("file.too_large", self._message(seen[0]))
            return message

        await self.app(scope, counted, send)

    def _message(self, size: int) -> str:
        return f"the request body ({size} bytes) is larger than the limit of {self.max_bytes} bytes"
