"""One way for a route to fetch a caller's resource: the row, or 404 ``request.not_found``.

Resources of other owners answer exactly as missing ones, so ids cannot be probed.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from makeready.service.problems import ApiError
from makeready.store.models import Base
from makeready.store.resources import owned

__all__ = ["owned_or_404"]

_Row = TypeVar("_Row", bound=Base)


def owned_or_404(session: Session, model: type[_Row], key: object, owner: str, what: str) -> _Row:
    """The row of ``model`` with primary key ``key`` that ``owner`` owns.

    Raises
    ------
    ApiError
        ``request.not_found`` naming ``what`` (``"mesh"``, ``"print job"``…) and the key.

    """
    row = owned(session, model, str(key), owner)
    if row is None:
        raise ApiError("request.not_found", f"{what} {key} does not exist or is not yours")
    return row
