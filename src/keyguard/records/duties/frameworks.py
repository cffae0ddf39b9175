"""Loading duty frameworks into a unit, in two stages.

Stage one stores the raw file with its SHA-256 and validates it with the content API; the
same hash already loaded does nothing, an older (or conflicting) version is refused with
:class:`FrameworkVersionError`. Stage two creates the framework and its objects in one
transaction (a savepoint), parents first, archives the previous version (its objects stay,
so evidence given for them stays readable) and moves assignments to the new duties.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.config import utcnow
from keyguard.errors import InputError
from keyguard.library.content import (
    FrameworkDoc,
    builtin_frameworks,
    dependency_order,
    file_sha256,
    load_framework,
)
from keyguard.records.duties.errors import DependencyMissing, FrameworkVersionError
from keyguard.records.duties.models import Framework, FrameworkFile, FrameworkObject
from keyguard.records.org.models import Unit


@dataclass(frozen=True)
class LoadResult:
    """What a load did: ``status`` is "loaded", "upgraded" or "unchanged"."""

    urn: str
    version: int
    status: str
    objects: int = 0
    duties: int = 0
    previous_version: int | None = None
    framework_id: int | None = None


def current_framework(session: Session, *, unit_id: int, urn: str) -> Framework | None:
    """The current (not archived) version of ``urn`` in the unit."""
    return session.scalar(
        select(Framework).where(
            Framework.unit_id == unit_id, Framework.urn == urn, Framework.status == "current"
        )
    )


def list_frameworks(
    session: Session, *, unit_id: int, include_archived: bool = False
) -> list[Framework]:
    """Frameworks of a unit, newest version first within each URN."""
    q = select(Framework).where(Framework.unit_id == unit_id)
    if not include_archived:
        q = q.where(Framework.status == "current")
    return list(session.scalars(q.order_by(Framework.urn, Framework.version.desc())))


def _stage_one(session: Session, unit: Unit, path: Path, source: str) -> tuple[FrameworkDoc, bool]:
    """Store the raw file and validate it; returns the document and whether it is new."""
    if not path.is_file():
        raise InputError(str(path), "no such framework file")
    digest = file_sha256(path)
    doc = load_framework(path)
    if doc.sha256 != digest:
        raise InputError(str(path), "the file changed while it was being read; load it again")
    known = session.scalar(
        select(FrameworkFile).where(
            FrameworkFile.unit_id == unit.id, FrameworkFile.sha256 == digest
        )
    )
    current = current_framework(session, unit_id=unit.id, urn=doc.urn)
    if known is not None and known.status == "loaded":
        if current is not None and current.version > doc.version:
            raise FrameworkVersionError(
                f"{path}: {doc.urn} version {doc.version} is older than the loaded version "
                f"{current.version}; refused"
            )
        return doc, False
    if current is not None:
        if current.version > doc.version:
            raise FrameworkVersionError(
                f"{path}: {doc.urn} version {doc.version} is older than the loaded version "
                f"{current.version}; refused"
            )
        if current.version == doc.version:
            raise FrameworkVersionError(
                f"{path}: {doc.urn} version {doc.version} is already loaded with different "
                f"content (SHA-256 {digest[:12]}…); raise the version number to change it"
            )
    for dependency in doc.dependencies:
        if current_framework(session, unit_id=unit.id, urn=dependency) is None:
            raise DependencyMissing(
                f"{path}: {doc.urn} depends on {dependency}, which is not loaded in unit "
                f"{unit.code}; load it first"
            )
    if known is None:
        session.add(
            FrameworkFile(
                unit_id=unit.id,
                urn=doc.urn,
                version=doc.version,
                sha256=digest,
                source=source,
                content=path.read_text(encoding="utf-8"),
                status="stored",
            )
        )
        session.flush()
    return doc, True


def _stage_two(session: Session, unit: Unit, doc: FrameworkDoc, now: dt.datetime) -> LoadResult:
    """Create the framework and its objects parents first; archive the previous version."""
    file = session.scalar(
        select(FrameworkFile).where(
            FrameworkFile.unit_id == unit.id, FrameworkFile.sha256 == doc.sha256
        )
    )
    assert file is not None
    previous = current_framework(session, unit_id=unit.id, urn=doc.urn)
    summary = session.info.get("audit_summary")
    # one audit entry per flush listing the objects created, not one per object
    session.info["audit_summary"] = {
        "action": "framework_loaded",
        "source": f"{doc.urn} v{doc.version}",
        "unit_id": unit.id,
    }
    try:
        return _create(session, unit, doc, file, previous, now)
    finally:
        if summary is None:
            session.info.pop("audit_summary", None)
        else:
            session.info["audit_summary"] = summary


def _create(
    session: Session,
    unit: Unit,
    doc: FrameworkDoc,
    file: FrameworkFile,
    previous: Framework | None,
    now: dt.datetime,
) -> LoadResult:
    with session.begin_nested():
        if previous is not None:
            previous.status, previous.archived_at = "archived", now
            for obj in session.scalars(
                select(FrameworkObject).where(FrameworkObject.framework_id == previous.id)
            ):
                obj.archived = True
        fw = Framework(
            unit_id=unit.id,
            urn=doc.urn,
            version=doc.version,
            locale=doc.locale,
            ref_id=doc.ref_id,
            name=doc.name,
            description=doc.description,
            provider=doc.provider,
            dependencies=list(doc.dependencies),
            translations={k: v.model_dump() for k, v in doc.translations.items()},
            sources=[s.model_dump() for s in doc.sources],
            file_id=file.id,
            status="current",
        )
        session.add(fw)
        session.flush()
        ids: dict[str, int] = {}
        for index, node in enumerate(doc.objects):  # parent-first
            obj = FrameworkObject(
                unit_id=unit.id,
                framework_id=fw.id,
                urn=node.urn,
                parent_id=ids[node.parent_urn] if node.parent_urn else None,
                depth=node.depth,
                position=index,
                ref_id=node.ref_id,
                name=node.name,
                description=node.description or "",
                assessable=node.assessable,
                level=node.level,
                frequency=node.frequency,
                evidence=list(node.evidence),
                references=[r.model_dump() for r in node.references],
                translations={k: v.model_dump() for k, v in node.translations.items()},
                status=node.status,
            )
            session.add(obj)
            session.flush()
            ids[node.urn] = obj.id
        file.status = "loaded"
    return LoadResult(
        urn=doc.urn,
        version=doc.version,
        status="upgraded" if previous is not None else "loaded",
        objects=len(doc.objects),
        duties=len(doc.duties),
        previous_version=previous.version if previous is not None else None,
        framework_id=fw.id,
    )


def load_framework_file(
    session: Session, *, unit: Unit, path: str | Path, source: str | None = None
) -> LoadResult:
    """Load one framework file into ``unit`` (both stages); idempotent by SHA-256."""
    path = Path(path)
    doc, new = _stage_one(session, unit, path, source or str(path))
    if not new:
        current = current_framework(session, unit_id=unit.id, urn=doc.urn)
        return LoadResult(
            urn=doc.urn,
            version=doc.version,
            status="unchanged",
            framework_id=current.id if current else None,
        )
    result = _stage_two(session, unit, doc, utcnow())
    if result.previous_version is not None:
        from keyguard.records.duties.assign import assign_duties

        assign_duties(session, unit=unit)
    return result


def load_builtin_frameworks(session: Session, *, unit: Unit) -> list[LoadResult]:
    """Load every framework shipped with keyguard into ``unit``, dependencies first."""
    loaded = {f.urn for f in list_frameworks(session, unit_id=unit.id)}
    docs = dependency_order([load_framework(p) for p in builtin_frameworks()], available=loaded)
    return [
        load_framework_file(
            session, unit=unit, path=Path(doc.path), source=f"builtin:{Path(doc.path).name}"
        )
        for doc in docs
    ]
