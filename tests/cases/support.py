"""A small prepared unit for the cases tests: the people and accounts of ``web.prepared``,
a CERT folder of one person's file copies ingested through the real ingest service, a
low-and-slow alert about that person (an ``analytics`` alert row) and a loophole finding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from keyguard.analytics.models import Alert
from keyguard.audit.context import Actor, actor_scope
from keyguard.controls.models import Finding
from keyguard.identity.models import Account
from keyguard.ingest.service import IngestResult, ingest_cert
from keyguard.records.org.models import Person, Unit
from web.prepared import World, build_world

#: The clock of the tests (Asia/Shanghai: 2026-11-20 17:00 local).
NOW = "2026-11-20T09:00:00"
TODAY = dt.date(2026, 11, 20)
#: Days of the collector's activity (local days of unit A).
DAYS = [dt.date(2026, 10, 5), dt.date(2026, 10, 6), dt.date(2026, 10, 7)]
OLD_DAY = dt.date(2024, 3, 1)
HEADER = "id,date,user,pc,filename,activity,to_removable_media,from_removable_media,content"
POLICY = ("4112d039-8154-484f-b7a0-ad4d9732b3a9", "Low-and-slow collection beyond need-to-know")


def cert_rows(user: str, days: list[dt.date], per_day: int = 3, tag: str = "F") -> list[str]:
    """file.csv rows (CERT r6.2): ``user`` copies items to removable media each day."""
    rows = []
    for d in days:
        for i in range(per_day):
            stamp = f"{d.month:02d}/{d.day:02d}/{d.year} {9 + i:02d}:15:00"
            rows.append(
                f"{{{tag}-{d.isoformat()}-{i}}},{stamp},{user},PC-0101,"
                f'\\\\fs01\\research\\falcon\\item-{i}.doc,File Copy,True,False,""'
            )
    return rows


def write_cert(folder: Path, rows: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "file.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return folder


def ingest(
    session: Session, folder: Path, unit_code: str = "unit-a", keep_from: dt.date | None = None
) -> IngestResult:
    with actor_scope(Actor(name="test:ingest")):
        return ingest_cert(
            session, folder=folder, unit_code=unit_code, keep_from=keep_from, import_ldap=False
        )


def make_alert(
    session: Session,
    unit: Unit,
    person: Person,
    *,
    days: list[dt.date] = DAYS,
    policy: tuple[str, str] = POLICY,
    score: float = 78.5,
    status: str = "new",
) -> Alert:
    """An alert row as the analytics store it (id: hash of unit, person, policy, day)."""
    key = person.staff_id.casefold()
    alert_id = hashlib.sha256(f"{unit.code}|{key}|{policy[0]}|{days[0]}".encode()).hexdigest()[:32]
    alert = Alert(
        id=alert_id,
        unit_id=unit.id,
        user_key=key,
        source_user=person.staff_id,
        person_id=person.id,
        policy_id=policy[0],
        policy_title=policy[1],
        policy_version=1,
        level="high",
        first_day=days[0],
        fired_day=days[0],
        last_day=days[-1],
        score=score,
        indicators=["items_outside_ntk_90d", "items_outside_ntk"],
        fired_days=[d.isoformat() for d in days],
        notes=[],
        active=True,
        status=status,
    )
    session.add(alert)
    session.flush()
    return alert


def make_finding(
    session: Session,
    unit: Unit,
    person: Person,
    *,
    check: str = "access-without-grant",
    severity: str = "high",
    event_ids: list[tuple[str, dt.date]] = (),
) -> Finding:  # type: ignore[assignment]
    """An open loophole finding about ``person`` whose evidence names events."""
    from keyguard.config import utcnow

    fid = hashlib.sha256(f"{unit.code}|{check}|{person.staff_id}".encode()).hexdigest()[:32]
    now = utcnow()
    f = Finding(
        id=fid,
        unit_id=unit.id,
        check_id=check,
        check_title=check.replace("-", " "),
        severity=severity,
        subject_key=person.staff_id,
        subject=f"{person.full_name} reads items without a grant",
        subject_masked=f"{person.pseudonym} reads items without a grant",
        person_id=person.id,
        status="open",
        opened_on=TODAY - dt.timedelta(days=10),
        first_seen_at=now,
        last_seen_at=now,
        due_on=TODAY + dt.timedelta(days=20),
        supports=[],
        evidence=[
            {
                "source": "event",
                "event_id": e,
                "day": d.isoformat(),
                "user": person.staff_id,
                "file": "file.csv",
                "line": 2,
            }
            for e, d in event_ids
        ],
        evidence_total=len(event_ids),
        details={},
    )
    session.add(f)
    session.flush()
    return f


@dataclass
class Prepared:
    world: World
    unit_id: int
    person_id: int
    alert_id: str
    ingest: IngestResult
    folder: Path
    extra: dict[str, object] = field(default_factory=dict)

    def unit(self, session: Session) -> Unit:
        unit = session.get(Unit, self.unit_id)
        assert unit is not None
        return unit

    def person(self, session: Session, key: str = "zhang") -> Person:
        person = session.get(Person, self.world.people[key])
        assert person is not None
        return person

    def account(self, session: Session, key: str) -> Account:
        account = session.get(Account, self.world.accounts[key])
        assert account is not None
        return account


def prepare(session: Session, tmp: Path) -> Prepared:
    """The prepared unit A with zhang's collection ingested and alerted."""
    world = build_world(session)
    session.commit()
    folder = write_cert(tmp / "cert-a", cert_rows("A001", DAYS))
    result = ingest(session, folder)
    unit = session.get(Unit, world.units["a"])
    person = session.get(Person, world.people["zhang"])
    assert unit is not None and person is not None
    with actor_scope(Actor(name="test:setup")):
        alert = make_alert(session, unit, person)
    session.commit()
    return Prepared(world, unit.id, person.id, alert.id, result, folder)


def as_account(account: Account) -> Actor:
    return Actor(name=f"account:{account.id}", account_id=account.id, person_id=account.person_id)
