"""Demo steps of the foundation: the home and one account per role."""

from __future__ import annotations

import os
import secrets
import string

from sqlalchemy import func, select

from keyguard.audit.context import Actor, actor_scope
from keyguard.db.session import session_scope
from keyguard.demo.steps import DemoContext, DemoStep
from keyguard.identity.bootstrap import mark_home, migrate, prepare_home
from keyguard.identity.models import Account
from keyguard.identity.service import create_account
from keyguard.records.org.models import OrgNode, Person, SupervisingBody, Unit

ALPHABET = string.ascii_letters + string.digits


def random_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(16))


def step_home(ctx: DemoContext) -> None:
    prepare_home(ctx.home)
    migrate()
    mark_home(ctx.home)


def _pick_people(session, unit: Unit) -> dict[str, Person | None]:  # type: ignore[no-untyped-def]
    """Choose demo people from the data: a security-office member, a department head with
    reports, and an ordinary employee — found by their records, not by fixed names."""
    active = select(Person).where(Person.unit_id == unit.id, Person.status == "active")
    security = list(
        session.scalars(
            active.join(OrgNode, OrgNode.id == Person.department_id)
            .where(func.lower(OrgNode.name).like("%security%"))
            .order_by(Person.staff_id)
        )
    )
    managers = (
        select(Person.manager_id, func.count().label("n"))
        .where(Person.unit_id == unit.id, Person.manager_id.is_not(None))
        .group_by(Person.manager_id)
        .subquery()
    )
    head = session.scalars(
        active.join(managers, managers.c.manager_id == Person.id)
        .where(Person.department_id.is_not(None), Person.manager_id.is_not(None))
        .order_by(managers.c.n.desc(), Person.staff_id)
    ).first()
    employee = (
        session.scalars(
            active.where(
                Person.department_id == (head.department_id if head else None),
                Person.id != (head.id if head else -1),
            ).order_by(Person.staff_id)
        ).first()
        or session.scalars(active.order_by(Person.staff_id)).first()
    )
    chosen = {
        "security_officer": security[0] if security else None,
        "department_head": head,
        "employee": employee,
    }
    used = {p.id for p in chosen.values() if p is not None}
    # analysts and the auditor are staff too: prefer other security-office members
    spare = [p for p in security[1:] if p.id not in used]
    spare += [
        p
        for p in session.scalars(active.order_by(Person.staff_id.desc())).all()
        if p.id not in used and p not in spare
    ]
    for key in ("analyst", "analyst2", "auditor"):
        chosen[key] = spare.pop(0) if spare else None
    return chosen


def step_accounts(ctx: DemoContext) -> None:
    """One account per role, random passwords printed once and kept in a 0600 file."""
    with actor_scope(Actor(name="demo:setup")), session_scope() as session:
        unit = session.scalar(select(Unit).where(Unit.code == ctx.unit_code))
        if unit is None:
            raise RuntimeError(f"demo unit {ctx.unit_code!r} was not created by the import step")
        body = session.scalar(select(SupervisingBody).where(SupervisingBody.code == "demo-board"))
        if body is None:
            body = SupervisingBody(code="demo-board", name="Demo supervising body")
            session.add(body)
            session.flush()
        unit.supervising_body_id = body.id
        unit.is_demo = True
        people = _pick_people(session, unit)
        admin = session.scalar(select(Account).where(Account.email == "admin@demo.keyguard"))
        specs = [
            ("admin", None, None),
            ("security_officer", unit.id, people["security_officer"]),
            ("department_head", unit.id, people["department_head"]),
            ("analyst", unit.id, people["analyst"]),
            ("analyst2", unit.id, people["analyst2"]),
            ("employee", unit.id, people["employee"]),
            ("supervisor", None, None),
            ("auditor", unit.id, people["auditor"]),
        ]
        for key, scope, person in specs:
            role = "analyst" if key == "analyst2" else key
            email = f"{key.replace('_', '-')}@demo.keyguard"
            password = random_password()
            account = create_account(
                session,
                email=email,
                password=password,
                display_name=person.full_name if person else key.replace("_", " ").title(),
                unit_id=unit.id if scope else None,
                person_id=person.id if person else None,
                roles=[(role, scope)],
                created_by=admin,
                supervising_body_id=body.id if role == "supervisor" else None,
            )
            if role == "department_head" and person is not None:
                # the head also acts as an employee of their own unit
                from keyguard.identity.service import assign_role

                assign_role(session, account=account, role="employee", unit_id=unit.id)
            if role == "security_officer":
                from keyguard.identity.service import assign_role

                assign_role(session, account=account, role="employee", unit_id=unit.id)
            if key == "admin":
                admin = account
            ctx.accounts[key] = {"email": email, "password": password, "role": role}
    path = ctx.home / "demo-accounts.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# keyguard demo accounts — random passwords, shown once\n")
        for acc in ctx.accounts.values():
            fh.write(f"{acc['role']:<18} {acc['email']:<36} {acc['password']}\n")


STEPS = [
    DemoStep(order=5, name="home and records database", run=step_home),
    DemoStep(order=40, name="one account per role", run=step_accounts),
]
