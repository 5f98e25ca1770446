"""``makeready worker`` keeps its Celery worker alive: restarts it when it exits or goes deaf.

Celery workers on a Redis broker may stop consuming after Redis restarts — they stay up, but
take no more messages (celery/celery issues 8030, 8091, 9054, 10302; seen here too: the
fault test's workers froze after a failed acknowledgement). The supervisor runs the worker
as a child process group and watches two things: the child exiting (restart with backoff),
and the Redis server's ``run_id`` changing (a restart: stop the child — running jobs are
retried from the job table — and start a fresh one that connects and declares its queues
anew). Messages lost with a Redis that keeps nothing on disk are sent again by the sweeper.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from types import FrameType

import structlog

__all__ = ["supervise"]

_log = structlog.get_logger("makeready.worker")
_STOP_GRACE_S = 20.0


def _redis_run_id(url: str) -> str | None:
    """The Redis server's run id (new at every start), or None when it does not answer."""
    import redis

    try:
        info = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).info("server")
    except (redis.RedisError, OSError):
        return None
    return str(info.get("run_id") or "") or None


def _stop(child: subprocess.Popen[bytes], grace: float = _STOP_GRACE_S) -> None:
    """SIGTERM the child's process group (warm shutdown), SIGKILL it after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, sig)
        try:
            child.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def supervise(argv: Sequence[str], broker_url: str, *, check_s: float = 2.0) -> int:
    """Run ``argv`` (a Celery worker) until SIGTERM/SIGINT; restart it as needed.

    Returns the child's last exit status.
    """
    stopping = False
    child: subprocess.Popen[bytes] | None = None

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signum)

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    watch_redis = broker_url.startswith(("redis://", "rediss://"))
    backoff = 1.0
    while True:
        started = time.monotonic()
        child = subprocess.Popen(list(argv), process_group=0)
        run_id = _redis_run_id(broker_url) if watch_redis else None
        while child.poll() is None and not stopping:
            time.sleep(check_s)
            if not watch_redis:
                continue
            now_id = _redis_run_id(broker_url)
            if now_id is not None and run_id is None:
                run_id = now_id
            elif now_id is not None and now_id != run_id:
                _log.warning("the Redis broker restarted; restarting the worker", pid=child.pid)
                _stop(child)
                break
        if stopping:
            child.wait()
            return int(child.returncode)
        code = child.wait()
        if code != 0 and time.monotonic() - started < 30.0:
            time.sleep(backoff)  # crashing at start: do not spin
            backoff = min(30.0, backoff * 2)
        else:
            backoff = 1.0
        _log.info("worker exited; starting it again", code=code)
