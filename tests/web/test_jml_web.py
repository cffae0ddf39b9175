"""Joiner/mover/leaver tasks in the web UI: a leaver's keyguard account is listed on the
page, the officer disables it there, and the finished task moves to "recently completed"."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from keyguard.audit.context import Actor, actor_scope
from keyguard.db.session import session_scope
from keyguard.identity.models import Account
from keyguard.records.org.models import Person, PersonVersion

from .prepared import World


def _versions(engine: Engine, world: World) -> None:
    """Every person of unit A known from 2025-01-01; the employee leaves on 2026-01-31."""
    with session_scope(engine) as s, actor_scope(Actor(name="test:setup")):
        for p in s.scalars(select(Person).where(Person.unit_id == world.units["a"])):
            base = {
                "unit_id": p.unit_id,
                "person_id": p.id,
                "full_name": p.full_name,
                "email": p.email,
                "job_title": p.job_title,
                "department_id": p.department_id,
                "source": "test",
            }
            s.add(
                PersonVersion(
                    **base,
                    valid_from=dt.date(2025, 1, 1),
                    valid_to=dt.date(2026, 2, 1) if p.id == world.people["employee"] else None,
                    known_from=dt.date(2025, 1, 1),
                )
            )
            if p.id == world.people["employee"]:
                s.add(
                    PersonVersion(
                        **base,
                        status="left",
                        end_date=dt.date(2026, 1, 31),
                        valid_from=dt.date(2026, 2, 1),
                        known_from=dt.date(2026, 2, 1),
                    )
                )


def test_leaver_account_disabled_from_the_jml_page(
    world: World, signed_in: Callable[..., TestClient], engine: Engine
) -> None:
    _versions(engine, world)
    unit = world.units["a"]
    officer = signed_in("security_officer")
    r = officer.post(f"/units/{unit}/personnel/jml/scan", follow_redirects=True)
    assert r.status_code == 200
    step = re.search(r'id="jml-step-(\d+)" data-kind="account"', r.text)
    assert step, r.text
    assert world.emails["employee"] in r.text
    path = f"/units/{unit}/personnel/jml/actions/{step.group(1)}"
    assert signed_in("employee").post(path, data={"action": "disable"}).status_code == 403
    keep = officer.post(path, data={"action": "keep"})
    assert keep.status_code == 200 and "say why" in keep.text
    done = officer.post(path, data={"action": "disable"}, follow_redirects=True)
    assert done.status_code == 200
    assert 'id="jml-done"' in done.text and 'data-kind="account"' not in done.text
    with session_scope(engine) as s:
        account = s.get(Account, world.accounts["employee"])
        assert account is not None and not account.is_active
    api = officer.get(f"/api/v1/units/{unit}/personnel/jml")
    assert api.status_code == 200 and api.json() == []
