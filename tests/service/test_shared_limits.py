"""The poll limit shared by every API process through Redis (scaled mode)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from makeready.service.problems import ApiError
from makeready.service.ratelimit import PollLimiter, RedisPollLimiter, poll_limiter
from makeready.settings import Settings
from tests.service.stack import redis_url


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redis.Redis]:
    with redis_url(tmp_path_factory.mktemp("redis")) as url:
        yield redis.Redis.from_url(url)


def test_two_processes_share_one_limit(client: redis.Redis) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    first, second = RedisPollLimiter(client, 2.0, prefix), RedisPollLimiter(client, 2.0, prefix)
    first.check("alice", "/api/v1/analysisResult/p1/")
    with pytest.raises(ApiError) as refused:
        second.check("alice", "/api/v1/analysisResult/p1/")  # another process, the same limit
    assert refused.value.code == "request.rate_limited"
    assert refused.value.headers["Retry-After"] == "2"
    second.check("bob", "/api/v1/analysisResult/p1/")  # per owner
    second.check("alice", "/api/v1/analysisResult/p2/")  # per resource
    ttl = client.pttl(f"{prefix}:poll:alice:/api/v1/analysisResult/p1/")
    assert 0 < ttl <= 2000  # the table is bounded by expiry


def test_an_unreachable_redis_lets_polls_through() -> None:
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=0.2, socket_connect_timeout=0.2)
    limiter = RedisPollLimiter(dead, 5.0)
    limiter.check("alice", "/x")
    limiter.check("alice", "/x")  # no 429 and no 500: logged, let through


def test_the_limiter_follows_the_settings(tmp_path: Path) -> None:
    assert isinstance(poll_limiter(Settings(data_dir=tmp_path)), PollLimiter)
    shared = poll_limiter(Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0"))
    assert isinstance(shared, RedisPollLimiter)
    scaled = poll_limiter(Settings(data_dir=tmp_path, jobs="celery", broker_url="redis://127.0.0.1:6379/3"))
    assert isinstance(scaled, RedisPollLimiter)
    rabbit = poll_limiter(Settings(data_dir=tmp_path, jobs="celery", broker_url="amqp://guest@127.0.0.1//"))
    assert isinstance(rabbit, PollLimiter)
