"""Both blob stores keep one contract: content addresses, streaming in and out, clear misses.

The S3 store runs against moto's standalone S3 server (a real HTTP server) started here.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from makeready.errors import MakereadyError
from makeready.settings import Settings
from makeready.store.blobs import BlobStore, LocalBlobStore
from makeready.store.connect import open_blobs
from makeready.store.s3 import S3BlobStore, parse_s3_url
from tests.service.stack import S3_ENV, MotoS3


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    server = MotoS3(tmp_path_factory.mktemp("moto")).start()
    saved = {k: os.environ.get(k) for k in S3_ENV}
    os.environ.update(S3_ENV)
    yield server
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.kill(signal.SIGTERM)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    moto = request.getfixturevalue("moto")
    settings = Settings(
        blobs_url=f"s3://bucket-{tmp_path.name.lower()[-20:]}/some/prefix", s3_endpoint_url=moto.url
    )
    return open_blobs(settings, create=True)


def test_put_get_open_are_content_addressed(store: BlobStore) -> None:
    data = b"solid cube\n" * 1000
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.put(data) == digest  # stored once, same name
    assert store.get(digest) == data
    assert b"".join(store.open(digest)) == data
    store.check()


def test_streams_larger_than_a_multipart_chunk(store: BlobStore) -> None:
    data = os.urandom(20 << 20)  # 20 MiB: three 8 MiB parts on S3
    digest, size = store.put_stream(io.BytesIO(data))
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    chunks = list(store.open(digest))
    assert max(len(c) for c in chunks) <= 1 << 20  # downloads come in chunks, not as one copy
    assert b"".join(chunks) == data


def test_missing_blobs_are_a_clear_error(store: BlobStore) -> None:
    absent = "0" * 64
    with pytest.raises(MakereadyError) as caught:
        store.get(absent)
    assert caught.value.code == "file.not_found"
    with pytest.raises(MakereadyError):
        store.open(absent)
    with pytest.raises(ValueError, match="SHA-256"):
        store.get("../../etc/passwd")


def test_local_streaming_holds_one_chunk_in_memory(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(32 << 20))
    tracemalloc.start()
    with source.open("rb") as handle:
        digest, _ = store.put_stream(handle)
    for _ in store.open(digest):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 4 << 20  # a 32 MiB file through 1 MiB chunks


def test_s3_urls() -> None:
    assert parse_s3_url("s3://bucket/a/b/") == ("bucket", "a/b")
    assert parse_s3_url("s3://bucket") == ("bucket", "")
    with pytest.raises(ValueError, match="s3://"):
        parse_s3_url("http://bucket/x")


def test_s3_keys_are_fanned_out_under_the_prefix(moto: MotoS3) -> None:
    store = S3BlobStore("s3://fanout/p", endpoint_url=moto.url)
    store.ensure_bucket()
    store.ensure_bucket()  # idempotent
    digest = store.put(b"x")
    assert store.key(digest) == f"p/{digest[:2]}/{digest[2:4]}/{digest}"
    listed = store.client.list_objects_v2(Bucket="fanout")["Contents"]
    assert [o["Key"] for o in listed] == [store.key(digest)]
