"""The database tables (SQLAlchemy 2 declarative models).

Every resource row carries its ``owner`` (the token subject); queries always filter on it, so
another owner's id reads as not found. Geometry and large results live in the blob store;
rows hold their content hashes. Timestamps are UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ApiClient",
    "Base",
    "Feedback",
    "FileRecord",
    "Job",
    "MeshRecord",
    "PartRecord",
    "PrintJobRecord",
    "PrinterRecord",
    "SigningKey",
    "TrayRecord",
    "User",
    "utcnow",
]


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base; JSON columns map to JSON on SQLite and PostgreSQL alike."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012 - SQLAlchemy's protocol


class User(Base):
    """A person who signs in with a password (argon2 hash)."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(200), default="read write")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiClient(Base):
    """An OAuth client: confidential when it has a secret; ``client_credentials`` acts as itself."""

    __tablename__ = "api_clients"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(150), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    scopes: Mapped[str] = mapped_column(String(200), default="read write")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SigningKey(Base):
    """The RSA key pair that signs tokens, created at first start (PEM, PKCS#8)."""

    __tablename__ = "signing_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FileRecord(Base):
    """An uploaded or generated file: its name and the hash of its bytes in the blob store."""

    __tablename__ = "files"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PartRecord(Base):
    """A 3D Spark API part: the upload, the analysis options, and the report once finished."""

    __tablename__ = "parts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(255))
    basename: Mapped[str] = mapped_column(String(255))
    file_id: Mapped[str] = mapped_column(String(36))
    mesh_sha256: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="uploaded")
    job_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    report_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # gzip of makeready.rendering.display's binary document, for the viewer (None before revision 0003)
    display_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    simplified: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    chains: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    batch_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)


class BatchRecord(Base):
    """Many parts screened together with the same options; the combined result is read live."""

    __tablename__ = "batches"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(255))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    refused: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MeshRecord(Base):
    """A 3D Print API mesh (immutable): geometry in the blob store, summary and problems here (cm)."""

    __tablename__ = "meshes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(255))
    internal_file_id: Mapped[str] = mapped_column(String(36))
    transform: Mapped[list[Any]] = mapped_column(default=list)
    geom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    analyzed: Mapped[bool] = mapped_column(Boolean, default=False)
    problems: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    # the mesh's visual file (binary glTF, meshes/generate-visual), None until generated
    visual_file_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrayRecord(Base):
    """A 3D Print API tray (immutable): meshes, their placements (mm, 4 × 4) and support files."""

    __tablename__ = "trays"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    printer_type_id: Mapped[str] = mapped_column(String(36))
    profile_id: Mapped[str] = mapped_column(String(36))
    default_material_id: Mapped[str] = mapped_column(String(36))
    mesh_ids: Mapped[list[Any]] = mapped_column(default=list)
    mesh_attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    placements: Mapped[dict[str, Any]] = mapped_column(default=dict)
    support_files: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="created")
    ready: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[list[Any]] = mapped_column(default=list)
    # the prepared tray's visual file (binary glTF, prepare with generate_visual), else None
    visual_file_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Job(Base):
    """One unit of background work (a 3D Print API task, a 3D Spark API analysis): the job table."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(64), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_jobs_status_created", "status", "created_at"),)


class Feedback(Base):
    """Actual times and costs of a made part (3D Spark API process-chain feedback)."""

    __tablename__ = "feedback"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    part_id: Mapped[str] = mapped_column(String(32))
    process_chain_id: Mapped[str] = mapped_column(String(32))
    machine: Mapped[str] = mapped_column(String(200))
    actuals: Mapped[dict[str, Any]] = mapped_column(default=dict)
    predicted: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PrinterRecord(Base):
    """A printer: a connection to its print server; the API key is stored sealed (store.secrets)."""

    __tablename__ = "printers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(2000))
    api_key_sealed: Mapped[str] = mapped_column(Text)
    printer_type_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    server: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PrintJobRecord(Base):
    """A print job: a printable sent to a printer, its status as last read from the printer."""

    __tablename__ = "print_jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    printer_id: Mapped[str] = mapped_column(String(36), index=True)
    job_name: Mapped[str] = mapped_column(String(255))
    file_id: Mapped[str] = mapped_column(String(36))
    tray_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    remote_name: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="sent")
    progress: Mapped[float | None] = mapped_column(Float, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
