"""The fixture pair of every shipped check: a positive set of records and events where the
loophole exists (the check must find it) and a negative set, as close as possible, where it
does not (the check must stay quiet). ``CASES`` is keyed by check id; ``test_fixtures``
fails for a shipped check without both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from keyguard.controls.models import Finding
from keyguard.records.duties.service import assign_duties, load_builtin_frameworks

from . import builders as b
from .builders import D0, W


@dataclass
class Ctx:
    session: Session
    w: W
    home: Path
    now: Callable[[str], None]


@dataclass(frozen=True)
class Case:
    positive: Callable[[Ctx], None]
    negative: Callable[[Ctx], None]
    expect: Callable[[list[Finding]], None]


CASES: dict[str, Case] = {}


def case(check_id: str, expect: Callable[[list[Finding]], None]) -> Callable[..., None]:
    def wrap(pair: Callable[[Ctx, bool], None]) -> None:
        CASES[check_id] = Case(
            positive=lambda c: pair(c, True), negative=lambda c: pair(c, False), expect=expect
        )

    return wrap


def one(check: Callable[[Finding], bool | None]) -> Callable[[list[Finding]], None]:
    """Exactly one finding, for which ``check`` holds (returns true or asserts itself)."""

    def run(findings: list[Finding]) -> None:
        assert len(findings) == 1, [f.subject for f in findings]
        assert check(findings[0]) is not False, (findings[0].subject, findings[0].evidence)

    return run


def has_event_rows(f: Finding) -> None:
    rows = [r for r in f.evidence if r["source"] == "event"]
    assert rows, f.evidence
    assert all(r["file"] and isinstance(r["line"], int) and r["line"] >= 2 for r in rows)


# -- grants ----------------------------------------------------------------------------------


@case(
    "grant-never-reviewed",
    one(
        lambda f: (
            "never reviewed" in f.subject
            and f.evidence[0]["table"] == "access_grant"
            and f.evidence[0]["grantee"] == "ENG001"
        )
    ),
)
def _never_reviewed(c: Ctx, positive: bool) -> None:
    it = b.item(c.session, c.w, "R1")
    reviewed = None if positive else dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    b.grant(c.session, c.w, to="ENG001", it=it, reviewed=reviewed)
    # a young grant is within its grace period either way
    b.grant(c.session, c.w, to="ENG002", it=it, start=dt.date(2026, 6, 1))


@case("top-level-grant-review-quarterly", one(lambda f: "last reviewed on 2026-02-01" in f.subject))
def _quarterly(c: Ctx, positive: bool) -> None:
    ts = b.item(c.session, c.w, "TS1", "top secret")
    sec = b.item(c.session, c.w, "S1", "secret")
    when = dt.datetime(2026, 2 if positive else 5, 1, tzinfo=dt.UTC)
    b.grant(c.session, c.w, to="ENG001", it=ts, approvers=("HEAD001", "FIN001"), reviewed=when)
    old = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)  # below the top level: yearly is enough
    b.grant(c.session, c.w, to="ENG002", it=sec, reviewed=old)


@case(
    "top-level-single-approval",
    one(lambda f: "1 distinct approver" in f.subject and f.severity == "high"),
)
def _single_approval(c: Ctx, positive: bool) -> None:
    ts = b.item(c.session, c.w, "TS1", "top secret")
    sec = b.item(c.session, c.w, "S1", "secret")
    approvers = ("HEAD001",) if positive else ("HEAD001", "FIN001")
    b.grant(c.session, c.w, to="ENG001", it=ts, approvers=approvers)
    b.grant(c.session, c.w, to="ENG002", it=sec, approvers=("HEAD001",))  # one is enough here
    # an approval by the grantee does not count as one of the two
    b.grant(c.session, c.w, to="FIN001", it=ts, approvers=("HEAD001", "DIR001"))


def _approver_is_user(f: Finding) -> None:
    assert f.person_id is not None and "covered by it" in f.subject
    assert "ENG002" in f.subject


@case("approver-also-user", one(_approver_is_user))
def _approver_user(c: Ctx, positive: bool) -> None:
    ts = b.item(c.session, c.w, "TS1", "top secret")
    approvers = ("ENG002", "HEAD001") if positive else ("FIN001", "HEAD001")
    b.grant(c.session, c.w, to="ENG001", team="alpha", it=ts, approvers=approvers)


@case(
    "grant-above-clearance",
    one(
        lambda f: (
            "clearance (confidential)" in f.subject
            and any(r["table"] == "register_item" and r["reference"] == "R1" for r in f.evidence)
        )
    ),
)
def _grant_above(c: Ctx, positive: bool) -> None:
    it = b.item(c.session, c.w, "R1", "secret")
    b.grant(c.session, c.w, to="ENG001", it=it)
    b.clearance(c.session, c.w, "ENG001", "confidential" if positive else "secret")
    b.clearance(c.session, c.w, "ENG002", "top secret")


# -- people ----------------------------------------------------------------------------------


@case(
    "leaver-grants-live",
    one(lambda f: "left on 2026-06-01" in f.subject and f.evidence[0]["table"] == "access_grant"),
)
def _leaver_grants(c: Ctx, positive: bool) -> None:
    it = b.item(c.session, c.w, "R1")
    end = None if positive else dt.date(2026, 5, 31)
    b.grant(c.session, c.w, to="ENG001", it=it, end=end)
    b.leave(c.session, c.w.people["ENG001"], dt.date(2026, 5, 31))


@case(
    "leaver-keyguard-account",
    one(lambda f: f.evidence[0]["table"] == "account" and f.evidence[0]["roles"] == ["employee"]),
)
def _leaver_account(c: Ctx, positive: bool) -> None:
    acc = b.account(c.session, c.w, "eng1", "ENG001", "employee")
    acc.is_active = positive
    b.account(c.session, c.w, "eng2", "ENG002", "employee")  # still employed
    b.leave(c.session, c.w.people["ENG001"], dt.date(2026, 5, 31))


def _leaver_logon(f: Finding) -> None:
    has_event_rows(f)
    assert "1 log-on(s)" in f.subject and f.evidence[0]["day"] == "2026-06-10"


@case("leaver-account-logs-on", one(_leaver_logon))
def _leaver_logons(c: Ctx, positive: bool) -> None:
    b.leave(c.session, c.w.people["ENG001"], dt.date(2026, 5, 31))
    day = "2026-06-10" if positive else "2026-05-20"
    events = [b.ev("ENG001", "PC-1", f"{day}T08:30:00")]
    events += [b.ev("ENG002", "PC-2", f"{d}T08:00:00") for d in ("2026-05-20", "2026-06-29")]
    b.write_events(c.home, c.w.unit.code, events)


@case(
    "mover-kept-grants",
    one(
        lambda f: (
            "moved from Company / Finance to Company / Research on 2026-03-01" in f.subject
            and "FIN-1" in f.subject
            and "R1" not in f.subject
        )
    ),
)
def _mover(c: Ctx, positive: bool) -> None:
    fin = b.item(
        c.session, c.w, "FIN-1", "confidential", dept="finance", owner="FIN001", custodian="FIN001"
    )
    res = b.item(c.session, c.w, "R1", "secret")
    end = None if positive else dt.date(2026, 2, 28)
    b.grant(c.session, c.w, to="ACC001", it=fin, approvers=("FIN001",), end=end)
    b.grant(c.session, c.w, to="ACC001", it=res, start=dt.date(2026, 3, 1))
    p = c.w.people["ACC001"]
    b.version(
        c.session,
        p,
        valid_from=dt.date(2026, 3, 1),
        known_from=dt.date(2026, 3, 1),
        department_id=c.w.nodes["research"].id,
        team_id=c.w.nodes["alpha"].id,
    )


@case(
    "classified-access-without-training",
    one(lambda f: "classified-handling missing" in f.subject and "ENG001" in f.subject),
)
def _training(c: Ctx, positive: bool) -> None:
    it = b.item(c.session, c.w, "R1", "secret")
    b.grant(c.session, c.w, to="ENG001", it=it)
    b.grant(c.session, c.w, to="ENG002", it=it)
    b.training(c.session, c.w, "ENG002", dt.date(2026, 3, 1))
    if not positive:
        b.training(c.session, c.w, "ENG001", dt.date(2026, 2, 1))


# -- register and org ------------------------------------------------------------------------


@case("item-without-owner", one(lambda f: "no custodian" in f.subject and f.item_id is not None))
def _no_owner(c: Ctx, positive: bool) -> None:
    b.item(c.session, c.w, "R1", custodian=None if positive else "ENG002")
    b.item(c.session, c.w, "R2")


@case(
    "item-classification-review-overdue",
    one(lambda f: "due on 2026-06-01, 29 day(s) ago" in f.subject and f.item_id is not None),
)
def _review_overdue(c: Ctx, positive: bool) -> None:
    b.item(c.session, c.w, "R1", review=dt.date(2026, 6, 1 if positive else 30))
    b.item(c.session, c.w, "R2", review=dt.date(2026, 12, 31))
    b.item(c.session, c.w, "R3")  # no review date recorded


@case(
    "checkout-overdue",
    one(lambda f: "10 day(s) late" in f.subject and f.evidence[0]["holder"] == "ENG001"),
)
def _checkout(c: Ctx, positive: bool) -> None:
    it = b.item(c.session, c.w, "P1", room="Registry")
    b.checkout(c.session, c.w, it, "ENG001", dt.date(2026, 6, 20), returned=not positive)


def _duties(c: Ctx) -> None:
    load_builtin_frameworks(c.session, unit=c.w.unit)
    assign_duties(c.session, unit=c.w.unit, day=D0)


@case(
    "duty-without-holder",
    one(lambda f: "Team lead" in f.subject and "nobody holds it" in f.subject),
)
def _unstaffed(c: Ctx, positive: bool) -> None:
    if positive:
        b.position(c.session, c.w, "lead", "Team lead", "team", "alpha")
    _duties(c)


@case("org-level-without-holder", one(lambda f: "Legal" in f.subject))
def _no_head(c: Ctx, positive: bool) -> None:
    b.node(c.session, c.w, "legal", "department", "Legal", "co")
    if not positive:
        b.position(c.session, c.w, "head_legal", "Head of Legal", "department", "legal")
        b.person(c.session, c.w, "LEG000", dept="legal", pos="head_legal")
    b.person(c.session, c.w, "LEG001", dept="legal")
    _duties(c)
