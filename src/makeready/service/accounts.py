"""Users and API clients: created non-interactively, passwords and secrets hashed with argon2."""

from __future__ import annotations

import functools
import secrets
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from makeready.errors import MakereadyError
from makeready.store.db import Database
from makeready.store.models import ApiClient, User, utcnow

__all__ = [
    "SCOPES",
    "check_client",
    "check_password",
    "create_client",
    "create_user",
    "hash_secret",
    "verify_secret",
]

#: read: GET everything one owns; write: create, change, delete; admin: manage the service.
SCOPES = ("read", "write", "admin")
_hasher = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """A valid hash of a random secret, checked when the user does not exist.

    A wrong username then costs as much time as a wrong password (no user enumeration by
    timing). Made at the first sign-in, not at import: an argon2 hash is 0.1 s of every
    process's start.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_secret(secret: str) -> str:
    """An argon2id hash of a password or client secret."""
    return _hasher.hash(secret)


def verify_secret(hashed: str | None, secret: str) -> bool:
    """Whether ``secret`` matches ``hashed`` (constant-time; False for a missing hash)."""
    try:
        return _hasher.verify(hashed or _dummy(), secret) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def _scopes(scopes: str) -> str:
    names = scopes.split()
    unknown = [s for s in names if s not in SCOPES]
    if unknown or not names:
        raise MakereadyError("request.invalid", f"scopes must be among {', '.join(SCOPES)}; got {scopes!r}")
    return " ".join(dict.fromkeys(names))


def create_user(db: Database, username: str, password: str, scopes: str = "read write") -> User:
    """Add a user; ``request.invalid`` when the name is taken or the password is too short."""
    if not username or len(username) > 150 or username.strip() != username:
        raise MakereadyError("request.invalid", "a username is 1-150 characters without surrounding spaces")
    if len(password) < 8:
        raise MakereadyError("request.invalid", "a password needs at least 8 characters")
    with db.session() as session:
        if session.scalar(select(User).where(User.username == username)) is not None:
            raise MakereadyError("request.invalid", f"user {username!r} exists already")
        user = User(
            id=str(uuid.uuid4()),
            username=username,
            password_hash=hash_secret(password),
            scopes=_scopes(scopes),
            created_at=utcnow(),
        )
        session.add(user)
        session.commit()
        return user


def create_client(
    db: Database, client_id: str, secret: str | None = None, scopes: str = "read write"
) -> tuple[ApiClient, str]:
    """Add a confidential API client; returns it and its secret (generated unless given)."""
    if not client_id or len(client_id) > 150:
        raise MakereadyError("request.invalid", "a client id is 1-150 characters")
    secret = secret or secrets.token_urlsafe(32)
    with db.session() as session:
        if session.scalar(select(ApiClient).where(ApiClient.client_id == client_id)) is not None:
            raise MakereadyError("request.invalid", f"client {client_id!r} exists already")
        client = ApiClient(
            id=str(uuid.uuid4()),
            client_id=client_id,
            secret_hash=hash_secret(secret),
            scopes=_scopes(scopes),
            created_at=utcnow(),
        )
        session.add(client)
        session.commit()
        return client, secret


def check_password(db: Database, username: str, password: str) -> User | None:
    """The user if the password is right, else None (same cost either way)."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
    ok = verify_secret(user.password_hash if user else None, password)
    return user if ok and user is not None else None


def check_client(db: Database, client_id: str | None, secret: str | None) -> tuple[bool, ApiClient | None]:
    """Whether a client may ask for tokens, and its record.

    A registered client must present its secret. A request that names no client, or the
    realm's public client ``makeready``, may use the password grant only (the password is
    the credential), as Keycloak's public clients do.
    """
    if not client_id or client_id == "makeready":
        return True, None
    with db.session() as session:
        client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None:
        verify_secret(None, secret or "")
        return False, None
    return verify_secret(client.secret_hash, secret or ""), client
