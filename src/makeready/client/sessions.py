"""The drivers: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio) over httpx.

Both run the same operations (:mod:`makeready.client.operations`, :mod:`~.flows`), so they
offer the same methods with the same arguments and results; the async ones are awaited.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, TypeVar

import httpx

from makeready import wire
from makeready.client import flows
from makeready.client import operations as ops
from makeready.client.protocol import Call, FileInput, Op, Pause, ProgressCallback, ServerError
from makeready.client.transport import (
    MAX_ATTEMPTS,
    Credentials,
    answer,
    download_target,
    request_kwargs,
    retry_after,
    transport_retry,
)

__all__ = ["AsyncClient", "Client"]

T = TypeVar("T")
W = TypeVar("W", bound=wire.Wire)
WAIT_S = 3600.0


def _credentials(
    username: str | None,
    password: str | None,
    client_id: str,
    client_secret: str | None,
    realm: str,
) -> Credentials:
    return Credentials(
        username=username, password=password, client_id=client_id, client_secret=client_secret, realm=realm
    )


class Client:
    """A signed-in, blocking session with one makeready server (both API families).

    Parameters
    ----------
    url : str
        Base URL, e.g. ``http://127.0.0.1:8000``.
    username, password : str, optional
        Password sign-in, with the public client ``client_id`` (default ``makeready``).
    client_id, client_secret : str, optional
        Client-credentials sign-in when no username is given (``makeready clients create``).
    realm : str
        The server's realm (``MAKEREADY_REALM``).
    timeout : float
        Seconds one HTTP request may take (uploads of large files need more).
    transport : httpx.BaseTransport, optional
        For proxies, custom TLS or tests.

    Notes
    -----
    Tokens are renewed before they expire (refresh token, else a new sign-in); answers
    ``429``/``503`` are retried after their ``Retry-After``; idempotent requests are retried
    after connection failures. Errors raise :class:`ServerError` with the server's code;
    failed tasks and analyses raise :class:`TaskFailedError`; waits past their timeout raise
    :class:`WaitTimeoutError`. Use it as a context manager, or call :meth:`close`.

    Examples
    --------
    >>> with Client("http://127.0.0.1:8000", username="admin", password="…") as client:
    ...     report = client.analyze("bracket.stl", mat_name="PA12", prc_acronym="sls")
    ...     print(report.primary_chain.cost.cost_pp)

    """

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "makeready",
        client_secret: str | None = None,
        realm: str = "makeready",
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.credentials = _credentials(username, password, client_id, client_secret, realm)
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)
        try:
            self._run(self.credentials.sign_in())
        except BaseException:
            self._http.close()
            raise

    @classmethod
    def from_env(cls, url: str | None = None, **options: Any) -> Client:
        """A client for ``MAKEREADY_URL`` signed in with the credentials of the environment."""
        c = Credentials.from_env()
        return cls(
            url or os.environ.get("MAKEREADY_URL", "http://127.0.0.1:8000"),
            username=c.username,
            password=c.password,
            client_id=c.client_id,
            client_secret=c.client_secret,
            realm=c.realm,
            **options,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- the driver ------------------------------------------------------------------------------

    def _run(self, op: Op[T]) -> T:
        try:
            step = next(op)
            while True:
                if isinstance(step, Pause):
                    time.sleep(step.seconds)
                    step = op.send(None)
                else:
                    step = op.send(self._call(step))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def _call(self, step: Call) -> Any:
        renewed = False
        for attempt in range(MAX_ATTEMPTS):
            if step.auth and self.credentials.stale():
                self._renew()
            headers = self.credentials.headers() if step.auth else {}
            opened: list[IO[bytes]] = []
            try:
                kwargs = request_kwargs(step, headers, opened)
                if step.download is not None:
                    reply, saved = self._download(step, step.download, kwargs)
                else:
                    reply, saved = self._http.request(step.method, step.path, **kwargs), None
            except httpx.TransportError as error:
                time.sleep(transport_retry(step, attempt, error))
                continue
            finally:
                for handle in opened:
                    handle.close()
            if reply.status_code == 401 and step.auth and not renewed:
                renewed = True  # the token was revoked or the server restarted with new keys
                self._renew(refresh=False)
                continue
            wait = retry_after(reply)
            if wait is not None and attempt + 1 < MAX_ATTEMPTS:
                time.sleep(wait)
                continue
            return saved if saved is not None else answer(reply)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _renew(self, *, refresh: bool = True) -> None:
        try:
            self._run(self.credentials.sign_in(refresh=refresh))
        except ServerError:
            if not refresh:
                raise
            self._run(self.credentials.sign_in(refresh=False))  # refresh token expired: sign in anew

    def _download(
        self, step: Call, target: Path, kwargs: dict[str, Any]
    ) -> tuple[httpx.Response, Path | None]:
        with self._http.stream(step.method, step.path, **kwargs) as reply:
            if reply.status_code >= 300:
                reply.read()
                return reply, None
            temporary, handle = download_target(target)
            with handle:
                for chunk in reply.iter_bytes():
                    handle.write(chunk)
            temporary.replace(target)
            return reply, target

    # --- 3D Spark API: parts and analyses ------------------------------------------------------------

    def upload_part(
        self,
        file: FileInput,
        *,
        mat_name: str = "316L",
        prc_acronym: str = "slm",
        lot_size: int = 1,
        name: str | None = None,
        nst_style: str | None = None,
    ) -> wire.PartUpload:
        """Upload a part (STL, OBJ, 3MF, PLY, OFF, STEP or a zip); its analysis starts at once.

        ``nst_style``: "alone" (the lot fills its own builds) or "shared" (bureau mode: a
        share of a full build); default the server's costing configuration.
        """
        return self._run(ops.upload_part(file, mat_name, prc_acronym, lot_size, name, nst_style))

    def part(self, part_id: str) -> wire.Part:
        """One part and the state of its analysis."""
        return self._run(ops.part(part_id))

    def parts(self, *, limit: int = 100, offset: int = 0) -> list[wire.Part]:
        """Your parts, newest first."""
        return self._run(ops.parts(limit, offset))

    def delete_part(self, part_id: str) -> None:
        """Delete a part with its analysis."""
        self._run(ops.delete_part(part_id))

    def start_analysis(self, part_id: str, **changes: Any) -> dict[str, Any]:
        """Rerun a part's analysis, optionally with other options.

        ``changes``: ``mat_name``, ``prc_acronym``, ``lot_size``, ``nst_style``.
        """
        return self._run(ops.start_analysis(part_id, changes))

    def analysis_result(self, part_id: str) -> wire.AnalysisResult:
        """One poll of the analysis (``analysis_finished`` false while it runs)."""
        return self._run(ops.analysis_result(part_id))

    def simplified(self, part_id: str) -> wire.Simplified:
        """3D Spark API's simplified result (eleven keys once finished)."""
        return self._run(ops.simplified(part_id))

    def wait_analysis(
        self, part_id: str, *, timeout: float = WAIT_S, progress: ProgressCallback | None = None
    ) -> wire.AnalysisReport:
        """Poll until the analysis is finished; its report (TaskFailedError if it failed)."""
        return self._run(ops.wait_analysis(part_id, timeout, progress))

    def analyze(
        self,
        file: FileInput,
        *,
        mat_name: str = "316L",
        prc_acronym: str = "slm",
        lot_size: int = 1,
        name: str | None = None,
        nst_style: str | None = None,
        timeout: float = WAIT_S,
        progress: ProgressCallback | None = None,
    ) -> wire.AnalysisReport:
        """Upload a part and wait for its analysis report (cost, time, CO2 of every chain).

        ``nst_style``: "alone" (the lot fills its own builds) or "shared" (bureau mode: a
        share of a full build); default the server's costing configuration.
        """
        return self._run(
            flows.analyze(file, mat_name, prc_acronym, lot_size, name, timeout, progress, nst_style)
        )

    def feedback(self, process_chain_id: str, **actuals: Any) -> dict[str, Any]:
        """Report actual machine time (h) and cost (EUR) of a chain; later analyses calibrate by it."""
        return self._run(ops.feedback(process_chain_id, actuals))

    def machines(self, *, prc_acronym: str | None = None) -> list[wire.Catalog]:
        """The server's machines, optionally of one process."""
        return self._run(ops.catalog_list("machine", prc_acronym))

    def machine(self, key: str) -> wire.Catalog:
        """One machine by ``mac_id`` or name."""
        return self._run(ops.catalog_one("machine", key))

    def materials(self, *, prc_acronym: str | None = None) -> list[wire.Catalog]:
        """The server's materials, optionally those a process can use."""
        return self._run(ops.catalog_list("material", prc_acronym))

    def material(self, key: str) -> wire.Catalog:
        """One material by ``mat_id`` or name."""
        return self._run(ops.catalog_one("material", key))

    # --- batches ---------------------------------------------------------------------------------

    def create_batch(
        self,
        files: Sequence[FileInput],
        *,
        mat_name: str = "316L",
        prc_acronym: str = "slm",
        lot_size: int = 1,
        name: str | None = None,
        nst_style: str | None = None,
    ) -> wire.BatchCreated:
        """Upload part files and zips of them as one batch (one analysis per part file).

        ``nst_style``: "alone" (the lot fills its own builds) or "shared" (bureau mode: a
        share of a full build); default the server's costing configuration.
        """
        return self._run(ops.create_batch(files, mat_name, prc_acronym, lot_size, name, nst_style))

    def batch(self, batch_id: str) -> wire.Batch:
        """A batch's combined result so far."""
        return self._run(ops.batch(batch_id))

    def batches(self) -> list[wire.BatchSummary]:
        """Your batches, newest first."""
        return self._run(ops.batches())

    def wait_batch(
        self, batch_id: str, *, timeout: float = WAIT_S, progress: ProgressCallback | None = None
    ) -> wire.Batch:
        """Poll until every part of the batch is analysed; the combined, ranked result."""
        return self._run(ops.wait_batch(batch_id, timeout, progress))

    def screen(
        self,
        files: Sequence[FileInput],
        *,
        mat_name: str = "316L",
        prc_acronym: str = "slm",
        lot_size: int = 1,
        name: str | None = None,
        nst_style: str | None = None,
        timeout: float = WAIT_S,
        progress: ProgressCallback | None = None,
    ) -> wire.Batch:
        """Upload files as a batch and wait for the ranking by suitability for additive manufacturing.

        ``nst_style``: "alone" (the lot fills its own builds) or "shared" (bureau mode: a
        share of a full build); default the server's costing configuration.
        """
        return self._run(
            flows.screen(files, mat_name, prc_acronym, lot_size, name, timeout, progress, nst_style)
        )

    def download_batch_report(
        self, batch_id: str, target: str | Path, *, fmt: Literal["csv", "xlsx"] = "xlsx"
    ) -> Path:
        """Download a batch's report (CSV or Excel) to ``target``."""
        return self._run(ops.download_batch_report(batch_id, Path(target), fmt))

    def download_part_display(self, part_id: str, target: str | Path) -> Path:
        """Save the analysed part's display document (read it with ``rendering.display.unpack_display``)."""
        return self._run(ops.download_part_display(part_id, Path(target)))

    def download_analysis_report(self, part_id: str, target: str | Path) -> Path:
        """Save the part's analysis report as an Excel workbook (Part, Chains, Break-even, Mesh checks)."""
        return self._run(ops.download_analysis_report(part_id, Path(target)))

    # --- 3D Print API: files, meshes, trays, tasks ---------------------------------------------------

    def upload_file(self, file: FileInput) -> wire.FileUpload:
        """Store a file (3D Print API); import it as a mesh with :meth:`import_mesh`."""
        return self._run(ops.upload_file(file))

    def files(self) -> list[wire.FileInfo]:
        """Your stored files (uploads, exports, printables)."""
        return self._run(ops.files())

    def download(self, file_id: str, target: str | Path) -> Path:
        """Stream a stored file (e.g. a printable) to ``target``; written whole or not at all."""
        return self._run(ops.download(file_id, Path(target)))

    def import_mesh(self, file_id: str, *, name: str | None = None, units: str | None = None) -> wire.Task:
        """Start importing an uploaded file as a mesh; the task's result is a ``Mesh``."""
        return self._run(ops.import_mesh(file_id, name, units))

    def import_meshes(
        self,
        files: Sequence[FileInput],
        *,
        units: str | None = None,
        timeout: float = WAIT_S,
        progress: ProgressCallback | None = None,
    ) -> list[wire.Mesh]:
        """Upload part files and import each as a mesh, waiting for all."""
        return self._run(flows.import_meshes(files, units, timeout, progress))

    def mesh(self, mesh_id: str) -> wire.Mesh:
        """One mesh (cm)."""
        return self._run(ops.mesh(mesh_id))

    def analyze_mesh(self, mesh_id: str) -> wire.Task | wire.Mesh:
        """Find the eight problem types: a task, or the mesh itself if it was analysed before."""
        return self._run(ops.analyze_mesh(mesh_id))

    def repair_mesh(self, mesh_id: str, *, everything: bool = False) -> wire.Task:
        """Repair into a new mesh (``everything`` also resolves self-intersections)."""
        return self._run(ops.repair_mesh(mesh_id, everything))

    def transform_mesh(self, mesh_id: str, transform: list[list[float]]) -> wire.Mesh:
        """A new mesh with another 4 x 4 transform (cm)."""
        return self._run(ops.transform_mesh(mesh_id, transform))

    def rename_mesh(self, mesh_id: str, name: str) -> wire.Mesh:
        """A new mesh with another name."""
        return self._run(ops.rename_mesh(mesh_id, name))

    def export_mesh(self, mesh_id: str, file_type: str = "stl_binary") -> wire.Task:
        """Export as ``obj``, ``stl_ascii``, ``stl_binary`` or ``3mf``; the task's result names the file.

        A textured mesh's ``obj`` is a zip of the OBJ, its MTL and images; ``3mf`` keeps textures.
        """
        return self._run(ops.export_mesh(mesh_id, file_type))

    def create_tray(
        self,
        printer_type_id: str,
        mesh_ids: Sequence[str],
        *,
        profile_id: str | None = None,
        default_material_id: str | None = None,
        mesh_attrs: dict[str, dict[str, bool]] | None = None,
    ) -> wire.Task:
        """Start a tray on a printer type (id or name); the task's result is a ``Tray``."""
        return self._run(
            ops.create_tray(printer_type_id, mesh_ids, profile_id, default_material_id, mesh_attrs)
        )

    def tray(self, tray_id: str) -> wire.Tray:
        """One tray with its meshes' placements (cm)."""
        return self._run(ops.tray(tray_id))

    def prepare_tray(self, tray_id: str) -> wire.Task:
        """Repair, orient, position and support; the task's result is the prepared tray."""
        return self._run(ops.tray_step("prepare", {"id": tray_id}))

    def generate_printable(self, tray_id: str, *, generate_raw: bool = False) -> wire.Task:
        """Slice a prepared tray; the task's result is a :class:`~makeready.wire.Printable`.

        ``generate_raw``: the result also names ``raw_file_id``, the tray's raw file.
        """
        request: dict[str, Any] = {"id": tray_id, "generate_raw": True} if generate_raw else {"id": tray_id}
        return self._run(ops.tray_step("generate-printable", request))

    def translate_tray(
        self,
        raw_file_id: str,
        printer_type_id: str,
        *,
        profile_id: str | None = None,
        material_id: str | None = None,
        job_name: str = "Spark",
    ) -> wire.Task:
        """A raw tray file as a printer type's printable; the task's result is a Printable."""
        request: dict[str, Any] = {
            "raw_file_id": raw_file_id,
            "printer_type_id": printer_type_id,
            "job_name": job_name,
        }
        if profile_id:
            request["profile_id"] = profile_id
        if material_id:
            request["material_id"] = material_id
        return self._run(ops.tray_step("translate", request))

    def prepared_tray(
        self,
        printer_type_id: str,
        files: Sequence[FileInput],
        *,
        profile_id: str | None = None,
        default_material_id: str | None = None,
        units: str | None = None,
        timeout: float = WAIT_S,
        progress: ProgressCallback | None = None,
    ) -> wire.Tray:
        """Import part files, lay them on a new tray and prepare it, waiting for every step."""
        return self._run(
            flows.prepared_tray(
                printer_type_id, files, profile_id, default_material_id, units, timeout, progress
            )
        )

    def printable(
        self,
        tray_id: str,
        target: str | Path,
        *,
        timeout: float = WAIT_S,
        progress: ProgressCallback | None = None,
    ) -> tuple[wire.Printable, Path]:
        """Generate a prepared tray's printable (G-code, PNG stack, layer file) and download it."""
        return self._run(flows.printable(tray_id, Path(target), timeout, progress))

    def support_meshes(self, tray_id: str, *, timeout: float = WAIT_S) -> dict[str, wire.Mesh]:
        """A prepared tray's support structures as new meshes: tray mesh id → support mesh."""
        return self._run(flows.support_meshes(tray_id, timeout))

    def task(self, task_id: str) -> wire.Task:
        """One poll of a task."""
        return self._run(ops.task(task_id))

    def wait_task(
        self, task: wire.Task | str, *, timeout: float = WAIT_S, progress: ProgressCallback | None = None
    ) -> wire.Task:
        """Poll a task until it is done (TaskFailedError when it ends in error)."""
        return self._run(ops.wait_task(task if isinstance(task, str) else task.id, timeout, progress))

    def wait_result(
        self,
        task: wire.Task | str,
        model: type[W],
        *,
        timeout: float = WAIT_S,
        progress: ProgressCallback | None = None,
    ) -> W:
        """Wait for a task and parse its result as ``model`` (Mesh, Tray, Printable…)."""
        return self.wait_task(task, timeout=timeout, progress=progress).result_as(model)

    def printer_types(self) -> list[wire.PrintDefinition]:
        """Printer types (3D Print API print definitions)."""
        return self._run(ops.print_definitions("printertypes"))

    def print_materials(self) -> list[wire.PrintDefinition]:
        """Print materials."""
        return self._run(ops.print_definitions("materials"))

    def profiles(self) -> list[wire.PrintDefinition]:
        """Print profiles."""
        return self._run(ops.print_definitions("profiles"))

    def printer_type(self, key: str) -> wire.PrintDefinition:
        """One printer type by id or name."""
        return self._run(ops.print_definition("printertypes", key))

    # --- printers and print jobs --------------------------------------------------------------

    def register_printer(
        self, name: str, url: str, api_key: str, *, kind: str = "octoprint", printer_type: str | None = None
    ) -> wire.Printer:
        """Register a printer as a connection to its OctoPrint (the server checks it answers)."""
        return self._run(ops.register_printer(name, url, api_key, kind, printer_type))

    def printers(self) -> list[wire.Printer]:
        """Your printers."""
        return self._run(ops.printers())

    def printer(self, printer_id: str) -> wire.Printer:
        """One printer (never its key)."""
        return self._run(ops.printer(printer_id))

    def delete_printer(self, printer_id: str) -> None:
        """Forget a printer."""
        self._run(ops.delete_printer(printer_id))

    def printer_status(self, printer_id: str) -> wire.PrinterStatus:
        """The printer's state, read now."""
        return self._run(ops.printer_status(printer_id))

    def printer_command(self, printer_id: str, command: str) -> wire.PrinterStatus:
        """``pause``, ``resume`` or ``cancel`` the printer's current job."""
        return self._run(ops.printer_command(printer_id, command))

    def start_print(
        self,
        printer_id: str,
        *,
        file_id: str | None = None,
        tray_id: str | None = None,
        job_name: str | None = None,
        start: bool = True,
    ) -> wire.PrintJob:
        """Send a printable file, or a tray's latest printable, to a printer and start it."""
        return self._run(
            ops.start_print(printer_id, file_id=file_id, tray_id=tray_id, job_name=job_name, start=start)
        )

    def print_job(self, job_id: str) -> wire.PrintJob:
        """One print job, read from its printer."""
        return self._run(ops.print_job(job_id))

    def print_jobs(self, printer_id: str | None = None) -> list[wire.PrintJob]:
        """Your print jobs (of one printer when given), newest first."""
        return self._run(ops.print_jobs(printer_id))

    def cancel_print(self, job_id: str) -> wire.PrintJob:
        """Cancel a print job on its printer."""
        return self._run(ops.cancel_print(job_id))

    def wait_print(
        self, job_id: str, *, timeout: float = 24 * 3600.0, progress: ProgressCallback | None = None
    ) -> wire.PrintJob:
        """Poll a print job until it completed, was cancelled or failed."""
        return self._run(ops.wait_print(job_id, timeout, progress))

    def version(self) -> str:
        """The server's makeready version."""
        return self._run(ops.version())


