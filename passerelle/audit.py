"""Record who did what to which record, and when."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy.orm import Session

from passerelle.models import AuditEntry, User


def audit(
    session: Session,
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: object | None = None,
    **details: Any,
) -> AuditEntry:
    """Add an audit entry to the session (the caller's commit persists it with the change)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        ip=request.remote_addr if has_request_context() else None,
        details={key: _jsonable(value) for key, value in details.items()},
    )
    session.add(entry)
    return entry


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)
