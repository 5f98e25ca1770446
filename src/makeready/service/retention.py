"""The service's periodic retention sweep (:mod:`makeready.store.retention`) on a thread.

Every API process runs one, in the embedded and the scaled mode alike; sweeps by several
processes at once are safe (deletes are idempotent and guarded by the blobs' times).
"""

from __future__ import annotations

import threading

import structlog

from makeready.settings import Settings
from makeready.store.blobs import BlobStore
from makeready.store.db import Database
from makeready.store.retention import sweep

__all__ = ["RetentionSweeper"]

_log = structlog.get_logger("makeready.retention")

#: The first sweep waits this long at most after start-up (not the whole interval).
FIRST_SWEEP_S = 600.0


class RetentionSweeper:
    """Sweeps every ``settings.gc_interval_s`` seconds until stopped (0: never starts)."""

    def __init__(self, db: Database, blobs: BlobStore, settings: Settings) -> None:
        self.db, self.blobs, self.settings = db, blobs, settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the sweeping thread when sweeps are enabled."""
        if self.settings.gc_interval_s <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="makeready-retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sweeping (waits for a sweep in progress)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)

    def _run(self) -> None:
        wait = min(self.settings.gc_interval_s, FIRST_SWEEP_S)
        while not self._stop.wait(wait):
            wait = self.settings.gc_interval_s
            try:
                report = sweep(self.db, self.blobs, self.settings)
            except Exception:  # a failed sweep is retried at the next interval, never fatal
                _log.warning("retention sweep failed", exc_info=True)
                continue
            _log.info(
                "retention sweep",
                tasks=report.tasks,
                blobs=report.blobs,
                bytes=report.bytes,
                kept_recent=report.recent,
                seconds=round(report.seconds, 3),
            )
