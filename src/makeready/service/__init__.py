"""The REST service (FastAPI): seed 000 and seed 003 over the library, stores and jobs."""

from makeready.service.app import create_app

__all__ = ["create_app"]
