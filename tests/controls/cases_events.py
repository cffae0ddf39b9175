"""Fixture pairs of the checks that read the event store and keyguard's audit log (they add
themselves to ``cases.CASES``)."""

from __future__ import annotations

import datetime as dt

from keyguard.audit.context import Actor, actor_scope
from keyguard.controls.models import Finding
from keyguard.identity.service import assign_role
from keyguard.records.register.grants import Grantee, Scope, approve_grant, request_grant

from . import builders as b
from .cases import Ctx, case, has_event_rows, one


def _baseline(c: Ctx, until: str = "2026-06-29") -> None:
    """ENG002 logs on to PC-2 every working day of June (sets the horizon)."""
    end = dt.date.fromisoformat(until)
    b.write_events(
        c.home,
        c.w.unit.code,
        [b.ev("ENG002", "PC-2", f"{d}T08:00:00") for d in b.workdays(dt.date(2026, 6, 1), end)],
    )


def _concurrent(f: Finding) -> None:
    has_event_rows(f)
    assert f.details["hosts"] == ["PC-1", "PC-9"] and "2 occasion(s)" in f.subject


@case("shared-account-concurrent-logons", one(_concurrent))
def _shared(c: Ctx, positive: bool) -> None:
    later = "09:03:00" if positive else "13:00:00"
    events = []
    for day in ("2026-06-15", "2026-06-16"):
        events += [
            b.ev("ENG001", "PC-1", f"{day}T09:00:00"),
            b.ev("ENG001", "PC-9", f"{day}T{later}"),
        ]
    b.write_events(c.home, c.w.unit.code, events)
    _baseline(c)


@case(
    "shared-machine",
    one(
        lambda f: f.subject_key == "host:pc-l" and f.details["users"] == 3 and len(f.evidence) == 3
    ),
)
def _shared_machine(c: Ctx, positive: bool) -> None:
    c.w.people["FIN001"].job_title = "ITAdmin"  # administrators are not counted
    third = "HEAD001" if positive else "FIN001"
    b.write_events(
        c.home,
        c.w.unit.code,
        [
            b.ev(user, "PC-L", f"2026-06-15T{9 + i:02d}:00:00")
            for i, user in enumerate(("ENG001", "ENG002", third))
        ]
        + [b.ev("ACC001", "PC-M", "2026-06-15T09:00:00")],
    )
    _baseline(c)


@case(
    "generic-account-name", one(lambda f: f.subject_key == "user:admin01" and f.evidence_total == 3)
)
def _generic(c: Ctx, positive: bool) -> None:
    user = "DTAA/admin01" if positive else "DTAA/ENG001"
    b.write_events(
        c.home,
        c.w.unit.code,
        [b.ev(user, f"PC-{i}", f"2026-06-1{i}T10:00:00") for i in (1, 2, 3)],
    )
    _baseline(c)


@case(
    "unknown-account-in-logs",
    one(lambda f: f.subject_key == "user:xyz9999" and "matches no person" in f.subject),
)
def _unknown(c: Ctx, positive: bool) -> None:
    events = [b.ev("dtaa/eng001", "PC-1", "2026-06-15T09:00:00")]  # domain prefix: known
    if positive:
        events.append(b.ev("XYZ9999", "PC-5", "2026-06-15T09:00:00"))
    b.write_events(c.home, c.w.unit.code, events)
    _baseline(c)


@case(
    "log-source-silent",
    one(lambda f: f.subject_key == "source:cert:device" and "since 2026-06-10" in f.subject),
)
def _silent_source(c: Ctx, positive: bool) -> None:
    last = dt.date(2026, 6, 10) if positive else dt.date(2026, 6, 26)
    events = [
        b.ev("ENG001", "PC-1", f"{d}T09:00:00", "device", "connect")
        for d in b.workdays(dt.date(2026, 5, 1), last)
    ]
    b.write_events(c.home, c.w.unit.code, events)
    _baseline(c)


@case(
    "busy-host-silent",
    one(lambda f: f.subject_key == "host:pc-7" and "before 2026-06-05" in f.subject),
)
def _silent_host(c: Ctx, positive: bool) -> None:
    last = dt.date(2026, 6, 5) if positive else dt.date(2026, 6, 25)
    events = [
        b.ev("ENG001", "PC-7", f"{d}T09:00:00") for d in b.workdays(dt.date(2026, 4, 1), last)
    ]
    # a machine used now and then never counts as busy
    events += [b.ev("ENG001", "PC-8", f"{d}T11:00:00") for d in ("2026-04-02", "2026-05-04")]
    b.write_events(c.home, c.w.unit.code, events)
    _baseline(c)


@case(
    "event-store-stale",
    one(lambda f: f.subject_key == "store" and "nothing after 2026-06-10" in f.subject),
)
def _stale(c: Ctx, positive: bool) -> None:
    _baseline(c, "2026-06-10" if positive else "2026-06-29")


