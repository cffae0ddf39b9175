"""Register, grants and hosts CSV imports in the web UI and the JSON API (the CLI's
services: refused rows named by line and reason, valid rows imported, re-runs change
nothing, uploads CSRF-checked and audited), and destruction / downgrade records with two
different witnesses."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from keyguard.audit.models import AuditEntry
from keyguard.db.session import session_scope
from keyguard.records.register.models import Disposal, Grant, Host, Item

from .prepared import World

REGISTER = (
    "reference,title,level,owner_department,location\n"
    "WEB-1,Kestrel plans,secret,Research 研发部,\\\\fs03\\research\\kestrel\\*\n"
    "WEB-2,Bad level,cosmic,Research 研发部,\\\\fs03\\z\\*\n"
    "WEB-3,Short row,secret\n"
    "WEB-4,Vault copy,confidential,Research 研发部,physical:Vault 1\n"
)


def rows_of(html: str) -> list[tuple[str, str, str]]:
    """(line, outcome, reason) of the per-line result table."""
    table = html.split('id="import-problems"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<tr class=\"\w+\"><td>(\d*)</td><td>([^<]*)</td><td>([^<]*)</td>", table)
    return [(a, b, c) for a, b, c in cells]


def counts_of(html: str) -> list[str]:
    table = html.split('id="import-counts"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<td>(\d+)</td>", table)


def upload(client: TestClient, path: str, name: str, text: str, **form: str):  # type: ignore[no-untyped-def]
    return client.post(
        path,
        files={"file": (name, text.encode("utf-8"), "text/csv")},
        data={"csrf_token": client.csrf, **form},  # type: ignore[attr-defined]
    )


def test_register_grants_hosts_uploads(
    world: World, signed_in: Callable[..., TestClient], engine: Engine
) -> None:
    unit = world.units["a"]
    officer = signed_in("security_officer")
    page = officer.get(f"/units/{unit}/register/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert f'href="/units/{unit}/register/import"' in officer.get(f"/units/{unit}/register").text

    r = upload(officer, f"/units/{unit}/register/import", "items.csv", REGISTER)
    assert r.status_code == 200, r.text
    assert counts_of(r.text) == ["4", "2", "0", "0", "2"]  # read, created, updated, same, refused
    refused = {(line, reason) for line, _, reason in rows_of(r.text)}
    assert any(line == "3" and "cosmic" in reason for line, reason in refused)
    assert any(line == "4" and "cells" in reason for line, reason in refused)
    assert "items.csv" in r.text
    again = upload(officer, f"/units/{unit}/register/import", "items.csv", REGISTER)
    assert counts_of(again.text) == ["4", "0", "0", "2", "2"]  # the same file changes nothing

    grants = (
        "grantee_type,grantee,item_reference,purpose,start,end\n"
        "person,A001,WEB-1,Kestrel design,2026-01-01,\n"
        "person,NOBODY,WEB-1,Unknown person,2026-01-01,\n"
        "department,Research 研发部,WEB-4,Vault work,2026-01-01,2026-12-31\n"
        "person,A002,WEB-99,No such item,2026-01-01,\n"
    )
    assert officer.get(f"/units/{unit}/grants/import").status_code == 200
    r = upload(officer, f"/units/{unit}/grants/import", "grants.csv", grants)
    assert r.status_code == 200, r.text
    assert counts_of(r.text)[:2] == ["4", "2"] and counts_of(r.text)[4] == "2"
    lines = {line for line, outcome, _ in rows_of(r.text) if outcome == "refused"}
    assert lines == {"3", "5"}

    hosts = (
        "host,assigned_staff_id,shared,removable_media_allowed\n"
        "PC-A001,A001,no,no\n"
        "PC-BAD,A001,maybe,no\n"
        "PC-LAB,,yes,yes\n"
    )
    assert officer.get(f"/units/{unit}/hosts/import").status_code == 200
    r = upload(officer, f"/units/{unit}/hosts/import", "hosts.csv", hosts, known_from="2026-01-01")
    assert r.status_code == 200, r.text
    assert counts_of(r.text)[:2] == ["3", "2"]
    assert [line for line, outcome, _ in rows_of(r.text) if outcome == "refused"] == ["3"]

    # a file that cannot be used at all is refused with its name and reason; nothing stored
    bad = upload(officer, f"/units/{unit}/hosts/import", "hosts.csv", "host,shared\nPC-X,no\n")
    assert bad.status_code == 422 and "hosts.csv" in bad.text and "missing column" in bad.text

    with session_scope(engine) as s:
        assert {i.reference for i in s.scalars(select(Item).where(Item.unit_id == unit))} == {
            "WEB-1",
            "WEB-4",
        }
        assert len(list(s.scalars(select(Grant).where(Grant.unit_id == unit)))) == 2
        assert {h.name for h in s.scalars(select(Host).where(Host.unit_id == unit))} == {
            "PC-A001",
            "PC-LAB",
        }
        uploads = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "upload")))
        assert {e.object_type for e in uploads} >= {
            "register_import",
            "grants_import",
            "hosts_import",
        }


def test_uploads_need_the_permission_and_the_csrf_token(
    world: World, signed_in: Callable[..., TestClient]
) -> None:
    unit = world.units["a"]
    employee = signed_in("employee")
    assert employee.get(f"/units/{unit}/register/import").status_code == 403
    assert upload(employee, f"/units/{unit}/grants/import", "g.csv", "x\n").status_code == 403
    officer = signed_in("security_officer")
    del officer.headers["X-CSRF-Token"]
    r = officer.post(
        f"/units/{unit}/register/import",
        files={"file": ("items.csv", REGISTER.encode(), "text/csv")},
    )
    assert r.status_code == 403


def test_json_import_and_disposals(
    world: World, signed_in: Callable[..., TestClient], engine: Engine
) -> None:
    unit = world.units["a"]
    officer = signed_in("security_officer")
    r = officer.post(
        f"/api/v1/units/{unit}/register/import",
        files={"file": ("items.csv", REGISTER.encode("utf-8"), "text/csv")},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["read"], body["created"], body["rejected"]) == (4, 2, 2)
    assert {row["line"] for row in body["rows"] if row["kind"] == "refused"} == {3, 4}
    assert all(row["reason"] for row in body["rows"])
    r = officer.post(
        f"/api/v1/units/{unit}/hosts/import",
        files={"file": ("hosts.csv", b"host,assigned_staff_id,shared,removable_media_allowed\n")},
    )
    assert r.status_code == 200 and r.json()["read"] == 0
    with session_scope(engine) as s:
        ids = {i.reference: i.id for i in s.scalars(select(Item).where(Item.unit_id == unit))}
    zhang, arabic = world.people["zhang"], world.people["arabic"]

    # web form: the same person twice is refused with the reason, then two people recorded
    item = f"/units/{unit}/register/{ids['WEB-1']}"
    page = officer.get(item)
    assert 'id="destroy-form"' in page.text and 'id="downgrade-form"' in page.text
    form = {"csrf_token": officer.csrf, "to_level": "confidential", "on_day": "2026-01-10"}  # type: ignore[attr-defined]
    same = officer.post(
        f"{item}/downgrade", data=form | {"witness1_id": zhang, "witness2_id": zhang}
    )
    assert same.status_code == 200 and "two different people" in same.text
    ok = officer.post(
        f"{item}/downgrade",
        data=form | {"witness1_id": zhang, "witness2_id": arabic, "method": "declassified"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    page = officer.get(item)
    assert 'id="disposals"' in page.text and "secret → confidential" in page.text

    # JSON: destruction with two witnesses; a future day and one person twice are refused
    vault = f"/api/v1/units/{unit}/register/{ids['WEB-4']}/destroy"
    body = {"on_day": "2026-01-11", "witness1_id": zhang, "witness2_id": zhang, "method": "shred"}
    assert officer.post(vault, json=body).status_code in (400, 409, 422)
    future = body | {"witness2_id": arabic, "on_day": "2999-01-01"}
    r = officer.post(vault, json=future)
    assert r.status_code in (400, 409, 422) and "future" in r.text
    r = officer.post(vault, json=body | {"witness2_id": arabic})
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "destruction" and len(r.json()["witnesses"]) == 2
    with session_scope(engine) as s:
        kinds = [d.kind for d in s.scalars(select(Disposal).where(Disposal.unit_id == unit))]
        assert sorted(kinds) == ["destruction", "downgrade"]
        assert s.get(Item, ids["WEB-4"]).status == "destroyed"  # type: ignore[union-attr]
