"""The stores a process uses, built from the settings: the database and the blob store."""

from __future__ import annotations

from makeready.settings import Settings
from makeready.store.blobs import BlobStore, LocalBlobStore
from makeready.store.db import Database

__all__ = ["open_blobs", "open_database"]


def open_database(settings: Settings) -> Database:
    """The database at ``settings.sqlalchemy_url`` with the configured pool."""
    return Database(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout_s=settings.db_pool_timeout_s,
        pool_recycle_s=settings.db_pool_recycle_s,
    )


def open_blobs(settings: Settings, *, create: bool = False) -> BlobStore:
    """S3 when ``blobs_url`` is set (``create``: make the bucket if missing), else local disk."""
    if settings.blobs_url:
        from makeready.store.s3 import S3BlobStore  # boto3 loads only when S3 is configured

        store = S3BlobStore(
            settings.blobs_url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
        )
        if create:
            store.ensure_bucket()
        return store
    return LocalBlobStore(settings.blob_path)
