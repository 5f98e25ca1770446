"""The JSON the REST service speaks, as pydantic models: one definition for server and client.

The service names these as its ``response_model`` (so ``/openapi.json`` documents every
answer) and the SDK (:mod:`makeready.client`) parses answers into them, so a script gets
typed objects whose field names are exactly the APIs' JSON keys. Every model keeps fields it
does not declare (``extra="allow"``): a newer server never breaks an older client, and the
long tail of report keys stays reachable as attributes or through ``model_dump()``.

Units follow the APIs': 3D Spark API reports lengths in mm, volumes in cm³, areas in cm², costs
in EUR, times as ``"hh:mm"`` strings or hours, lead times in days, CO2 in kg CO2e; 3D Print API
uses cm for every length and location.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AnalysisReport",
    "AnalysisResult",
    "Batch",
    "BatchChain",
    "BatchCreated",
    "BatchPart",
    "BatchSummary",
    "BoundingBox",
    "Catalog",
    "ChainCost",
    "FileInfo",
    "FileUpload",
    "Mesh",
    "MeshGeom",
    "MeshProblem",
    "Part",
    "PartUpload",
    "PrintDefinition",
    "PrintJob",
    "Printable",
    "Printer",
    "PrinterStatus",
    "Problem",
    "ProcessChain",
    "Refusal",
    "Simplified",
    "Task",
    "TaskError",
    "Token",
    "Tray",
    "Wire",
]


class Wire(BaseModel):
    """Base of every wire model: unknown keys are kept, field names are the JSON keys."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


WireT = TypeVar("WireT", bound=Wire)


# --- sign-in -------------------------------------------------------------------------------------


