"""Secrets stored encrypted at rest (printer API keys): Fernet (AES-128-CBC + HMAC-SHA256).

The key never lives in the database beside what it protects: it comes from
``MAKEREADY_SECRET_KEY`` or, in the single-machine shape, from ``<data_dir>/secret.key``
(created at first use, mode 0600). A database dump or backup without that key reveals no
printer key.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from makeready.errors import MakereadyError

__all__ = ["SecretBox"]


class SecretBox:
    """Seal and open short secrets with one Fernet key.

    Parameters
    ----------
    key : bytes
        A Fernet key (urlsafe base64 of 32 random bytes).

    """

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise MakereadyError(
                "printer.secret_unreadable",
                "MAKEREADY_SECRET_KEY is not a Fernet key (urlsafe base64, 32 bytes)",
            ) from None

    @classmethod
    def from_settings(cls, secret_key: str | None, data_dir: Path) -> SecretBox:
        """The configured key, else the data directory's key file (made on first use)."""
        if secret_key:
            return cls(secret_key.encode())
        path = data_dir / "secret.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(Fernet.generate_key())
        return cls(path.read_bytes().strip())

    def seal(self, secret: str) -> str:
        """The encrypted token of ``secret`` (ASCII)."""
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, token: str) -> str:
        """The secret sealed in ``token``; ``printer.secret_unreadable`` under another key."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise MakereadyError(
                "printer.secret_unreadable",
                "a stored printer key cannot be decrypted with this server's secret key;"
                " register the printer again",
            ) from None
