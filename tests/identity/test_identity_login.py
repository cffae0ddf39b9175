"""Sessions, back-off, API tokens, TOTP and the account services, without HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from keyguard.audit.models import AuditEntry
from keyguard.config import get_settings, utcnow
from keyguard.errors import NotFound, RuleViolation
from keyguard.identity import service, sessions, tokens, totp
from keyguard.identity.auth import require
from keyguard.identity.models import Account, WebSession
from keyguard.models import metadata
from keyguard.records.org.models import OrgNode, Person, SupervisingBody, Unit

PASSWORD = "a-long-enough-passphrase"


@pytest.fixture
def db(home: Path) -> Iterator[Session]:
    """All tables in an in-memory SQLite database (services only; migrations are tested
    in tests/db)."""
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


@pytest.fixture
def units(db: Session) -> dict[str, Unit]:
    body = SupervisingBody(code="board", name="Board")
    db.add(body)
    db.flush()
    out = {
        code: Unit(
            code=code, name=code.upper(), supervising_body_id=body.id if code == "u1" else None
        )
        for code in ("u1", "u2")
    }
    db.add_all(out.values())
    db.flush()
    return out


def account(db: Session, email: str, roles: list[tuple[str, int | None]], **kw: object) -> Account:
    return service.create_account(db, email=email, password=PASSWORD, roles=roles, **kw)  # type: ignore[arg-type]


def actions(db: Session) -> list[str]:
    return [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def test_login_and_back_off(db: Session, units: dict[str, Unit], now) -> None:  # type: ignore[no-untyped-def]
    now("2026-05-04T08:00:00")
    a = account(db, "ana@x.example", [("analyst", units["u1"].id)])
    assert sessions.login(db, email="nobody@x.example", password=PASSWORD).reason == "wrong"
    limit = get_settings().login_max_failures
    for i in range(limit - 1):
        assert sessions.login(db, email="ANA@x.example", password="nope").reason == "wrong", i
    last = sessions.login(db, email="ana@x.example", password="nope")
    assert last.reason == "locked"
    assert last.retry_after == get_settings().login_backoff_seconds + 1
    assert sessions.login(db, email="ana@x.example", password=PASSWORD).reason == "locked"
    now("2026-05-04T08:10:00")
    ok = sessions.login(db, email="ana@x.example", password=PASSWORD)
    assert ok.reason == "ok" and ok.token and ok.web_session is not None
    assert a.failed_logins == 0 and a.locked_until is None
    assert ok.web_session.token_hash == hashlib.sha256(ok.token.encode()).hexdigest()
    assert sessions.find_session(db, ok.token) is ok.web_session
    assert sessions.find_session(db, "forged") is None
    assert actions(db).count("login_failed") == limit + 1  # the unknown e-mail too
    assert "login_blocked" in actions(db) and "login" in actions(db)


def test_back_off_doubles(db: Session, units: dict[str, Unit], now) -> None:  # type: ignore[no-untyped-def]
    now("2026-05-04T08:00:00")
    a = account(db, "ana@x.example", [("analyst", units["u1"].id)])
    base = get_settings().login_backoff_seconds
    a.failed_logins = get_settings().login_max_failures - 1
    sessions.register_failure(db, a, step="password")
    first = a.locked_until - utcnow()
    sessions.register_failure(db, a, step="password")
    second = a.locked_until - utcnow()
    assert first == dt.timedelta(seconds=base) and second == dt.timedelta(seconds=2 * base)
    for _ in range(40):
        sessions.register_failure(db, a, step="password")
    assert a.locked_until - utcnow() == sessions.MAX_LOCK


def test_sessions_expire_and_end(db: Session, units: dict[str, Unit], now) -> None:  # type: ignore[no-untyped-def]
    now("2026-05-04T08:00:00")
    a = account(db, "ana@x.example", [("analyst", units["u1"].id)])
    token, ws = sessions.create_session(db, a, totp_passed=True)
    other, _ = sessions.create_session(db, a, totp_passed=True)
    assert sessions.end_sessions(db, a.id, keep=ws) == 1
    assert sessions.find_session(db, other) is None
    now("2026-05-04T16:00:00")
    assert sessions.find_session(db, token) is None
    assert sessions.purge_expired(db) == 1


def test_api_tokens(db: Session, units: dict[str, Unit], now) -> None:  # type: ignore[no-untyped-def]
    now("2026-05-04T08:00:00")
    a = account(db, "ana@x.example", [("analyst", units["u1"].id)])
    b = account(db, "bob@x.example", [("analyst", units["u1"].id)])
    plain, row = tokens.create_token(db, account=a, name="ci", days=2)
    assert plain.startswith(f"kg_{row.prefix}_") and plain not in row.token_hash
    assert tokens.find_token(db, plain) is row
    db.flush()
    entries = len(actions(db))
    now("2026-05-04T09:00:00")
    assert tokens.find_token(db, plain) is row
    db.expire_all()
    assert db.get(type(row), row.id).last_used_at is not None
    assert len(actions(db)) == entries  # using a token writes no audit entry
    assert tokens.find_token(db, "kg_" + plain[3:-1]) is None
    with pytest.raises(NotFound):
        tokens.revoke_token(db, account_id=b.id, token_id=row.id)
    with pytest.raises(RuleViolation):
        tokens.create_token(db, account=a, name=" ")
    with pytest.raises(RuleViolation):
        tokens.create_token(db, account=a, name="x", days=400)
    now("2026-05-06T08:00:01")
    assert tokens.find_token(db, plain) is None
    fresh, _ = tokens.create_token(db, account=a, name="no expiry")
    tokens.revoke_token(db, account_id=a.id, token_id=tokens.list_tokens(db, a.id)[0].id)
    assert tokens.find_token(db, fresh) is None
    assert actions(db).count("token_create") == 2 and "token_revoke" in actions(db)


def test_totp(db: Session, units: dict[str, Unit]) -> None:
    approver = account(db, "so@x.example", [("security_officer", units["u1"].id)])
    employee = account(db, "em@x.example", [("employee", units["u1"].id)])
    p_approver = service.principal_for(db, approver)
    p_employee = service.principal_for(db, employee)
    assert totp.totp_required(p_approver) and not totp.totp_required(p_employee)
    secret = totp.start_enrolment(db, employee)
    assert not employee.totp_enabled
    uri = totp.provisioning_uri(employee)
    assert (
        uri.startswith("otpauth://totp/keyguard:em%40x.example?secret=")
        and "issuer=keyguard" in uri
    )
    with pytest.raises(RuleViolation):
        totp.confirm_enrolment(
            db, employee, "123456" if pyotp.TOTP(secret).now() != "123456" else "654321"
        )
    totp.confirm_enrolment(db, employee, pyotp.TOTP(secret).now())
    assert employee.totp_enabled
    assert sessions.login(db, email="em@x.example", password=PASSWORD).reason == "totp"
    assert not totp.verify_code(employee, "12345") and not totp.verify_code(employee, "abcdef")
    totp.disable(db, employee, p_employee, pyotp.TOTP(secret).now())
    assert not employee.totp_enabled and employee.totp_secret is None
    s2 = totp.start_enrolment(db, approver)
    totp.confirm_enrolment(db, approver, pyotp.TOTP(s2).now())
    with pytest.raises(RuleViolation, match="required"):
        totp.disable(db, approver, p_approver, pyotp.TOTP(s2).now())
    admin = account(db, "ad@x.example", [("admin", None)])
    totp.reset(db, approver, by=admin)
    assert not approver.totp_enabled
    assert {"totp_enable", "totp_disable", "totp_reset"} <= set(actions(db))


def test_password_services(db: Session, units: dict[str, Unit]) -> None:
    a = account(db, "ana@x.example", [("analyst", units["u1"].id)])
    admin = account(db, "ad@x.example", [("admin", None)])
    _, keep = sessions.create_session(db, a, totp_passed=True)
    sessions.create_session(db, a, totp_passed=True)
    with pytest.raises(RuleViolation, match="current password"):
        service.change_password(db, account=a, current="wrong", new="another-passphrase")
    with pytest.raises(RuleViolation, match="differ"):
        service.change_password(db, account=a, current=PASSWORD, new=PASSWORD)
    service.change_password(
        db, account=a, current=PASSWORD, new="another-passphrase", keep_session_id=keep.id
    )
    assert [w.id for w in db.scalars(select(WebSession))] == [keep.id]
    service.reset_password(db, account=a, by=admin, new=service.generate_password())
    assert db.scalars(select(WebSession)).all() == []
    with pytest.raises(RuleViolation):
        service.set_active(db, account=admin, by=admin, active=False)
    with pytest.raises(RuleViolation):
        service.set_language(db, account=a, language="fr")
    assert len(service.generate_password()) == 16
    assert {"password_change", "password_reset"} <= set(actions(db))


def test_unit_access_and_department_scope(db: Session, units: dict[str, Unit]) -> None:
    u1, u2 = units["u1"].id, units["u2"].id
    research = OrgNode(unit_id=u1, kind="department", name="R", path="R")
    other = OrgNode(unit_id=u1, kind="department", name="O", path="O")
    db.add_all([research, other])
    db.flush()
    team = OrgNode(unit_id=u1, kind="team", name="T", path="R / T", parent_id=research.id)
    db.add(team)
    head_person = Person(
        unit_id=u1, staff_id="H1", pseudonym="P-H", full_name="H", department_id=research.id
    )
    db.add(head_person)
    db.flush()
    admin = service.principal_for(db, account(db, "ad@x.example", [("admin", None)]))
    assert service.accessible_unit_ids(db, admin) == [u1, u2]
    head_acc = account(db, "he@x.example", [("department_head", u1)], person_id=head_person.id)
    head = service.principal_for(db, head_acc)
    assert service.accessible_unit_ids(db, head) == [u1]
    assert service.visible_department_ids(db, head, u1) == {research.id, team.id}
    both = account(
        db, "bo@x.example", [("department_head", u1), ("analyst", u1)], person_id=head_person.id
    )
    assert service.visible_department_ids(db, service.principal_for(db, both), u1) is None
    lost = service.principal_for(db, account(db, "lo@x.example", [("department_head", u1)]))
    assert service.visible_department_ids(db, lost, u1) == frozenset()
    supervisor = account(
        db,
        "su@x.example",
        [("supervisor", None)],
        supervising_body_id=units["u1"].supervising_body_id,
    )
    assert service.accessible_unit_ids(db, service.principal_for(db, supervisor)) == [u1]


def test_role_scope_rules() -> None:
    service.check_role_scope("analyst", 1, None)
    service.check_role_scope("admin", None, None)
    service.check_role_scope("supervisor", None, 3)
    for args in (
        ("analyst", None, None),
        ("admin", 1, None),
        ("supervisor", None, None),
        ("wizard", 1, None),
    ):
        with pytest.raises(RuleViolation):
            service.check_role_scope(*args)


def test_require_refuses_unknown_permissions() -> None:
    assert require("org.view").dependency.__keyguard_access__.permission == "org.view"
    with pytest.raises(KeyError, match="unknown permission"):
        require("org.viewz")


def test_a_sign_in_code_is_accepted_once(db: Session, units: dict[str, Unit]) -> None:
    person = account(db, "em@x.example", [("employee", units["u1"].id)])
    secret = totp.start_enrolment(db, person)
    otp = pyotp.TOTP(secret)
    moment = 1_900_000_000.0  # a fixed wall-clock second, so no step boundary is crossed
    code = otp.at(moment)
    step = totp.matching_step(person, code, at=moment)
    assert step == otp.timecode(dt.datetime.fromtimestamp(moment, dt.UTC))
    # One step of drift either way is tolerated; two are not.
    assert totp.matching_step(person, code, at=moment + 30) == step
    assert totp.matching_step(person, code, at=moment - 30) == step
    assert totp.matching_step(person, code, at=moment + 61) is None
    assert totp.matching_step(person, "12 34 5") is None
    # Sign-in: the current code works once; the same code again is a replay.
    current = otp.now()
    assert totp.use_code(db, person, current)
    assert person.totp_last_step is not None
    assert not totp.use_code(db, person, current)
    assert "totp_replay_refused" in actions(db)
    # An older step than the one last used is refused too.
    previous = otp.at(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30))
    if previous != current:
        assert not totp.use_code(db, person, previous)


def test_idle_sessions_end(db: Session, units: dict[str, Unit], now) -> None:  # type: ignore[no-untyped-def]
    idle = get_settings().session_idle_minutes
    assert idle > 0
    now("2026-05-04T08:00:00")
    a = account(db, "ana@x.example", [("analyst", units["u1"].id)])
    token, ws = sessions.create_session(db, a, totp_passed=True)
    left, _ = sessions.create_session(db, a, totp_passed=True)
    # Used every few minutes, the session lives on past the idle limit ...
    for minute in range(5, idle * 3, 5):
        now(f"2026-05-04T{8 + minute // 60:02d}:{minute % 60:02d}:00")
        assert sessions.find_session(db, token) is ws, minute
    # ... while the one left alone has ended, and is purged.
    assert sessions.find_session(db, left) is None
    assert sessions.purge_expired(db) == 1
    # Left idle for the limit, the used one ends too.
    seen = ws.last_seen_at
    assert seen is not None
    now((seen + dt.timedelta(minutes=idle)).isoformat())
    assert sessions.find_session(db, token) is None
