"""Blobs on S3-compatible storage (AWS S3, MinIO, Ceph RGW, Garage…) through boto3.

Keys are content addresses, ``<prefix>/ab/cd/<sha256>``, so replicas and workers on different
machines share one store without coordination, and a blob written twice is stored once.
Uploads of streams are spooled to a temporary file while hashed (the key is the hash, known
only at the end), then sent with boto3's managed transfer — multipart above 8 MiB — so memory
holds one chunk, not the file. Credentials come from boto3's usual sources
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, an instance role).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from makeready.store.blobs import CHUNK_BYTES, MemoryCache, check_digest, missing, spool

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

__all__ = ["S3BlobStore", "parse_s3_url"]

_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
_TRANSFER = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=8 << 20, max_concurrency=4)


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ``("bucket", "some/prefix")``; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3://bucket[/prefix] URL: {url!r}")
    return parts.netloc, parts.path.strip("/")


def _is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in _MISSING_CODES


class S3BlobStore:
    """Blobs under ``s3://bucket/prefix/ab/cd/<sha256>``.

    Parameters
    ----------
    url : str
        ``s3://bucket[/prefix]``.
    endpoint_url : str, optional
        The S3 endpoint of a non-AWS service (``http://minio:9000``).
    region : str, optional
        Region name (default: boto3's configuration).
    cache_bytes : int
        Memory for small hot blobs.

    """

    def __init__(
        self,
        url: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        cache_bytes: int = 64 << 20,
    ) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self.endpoint_url = endpoint_url
        config = Config(
            retries={"max_attempts": 5, "mode": "adaptive"},
            connect_timeout=5,
            read_timeout=60,
            max_pool_connections=32,
            s3={"addressing_style": "path"},  # works for MinIO and AWS alike
        )
        self.client: S3Client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, region_name=region, config=config
        )
        self._cache = MemoryCache(cache_bytes)

    def key(self, sha256: str) -> str:
        """The object key of a blob."""
        check_digest(sha256)
        name = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet (first start of a fresh deployment)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if not _is_missing(exc):
                raise
            region = self.client.meta.region_name
            extra: dict[str, Any] = {}
            if region and region != "us-east-1":
                extra["CreateBucketConfiguration"] = {"LocationConstraint": region}
            self.client.create_bucket(Bucket=self.bucket, **extra)

    def _exists(self, key: str) -> bool:
        """Whether the object exists.

        An existing one is copied onto itself, which renews its LastModified, so the retention
        sweep treats reused content as fresh.
        """
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": key},
                MetadataDirective="REPLACE",
            )
        except ClientError as exc:
            if _is_missing(exc):  # swept between the two requests: write it again
                return False
            raise
        return True

    def put(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256 hex digest."""
        digest = hashlib.sha256(data).hexdigest()
        key = self.key(digest)
        if not self._exists(key):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
        return digest

    def put_stream(self, stream: BinaryIO) -> tuple[str, int]:
        """Store a stream (spooled to a temporary file, then a managed upload)."""
        spooled, digest, size = spool(stream)
        with spooled:
            key = self.key(digest)
            if not self._exists(key):
                self.client.upload_fileobj(spooled, self.bucket, key, Config=_TRANSFER)
        return digest, size

    def _body(self, sha256: str) -> Any:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        except ClientError as exc:
            if _is_missing(exc):
                raise missing(sha256) from exc
            raise

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``; ``file.not_found`` when missing."""
        cached = self._cache.get(sha256)
        if cached is not None:
            return cached
        body = self._body(sha256)
        with body:
            data: bytes = body.read()
        self._cache.offer(sha256, data)
        return data

    def open(self, sha256: str) -> Iterator[bytes]:
        """The object as a stream of chunks (requested now, so a missing blob fails here)."""
        body = self._body(sha256)

        def chunks() -> Iterator[bytes]:
            with body:
                yield from body.iter_chunks(CHUNK_BYTES)

        return chunks()

    def stored_before(self, cutoff: float) -> Iterator[tuple[str, int]]:
        """(sha256, size) of the blobs whose LastModified is before ``cutoff`` (epoch seconds)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                digest = len(name) == 64 and all(c in "0123456789abcdef" for c in name)
                if digest and item["LastModified"].timestamp() < cutoff:
                    yield name, int(item["Size"])

    def delete_unless_touched(self, sha256: str, cutoff: float) -> bool:
        """Delete a blob unless its LastModified is at or after ``cutoff``; True if deleted.

        S3 has no atomic rename: the time is read, then the object deleted. A writer that
        reuses the object between the two requests (milliseconds) loses it; its next read
        reports ``file.not_found``. The grace period makes that need an upload of identical
        content at the very moment its old copy, unreferenced for the whole grace, is swept.
        """
        key = self.key(sha256)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        if head["LastModified"].timestamp() >= cutoff:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=key)
        self._cache.drop(sha256)
        return True

    def check(self) -> None:
        """Write, read back and delete a probe object."""
        key = f"{self.prefix}/.probe/{uuid.uuid4().hex}".lstrip("/")
        self.client.put_object(Bucket=self.bucket, Key=key, Body=b"ok")
        try:
            if self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read() != b"ok":
                raise OSError(f"blob store s3://{self.bucket} returned different bytes")
        finally:
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def describe(self) -> str:
        """The bucket URL and endpoint."""
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where
