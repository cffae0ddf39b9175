"""Plain, JSON-able views of the duties domain, shared by the web pages and their JSON twins
(so the two never disagree). Callers decide who may see what and pass ``identify`` (real
names) and the department scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard import audit
from keyguard.errors import NotFound
from keyguard.records.duties.items import STATEMENT, DutyItem
from keyguard.records.duties.models import Framework
from keyguard.records.duties.score import departments, history, unit_score
from keyguard.records.duties.service import department_people, my_duties, overdue_items
from keyguard.records.duties.texts import (
    FREQUENCY_LABELS,
    attestation_text,
    duty_description,
    duty_name,
    evidence_text,
    framework_name,
    lang,
    sha256_text,
)
from keyguard.records.org.models import OrgNode, Person, Unit

EVIDENCE_ROWS = 200


def person_label(person: Person | None, identify: bool) -> str:
    if person is None:
        return "?"
    return person.full_name if identify else person.pseudonym


def _item(item: DutyItem, frameworks: dict[int, Framework], locale: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": item.kind,
        "period": item.period,
        "due_on": item.due_on.isoformat(),
        "status": item.status,
        "days_overdue": item.days_overdue,
        "evidence_at": item.evidence_at.isoformat() if item.evidence_at else None,
    }
    if item.duty is not None:
        fw = frameworks[item.duty.framework_id]
        out.update(
            duty_id=item.duty.id,
            ref=item.duty.ref_id,
            name=duty_name(item.duty, locale),
            description=duty_description(item.duty, locale),
            framework=framework_name(fw, locale),
            framework_urn=fw.urn,
            framework_version=fw.version,
            level=item.duty.level,
            frequency=FREQUENCY_LABELS[lang(locale)].get(item.duty.frequency or "once", ""),
            evidence=evidence_text(item.duty.evidence, locale),
            evidence_version=item.evidence_version,
        )
    return out


def my_duties_view(session: Session, *, person_id: int, locale: str | None) -> dict[str, Any]:
    """What the person owes: statement first, then attestations, open before done."""
    mine = my_duties(session, person_id=person_id, locale=locale)
    person = session.get(Person, person_id)
    assert person is not None
    statement = next((i for i in mine.items if i.kind == STATEMENT), None)
    items = []
    for item in mine.items:
        if item.kind == STATEMENT or item.duty is None:
            continue
        row = _item(item, mine.frameworks, locale)
        if item.status != "done":
            text = attestation_text(
                name=person.full_name,
                duty=item.duty,
                framework=mine.frameworks[item.duty.framework_id],
                period=item.period,
                locale=locale,
            )
            row.update(text=text, sha256=sha256_text(text))
        items.append(row)
    order = {"overdue": 0, "due": 1, "open": 2, "done": 3}
    items.sort(key=lambda r: (order[r["status"]], r["due_on"], r["ref"]))
    return {
        "day": mine.day.isoformat(),
        "position": mine.position.title if mine.position else None,
        "statement": None
        if statement is None
        else {
            **_item(statement, mine.frameworks, locale),
            "duties": len(statement.duties),
            "text": mine.statement_text,
            "sha256": mine.statement_sha256,
        },
        "items": items,
        "counts": {s: sum(1 for i in items if i["status"] == s) for s in order},
    }


def overdue_view(
    session: Session,
    *,
    unit: Unit,
    department_id: int | None,
    identify: bool,
    locale: str | None,
) -> list[dict[str, Any]]:
    """Overdue duty items of a unit or a department, most overdue first."""
    items = overdue_items(session, unit=unit, department_id=department_id)
    frameworks = {
        f.id: f for f in session.scalars(select(Framework).where(Framework.unit_id == unit.id))
    }
    people = (
        {
            p.id: p
            for p in session.scalars(
                select(Person).where(Person.id.in_({i.person_id for i in items}))
            )
        }
        if items
        else {}
    )
    nodes = {
        n.id: n.name for n in session.scalars(select(OrgNode).where(OrgNode.unit_id == unit.id))
    }
    out = []
    for item in items:
        person = people.get(item.person_id)
        row = _item(item, frameworks, locale)
        if item.kind == STATEMENT:
            row["name"] = "responsibility statement" if lang(locale) == "en" else "责任书"
        row.update(
            person_id=item.person_id,
            person=person_label(person, identify),
            department=nodes.get(person.department_id) if person and person.department_id else None,
        )
        out.append(row)
    return out


def compliance_view(
    session: Session,
    *,
    unit: Unit,
    department_id: int | None,
    identify: bool,
) -> dict[str, Any]:
    """The score with its formula, each term's evidence, the history and the departments."""
    score = unit_score(session, unit=unit, department_id=department_id)
    ids = {r.person_id for t in score.terms for r in t.rows if r.person_id}
    people = (
        {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    )
    terms = []
    for t in score.terms:
        rows = sorted(t.rows, key=lambda r: (r.present, r.at or ""), reverse=True)
        terms.append(
            {
                "key": t.key,
                "label": t.label,
                "formula": t.formula,
                "weight": t.weight,
                "earned": t.earned,
                "possible": t.possible,
                "percent": None if t.ratio is None else round(100 * t.ratio, 1),
                "evidence": [
                    {
                        "what": r.what,
                        "person": person_label(people.get(r.person_id), identify)
                        if r.person_id
                        else None,
                        "at": r.at,
                        "version": r.version,
                        "present": r.present,
                    }
                    for r in rows[:EVIDENCE_ROWS]
                ],
                "evidence_total": len(rows),
            }
        )
    snaps = history(session, unit_id=unit.id, department_id=department_id)
    return {
        "unit": unit.code,
        "department_id": department_id,
        "day": score.day.isoformat(),
        "score": score.score,
        "formula": score.formula,
        "terms": terms,
        "absent": score.absent,
        "history": [{"day": s.day.isoformat(), "score": s.score} for s in snaps],
        "departments": [{"id": d.id, "name": d.name} for d in departments(session, unit.id)],
    }


def chart_points(
    points: list[dict[str, Any]], width: int = 640, height: int = 200, pad: int = 30
) -> dict[str, Any]:
    """SVG coordinates of a score history (0–100 on the y axis, days on the x axis)."""
    if not points:
        return {"polyline": "", "dots": [], "width": width, "height": height, "pad": pad}
    days = [dt.date.fromisoformat(p["day"]) for p in points]
    first, span = days[0], max(1, (days[-1] - days[0]).days)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    dots = []
    for day, p in zip(days, points, strict=True):
        x = pad + inner_w * ((day - first).days / span if len(points) > 1 else 0.5)
        y = pad + inner_h * (1 - float(p["score"]) / 100)
        dots.append({"x": round(x, 1), "y": round(y, 1), "day": p["day"], "score": p["score"]})
    return {
        "polyline": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "dots": dots,
        "width": width,
        "height": height,
        "pad": pad,
    }


def department_choice(
    session: Session, *, unit_id: int, visible: frozenset[int] | None, department: int | None
) -> tuple[int | None, list[dict[str, Any]]]:
    """The department shown and those to choose from; ``visible`` (from the caller's access
    rules) limits a department head to their own. ``None`` department: the whole unit."""
    nodes = list(
        session.scalars(
            select(OrgNode)
            .where(OrgNode.unit_id == unit_id, OrgNode.kind == "department")
            .order_by(OrgNode.name)
        )
    )
    choices = [{"id": n.id, "name": n.name} for n in nodes if visible is None or n.id in visible]
    ids = {c["id"] for c in choices}
    if visible is not None:
        if not choices:
            raise NotFound("you head no department in this unit")
        if department is None:
            return choices[0]["id"], choices
    if department is not None and department not in ids:
        raise NotFound("no such department")
    return department, choices


def department_view(
    session: Session,
    *,
    unit: Unit,
    visible: frozenset[int] | None,
    department: int | None,
    identify: bool,
    locale: str | None,
) -> dict[str, Any]:
    """Overdue duties and training of a department (or the unit); a look at named people is
    audited."""
    from keyguard.records.education.views import status_view

    dept, choices = department_choice(
        session, unit_id=unit.id, visible=visible, department=department
    )
    overdue = overdue_view(session, unit=unit, department_id=dept, identify=identify, locale=locale)
    people = department_people(session, unit_id=unit.id, department_id=dept)
    training = status_view(session, unit=unit, people=people, identify=identify, locale=locale)
    if identify and (overdue or training["overdue"]):
        ids = sorted(
            {r["person_id"] for r in overdue} | {r["person_id"] for r in training["overdue"]}
        )
        audit.record(
            session,
            "view",
            "person_list",
            None,
            {"ids": ids, "page": "duties.department", "department": dept},
            unit_id=unit.id,
        )
    return {
        "department": dept,
        "departments": choices,
        "overdue": overdue,
        "training": training,
        "identified": identify,
    }
