"""Task functions for the job-isolation tests: module level, so a job's child process imports them.

Each misbehaves the way native geometry code can: a real segfault, an allocation past the
memory limit, a loop past the time limit, a SIGKILL from outside.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np

from makeready.errors import MakereadyError
from makeready.jobs.context import TaskContext
from makeready.progress import Stage


def echo(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Report progress and the process the task ran in."""
    ctx.progress(0.5, Stage.ANALYSING)
    return {"pid": os.getpid(), "n": payload.get("n")}


def segfault(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Read address 0: SIGSEGV."""
    ctypes.string_at(0)
    return {}


def allocate(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Allocate and touch ``payload["mib"]`` MiB."""
    block = np.ones(int(payload["mib"]) << 17)  # 8-byte floats: mib * 2**20 / 8
    return {"sum": float(block.sum())}


def sleep(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Write this process's id to ``payload["pid_file"]``, then sleep ``payload["s"]`` seconds."""
    if "pid_file" in payload:
        Path(payload["pid_file"]).write_text(str(os.getpid()))
    time.sleep(float(payload["s"]))
    return {}


def killed(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """SIGKILL this process, as the system's out-of-memory killer would."""
    os.kill(os.getpid(), signal.SIGKILL)
    return {}


def refuse(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Unusable input."""
    raise MakereadyError("file.truncated", "ends early")


TASKS = {
    "echo": echo,
    "segfault": segfault,
    "allocate": allocate,
    "sleep": sleep,
    "killed": killed,
    "refuse": refuse,
}