def _ungranted(f: Finding) -> None:
    has_event_rows(f)
    assert f.subject_key.endswith(f"item:{f.item_id}") and f.evidence[0]["item"] == "R1"
    assert f.evidence[0]["object"].endswith("plan.docx")


@case("access-without-grant", one(_ungranted))
def _access_ungranted(c: Ctx, positive: bool) -> None:
    it = b.item(c.session, c.w, "R1", "secret")
    b.item(c.session, c.w, "PUB", "internal", location="\\\\fs01\\public\\*")
    if not positive:
        b.grant(c.session, c.w, to="ENG001", it=it)
    b.write_events(
        c.home,
        c.w.unit.code,
        [
            b.ev(
                "ENG001",
                "PC-1",
                "2026-06-15T10:00:00",
                "file",
                "open",
                obj="\\\\fs01\\research\\r1\\plan.docx",
            ),
            b.ev(
                "ENG001",
                "PC-1",
                "2026-06-15T10:05:00",
                "file",
                "open",
                obj="\\\\fs01\\public\\menu.pdf",
            ),
        ],
    )
    _baseline(c)


@case("access-above-clearance", one(lambda f: "ENG001" in f.subject and has_event_rows(f) is None))
def _access_above(c: Ctx, positive: bool) -> None:
    it = b.item(c.session, c.w, "R1", "secret")
    b.grant(c.session, c.w, to="ENG001", it=it)
    b.clearance(c.session, c.w, "ENG001", "confidential" if positive else "secret")
    b.write_events(
        c.home,
        c.w.unit.code,
        [
            b.ev(
                "ENG001",
                "PC-1",
                "2026-06-15T10:00:00",
                "file",
                "open",
                obj="\\\\fs01\\research\\r1\\plan.docx",
            )
        ],
    )
    _baseline(c)


@case(
    "removable-media-on-locked-host",
    one(lambda f: f.subject_key == "host:pc-1" and f.details == {"connects": 1, "transfers": 1}),
)
def _media(c: Ctx, positive: bool) -> None:
    b.host(c.session, c.w, "PC-1", "ENG001", removable=not positive)
    b.host(c.session, c.w, "PC-3", None, removable=False, source="inferred")
    b.write_events(
        c.home,
        c.w.unit.code,
        [
            b.ev("ENG001", "PC-1", "2026-06-15T10:00:00", "device", "connect"),
            b.ev(
                "ENG001",
                "PC-1",
                "2026-06-15T10:01:00",
                "file",
                "copy",
                obj="E:\\plan.docx",
                to_removable=True,
            ),
            b.ev("ENG002", "PC-3", "2026-06-15T10:00:00", "device", "connect"),
        ],
    )
    _baseline(c)


# -- keyguard's own audit log ----------------------------------------------------------------


def _as(account_id: int) -> Actor:
    return Actor(name=f"account:{account_id}", account_id=account_id)


@case(
    "approver-promoted-before-approval",
    one(
        lambda f: (
            "department_head" in f.subject
            and [r["source"] for r in f.evidence] == ["audit", "audit"]
        )
    ),
)
def _promoted(c: Ctx, positive: bool) -> None:
    officer = c.w.accounts["officer"]
    c.now("2026-06-25T09:00:00+00:00" if positive else "2026-01-05T09:00:00+00:00")
    head = b.account(c.session, c.w, "head", "HEAD001", "employee", by=officer)
    with actor_scope(_as(officer.id)):
        assign_role(
            c.session, account=head, role="department_head", unit_id=c.w.unit.id, granted_by=officer
        )
    c.now(b.NOW)
    eng = b.account(c.session, c.w, "eng", "ENG001", "employee", by=officer)
    it = b.item(c.session, c.w, "R1", "secret")
    with actor_scope(_as(eng.id)):
        g = request_grant(
            c.session,
            unit=c.w.unit,
            requester=eng,
            grantee=Grantee("person", person=c.w.people["ENG001"]),
            scope=Scope("item", item=it),
            purpose="design review",
            start=b.AS_OF,
            end=None,
        )
    with actor_scope(_as(head.id)):
        approve_grant(c.session, grant=g, approver=head)
    c.session.flush()


@case(
    "role-change-self-benefit",
    one(lambda f: "own account" in f.subject and f.evidence[0]["role"] == "department_head"),
)
def _self_benefit(c: Ctx, positive: bool) -> None:
    officer = c.w.accounts["officer"]
    target = officer if positive else b.account(c.session, c.w, "head", "HEAD001", "employee")
    with actor_scope(_as(officer.id)):
        assign_role(
            c.session,
            account=target,
            role="department_head",
            unit_id=c.w.unit.id,
            granted_by=officer,
        )
    c.session.flush()
