"""Signed tokens: RS256 JWTs from a key pair made at first start, kept in the database.

Access tokens look like Keycloak's (``iss`` = ``…/realms/<realm>``, ``sub``, ``azp``,
``scope``, ``typ: Bearer``), so tools that read them keep working. Verification accepts only
RS256 with a known ``kid`` — an ``alg: none`` or HMAC token is refused before any claim is read —
and checks signature, expiry (``exp``, ``iat``, ``nbf``) and the token type. Tokens of an
external OpenID Connect issuer (Keycloak, …) are accepted too when its JWKS URL is configured.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select

from makeready.settings import Settings
from makeready.store.db import Database
from makeready.store.models import SigningKey, utcnow

__all__ = ["Claims", "KeyRing", "TokenError"]

_AUDIENCE = "makeready"
_LEEWAY_S = 5
_CACHE_SIZE = 10_000


class TokenError(Exception):
    """A token that must not be accepted (the message says why, for logs)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token says: who (``subject``), by which client, with which scopes."""

    subject: str
    username: str
    scopes: frozenset[str]
    client_id: str | None
    token_type: str
    expires_at: float


class KeyRing:
    """The service's signing keys and, optionally, an external issuer's public keys."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.settings, self._db = settings, db
        with db.session() as session:
            row = session.scalar(select(SigningKey).order_by(SigningKey.created_at.desc()).limit(1))
            if row is None:
                row = _new_key()
                session.add(row)
                session.commit()
        self.kid = row.kid
        self._private = serialization.load_pem_private_key(row.private_pem.encode(), password=None)
        self._public = self._private.public_key()
        self._publics: dict[str, Any] = {}
        self._verified: dict[tuple[str, str], Claims] = {}
        self._cache_lock = threading.Lock()
        self._reload()
        self._external = jwt.PyJWKClient(settings.external_jwks_url) if settings.external_jwks_url else None

    def _reload(self) -> None:
        """Read every stored key (replicas sharing a database may each have made one)."""
        with self._db.session() as session:
            for row in session.scalars(select(SigningKey)):
                if row.kid not in self._publics:
                    private = serialization.load_pem_private_key(row.private_pem.encode(), password=None)
                    self._publics[row.kid] = private.public_key()

    def jwks(self) -> dict[str, Any]:
        """The public keys as a JWK set (``/protocol/openid-connect/certs``)."""
        keys = []
        for kid, public in self._publics.items():
            key = json.loads(RSAAlgorithm.to_jwk(public))
            key.update(kid=kid, use="sig", alg="RS256")
            keys.append(key)
        return {"keys": keys}

    def issue(
        self, subject: str, username: str, scopes: str, client_id: str | None, *, token_type: str, ttl_s: int
    ) -> str:
        """A signed token of ``token_type`` (``Bearer``, ``Refresh`` or ``Session``)."""
        now = int(time.time())
        claims = {
            "iss": self.settings.issuer,
            "aud": _AUDIENCE,
            "sub": subject,
            "typ": token_type,
            "azp": client_id or "makeready",
            "preferred_username": username,
            "scope": scopes,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._private, algorithm="RS256", headers={"kid": self.kid})  # type: ignore[arg-type]

    def verify(self, token: str, token_type: str = "Bearer") -> Claims:
        """The claims of a valid token of ``token_type``; :class:`TokenError` otherwise.

        Verified tokens are remembered until they expire (a poll every second would otherwise
        spend most of its time re-checking the same RSA signature); only exact token strings
        that passed every check are cached.
        """
        key = (token, token_type)
        cached = self._verified.get(key)
        if cached is not None and cached.expires_at > time.time():
            return cached
        claims = self._verify(token, token_type)
        with self._cache_lock:
            if len(self._verified) >= _CACHE_SIZE:
                self._verified.clear()
            self._verified[key] = claims
        return claims

    def _verify(self, token: str, token_type: str) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError(f"not a JWT: {exc}") from exc
        if header.get("alg") != "RS256":
            raise TokenError(f"algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if isinstance(kid, str) and kid not in self._publics and len(kid) == 32:
            self._reload()
        if isinstance(kid, str) and kid in self._publics:
            claims = self._decode(token, self._publics[kid], _AUDIENCE, None)
            if claims.get("typ") != token_type:
                raise TokenError(f"a {claims.get('typ')} token cannot be used as a {token_type} token")
            return _claims(claims, claims["sub"])
        if self._external is not None and token_type == "Bearer":
            try:
                key = self._external.get_signing_key_from_jwt(token).key
            except jwt.PyJWTError as exc:
                raise TokenError(f"unknown signing key: {exc}") from exc
            claims = self._decode(token, key, self.settings.external_audience, self.settings.external_issuer)
            granted = set(self.settings.external_scopes.split())
            wanted = set(str(claims.get("scope", "")).split()) & granted or granted
            claims["scope"] = " ".join(sorted(wanted))
            return _claims(claims, f"{claims.get('iss', 'external')}#{claims['sub']}")
        raise TokenError("the token is not signed by a key this service knows")

    @staticmethod
    def _decode(token: str, key: Any, audience: str | None, issuer: str | None) -> dict[str, Any]:
        options: jwt.types.Options = {"require": ["exp", "iat", "sub"], "verify_aud": audience is not None}
        try:
            return dict(
                jwt.decode(
                    token,
                    key,
                    algorithms=["RS256"],
                    audience=audience,
                    issuer=issuer,
                    leeway=_LEEWAY_S,
                    options=options,
                )
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc


def _claims(claims: dict[str, Any], subject: str) -> Claims:
    return Claims(
        subject=subject,
        username=str(claims.get("preferred_username") or claims["sub"]),
        scopes=frozenset(str(claims.get("scope", "")).split()),
        client_id=claims.get("azp"),
        token_type=str(claims.get("typ", "Bearer")),
        expires_at=float(claims["exp"]),
    )


def _new_key() -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return SigningKey(kid=hashlib.sha256(public_der).hexdigest()[:32], private_pem=pem, created_at=utcnow())
