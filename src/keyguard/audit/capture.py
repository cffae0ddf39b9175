"""Automatic audit of every change: an ``after_flush`` listener on all ORM sessions.

Each inserted, updated or deleted row becomes an audit entry in the same transaction.
A bulk job may set ``session.info["audit_summary"] = {"action", "source", "unit_id"}`` to
log one entry per flush listing the ids it changed per table, instead of one per row.
A model may set ``__audit_redact__ = {"column", ...}`` to log that a column changed without
its value (password hashes, secrets), or ``__audit__ = False`` to opt out (audit tables,
caches derivable from other records).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from keyguard.audit.service import append


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _summarise(session: Session, conn: Any, summary: dict[str, Any]) -> None:
    """Bulk jobs (imports) log one entry per flush: counts and ids per table and kind."""
    counts: dict[str, dict[str, list[str | None]]] = {}
    unit_id = summary.get("unit_id")
    for kind, objs in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objs:
            if not getattr(obj, "__audit__", True) or not hasattr(obj, "__tablename__"):
                continue
            if kind == "update" and not session.is_modified(obj, include_collections=False):
                continue
            counts.setdefault(obj.__tablename__, {}).setdefault(kind, []).append(_pk(obj))
    if counts:
        append(
            conn,
            action=str(summary.get("action", "bulk_change")),
            object_type="bulk",
            object_id=summary.get("object_id"),
            details={"source": summary.get("source"), "changes": counts},
            unit_id=unit_id if isinstance(unit_id, int) else None,
        )


def _pk(obj: Any) -> str | None:
    ident = inspect(obj).mapper.primary_key_from_instance(obj)
    if not ident or all(v is None for v in ident):
        return None
    return ",".join(str(v) for v in ident)


def _unit_of(obj: Any) -> int | None:
    if obj.__class__.__tablename__ == "unit":
        return getattr(obj, "id", None)
    value = getattr(obj, "unit_id", None)
    return value if isinstance(value, int) else None


def _changes(obj: Any, *, only_modified: bool) -> dict[str, Any]:
    state = inspect(obj)
    redact: set[str] = set(getattr(obj, "__audit_redact__", ()))
    out: dict[str, Any] = {}
    for col in state.mapper.column_attrs:
        hist = state.attrs[col.key].history
        if only_modified and not hist.has_changes():
            continue
        value = hist.added[0] if hist.added else getattr(obj, col.key, None)
        out[col.key] = "<redacted>" if col.key in redact else _jsonable(value)
    return out


@event.listens_for(Session, "after_flush")
def _audit_after_flush(session: Session, _ctx: Any) -> None:
    conn = session.connection()
    summary = session.info.get("audit_summary")
    if summary:
        _summarise(session, conn, summary)
        return
    for kind, objs in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in list(objs):
            if not getattr(obj, "__audit__", True) or not hasattr(obj, "__tablename__"):
                continue
            if kind == "update" and not session.is_modified(obj, include_collections=False):
                continue
            details = {} if kind == "delete" else _changes(obj, only_modified=(kind == "update"))
            append(
                conn,
                action=kind,
                object_type=obj.__tablename__,
                object_id=_pk(obj),
                details=details,
                unit_id=_unit_of(obj),
            )
