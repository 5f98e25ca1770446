"""The peer of the service benchmark: a bare FastAPI endpoint, no auth, no database, no middleware."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()
_BODY = {"analysis_finished": False, "analysis_report": None, "status": "running", "progress": 0.5}


@app.get("/api/v1/analysisResult/{part_id}/")
def poll(part_id: str) -> dict[str, object]:
    return {**_BODY, "part_id": part_id}
