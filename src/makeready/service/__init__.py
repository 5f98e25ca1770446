"""The REST service (FastAPI): 3D Spark API and 3D Print API over the library, stores and jobs."""

from makeready.service.app import create_app

__all__ = ["create_app"]