class AsyncClient:
    """The asyncio twin of :class:`Client`: the same methods, awaited.

    Create it with ``await AsyncClient.connect(url, username=…, password=…)`` (signing in is
    I/O, so it cannot happen in ``__init__``), or ``async with AsyncClient(url, …) as client``.
    """

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "makeready",
        client_secret: str | None = None,
        realm: str = "makeready",
        timeout: float = 120.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.credentials = _credentials(username, password, client_id, client_secret, realm)
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout, transport=transport)

    @classmethod
    async def connect(cls, url: str, **options: Any) -> AsyncClient:
        """A signed-in client."""
        client = cls(url, **options)
        try:
            await client._run(client.credentials.sign_in())
        except BaseException:
            await client.aclose()
            raise
        return client

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        if self.credentials.token is None:
            await self._run(self.credentials.sign_in())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _run(self, op: Op[T]) -> T:
        try:
            step = next(op)
            while True:
                if isinstance(step, Pause):
                    await asyncio.sleep(step.seconds)
                    step = op.send(None)
                else:
                    step = op.send(await self._call(step))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def _call(self, step: Call) -> Any:
        renewed = False
        for attempt in range(MAX_ATTEMPTS):
            if step.auth and self.credentials.stale():
                await self._renew()
            headers = self.credentials.headers() if step.auth else {}
            opened: list[IO[bytes]] = []
            try:
                kwargs = request_kwargs(step, headers, opened)
                if step.download is not None:
                    reply, saved = await self._download(step, step.download, kwargs)
                else:
                    reply, saved = await self._http.request(step.method, step.path, **kwargs), None
            except httpx.TransportError as error:
                await asyncio.sleep(transport_retry(step, attempt, error))
                continue
            finally:
                for handle in opened:
                    handle.close()
            if reply.status_code == 401 and step.auth and not renewed:
                renewed = True
                await self._renew(refresh=False)
                continue
            wait = retry_after(reply)
            if wait is not None and attempt + 1 < MAX_ATTEMPTS:
                await asyncio.sleep(wait)
                continue
            return saved if saved is not None else answer(reply)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _renew(self, *, refresh: bool = True) -> None:
        try:
            await self._run(self.credentials.sign_in(refresh=refresh))
        except ServerError:
            if not refresh:
                raise
            await self._run(self.credentials.sign_in(refresh=False))

    async def _download(
        self, step: Call, target: Path, kwargs: dict[str, Any]
    ) -> tuple[httpx.Response, Path | None]:
        async with self._http.stream(step.method, step.path, **kwargs) as reply:
            if reply.status_code >= 300:
                await reply.aread()
                return reply, None
            temporary, handle = download_target(target)
            with handle:
                async for chunk in reply.aiter_bytes():
                    handle.write(chunk)
            temporary.replace(target)
            return reply, target

    async def upload_part(
        self,
        file: FileInput,
        *,
        mat_name: str = "316L",
        prc_acronym: str = "slm",
        lot_size: int = 1,
        name: str | None = None,
        nst_style: str | None = None,
    ) -> wire.PartUpload:
        """See :meth:`Client.upload_part`."""
        return await self._run(ops.upload_part(file, mat_name, prc_acronym, lot_size, name, nst_style))

    async def part(self, part_id: str) -> wire.Part:
        """See :meth:`Client.part`."""
        return await self._run(ops.part(part_id))

    async def parts(self, *, limit: int = 100, offset: int = 0) -> list[wire.Part]:
        """See :meth:`Client.parts`."""
        return await self._run(ops.parts(limit, offset))

    async def delete_part(self, part_id: str) -> None:
        """See :meth:`Client.delete_part`."""
        await self._run(ops.delete_part(part_id))

    async def start_analysis(self, part_id: str, **changes: Any) -> dict[str, Any]:
        """See :meth:`Client.start_analysis`."""
        return await self._run(ops.start_analysis(part_id, changes))

    async def analysis_result(self, part_id: str) -> wire.AnalysisResult:
        """See :meth:`Client.analysis_result`."""
        return await self._run(ops.analysis_result(part_id))

    async def simplified(self, part_id: str) -> wire.Simplified:
        """See :meth:`Client.simplified`."""
        return await self._run(ops.simplified(part_id))

    async def wait_analysis(
        self, part_id: str, *, timeout: float = WAIT_S, progress: ProgressCallback | None = None
    ) -> wire.AnalysisReport:
        """See :meth:`Client.wait_analysis`."""
        return await self._run(ops.wait_analysis(part_id, timeout, progress))

    async def analyze(
        self,
        file: FileInput,
        *,
        mat_name: str = "316L",
        prc_acronym: str = "slm",
        lot_size: int = 1,
        name: str | None = None,
        nst_style: str | None = None,
        timeout: float = WAIT_S,
        progress: ProgressCallback | None = None,
    ) -> wire.AnalysisReport:
        """See :meth:`Client.analyze`."""
        return await self._run(
            flows.analyze(file, mat_name, prc_acronym, lot_size, name, timeout, progress, nst_style)
        )

    async def feedback(self, process_chain_id: str, **actuals: Any) -> dict[str, Any]:
        """See :meth:`Client.feedback`."""
        return await self._run(ops.feedback(process_chain_id, actuals))

    async def machines(self, *, prc_acronym: str | None = None) -> list[wire.Catalog]:
        """See :meth:`Client.machines`."""
        return await self._run(ops.catalog_list("machine", prc_acronym))

    async def materials(self, *, prc_acronym: str | None = None) -> list[wire.Catalog]:
        """See :meth:`Client.materials`."""
        return await self._run(ops.catalog_list("material", prc_acronym))

    async def create_batch(
        self,
        files: Sequence[FileInput],
        *,
        mat_name: str = "316L",
        prc_acronym: str = "slm",
        lot_size: int = 1,
        name: str | None = None,
        nst_style: str | None = None,
    ) -> wire.BatchCreated:
        """See :meth:`Client.create_batch`."""
        return await self._run(ops.create_batch(files, mat_name, prc_acronym, lot_size, name, nst_style))

    async def batch(self, batch_id: str) -> wire.Batch:
        """See :meth:`Client.batch`."""
        return await self._run(ops.batch(batch_id))

    async def wait_batch(
        self, batch_id: str, *, timeout: float = WAIT_S, progress: ProgressCallback | None = None
    ) -> wire.Batch:
        """See :meth:`Client.wait_batch`."""
        return await self._run(ops.wait_batch(batch_id, timeout, progress))

    async def screen(
        self,
        files: Sequence[FileInput],
        *,
        mat_name: str = "316L",
        prc_acronym: str = "slm",
        lot_size: int = 1,
        name: str | None = None,
        nst_style: str | None = None,
        timeout: float = WAIT_S,
        progress: ProgressCallback | None = None,
    ) -> wire.Batch:
        """See :meth:`Client.screen`."""
        return await self._run(
            flows.screen(files, mat_name, prc_acronym, lot_size, name, timeout, progress, nst_style)
        )

    async def download_batch_report(
        self, batch_id: str, target: str | Path, *, fmt: Literal["csv", "xlsx"] = "xlsx"
    ) -> Path:
        """See :meth:`Client.download_batch_report`."""
        return await self._run(ops.download_batch_report(batch_id, Path(target), fmt))

    async def download_part_display(self, part_id: str, target: str | Path) -> Path:
        """See :meth:`Client.download_part_display`."""
        return await self._run(ops.download_part_display(part_id, Path(target)))

    async def download_analysis_report(self, part_id: str, target: str | Path) -> Path:
        """See :meth:`Client.download_analysis_report`."""
        return await self._run(ops.download_analysis_report(part_id, Path(target)))

    async def upload_file(self, file: FileInput) -> wire.FileUpload:
        """See :meth:`Client.upload_file`."""
        return await self._run(ops.upload_file(file))

    async def download(self, file_id: str, target: str | Path) -> Path:
        """See :meth:`Client.download`."""
        return await self._run(ops.download(file_id, Path(target)))

    async def import_mesh(
        self, file_id: str, *, name: str | None = None, units: str | None = None
    ) -> wire.Task:
        """See :meth:`Client.import_mesh`."""
        return await self._run(ops.import_mesh(file_id, name, units))

    async def import_meshes(
        self,
        files: Sequence[FileInput],
        *,
        units: str | None = None,
        timeout: float = WAIT_S,
        progress: ProgressCallback | None = None,
    ) -> list[wire.Mesh]:
        """See :meth:`Client.import_meshes`."""
        return await self._run(flows.import_meshes(files, units, timeout, progress))

    async def mesh(self, mesh_id: str) -> wire.Mesh:
        """See :meth:`Client.mesh`."""
        return await self._run(ops.mesh(mesh_id))

    async def analyze_mesh(self, mesh_id: str) -> wire.Task | wire.Mesh:
        """See :meth:`Client.analyze_mesh`."""
        return await self._run(ops.analyze_mesh(mesh_id))

    async def repair_mesh(self, mesh_id: str, *, everything: bool = False) -> wire.Task:
        """See :meth:`Client.repair_mesh`."""
        return await self._run(ops.repair_mesh(mesh_id, everything))

    async def create_tray(
        self,
        printer_type_id: str,
        mesh_ids: Sequence[str],
        *,
        profile_id: str | None = None,
        default_material_id: str | None = None,
        mesh_attrs: dict[str, dict[str, bool]] | None = None,
    ) -> wire.Task:
        """See :meth:`Client.create_tray`."""
        return await self._run(
            ops.create_tray(printer_type_id, mesh_ids, profile_id, default_material_id, mesh_attrs)
        )

    async def tray(self, tray_id: str) -> wire.Tray:
        """See :meth:`Client.tray`."""
        return await self._run(ops.tray(tray_id))

    async def prepared_tray(
        self,
        printer_type_id: str,
        files: Sequence[FileInput],
        *,
        profile_id: str | None = None,
        default_material_id: str | None = None,
        units: str | None = None,
        timeout: float = WAIT_S,
        progress: ProgressCallback | None = None,
    ) -> wire.Tray:
        """See :meth:`Client.prepared_tray`."""
        return await self._run(
            flows.prepared_tray(
                printer_type_id, files, profile_id, default_material_id, units, timeout, progress
            )
        )

    async def printable(
        self,
        tray_id: str,
        target: str | Path,
        *,
        timeout: float = WAIT_S,
        progress: ProgressCallback | None = None,
    ) -> tuple[wire.Printable, Path]:
        """See :meth:`Client.printable`."""
        return await self._run(flows.printable(tray_id, Path(target), timeout, progress))

    async def task(self, task_id: str) -> wire.Task:
        """See :meth:`Client.task`."""
        return await self._run(ops.task(task_id))

    async def wait_task(
        self, task: wire.Task | str, *, timeout: float = WAIT_S, progress: ProgressCallback | None = None
    ) -> wire.Task:
        """See :meth:`Client.wait_task`."""
        return await self._run(ops.wait_task(task if isinstance(task, str) else task.id, timeout, progress))

    async def printer_types(self) -> list[wire.PrintDefinition]:
        """See :meth:`Client.printer_types`."""
        return await self._run(ops.print_definitions("printertypes"))

    async def register_printer(
        self, name: str, url: str, api_key: str, *, kind: str = "octoprint", printer_type: str | None = None
    ) -> wire.Printer:
        """See :meth:`Client.register_printer`."""
        return await self._run(ops.register_printer(name, url, api_key, kind, printer_type))

    async def printers(self) -> list[wire.Printer]:
        """See :meth:`Client.printers`."""
        return await self._run(ops.printers())

    async def printer_status(self, printer_id: str) -> wire.PrinterStatus:
        """See :meth:`Client.printer_status`."""
        return await self._run(ops.printer_status(printer_id))

    async def start_print(
        self,
        printer_id: str,
        *,
        file_id: str | None = None,
        tray_id: str | None = None,
        job_name: str | None = None,
        start: bool = True,
    ) -> wire.PrintJob:
        """See :meth:`Client.start_print`."""
        return await self._run(
            ops.start_print(printer_id, file_id=file_id, tray_id=tray_id, job_name=job_name, start=start)
        )

    async def print_job(self, job_id: str) -> wire.PrintJob:
        """See :meth:`Client.print_job`."""
        return await self._run(ops.print_job(job_id))

    async def cancel_print(self, job_id: str) -> wire.PrintJob:
        """See :meth:`Client.cancel_print`."""
        return await self._run(ops.cancel_print(job_id))

    async def wait_print(
        self, job_id: str, *, timeout: float = 24 * 3600.0, progress: ProgressCallback | None = None
    ) -> wire.PrintJob:
        """See :meth:`Client.wait_print`."""
        return await self._run(ops.wait_print(job_id, timeout, progress))

    async def version(self) -> str:
        """See :meth:`Client.version`."""
        return await self._run(ops.version())