class Token(Wire):
    """The token endpoint's answer (OAuth 2): lifetimes in seconds."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int = 300
    refresh_token: str | None = None
    refresh_expires_in: int | None = None
    scope: str | None = None


class Problem(Wire):
    """An error answer (RFC 9457 problem details plus 3D Print API's ``code``/``error_id``/``message``)."""

    type: str = "about:blank"
    title: str = ""
    status: int = 500
    detail: str = ""
    instance: str | None = None
    code: str = "http.error"
    error_id: str | None = None
    message: str | None = None


# --- 3D Spark API: parts and analysis ----------------------------------------------------------------


class PartUpload(Wire):
    """``POST /api/v1/part/``: the new part and the task that analyses it."""

    part_id: str
    task: str = "upload_part"
    message: str = ""
    basename: str
    name: str


class Part(Wire):
    """One uploaded part and the state of its analysis (``uploaded|queued|running|done|error``)."""

    part_id: str
    name: str
    basename: str
    created_date: str
    mat_name: str | None = None
    prc_acronym: str | None = None
    lot_size: int | None = None
    units: str | None = Field(None, description="units of the uploaded coordinates (mm, cm, m, inch)")
    status: str
    analysis_finished: bool
    file_id: str | None = None
    progress: float | None = Field(None, description="0..1 while the analysis runs")
    stage: str | None = Field(None, description="the analysis stage running now")


class ChainCost(Wire):
    """Cost of a process chain, EUR per part (pp), per lot (pl) and per build job (pj)."""

    cost_pp: float | None = None
    cost_pl: float | None = None
    cost_pj: float | None = None


class ProcessChain(Wire):
    """One candidate process chain of an analysis report (3D Spark API keys; the rest kept as extras).

    Lengths mm, ``bld_h`` build height mm, ``n_lyr`` layers, ``sup_vol_*`` cm³, ``part_mass``
    and ``sup_mass`` g, ``leadtime`` days; ``mac_t``/``labor`` hold ``"hh:mm"`` per part, lot
    and job.
    """

    process_chain_id: str
    name: str
    prc: str | None = None
    prc_acronym: str
    tech: str | None = None
    machine_name: str | None = None
    mac_id: str | None = None
    material_name: str | None = None
    mat_id: str | None = None
    cost: ChainCost = Field(default_factory=ChainCost)
    cost_bd: dict[str, float | None] = Field(default_factory=dict)
    mac_t: dict[str, str | None] = Field(default_factory=dict)
    labor: dict[str, str | None] = Field(default_factory=dict)
    leadtime: int | None = None
    co2: dict[str, Any] = Field(default_factory=dict)
    feasibility: dict[str, Any] = Field(default_factory=dict)
    float_feasibilities: dict[str, float | None] = Field(default_factory=dict)
    process_chain_stat: dict[str, Any] = Field(default_factory=dict)
    infeasible_reason: str | None = None
    fits_mac: bool | None = None
    parts_pj: int | None = None
    bld_h: float | None = None
    n_lyr: int | None = None
    market_price: dict[str, Any] = Field(default_factory=dict)
    break_even: dict[str, Any] = Field(default_factory=dict)
    nst_style: str | None = None

    @property
    def feasible(self) -> bool:
        """Whether the chain can make the part (``process_chain_stat.feasible``)."""
        return bool(self.process_chain_stat.get("feasible", False))

    @property
    def co2_pp(self) -> float | None:
        """Kg CO2e per part."""
        value = self.co2.get("co2_pp")
        return float(value) if value is not None else None


class AnalysisReport(Wire):
    """3D Spark API's ``analysis_report``: geometry (mm, cm³, cm²), mesh checks and every chain."""

    part_id: str
    name: str
    basename: str | None = None
    lot_size: int
    bb_x: float
    bb_y: float
    bb_z: float
    min_bb_x: float | None = None
    min_bb_y: float | None = None
    min_bb_z: float | None = None
    part_vol: float
    part_srf_area: float
    t_min: float | None = None
    gap_min: float | None = None
    mesh_checks: dict[str, Any] = Field(default_factory=dict)
    process_chains: dict[str, ProcessChain]
    primary_process_chain_id: str
    current_technology: str | None = None
    current_cost: dict[str, Any] = Field(default_factory=dict)
    current_leadtime: dict[str, Any] = Field(default_factory=dict)
    cost_saved: float | None = None
    leadtime_saved: int | None = None

    @property
    def primary_chain(self) -> ProcessChain:
        """The chain of the material and process the part was uploaded with."""
        return self.process_chains[self.primary_process_chain_id]

    def chains(self, *, feasible_only: bool = False) -> list[ProcessChain]:
        """Chains cheapest first (per part); infeasible ones last or left out."""

        def key(chain: ProcessChain) -> tuple[bool, float]:
            cost = chain.cost.cost_pp
            return (not chain.feasible, cost if cost is not None else float("inf"))

        chosen = [c for c in self.process_chains.values() if c.feasible or not feasible_only]
        return sorted(chosen, key=key)


class AnalysisResult(Wire):
    """``GET /api/v1/analysisResult/{part_id}/``: ``analysis_report`` once finished.

    While it runs, makeready adds ``status``, ``progress`` (0..1), ``stage`` and
    ``attempts``; a failed analysis is finished with ``error`` set instead of a report.
    """

    analysis_finished: bool
    analysis_report: AnalysisReport | None = None
    status: str | None = None
    progress: float | None = None
    stage: str | None = None
    attempts: int | None = None
    error: dict[str, Any] | None = None


class Simplified(Wire):
    """``GET /api/v1/analysisResult/simplified/{part_id}/``: 3D Spark API's eleven keys once done.

    ``bb_*`` mm, ``part_vol`` cm³, ``part_srf_area`` cm², ``cost_pp`` and
    ``market_price_pp`` EUR; the check keys are true when the primary chain passes them.
    """

    part_id: str
    analysis_finished: bool | None = None
    bb_x: float | None = None
    bb_y: float | None = None
    bb_z: float | None = None
    part_vol: float | None = None
    part_srf_area: float | None = None
    cost_pp: float | None = None
    thickness: bool | None = None
    gap_size: bool | None = None
    fits_mac: bool | None = None
    market_price_pp: float | None = None


class Catalog(Wire):
    """A machine, material or costing record (``mac_id``/``mat_id`` and the catalog's fields)."""

    mac_id: str | None = None
    mac_name: str | None = None
    mat_id: str | None = None
    mat_name: str | None = None
    prc_acronym: str | None = None


# --- batches (makeready) -------------------------------------------------------------------------


class Refusal(Wire):
    """A file of a batch that could not be read: its name and the error code."""

    basename: str
    code: str
    message: str


class BatchCreated(Wire):
    """``POST /api/v1/batch/``: the batch, its parts (one per part file) and the refusals."""

    batch_id: str
    parts: list[dict[str, str]]
    refused: list[Refusal] = Field(default_factory=list)


class BatchChain(Wire):
    """A chain in a batch line: EUR per part and lot, days, kg CO2e per part."""

    process_chain_id: str
    prc_acronym: str | None = None
    machine: str | None = None
    cost_pp: float | None = None
    cost_pl: float | None = None
    leadtime: int | None = None
    co2_pp: float | None = None
    feasible: bool = False
    reason: str | None = None


class BatchPart(Wire):
    """One part of a batch: its best additive and conventional chains and the saving (EUR/part)."""

    part_id: str
    name: str
    basename: str
    status: str
    error: dict[str, Any] | None = None
    best_additive: BatchChain | None = None
    best_conventional: BatchChain | None = None
    savings_pp: float | None = None
    additive_feasible: bool | None = None
    chains: list[BatchChain] = Field(default_factory=list)


class Batch(Wire):
    """A batch's combined result (``GET /api/v1/batch/{id}/``), ``ranking`` best suited first."""

    batch_id: str | None = None
    name: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = None
    status: Literal["running", "done"]
    progress: float
    counts: dict[str, int]
    ranking: list[str]
    totals: dict[str, float]
    parts: list[BatchPart]
    refused: list[Refusal] = Field(default_factory=list)


class BatchSummary(Wire):
    """One entry of ``GET /api/v1/batch/``."""

    batch_id: str
    name: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    created_at: str


# --- 3D Print API: files, meshes, trays, tasks -------------------------------------------------------


class FileInfo(Wire):
    """A stored file: id, name, size in bytes and content type."""

    file_id: str
    name: str
    size: int | None = None
    content_type: str | None = None


class FileUpload(Wire):
    """``POST /api/v1/files/upload``: every uploaded file, and the first one's id."""

    files: list[dict[str, str]]
    file_id: str


class BoundingBox(Wire):
    """Axis-aligned box, cm (3D Print API)."""

    min: list[float]
    max: list[float]


class MeshGeom(Wire):
    """Counts and the bounding box (cm) of a mesh."""

    num_vertices: int
    num_triangles: int
    has_uvs: bool = False
    bounding_box: BoundingBox


class MeshProblem(Wire):
    """One problem type found on a mesh, with its count and locations (cm)."""

    type: str
    count: int | None = None


class Mesh(Wire):
    """3D Print API's immutable mesh; ``transform`` is a 4 x 4 row-major matrix (cm)."""

    id: str
    name: str
    internal_file_id: str | None = None
    transform: list[list[float]]
    geom: MeshGeom
    analyzed: bool
    problems: list[MeshProblem] | None = None
    visual_file_id: str | None = None


class Tray(Wire):
    """3D Print API's tray: meshes placed on a printer's build plate (cm) and its preparation state."""

    id: str
    printer_type_id: str
    profile_id: str
    default_material_id: str
    settings: dict[str, Any] = Field(default_factory=dict)
    meshes: list[Mesh]
    mesh_attrs: dict[str, Any] = Field(default_factory=dict)
    state: str
    ready: bool
    notes: list[str] = Field(default_factory=list)
    visual_file_id: str | None = None


class Printable(Wire):
    """The result of ``generate-printable``: the printable's file id and what slicing measured."""

    file_id: str
    summary: dict[str, Any] = Field(default_factory=dict)
    raw_file_id: str | None = None


class TaskError(Wire):
    """Why a task failed (3D Print API's ``error_id``, ``code``, ``message``)."""

    code: str
    message: str = ""
    error_id: str | None = None


class Task(Wire):
    """3D Print API's asynchronous task: ``status`` running, done or error, ``progress`` 0..1.

    makeready adds ``state`` (queued, running, done, error), ``stage`` and ``attempts``.
    """

    id: str
    status: Literal["running", "done", "error"]
    progress: float = 0.0
    state: str | None = None
    stage: str | None = None
    attempts: int | None = None
    task_update_time: str | None = None
    result: Any = None
    error: TaskError | None = None

    def result_as(self, model: type[WireT]) -> WireT:
        """The result parsed as ``model`` (e.g. :class:`Mesh`, :class:`Tray`, :class:`Printable`)."""
        if self.status != "done":
            raise ValueError(f"task {self.id} is {self.status}, not done")
        return model.model_validate(self.result)


class PrintDefinition(Wire):
    """A printer type, print material or print profile (3D Print API's print definitions)."""

    id: str
    name: str
    technology: str | None = None


# --- printers and print jobs (the 3D Print API family's printer management, adapted) ----------


class Printer(Wire):
    """A registered printer: a connection to its print server. The API key is never returned."""

    id: str
    printer_name: str
    connection: dict[str, Any] = Field(default_factory=dict)
    printer_type_id: str | None = None
    created: str | None = None


class PrinterStatus(Wire):
    """``printers/status/:id``: the printer's state read now, and its current job.

    ``printer_status`` is offline, ready, printing, paused, busy or error; ``job_progress``
    0..1; ``data.seconds_left`` and ``data.temperature`` (degrees C) as the printer reports.
    """

    printer_id: str
    printer_name: str
    printer_status: str
    message: str = ""
    job_id: str | None = None
    job_name: str | None = None
    job_status: str | None = None
    job_progress: float | None = None
    progress: float | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class PrintJob(Wire):
    """A print job: ``job_status`` sent, printing, paused, completed, cancelled or failed."""

    id: str
    printer_id: str
    job_name: str
    job_status: str
    job_progress: float | None = None
    file_id: str
    tray_id: str | None = None
    created: str | None = None
    updated: str | None = None
    finished: str | None = None
