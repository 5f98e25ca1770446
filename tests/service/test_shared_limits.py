"""The poll limit and the poll cache shared by every API process through Redis (scaled mode)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from makeready.service.pollcache import RecentCache, RedisRecentCache, poll_cache
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


def test_two_processes_share_one_poll_cache_and_its_invalidation(client: redis.Redis) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    first, second = RedisRecentCache(client, 5.0, prefix), RedisRecentCache(client, 5.0, prefix)
    loads: list[str] = []

    def load(state: str):
        def run() -> list:
            loads.append(state)
            return [None, {"cost_pp": 1.5}, state, "running", 0.5, "orienting", 1, None]

        return run

    assert first.get(("alice", "p1"), load("queued"))[2] == "queued"
    assert second.get(("alice", "p1"), load("other"))[1] == {"cost_pp": 1.5}  # another process: a hit
    assert loads == ["queued"]
    second.drop(("alice", "p1"))  # a write through the second process
    assert first.get(("alice", "p1"), load("done"))[2] == "done"  # the first one sees it at once
    assert second.get(("bob", "p1"), load("bob's"))[2] == "bob's"  # per owner
    assert loads == ["queued", "done", "bob's"]
    assert 0 < client.pttl(f"{prefix}:state:alice:p1") <= 5000  # bounded by expiry


def test_a_poll_cache_entry_expires_after_its_ttl(client: redis.Redis) -> None:
    cache = RedisRecentCache(client, 0.1, f"test-{uuid.uuid4().hex[:8]}")
    assert cache.get(("a", "p"), lambda: [1]) == [1]
    time.sleep(0.25)
    assert cache.get(("a", "p"), lambda: [2]) == [2]


def test_an_unreachable_redis_makes_the_poll_cache_load_every_time() -> None:
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=0.2, socket_connect_timeout=0.2)
    cache = RedisRecentCache(dead, 5.0)
    assert cache.get(("a", "p"), lambda: [1]) == [1]
    assert cache.get(("a", "p"), lambda: [2]) == [2]  # no cache, no error
    cache.drop(("a", "p"))


def test_the_poll_cache_follows_the_settings(tmp_path: Path) -> None:
    assert isinstance(poll_cache(Settings(data_dir=tmp_path)), RecentCache)
    shared = poll_cache(Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0"))
    assert isinstance(shared, RedisRecentCache)
