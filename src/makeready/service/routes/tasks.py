"""3D Print API's tasks: every asynchronous endpoint answers 202 with one; poll it here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from makeready.jobs import queue
from makeready.service.auth import Principal, Reader, Svc
from makeready.service.lookup import owned_or_404
from makeready.service.state import Services
from makeready.store.models import Job
from makeready.wire import Task

router = APIRouter(prefix="/api/v1/print/tasks", tags=["3D Print API: tasks"])


def submit(svc: Services, principal: Principal, kind: str, payload: dict[str, Any]) -> JSONResponse:
    """Queue a job and answer 202 with its task object (``Location`` points at the task)."""
    job = svc.enqueue(principal.owner, kind, payload)
    return JSONResponse(
        queue.task_json(job), status_code=202, headers={"Location": f"/api/v1/print/tasks/{job.id}"}
    )


@router.get("/{task_id}", response_model=Task, response_model_exclude_unset=True, summary="Poll a task")
def get_task(request: Request, svc: Svc, task_id: str, principal: Reader) -> dict[str, Any]:
    """``{id, status: running|done|error, progress, result | error{error_id, code, message}}``."""
    with svc.db.session() as session:
        job = owned_or_404(session, Job, task_id, principal.owner, "task")
    if job.status in ("queued", "running"):
        svc.limiter.check(principal.owner, request.url.path)
    return queue.task_json(job)
